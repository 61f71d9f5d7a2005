SELECT convert_to(row_to_json((SELECT "e" FROM (SELECT (SELECT coalesce(json_agg("_1_author_r"."j" ORDER BY "_1_author_r"."o0" ASC NULLS LAST), '[]'::json) FROM (SELECT row_to_json((SELECT "e" FROM (SELECT "_1_author"."id" AS "id") AS "e")) AS "j", "_1_author"."id" AS "o0" FROM "public"."author" AS "_1_author" WHERE "_1_author"."followers" = $1::text::"pg_catalog"."int8" ORDER BY "_1_author"."id" ASC NULLS LAST) AS "_1_author_r") AS "author") AS "e"))::text, 'UTF8') AS "data"

-- $1: literal '9007199254740993' -> pg_catalog.int8
