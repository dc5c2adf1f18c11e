package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/objstore/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// The rows of each version, as SQL over DuckDB's range(): ts is a TIMESTAMP (without zone) over
// five days, so day(ts) makes several partitions.
const (
	firstRows  = `SELECT i AS id, 'n' || i AS name, i * 1.5 :: DOUBLE AS amount, TIMESTAMP '2024-03-01 00:30:00' + INTERVAL (i) HOUR AS ts FROM range(%d, %d) t(i)`
	secondRows = `SELECT i AS id, 'm' || i AS name, i * 2.0 :: DOUBLE AS amount, TIMESTAMP '2024-03-02 12:00:00' + INTERVAL (i * 7) MINUTE AS ts, i % 3 AS extra FROM range(50) t(i)`
)

// fixture is a DuckDB for writing the Parquet files a write commits and reading back what a
// snapshot holds.
type fixture struct {
	t   *testing.T
	db  *sql.DB
	dir string
	n   int
}

func newFixture(t *testing.T) *fixture {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return &fixture{t: t, db: db, dir: t.TempDir()}
}

// parquet writes the rows of query to a new Parquet file.
func (f *fixture) parquet(query string) string {
	f.t.Helper()
	f.n++
	path := filepath.Join(f.dir, fmt.Sprintf("in-%d.parquet", f.n))
	if _, err := f.db.Exec(fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet)", query, path)); err != nil {
		f.t.Fatalf("writing %s: %v", path, err)
	}
	return path
}

// rows is the answer of query with timestamps as microseconds since 1970, sorted by the first
// column: the independent answer snapshots are held to.
func (f *fixture) rows(query string) [][]any {
	f.t.Helper()
	return testenv.Rows(f.t, f.db, fmt.Sprintf("SELECT * REPLACE (epoch_us(ts) AS ts) FROM (%s) ORDER BY 1", query))
}

// scan is a read_parquet of files for a FROM clause (Iceberg's partition folders look like
// Hive's, but the columns are in the files).
func scan(files []string) string {
	quoted := make([]string, len(files))
	for i, p := range files {
		quoted[i] = "'" + p + "'"
	}
	return "read_parquet([" + strings.Join(quoted, ", ") + "], union_by_name = true, hive_partitioning = false)"
}

// read is what DuckDB's read_parquet finds in files, as rows gives it; nil for no files.
func (f *fixture) read(files []string) [][]any {
	f.t.Helper()
	if len(files) == 0 {
		return nil
	}
	return f.rows("SELECT * FROM " + scan(files))
}

// files are the data files of a snapshot of name (0: the current one), as Files gives them.
func (f *fixture) files(c *Catalog, name string, id int64) []string {
	f.t.Helper()
	tbl, err := c.Load(context.Background(), name)
	if err != nil {
		f.t.Fatal(err)
	}
	files, err := tbl.Files(context.Background(), id, f.t.TempDir())
	if err != nil {
		f.t.Fatal(err)
	}
	return files
}

// snapshotRows reads a snapshot of name (0: the current one) through Files and DuckDB.
func (f *fixture) snapshotRows(c *Catalog, name string, id int64) [][]any {
	f.t.Helper()
	return f.read(f.files(c, name, id))
}

// currentRows reads the current rows of a table without a ts column, sorted by every column.
func (f *fixture) currentRows(c *Catalog, name string) [][]any {
	f.t.Helper()
	return testenv.Rows(f.t, f.db, "SELECT * FROM "+scan(f.files(c, name, 0))+" ORDER BY ALL")
}

func (f *fixture) sameRows(what string, got, want [][]any) {
	f.t.Helper()
	if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
		f.t.Fatalf("%s: got %d rows, want %d\n got %v\nwant %v", what, len(got), len(want), head(got), head(want))
	}
}

func head(rows [][]any) [][]any { return rows[:min(len(rows), 3)] }

func TestLocalWarehouse(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Catalog: "sqlite:" + filepath.Join(dir, "sub", "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")}
	testLifecycle(t, cfg)
}

func TestS3Warehouse(t *testing.T) {
	srv := s3test.Need(t)
	bucket := srv.Bucket(t)
	cfg := Config{Catalog: "sqlite:" + filepath.Join(t.TempDir(), "catalog.db"), Warehouse: "s3://" + bucket + "/warehouse"}
	testLifecycle(t, cfg)
}

