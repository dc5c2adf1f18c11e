// Command benchetl prepares the data `make bench-etl` journalizes and is the bare-DuckDB
// contender it measures `dora etl run` against:
//
//	benchetl gen DIR ROWS        writes DIR/day1/part-0.parquet (ROWS accounts) and
//	                             DIR/day2/part-0.parquet: the same keys with ~10% changed, ~1%
//	                             gone, and ~1% new keys
//	benchetl scd2 OUT AS_OF MEMORY DAY2 JOURNAL...
//	                             journalizes DAY2 into the journal made of the JOURNAL Parquet
//	                             files at AS_OF with the SQL dora's journal module runs (strategy
//	                             check, hard_deletes invalidate) and writes the whole new journal
//	                             to OUT as dora writes a version (zstd, ordered by key,
//	                             valid_from); MEMORY is DuckDB's memory_limit ("" for its default)
//	benchetl same A_FILES B_FILES
//	                             fails unless the two sets of Parquet files (comma-separated)
//	                             hold the same rows
package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/query/sqlquote"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch a := os.Args[2:]; os.Args[1] {
	case "gen":
		if len(a) != 2 {
			usage()
		}
		rows, perr := strconv.Atoi(a[1])
		if perr != nil || rows < 100 {
			usage()
		}
		err = gen(a[0], rows)
	case "scd2":
		if len(a) < 5 {
			usage()
		}
		err = scd2(a[0], a[1], a[2], a[3], a[4:])
	case "same":
		if len(a) != 2 {
			usage()
		}
		err = same(strings.Split(a[0], ","), strings.Split(a[1], ","))
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchetl:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchetl gen DIR ROWS | benchetl scd2 OUT AS_OF MEMORY DAY2 JOURNAL... | benchetl same A_FILES B_FILES")
	os.Exit(2)
}

// conn is one DuckDB connection in UTC, so temporary tables and settings stay with it.
func conn(ctx context.Context, settings ...string) (*sql.Conn, func(), error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, nil, err
	}
	c, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	done := func() { c.Close(); db.Close() }
	for _, s := range append([]string{"SET TimeZone = 'UTC'"}, settings...) {
		if _, err := c.ExecContext(ctx, s); err != nil {
			done()
			return nil, nil, fmt.Errorf("%w\n  in: %s", err, s)
		}
	}
	return c, done, nil
}

func exec(ctx context.Context, c *sql.Conn, stmts ...string) error {
	for _, s := range stmts {
		if _, err := c.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%w\n  in: %s", err, s)
		}
	}
	return nil
}

