package catalog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/objstore/s3test"
)

func TestAdoptLocal(t *testing.T) {
	dir := t.TempDir()
	testAdopt(t, dir, Config{Catalog: "sqlite:" + filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")})
}

func TestAdoptS3(t *testing.T) {
	srv := s3test.Need(t)
	dir := t.TempDir()
	testAdopt(t, dir, Config{Catalog: "sqlite:" + filepath.Join(dir, "catalog.db"), Warehouse: "s3://" + srv.Bucket(t) + "/warehouse"})
}

// testAdopt overwrites an unpartitioned table with files the table can take as they are (they
// become its data files, read back the same by dora and by pyiceberg, old snapshots too), and
// with files it cannot (an INTEGER where the table holds a long: rewritten as before).
func testAdopt(t *testing.T, dir string, cfg Config) {
	ctx := context.Background()
	f := newFixture(t)
	c, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const name = "adopt.accounts"
	q1 := `SELECT i::BIGINT AS id, 'n' || i AS name, (i * 1.25)::DECIMAL(12, 2) AS amount, TIMESTAMPTZ '2024-03-01 00:30:00+00' + INTERVAL (i) HOUR AS ts FROM range(100) t(i)`
	q2 := `SELECT i::BIGINT AS id, 'm' || i AS name, (i * 2.5)::DECIMAL(12, 2) AS amount, TIMESTAMPTZ '2024-03-02 00:00:00+00' + INTERVAL (i) MINUTE AS ts, i % 3 = 0 AS flag FROM range(40) t(i)`
	q3 := `SELECT i::INTEGER AS id, 'k' || i AS name, 1.00::DECIMAL(12, 2) AS amount, TIMESTAMPTZ '2024-03-03 00:00:00+00' AS ts, true AS flag FROM range(7) t(i)`
	wantAdopted := func(what, src string, snap int64, adopted bool) {
		t.Helper()
		_, err := os.Stat(src)
		if gone := errors.Is(err, os.ErrNotExist); gone != adopted && strings.HasPrefix(cfg.Warehouse, "/") { // S3: uploaded, not moved
			t.Fatalf("%s: the file given is gone: %v, want %v", what, gone, adopted)
		}
		tbl, err := c.Load(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		tasks, err := tbl.tbl.Scan().PlanFiles(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			if got := strings.HasSuffix(task.File.FilePath(), "-dora.parquet"); got != adopted {
				t.Fatalf("%s: data file %s adopted: %v, want %v", what, task.File.FilePath(), got, adopted)
			}
		}
	}
	in1 := f.parquet(q1)
	s1, err := c.Overwrite(ctx, name, []string{in1}, WriteOptions{Adopt: true})
	if err != nil {
		t.Fatal(err)
	}
	wantAdopted("creating the table", in1, s1.ID, true)
	in2 := f.parquet(q2)
	s2, err := c.Overwrite(ctx, name, []string{in2}, WriteOptions{Adopt: true, Base: s1.ID})
	if err != nil {
		t.Fatal(err)
	}
	wantAdopted("a second version with a new column", in2, s2.ID, true)
	if s2.Rows != 40 || s2.Operation != "overwrite" {
		t.Fatalf("second version: %+v, want 40 rows by an overwrite", s2)
	}
	f.sameRows("the first version, read again", f.snapshotRows(c, name, s1.ID), f.rows(q1))
	f.sameRows("the second version", f.snapshotRows(c, name, s2.ID), f.rows(q2))
	if _, err := c.Overwrite(ctx, name, []string{f.parquet(q2)}, WriteOptions{Adopt: true, Base: s1.ID}); !errors.Is(err, ErrConflict) {
		t.Fatalf("an adopting write planned against an old version: got %v, want ErrConflict", err)
	}

	catalogPath := strings.TrimPrefix(cfg.Catalog, "sqlite:")
	read := testenv.ReadIceberg(t, catalogPath, cfg.Warehouse, name, 0)
	if len(read.Rows) != 40 || strings.Join(read.Columns, ",") != "id,name,amount,ts,flag" {
		t.Fatalf("pyiceberg reads columns %v and %d rows, want id,name,amount,ts,flag and 40", read.Columns, len(read.Rows))
	}
	if got := fmt.Sprint(read.Rows[3]); got != "[3 m3 7.50 2024-03-02T00:03:00+00:00 true]" {
		t.Fatalf("pyiceberg reads row 3 as %s", got)
	}
	old := testenv.ReadIceberg(t, catalogPath, cfg.Warehouse, name, s1.ID)
	if len(old.Rows) != 100 || fmt.Sprint(old.Rows[99][:3]) != "[99 n99 123.75]" {
		t.Fatalf("pyiceberg reads the first version as %d rows (last %v), want 100", len(old.Rows), old.Rows[len(old.Rows)-1])
	}

	in3 := f.parquet(q3)
	s3, err := c.Overwrite(ctx, name, []string{in3}, WriteOptions{Adopt: true, Base: s2.ID})
	if err != nil {
		t.Fatal(err)
	}
	wantAdopted("an INTEGER id into a long column", in3, s3.ID, false)
	if got := testenv.ReadIceberg(t, catalogPath, cfg.Warehouse, name, 0); len(got.Rows) != 7 || got.Types[0] != "long" {
		t.Fatalf("pyiceberg reads %d rows of types %v, want 7 with a long id", len(got.Rows), got.Types)
	}
	if strings.HasPrefix(cfg.Warehouse, "/") {
		noOrphans(t, c, name, cfg.Warehouse)
	}
}
