-- qkeys
CREATE OR REPLACE TEMP TABLE qkeys AS SELECT DISTINCT "values"->>'movie_id' AS "movie_id" FROM quarantine WHERE "values" IS NOT NULL;
-- actions
CREATE OR REPLACE TEMP TABLE actions AS
		SELECT coalesce(i."movie_id", c."movie_id") AS "movie_id", c.valid_from AS cur_from,
			CASE
				WHEN c."movie_id" IS NULL AND coalesce(seen, false) THEN 'reopened'
				WHEN c."movie_id" IS NULL THEN 'inserted'
				WHEN i."movie_id" IS NULL AND false THEN 'unchanged'
				WHEN i."movie_id" IS NULL AND EXISTS (SELECT 1 FROM qkeys q WHERE q."movie_id" = c."movie_id"::VARCHAR) THEN 'kept'
				WHEN i."movie_id" IS NULL THEN 'kept'
				WHEN false THEN 'reopened'
				WHEN md5(to_json(struct_pack("title" := c."title", "imdb_rating" := c."imdb_rating"))::VARCHAR) IS DISTINCT FROM md5(to_json(struct_pack("title" := i."title", "imdb_rating" := i."imdb_rating"))::VARCHAR) THEN 'changed'
				ELSE 'unchanged'
			END AS action
		FROM (SELECT * FROM prev WHERE is_current) c
		FULL JOIN batch i ON c."movie_id" = i."movie_id"
		LEFT JOIN (SELECT DISTINCT "movie_id", true AS seen FROM prev) s ON s."movie_id" = coalesce(i."movie_id", c."movie_id");
-- early
SELECT count(*), coalesce(max(cur_from)::VARCHAR, '') FROM actions
		WHERE action IN ('changed', 'closed', 'reopened') AND cur_from >= TIMESTAMPTZ '2024-03-01T06:00:00Z';
-- result
CREATE OR REPLACE TEMP VIEW result AS SELECT * FROM prev WHERE NOT is_current
		UNION ALL BY NAME
		SELECT c.* FROM (SELECT * FROM prev WHERE is_current) c JOIN actions a USING ("movie_id") WHERE a.action IN ('unchanged', 'kept')
		UNION ALL BY NAME
		SELECT c.* REPLACE (TIMESTAMPTZ '2024-03-01T06:00:00Z' AS valid_to, false AS is_current)
		FROM (SELECT * FROM prev WHERE is_current) c JOIN actions a USING ("movie_id") WHERE a.action IN ('changed', 'closed', 'reopened')
		UNION ALL BY NAME
		SELECT i.*, md5(to_json(struct_pack("title" := i."title", "imdb_rating" := i."imdb_rating"))::VARCHAR) AS row_hash, TIMESTAMPTZ '2024-03-01T06:00:00Z' AS valid_from, NULL::TIMESTAMPTZ AS valid_to, true AS is_current
		FROM batch i JOIN actions a USING ("movie_id") WHERE a.action IN ('inserted', 'changed', 'reopened');
-- touched
CREATE OR REPLACE TEMP TABLE touched AS
		SELECT "movie_id" FROM actions WHERE action IN ('inserted', 'changed', 'closed', 'reopened');
-- touched_result
CREATE OR REPLACE TEMP TABLE touched_result AS SELECT * FROM (SELECT * FROM prev SEMI JOIN touched USING ("movie_id")) WHERE NOT is_current
		UNION ALL BY NAME
		SELECT c.* FROM (SELECT * FROM (SELECT * FROM prev SEMI JOIN touched USING ("movie_id")) WHERE is_current) c JOIN (SELECT * FROM actions SEMI JOIN touched USING ("movie_id")) a USING ("movie_id") WHERE a.action IN ('unchanged', 'kept')
		UNION ALL BY NAME
		SELECT c.* REPLACE (TIMESTAMPTZ '2024-03-01T06:00:00Z' AS valid_to, false AS is_current)
		FROM (SELECT * FROM (SELECT * FROM prev SEMI JOIN touched USING ("movie_id")) WHERE is_current) c JOIN (SELECT * FROM actions SEMI JOIN touched USING ("movie_id")) a USING ("movie_id") WHERE a.action IN ('changed', 'closed', 'reopened')
		UNION ALL BY NAME
		SELECT i.*, md5(to_json(struct_pack("title" := i."title", "imdb_rating" := i."imdb_rating"))::VARCHAR) AS row_hash, TIMESTAMPTZ '2024-03-01T06:00:00Z' AS valid_from, NULL::TIMESTAMPTZ AS valid_to, true AS is_current
		FROM (SELECT * FROM batch SEMI JOIN touched USING ("movie_id")) i JOIN (SELECT * FROM actions SEMI JOIN touched USING ("movie_id")) a USING ("movie_id") WHERE a.action IN ('inserted', 'changed', 'reopened');
