SELECT convert_to(row_to_json((SELECT "e" FROM (SELECT (SELECT coalesce(json_agg("_1_author_r"."j"), '[]'::json) FROM (SELECT row_to_json((SELECT "e" FROM (SELECT "_1_author"."id" AS "id", "_1_author"."profile" AS "profile", ("_1_author"."profile" #> $1::text[]::"pg_catalog"."text"[]) AS "city", ("_1_author"."profile" #> $2::text[]::"pg_catalog"."text"[]) AS "lang", "public"."author_initial"("_1_author") AS "initial", "public"."author_tagline"("a" => "_1_author", "suffix" => $3::text::"pg_catalog"."text") AS "tagline") AS "e")) AS "j" FROM "public"."author" AS "_1_author" WHERE "_1_author"."id" = $4::text::"pg_catalog"."int4") AS "_1_author_r") AS "author") AS "e"))::text, 'UTF8') AS "data"

-- $1: literal ['city'] -> pg_catalog.text[]
-- $2: literal ['langs', '0'] -> pg_catalog.text[]
-- $3: variable suffix -> pg_catalog.text
-- $4: literal 1 -> pg_catalog.int4
