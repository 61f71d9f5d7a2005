SELECT convert_to(row_to_json((SELECT "e" FROM (SELECT (SELECT coalesce(json_agg("_1_article_r"."j" ORDER BY "_1_article_r"."o0" ASC NULLS LAST), '[]'::json) FROM (SELECT row_to_json((SELECT "e" FROM (SELECT "_1_article"."id" AS "id") AS "e")) AS "j", "_1_article"."id" AS "o0" FROM "public"."article" AS "_1_article" WHERE ("_1_article"."author_id" = $1::text::"pg_catalog"."int4") AND ("_1_article"."id" = ANY($2::text::"pg_catalog"."int4"[])) AND ("_1_article"."title" <> $3::text::"pg_catalog"."text") AND ((("_1_article"."body" IS NULL) = $4::text::"pg_catalog"."bool")) ORDER BY "_1_article"."id" ASC NULLS LAST) AS "_1_article_r") AS "article") AS "e"))::text, 'UTF8') AS "data"

-- $1: session x-hasura-user-id -> pg_catalog.int4
-- $2: session x-hasura-allowed -> pg_catalog.int4[]
-- $3: variable filter.title.not -> pg_catalog.text
-- $4: variable null -> pg_catalog.bool
