-- qkeys
CREATE OR REPLACE TEMP TABLE qkeys AS SELECT DISTINCT "values"->>'id' AS "id" FROM quarantine WHERE "values" IS NOT NULL;
-- actions
CREATE OR REPLACE TEMP TABLE actions AS
		SELECT coalesce(i."id", c."id") AS "id", c.valid_from AS cur_from,
			CASE
				WHEN c."id" IS NULL AND coalesce(seen, false) THEN 'reopened'
				WHEN c."id" IS NULL THEN 'inserted'
				WHEN i."id" IS NULL AND false THEN 'unchanged'
				WHEN i."id" IS NULL AND EXISTS (SELECT 1 FROM qkeys q WHERE q."id" = c."id"::VARCHAR) THEN 'kept'
				WHEN i."id" IS NULL THEN 'closed'
				WHEN false THEN 'reopened'
				WHEN i."updated_at" > c."updated_at" OR c."updated_at" IS NULL AND i."updated_at" IS NOT NULL THEN 'changed'
				ELSE 'unchanged'
			END AS action
		FROM (SELECT * FROM prev WHERE is_current) c
		FULL JOIN batch i ON c."id" = i."id"
		LEFT JOIN (SELECT DISTINCT "id", true AS seen FROM prev) s ON s."id" = coalesce(i."id", c."id");
-- early
SELECT count(*), coalesce(max(cur_from)::VARCHAR, '') FROM actions
		WHERE action IN ('changed', 'closed', 'reopened') AND cur_from >= TIMESTAMPTZ '2024-03-01T06:00:00Z';
-- result
CREATE OR REPLACE TEMP VIEW result AS SELECT * FROM prev WHERE NOT is_current
		UNION ALL BY NAME
		SELECT c.* FROM (SELECT * FROM prev WHERE is_current) c JOIN actions a USING ("id") WHERE a.action IN ('unchanged', 'kept')
		UNION ALL BY NAME
		SELECT c.* REPLACE (TIMESTAMPTZ '2024-03-01T06:00:00Z' AS valid_to, false AS is_current)
		FROM (SELECT * FROM prev WHERE is_current) c JOIN actions a USING ("id") WHERE a.action IN ('changed', 'closed', 'reopened')
		UNION ALL BY NAME
		SELECT i.*, md5(to_json(struct_pack("name" := i."name", "updated_at" := i."updated_at"))::VARCHAR) AS row_hash, TIMESTAMPTZ '2024-03-01T06:00:00Z' AS valid_from, NULL::TIMESTAMPTZ AS valid_to, true AS is_current
		FROM batch i JOIN actions a USING ("id") WHERE a.action IN ('inserted', 'changed', 'reopened');
-- touched
CREATE OR REPLACE TEMP TABLE touched AS
		SELECT "id" FROM actions WHERE action IN ('inserted', 'changed', 'closed', 'reopened');
-- touched_result
CREATE OR REPLACE TEMP TABLE touched_result AS SELECT * FROM (SELECT * FROM prev SEMI JOIN touched USING ("id")) WHERE NOT is_current
		UNION ALL BY NAME
		SELECT c.* FROM (SELECT * FROM (SELECT * FROM prev SEMI JOIN touched USING ("id")) WHERE is_current) c JOIN (SELECT * FROM actions SEMI JOIN touched USING ("id")) a USING ("id") WHERE a.action IN ('unchanged', 'kept')
		UNION ALL BY NAME
		SELECT c.* REPLACE (TIMESTAMPTZ '2024-03-01T06:00:00Z' AS valid_to, false AS is_current)
		FROM (SELECT * FROM (SELECT * FROM prev SEMI JOIN touched USING ("id")) WHERE is_current) c JOIN (SELECT * FROM actions SEMI JOIN touched USING ("id")) a USING ("id") WHERE a.action IN ('changed', 'closed', 'reopened')
		UNION ALL BY NAME
		SELECT i.*, md5(to_json(struct_pack("name" := i."name", "updated_at" := i."updated_at"))::VARCHAR) AS row_hash, TIMESTAMPTZ '2024-03-01T06:00:00Z' AS valid_from, NULL::TIMESTAMPTZ AS valid_to, true AS is_current
		FROM (SELECT * FROM batch SEMI JOIN touched USING ("id")) i JOIN (SELECT * FROM actions SEMI JOIN touched USING ("id")) a USING ("id") WHERE a.action IN ('inserted', 'changed', 'reopened');
