package catalog

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/internal/testenv"
)

func openLocal(t *testing.T) *Catalog {
	t.Helper()
	dir := t.TempDir()
	return openCatalog(t, Config{Catalog: "sqlite:" + filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")})
}

// openCatalog opens cfg, closed when the test ends.
func openCatalog(t *testing.T, cfg Config) *Catalog {
	t.Helper()
	c, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestPostgresShared opens two catalogs on one PostgreSQL database, as two dora processes
// sharing a catalog do: each sees what the other commits, and a write planned before the
// other's commit is refused.
func TestPostgresShared(t *testing.T) {
	url := testenv.Postgres(t)
	ctx := context.Background()
	f := newFixture(t)
	warehouse := t.TempDir()
	open := func() *Catalog {
		c, err := Open(ctx, Config{Catalog: url, Warehouse: warehouse})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	one, two := open(), open()
	const name = "shared.orders"
	q1, q2 := `SELECT i AS id, TIMESTAMP '2024-05-01' + INTERVAL (i) DAY AS ts FROM range(10) t(i)`, `SELECT i AS id, TIMESTAMP '2024-06-01' + INTERVAL (i) DAY AS ts FROM range(4) t(i)`

	s1, err := one.Overwrite(ctx, name, []string{f.parquet(q1)}, WriteOptions{PartitionBy: []string{"month(ts)"}, Properties: map[string]string{"dora.run-id": "one"}})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := two.Load(ctx, name)
	if err != nil {
		t.Fatalf("the second catalog does not see the first one's table: %v", err)
	}
	if cur := tbl.Current(); cur == nil || cur.ID != s1.ID || cur.Summary["dora.run-id"] != "one" {
		t.Fatalf("the second catalog sees %+v, want snapshot %d", cur, s1.ID)
	}
	f.sameRows("read through the second catalog", f.snapshotRows(two, name, 0), f.rows(q1))

	s2, err := two.Overwrite(ctx, name, []string{f.parquet(q2)}, WriteOptions{Base: s1.ID})
	if err != nil {
		t.Fatal(err)
	}
	if tbl, _ = one.Load(ctx, name); tbl.Current().ID != s2.ID {
		t.Fatalf("the first catalog sees %+v, want snapshot %d", tbl.Current(), s2.ID)
	}
	if _, err := one.Overwrite(ctx, name, []string{f.parquet(q1)}, WriteOptions{Base: s1.ID}); !errors.Is(err, ErrConflict) {
		t.Fatalf("a write planned before the other catalog's commit: got %v, want ErrConflict", err)
	}
	if got, err := one.Tables(ctx); err != nil || !slices.Equal(got, []string{name}) {
		t.Fatalf("Tables: %v, %v", got, err)
	}
	f.sameRows("read through the first catalog", f.snapshotRows(one, name, 0), f.rows(q2))
}

func TestPostgresUnreachable(t *testing.T) {
	_, err := Open(context.Background(), Config{Catalog: "postgres://dora:s3cret@127.0.0.1:1/catalog?sslmode=disable", Warehouse: t.TempDir()})
	if !errors.Is(err, backends.ErrUnavailable) || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("got %v; want ErrUnavailable naming the server and never the password", err)
	}
}

func TestConfig(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	t.Setenv("DORA_CATALOG", "")
	t.Setenv("DORA_WAREHOUSE", "")
	if got, want := (Config{}).Resolve(), (Config{Catalog: "sqlite:/data/dora/catalog.db", Warehouse: "/data/dora/warehouse"}); got != want {
		t.Fatalf("defaults: got %+v, want %+v", got, want)
	}
	t.Setenv("DORA_CATALOG", "postgresql://me:pw@db.internal:5432/iceberg")
	t.Setenv("DORA_WAREHOUSE", "s3://lake/root")
	got := (Config{Warehouse: "/given"}).Resolve()
	if got.Catalog != "postgresql://me:pw@db.internal:5432/iceberg" || got.Warehouse != "/given" {
		t.Fatalf("from the environment: %+v", got)
	}
	if s := got.String(); strings.Contains(s, "pw") || !strings.Contains(s, "me:xxxxx@db.internal:5432/iceberg") || !strings.Contains(s, "/given") {
		t.Fatalf("String: %s", s)
	}
	if s := (Config{Catalog: "postgres://u:p@h/db?password=p2"}).String(); strings.Contains(s, "p2") || strings.Contains(s, ":p@") {
		t.Fatalf("String: %s", s)
	}
	if _, err := Open(context.Background(), Config{Catalog: "mysql://x", Warehouse: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "sqlite:PATH") {
		t.Fatalf("an unknown catalog: %v", err)
	}
}

// TestRefusals: what a write cannot do is said in words, and leaves the table as it was.
func TestRefusals(t *testing.T) {
	ctx := context.Background()
	c, f := openLocal(t), newFixture(t)
	const name = "ns.t"
	base := `SELECT 1 AS id, 'a' AS name, DATE '2024-01-02' AS d`

	for _, tc := range []struct{ by, want string }{
		{"bucket(16, id)", "want col, day(col)"},
		{"truncate(name)", "unknown transform truncate"},
		{"day(nope)", "no column nope (the columns are id, name, d)"},
		{"hour(d)", "column d is date, which hour() cannot partition"},
		{"day(name)", "column name is string"},
	} {
		_, err := c.Overwrite(ctx, name, []string{f.parquet(base)}, WriteOptions{PartitionBy: []string{tc.by}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("partition by %s: got %v, want %q", tc.by, err, tc.want)
		}
	}
	if _, err := c.Load(ctx, name); !errors.Is(err, ErrNoSuchTable) {
		t.Fatalf("a refused create left a table: %v", err)
	}
	if _, err := c.Overwrite(ctx, "nodot", []string{f.parquet(base)}, WriteOptions{}); err == nil || !strings.Contains(err.Error(), "namespace.table") {
		t.Fatalf("a name without namespace: %v", err)
	}
	if _, err := c.Overwrite(ctx, name, nil, WriteOptions{}); err == nil || !strings.Contains(err.Error(), "columns are unknown") {
		t.Fatalf("creating from no files: %v", err)
	}

	s1, err := c.Overwrite(ctx, name, []string{f.parquet(base)}, WriteOptions{PartitionBy: []string{"d", "year(d)"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Overwrite(ctx, name, []string{f.parquet(`SELECT 2 AS id, 42 AS name`)}, WriteOptions{Base: s1.ID})
	if err == nil || !strings.Contains(err.Error(), "column name is string in the table but int in the new rows") {
		t.Fatalf("a type change: %v", err)
	}
	_, err = c.Overwrite(ctx, name, []string{f.parquet(base), f.parquet(`SELECT 1 AS id`)}, WriteOptions{Base: s1.ID})
	if err == nil || !strings.Contains(err.Error(), "same columns") {
		t.Fatalf("files with different columns: %v", err)
	}
	if _, err := c.Overwrite(ctx, name, []string{f.parquet(base)}, WriteOptions{Base: 0}); !errors.Is(err, ErrConflict) {
		t.Fatalf("base 0 on a table with a snapshot: %v", err)
	}
	if _, err := c.Overwrite(ctx, "ns.other", []string{f.parquet(base)}, WriteOptions{Base: s1.ID}); !errors.Is(err, ErrConflict) {
		t.Fatalf("a base on a missing table: %v", err)
	}
	tbl, _ := c.Load(ctx, name)
	if len(tbl.Snapshots()) != 1 || tbl.Current().ID != s1.ID || len(tbl.Columns()) != 3 {
		t.Fatalf("refused writes changed the table: %+v %+v", tbl.Snapshots(), tbl.Columns())
	}
	if _, err := c.Rollback(ctx, name, 99); err == nil || !strings.Contains(err.Error(), "ns.t has no snapshot 99") {
		t.Fatalf("rollback to an unknown snapshot: %v", err)
	}
	if _, err := c.Rollback(ctx, "ns.gone", 1); !errors.Is(err, ErrNoSuchTable) {
		t.Fatalf("rollback of a missing table: %v", err)
	}
}

// TestEvolution: int widens to long, a column the rows lack reads as nulls, and an empty result
// (no files, or a file of no rows) is a snapshot of no rows.
func TestEvolution(t *testing.T) {
	ctx := context.Background()
	c, f := openLocal(t), newFixture(t)
	const name = "ns.evolve"
	s1, err := c.Overwrite(ctx, name, []string{f.parquet(`SELECT 1 :: INTEGER AS id, 1.5 :: REAL AS x, 'a' AS keep`)}, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := c.Overwrite(ctx, name, []string{f.parquet(`SELECT 5000000000 :: BIGINT AS id, 2.5 :: DOUBLE AS x`)}, WriteOptions{Base: s1.ID})
	if err != nil {
		t.Fatal(err)
	}
	tbl, _ := c.Load(ctx, name)
	want := []Column{{"id", "long", false}, {"x", "double", false}, {"keep", "string", false}}
	if got := tbl.Columns(); !reflect.DeepEqual(got, want) {
		t.Fatalf("columns: got %v, want %v", got, want)
	}
	f.sameRows("widened", f.currentRows(c, name), [][]any{{int64(5000000000), 2.5, nil}})
	// Narrower rows into the wider column are cast, not a schema change.
	s3, err := c.Overwrite(ctx, name, []string{f.parquet(`SELECT 7 :: INTEGER AS id, 1 :: REAL AS x, 'b' AS keep`)}, WriteOptions{Base: s2.ID})
	if err != nil {
		t.Fatal(err)
	}
	f.sameRows("narrower rows", f.currentRows(c, name), [][]any{{int64(7), 1.0, "b"}})

	s4, err := c.Overwrite(ctx, name, []string{f.parquet(`SELECT 1 :: BIGINT AS id, 1.0 :: DOUBLE AS x WHERE false`)}, WriteOptions{Base: s3.ID})
	if err != nil {
		t.Fatal(err)
	}
	s5, err := c.Overwrite(ctx, name, nil, WriteOptions{Base: s4.ID})
	if err != nil {
		t.Fatal(err)
	}
	if s4.Rows != 0 || s5.Rows != 0 {
		t.Fatalf("empty results: %+v, %+v", s4, s5)
	}
	tbl, _ = c.Load(ctx, name)
	if files, err := tbl.Files(ctx, 0, t.TempDir()); err != nil || len(files) != 0 {
		t.Fatalf("an empty snapshot has files %v, %v", files, err)
	}
	if files, err := tbl.Files(ctx, s3.ID, t.TempDir()); err != nil || len(files) != 1 {
		t.Fatalf("snapshot %d: files %v, %v", s3.ID, files, err)
	}
}

// TestTimestamps: every kind of DuckDB timestamp lands as timestamptz, microseconds, the same
// instant (nanoseconds floored).
func TestTimestamps(t *testing.T) {
	ctx := context.Background()
	c, f := openLocal(t), newFixture(t)
	q := `SELECT 1 AS id, TIMESTAMP '2024-01-02 03:04:05.123456' AS plain, TIMESTAMPTZ '2024-01-02 03:04:05.5+00' AS zoned,
		TIMESTAMP_NS '1969-12-31 23:59:59.999999999' AS nanos, TIMESTAMP_MS '2024-01-02 03:04:05.123' AS millis, TIMESTAMP_S '2024-01-02 03:04:05' AS secs`
	if _, err := c.Overwrite(ctx, "ns.ts", []string{f.parquet(q)}, WriteOptions{PartitionBy: []string{"hour(nanos)"}}); err != nil {
		t.Fatal(err)
	}
	tbl, _ := c.Load(ctx, "ns.ts")
	for _, col := range tbl.Columns()[1:] {
		if col.Type != "timestamptz" {
			t.Errorf("column %s is %s, want timestamptz", col.Name, col.Type)
		}
	}
	epochs := `SELECT epoch_us(plain), epoch_us(zoned), epoch_us(nanos), epoch_us(millis), epoch_us(secs) FROM `
	got := testenv.Rows(t, f.db, epochs+scan(f.files(c, "ns.ts", 0)))
	want := testenv.Rows(t, f.db, epochs+"("+strings.Replace(q, "999999999", "999999", 1)+")")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