// testLifecycle runs a table through what the ETL does with it: create, overwrite, time travel,
// conflicts, rollback, appends.
func testLifecycle(t *testing.T, cfg Config) {
	ctx := context.Background()
	f := newFixture(t)
	c, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const name = "sales.orders"

	if _, err := c.Load(ctx, name); !errors.Is(err, ErrNoSuchTable) {
		t.Fatalf("Load of a missing table: got %v, want ErrNoSuchTable", err)
	}

	// First write: two files, partitioned by day(ts).
	first := fmt.Sprintf(firstRows, 0, 120)
	s1, err := c.Overwrite(ctx, name, []string{f.parquet(fmt.Sprintf(firstRows, 0, 70)), f.parquet(fmt.Sprintf(firstRows, 70, 120))},
		WriteOptions{PartitionBy: []string{"day(ts)"}, Properties: map[string]string{"dora.run-id": "r1", "dora.pipeline": "orders"}})
	if err != nil {
		t.Fatal(err)
	}
	if s1.Rows != 120 || s1.ParentID != 0 || s1.Summary["dora.run-id"] != "r1" || s1.Summary["dora.pipeline"] != "orders" || !s1.Current {
		t.Fatalf("first snapshot: %+v", s1)
	}
	tbl, err := c.Load(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []Column{{"id", "long", false}, {"name", "string", false}, {"amount", "double", false}, {"ts", "timestamptz", false}}
	if got := tbl.Columns(); !reflect.DeepEqual(got, wantCols) {
		t.Fatalf("columns: got %v, want %v", got, wantCols)
	}
	files, err := tbl.Files(ctx, 0, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 { // 120 hours from 00:30 on March 1st touch six days
		t.Fatalf("day(ts) over five days wrote %d files: %v", len(files), files)
	}
	f.sameRows("first snapshot", f.read(files), f.rows(first))
	if got, err := c.Tables(ctx); err != nil || !slices.Equal(got, []string{name}) {
		t.Fatalf("Tables: %v, %v", got, err)
	}

	// Second write: other rows and a new column.
	s2, err := c.Overwrite(ctx, name, []string{f.parquet(secondRows)}, WriteOptions{Base: s1.ID, Properties: map[string]string{"dora.run-id": "r2"}})
	if err != nil {
		t.Fatal(err)
	}
	if s2.ParentID != s1.ID || s2.Rows != 50 || s2.Summary["dora.run-id"] != "r2" || s2.Operation != "overwrite" {
		t.Fatalf("second snapshot: %+v", s2)
	}
	tbl, err = c.Load(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if cols := tbl.Columns(); len(cols) != 5 || cols[4] != (Column{"extra", "long", false}) {
		t.Fatalf("columns after adding extra: %v", cols)
	}
	snaps := tbl.Snapshots()
	if len(snaps) != 2 || snaps[0].ID != s1.ID || snaps[1].ID != s2.ID || snaps[0].Current || !snaps[1].Current {
		t.Fatalf("snapshots: %+v", snaps)
	}
	if cur := tbl.Current(); cur == nil || cur.ID != s2.ID || cur.Summary["dora.run-id"] != "r2" {
		t.Fatalf("current: %+v", cur)
	}
	if _, err := tbl.Snapshot(12345); err == nil || !strings.Contains(err.Error(), name) {
		t.Fatalf("an unknown snapshot: %v", err)
	}
	f.sameRows("time travel to the first snapshot", f.snapshotRows(c, name, s1.ID), f.rows(first))
	f.sameRows("current snapshot", f.snapshotRows(c, name, 0), f.rows(secondRows))

	// A write planned against the first snapshot publishes nothing.
	_, err = c.Overwrite(ctx, name, []string{f.parquet(fmt.Sprintf(firstRows, 0, 3))}, WriteOptions{Base: s1.ID})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("stale base: got %v, want ErrConflict", err)
	}
	if tbl, _ = c.Load(ctx, name); tbl.Current().ID != s2.ID || len(tbl.Snapshots()) != 2 {
		t.Fatalf("a stale write changed the table: %+v", tbl.Snapshots())
	}

	// Two writers planned against the same snapshot: one wins, the other is told.
	a, b := f.parquet(fmt.Sprintf(firstRows, 1000, 1010)), f.parquet(fmt.Sprintf(firstRows, 2000, 2020))
	var wg sync.WaitGroup
	results := make([]Snapshot, 2)
	errs := make([]error, 2)
	for i, file := range []string{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = c.Overwrite(ctx, name, []string{file}, WriteOptions{Base: s2.ID})
		}()
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if won >= 0 {
				t.Fatalf("both writers published: %+v", results)
			}
			won = i
		case !errors.Is(err, ErrConflict):
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if won < 0 {
		t.Fatalf("neither writer published: %v", errs)
	}
	if !strings.Contains(cfg.Warehouse, "://") {
		noOrphans(t, c, name, cfg.Warehouse)
	}
	winner := [][2]int{{1000, 1010}, {2000, 2020}}[won]
	// The winner's files lack extra, which stays in the schema and reads as nulls.
	f.sameRows("after the race", f.snapshotRows(c, name, 0), f.rows("SELECT *, NULL :: BIGINT AS extra FROM ("+fmt.Sprintf(firstRows, winner[0], winner[1])+")"))

	// Rollback to the first snapshot: its rows are current again, nothing rewritten.
	back, err := c.Rollback(ctx, name, s1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != s1.ID || !back.Current {
		t.Fatalf("rollback gave %+v", back)
	}
	tbl, _ = c.Load(ctx, name)
	if len(tbl.Snapshots()) != 3 || tbl.Current().ID != s1.ID {
		t.Fatalf("after rollback: %+v", tbl.Snapshots())
	}
	f.sameRows("after rollback", f.snapshotRows(c, name, 0), f.rows(first))
	// And forward again, to the race's winner, which is no ancestor of s1.
	if fwd, err := c.Rollback(ctx, name, results[won].ID); err != nil || fwd.ID != results[won].ID || !fwd.Current {
		t.Fatalf("rolling forward: %+v, %v", fwd, err)
	}
	f.sameRows("rolled forward", f.snapshotRows(c, name, 0), f.rows("SELECT *, NULL :: BIGINT AS extra FROM ("+fmt.Sprintf(firstRows, winner[0], winner[1])+")"))

	// Appends add up, each one snapshot.
	const quality = "sales._dora_quality"
	q1, err := c.Append(ctx, quality, []string{f.parquet(`SELECT 'r1' AS run, 'rows' AS metric, 120 AS value`)}, WriteOptions{Properties: map[string]string{"dora.run-id": "r1"}})
	if err != nil {
		t.Fatal(err)
	}
	q2, err := c.Append(ctx, quality, []string{f.parquet(`SELECT 'r2' AS run, 'rows' AS metric, 50 AS value UNION ALL SELECT 'r2', 'nulls', 0`)}, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if q1.Rows != 1 || q2.Rows != 3 || q2.ParentID != q1.ID || q2.Operation != "append" {
		t.Fatalf("appends: %+v then %+v", q1, q2)
	}
	f.sameRows("appended", f.currentRows(c, quality), [][]any{{"r1", "rows", int32(120)}, {"r2", "nulls", int32(0)}, {"r2", "rows", int32(50)}})
	if got, _ := c.Tables(ctx); !slices.Equal(got, []string{quality, name}) {
		t.Fatalf("Tables: %v", got)
	}
}

// noOrphans checks that every Parquet file under a local warehouse belongs to a snapshot of
// name: the writer that lost a race removed what it wrote.
func noOrphans(t *testing.T, c *Catalog, name, warehouse string) {
	t.Helper()
	tbl, err := c.Load(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	referenced := map[string]bool{}
	for _, s := range tbl.Snapshots() {
		files, err := tbl.Files(context.Background(), s.ID, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range files {
			referenced[p] = true
		}
	}
	var orphans []string
	filepath.WalkDir(warehouse, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") && strings.Contains(p, "/data/") && !referenced[p] {
			orphans = append(orphans, p)
		}
		return nil
	})
	if len(orphans) > 0 || len(referenced) == 0 {
		t.Fatalf("%d of the warehouse's data files are in no snapshot (%d are): %v", len(orphans), len(referenced), orphans)
	}
}
