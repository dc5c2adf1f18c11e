-- qkeys
CREATE OR REPLACE TEMP TABLE qkeys AS SELECT DISTINCT "values"->>'region' AS "region", "values"->>'Store ID' AS "Store ID" FROM quarantine WHERE "values" IS NOT NULL;
-- actions
CREATE OR REPLACE TEMP TABLE actions AS
		SELECT coalesce(i."region", c."region") AS "region", coalesce(i."Store ID", c."Store ID") AS "Store ID", c.valid_from AS cur_from,
			CASE
				WHEN c."region" IS NULL AND coalesce(seen, false) THEN 'reopened'
				WHEN c."region" IS NULL THEN 'inserted'
				WHEN i."region" IS NULL AND coalesce(c.is_deleted, false) THEN 'unchanged'
				WHEN i."region" IS NULL AND EXISTS (SELECT 1 FROM qkeys q WHERE q."region" = c."region"::VARCHAR AND q."Store ID" = c."Store ID"::VARCHAR) THEN 'kept'
				WHEN i."region" IS NULL THEN 'closed'
				WHEN coalesce(c.is_deleted, false) THEN 'reopened'
				WHEN md5(to_json(struct_pack("sales" := c."sales"))::VARCHAR) IS DISTINCT FROM md5(to_json(struct_pack("sales" := i."sales"))::VARCHAR) THEN 'changed'
				ELSE 'unchanged'
			END AS action
		FROM (SELECT * FROM prev WHERE is_current) c
		FULL JOIN batch i ON c."region" = i."region" AND c."Store ID" = i."Store ID"
		LEFT JOIN (SELECT DISTINCT "region", "Store ID", true AS seen FROM prev) s ON s."region" = coalesce(i."region", c."region") AND s."Store ID" = coalesce(i."Store ID", c."Store ID");
-- early
SELECT count(*), coalesce(max(cur_from)::VARCHAR, '') FROM actions
		WHERE action IN ('changed', 'closed', 'reopened') AND cur_from >= TIMESTAMPTZ '2024-03-01T06:00:00Z';
-- result
CREATE OR REPLACE TEMP VIEW result AS SELECT * FROM prev WHERE NOT is_current
		UNION ALL BY NAME
		SELECT c.* FROM (SELECT * FROM prev WHERE is_current) c JOIN actions a USING ("region", "Store ID") WHERE a.action IN ('unchanged', 'kept')
		UNION ALL BY NAME
		SELECT c.* REPLACE (TIMESTAMPTZ '2024-03-01T06:00:00Z' AS valid_to, false AS is_current)
		FROM (SELECT * FROM prev WHERE is_current) c JOIN actions a USING ("region", "Store ID") WHERE a.action IN ('changed', 'closed', 'reopened')
		UNION ALL BY NAME
		SELECT i.*, md5(to_json(struct_pack("sales" := i."sales"))::VARCHAR) AS row_hash, TIMESTAMPTZ '2024-03-01T06:00:00Z' AS valid_from, NULL::TIMESTAMPTZ AS valid_to, true AS is_current, false AS is_deleted
		FROM batch i JOIN actions a USING ("region", "Store ID") WHERE a.action IN ('inserted', 'changed', 'reopened')
		UNION ALL BY NAME
		SELECT c.* REPLACE (TIMESTAMPTZ '2024-03-01T06:00:00Z' AS valid_from, NULL::TIMESTAMPTZ AS valid_to, true AS is_current, true AS is_deleted)
		FROM (SELECT * FROM prev WHERE is_current) c JOIN actions a USING ("region", "Store ID") WHERE a.action = 'closed';
-- touched
CREATE OR REPLACE TEMP TABLE touched AS
		SELECT "region", "Store ID" FROM actions WHERE action IN ('inserted', 'changed', 'closed', 'reopened');
-- touched_result
CREATE OR REPLACE TEMP TABLE touched_result AS SELECT * FROM (SELECT * FROM prev SEMI JOIN touched USING ("region", "Store ID")) WHERE NOT is_current
		UNION ALL BY NAME
		SELECT c.* FROM (SELECT * FROM (SELECT * FROM prev SEMI JOIN touched USING ("region", "Store ID")) WHERE is_current) c JOIN (SELECT * FROM actions SEMI JOIN touched USING ("region", "Store ID")) a USING ("region", "Store ID") WHERE a.action IN ('unchanged', 'kept')
		UNION ALL BY NAME
		SELECT c.* REPLACE (TIMESTAMPTZ '2024-03-01T06:00:00Z' AS valid_to, false AS is_current)
		FROM (SELECT * FROM (SELECT * FROM prev SEMI JOIN touched USING ("region", "Store ID")) WHERE is_current) c JOIN (SELECT * FROM actions SEMI JOIN touched USING ("region", "Store ID")) a USING ("region", "Store ID") WHERE a.action IN ('changed', 'closed', 'reopened')
		UNION ALL BY NAME
		SELECT i.*, md5(to_json(struct_pack("sales" := i."sales"))::VARCHAR) AS row_hash, TIMESTAMPTZ '2024-03-01T06:00:00Z' AS valid_from, NULL::TIMESTAMPTZ AS valid_to, true AS is_current, false AS is_deleted
		FROM (SELECT * FROM batch SEMI JOIN touched USING ("region", "Store ID")) i JOIN (SELECT * FROM actions SEMI JOIN touched USING ("region", "Store ID")) a USING ("region", "Store ID") WHERE a.action IN ('inserted', 'changed', 'reopened')
		UNION ALL BY NAME
		SELECT c.* REPLACE (TIMESTAMPTZ '2024-03-01T06:00:00Z' AS valid_from, NULL::TIMESTAMPTZ AS valid_to, true AS is_current, true AS is_deleted)
		FROM (SELECT * FROM (SELECT * FROM prev SEMI JOIN touched USING ("region", "Store ID")) WHERE is_current) c JOIN (SELECT * FROM actions SEMI JOIN touched USING ("region", "Store ID")) a USING ("region", "Store ID") WHERE a.action = 'closed';
