SELECT convert_to(row_to_json((SELECT "e" FROM (SELECT (SELECT coalesce(json_agg("_1_weirdtable_r"."j"), '[]'::json) FROM (SELECT row_to_json((SELECT "e" FROM (SELECT "_1_weirdtable"."co""l -- x" AS "a", "_1_weirdtable"."$1" AS "b") AS "e")) AS "j" FROM "public"."we""ird; table" AS "_1_weirdtable" WHERE "_1_weirdtable"."co""l -- x" = $1::text::"pg_catalog"."int4") AS "_1_weirdtable_r") AS "t") AS "e"))::text, 'UTF8') AS "data"

-- $1: literal 1 -> pg_catalog.int4
