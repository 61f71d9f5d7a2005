SELECT convert_to(row_to_json((SELECT "e" FROM (SELECT (SELECT row_to_json((SELECT "e" FROM (SELECT "_1_author"."id" AS "id", "_1_author"."name" AS "name") AS "e")) FROM "public"."author" AS "_1_author" WHERE "_1_author"."id" = $1::text::"pg_catalog"."int4" LIMIT 1) AS "a", (SELECT row_to_json((SELECT "e" FROM (SELECT "_2_author"."id" AS "id", "_2_author"."name" AS "name") AS "e")) FROM "public"."author" AS "_2_author" WHERE "_2_author"."id" = $2::text::"pg_catalog"."int4" LIMIT 1) AS "b") AS "e"))::text, 'UTF8') AS "data"

-- $1: variable id -> pg_catalog.int4
-- $2: literal 99 -> pg_catalog.int4