// gen writes the two days. Which keys change, go and stay is decided by a hash of the key, so
// every run of gen writes the same files.
func gen(dir string, rows int) error {
	ctx := context.Background()
	for _, d := range []string{"day1", "day2"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	c, done, err := conn(ctx)
	if err != nil {
		return err
	}
	defer done()
	day1 := fmt.Sprintf(`CREATE TEMP TABLE day1 AS SELECT
		i AS account_id,
		'customer ' || i AS name,
		'user' || i || '@example.com' AS email,
		(['West', 'East', 'North', 'South', 'Central'])[1 + (i %% 5)::INTEGER] AS region,
		(['active', 'paused', 'closed'])[1 + (hash(i) %% 3)::INTEGER] AS status,
		((hash(i * 7) %% 10000000) / 100)::DECIMAL(12, 2) AS balance,
		(hash(i * 13) %% 1000)::INTEGER AS score,
		DATE '2020-01-01' + (i %% 1500)::INTEGER AS opened_on,
		hash(i * 17) %% 4 = 0 AS vip,
		TIMESTAMPTZ '2024-01-01 00:00:00+00' - to_seconds((i %% 86400)::BIGINT) AS updated_at
		FROM range(1, %d + 1) t(i)`, rows)
	// fate: 0 gone (1%), 1-10 changed (10%), the rest as they were.
	day2 := fmt.Sprintf(`CREATE TEMP TABLE day2 AS
		SELECT * EXCLUDE (fate) REPLACE (
			CASE WHEN fate <= 10 THEN balance + 1.25 ELSE balance END AS balance,
			CASE WHEN fate <= 5 THEN (['active', 'paused', 'closed'])[1 + ((hash(account_id) + 1) %% 3)::INTEGER] ELSE status END AS status,
			CASE WHEN fate <= 10 THEN TIMESTAMPTZ '2024-01-02 00:00:00+00' - to_seconds((account_id %% 3600)::BIGINT) ELSE updated_at END AS updated_at)
		FROM (SELECT *, hash(account_id * 31) %% 100 AS fate FROM day1) WHERE fate <> 0
		UNION ALL
		SELECT * REPLACE (account_id + %[1]d AS account_id, 'customer ' || (account_id + %[1]d) AS name,
			'user' || (account_id + %[1]d) || '@example.com' AS email,
			TIMESTAMPTZ '2024-01-02 00:00:00+00' - to_seconds((account_id %% 3600)::BIGINT) AS updated_at)
		FROM day1 WHERE account_id <= %[2]d`, rows, rows/100)
	return exec(ctx, c, day1, day2,
		fmt.Sprintf("COPY (SELECT * FROM day1 ORDER BY account_id) TO %s (FORMAT parquet, COMPRESSION zstd)", sqlquote.String(filepath.Join(dir, "day1", "part-0.parquet"))),
		fmt.Sprintf("COPY (SELECT * FROM day2 ORDER BY account_id) TO %s (FORMAT parquet, COMPRESSION zstd)", sqlquote.String(filepath.Join(dir, "day2", "part-0.parquet"))))
}

// scd2 is the journal module's SQL (pipelines/etl/journal.go, for one key column, strategy check
// and hard_deletes invalidate, nothing quarantined) and the version's Parquet file, without the
// rest of a dora run: no quarantine, cleanse, metrics, checks, invariants or Iceberg commit.
func scd2(out, asOf, memory, day2 string, journal []string) error {
	ctx := context.Background()
	settings := []string{"SET preserve_insertion_order = false", "SET temp_directory = " + sqlquote.String(filepath.Join(filepath.Dir(out), "spill"))}
	if memory != "" {
		settings = append(settings, "SET memory_limit = "+sqlquote.String(memory))
	}
	c, done, err := conn(ctx, settings...)
	if err != nil {
		return err
	}
	defer done()
	files := make([]string, len(journal))
	for i, f := range journal {
		files[i] = sqlquote.String(f)
	}
	if err := exec(ctx, c,
		fmt.Sprintf("CREATE TEMP TABLE prev AS SELECT * FROM read_parquet([%s])", strings.Join(files, ", ")),
		fmt.Sprintf("CREATE TEMP TABLE batch AS SELECT * FROM read_parquet(%s)", sqlquote.String(day2))); err != nil {
		return err
	}
	rows, err := c.QueryContext(ctx, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'batch' ORDER BY column_index")
	if err != nil {
		return err
	}
	var cols []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		cols = append(cols, n)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	key := cols[0]
	hash := func(alias string) string {
		fields := make([]string, 0, len(cols)-1)
		for _, col := range cols[1:] {
			fields = append(fields, fmt.Sprintf("%s := %s%s", sqlquote.Ident(col), alias, sqlquote.Ident(col)))
		}
		return "md5(to_json(struct_pack(" + strings.Join(fields, ", ") + "))::VARCHAR)"
	}
	at := "TIMESTAMPTZ " + sqlquote.String(asOf)
	k := sqlquote.Ident(key)
	actions := fmt.Sprintf(`CREATE TEMP TABLE actions AS
		SELECT coalesce(i.%[1]s, c.%[1]s) AS %[1]s, c.valid_from AS cur_from,
			CASE
				WHEN c.%[1]s IS NULL AND coalesce(seen, false) THEN 'reopened'
				WHEN c.%[1]s IS NULL THEN 'inserted'
				WHEN i.%[1]s IS NULL THEN 'closed'
				WHEN %[2]s IS DISTINCT FROM %[3]s THEN 'changed'
				ELSE 'unchanged'
			END AS action
		FROM (SELECT * FROM prev WHERE is_current) c
		FULL JOIN batch i ON c.%[1]s = i.%[1]s
		LEFT JOIN (SELECT DISTINCT %[1]s, true AS seen FROM prev) s ON s.%[1]s = coalesce(i.%[1]s, c.%[1]s)`,
		k, hash("c."), hash("i."))
	result := fmt.Sprintf(`SELECT * FROM prev WHERE NOT is_current
		UNION ALL BY NAME
		SELECT c.* FROM (SELECT * FROM prev WHERE is_current) c JOIN actions a USING (%[1]s) WHERE a.action = 'unchanged'
		UNION ALL BY NAME
		SELECT c.* REPLACE (%[2]s AS valid_to, false AS is_current)
		FROM (SELECT * FROM prev WHERE is_current) c JOIN actions a USING (%[1]s) WHERE a.action IN ('changed', 'closed', 'reopened')
		UNION ALL BY NAME
		SELECT i.*, %[3]s AS row_hash, %[2]s AS valid_from, NULL::TIMESTAMPTZ AS valid_to, true AS is_current
		FROM batch i JOIN actions a USING (%[1]s) WHERE a.action IN ('inserted', 'changed', 'reopened')`, k, at, hash("i."))
	outCols := make([]string, 0, len(cols)+4)
	for _, col := range append(cols, "valid_from", "valid_to", "is_current", "row_hash") {
		outCols = append(outCols, sqlquote.Ident(col))
	}
	return exec(ctx, c, actions, fmt.Sprintf("COPY (SELECT %s FROM (%s) ORDER BY %s, valid_from) TO %s (FORMAT parquet, COMPRESSION zstd)",
		strings.Join(outCols, ", "), result, k, sqlquote.String(out)))
}

// same compares two sets of Parquet files row by row (as a multiset).
func same(a, b []string) error {
	ctx := context.Background()
	c, done, err := conn(ctx)
	if err != nil {
		return err
	}
	defer done()
	list := func(fs []string) string {
		q := make([]string, len(fs))
		for i, f := range fs {
			q[i] = sqlquote.String(f)
		}
		return "read_parquet([" + strings.Join(q, ", ") + "])"
	}
	var na, nb, onlyA, onlyB int64
	q := fmt.Sprintf(`WITH a AS (SELECT * FROM %s), b AS (SELECT * FROM %s)
		SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM b),
			(SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b)),
			(SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a))`, list(a), list(b))
	if err := c.QueryRowContext(ctx, q).Scan(&na, &nb, &onlyA, &onlyB); err != nil {
		return err
	}
	if onlyA != 0 || onlyB != 0 {
		return fmt.Errorf("the results differ: %d rows and %d rows, %d only in the first, %d only in the second", na, nb, onlyA, onlyB)
	}
	fmt.Printf("same %d rows\n", na)
	return nil
}
