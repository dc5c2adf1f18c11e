-- trim
CREATE OR REPLACE TABLE batch AS SELECT * REPLACE (trim("name") AS "name") FROM batch;
-- lower
CREATE OR REPLACE TABLE batch AS SELECT * REPLACE (lower("city") AS "city") FROM batch;
-- regex_replace
CREATE OR REPLACE TABLE batch AS SELECT * REPLACE (regexp_replace("name", 'o', '0', 'g') AS "name") FROM batch;
-- rename
ALTER TABLE batch RENAME COLUMN "city" TO "town";
-- cast
SELECT TRY_CAST(NULL AS DOUBLE);
SELECT count(*) FROM batch WHERE "score" IS NOT NULL AND TRY_CAST("score" AS DOUBLE) IS NULL;
CREATE OR REPLACE TABLE batch AS SELECT * REPLACE (TRY_CAST("score" AS DOUBLE) AS "score") FROM batch;
-- defaults
SELECT CAST('nowhere' AS VARCHAR);
CREATE OR REPLACE TABLE batch AS SELECT * REPLACE (coalesce("town", CAST('nowhere' AS VARCHAR)) AS "town") FROM batch;
-- drop_if_null
SELECT count(*) FROM batch WHERE "id" IS NULL;
DELETE FROM batch WHERE "id" IS NULL;
-- dedupe
CREATE OR REPLACE TABLE batch AS SELECT * FROM batch
		QUALIFY row_number() OVER (PARTITION BY "id", "name", "score", "town" ORDER BY "_dora_source", "_dora_row") = 1;
CREATE OR REPLACE TEMP TABLE dupes AS
		SELECT "id", 'dedupe: ' || 'id' || '=' || coalesce("id"::VARCHAR, 'NULL') || ' has ' || count(*) || ' different rows: ' || concat_ws('; ', CASE WHEN count(DISTINCT "name") + max(CASE WHEN "name" IS NULL THEN 1 ELSE 0 END) > 1
			THEN 'name' || ': ' || string_agg(DISTINCT coalesce("name"::VARCHAR, 'NULL'), ' vs ' ORDER BY coalesce("name"::VARCHAR, 'NULL')) END, CASE WHEN count(DISTINCT "score") + max(CASE WHEN "score" IS NULL THEN 1 ELSE 0 END) > 1
			THEN 'score' || ': ' || string_agg(DISTINCT coalesce("score"::VARCHAR, 'NULL'), ' vs ' ORDER BY coalesce("score"::VARCHAR, 'NULL')) END, CASE WHEN count(DISTINCT "town") + max(CASE WHEN "town" IS NULL THEN 1 ELSE 0 END) > 1
			THEN 'town' || ': ' || string_agg(DISTINCT coalesce("town"::VARCHAR, 'NULL'), ' vs ' ORDER BY coalesce("town"::VARCHAR, 'NULL')) END) AS reason
		FROM batch GROUP BY "id" HAVING count(*) > 1;
SELECT b.*, d.reason AS _dora_reason FROM batch b JOIN dupes d USING ("id");
