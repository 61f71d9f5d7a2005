SELECT convert_to(row_to_json((SELECT "e" FROM (SELECT 'query_root' AS "__typename", (SELECT coalesce(json_agg("_1_author_r"."j"), '[]'::json) FROM (SELECT row_to_json((SELECT "e" FROM (SELECT "_1_author"."id" AS "id", "_1_author"."name" AS "name", 'author' AS "__typename") AS "e")) AS "j" FROM "public"."author" AS "_1_author") AS "_1_author_r") AS "author") AS "e"))::text, 'UTF8') AS "data"

