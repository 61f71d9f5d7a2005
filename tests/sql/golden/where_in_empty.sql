SELECT convert_to(row_to_json((SELECT "e" FROM (SELECT (SELECT coalesce(json_agg("_1_article_r"."j" ORDER BY "_1_article_r"."o0" ASC NULLS LAST), '[]'::json) FROM (SELECT row_to_json((SELECT "e" FROM (SELECT "_1_article"."id" AS "id") AS "e")) AS "j", "_1_article"."id" AS "o0" FROM "public"."article" AS "_1_article" WHERE "_1_article"."id" = ANY($1::text[]::"pg_catalog"."int4"[]) ORDER BY "_1_article"."id" ASC NULLS LAST) AS "_1_article_r") AS "article") AS "e"))::text, 'UTF8') AS "data"

-- $1: literal [] -> pg_catalog.int4[]
