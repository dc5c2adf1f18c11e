package duckdb

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/backends/duckdb/demo"
)

// demoState reads the stamp and the extra tables of a demo warehouse file.
func demoState(t *testing.T, path string) (demo.Stamp, []string) {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=READ_ONLY")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := demo.ReadStamp(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query("SELECT table_name FROM information_schema.tables WHERE table_name NOT IN ('shipments', 'clients', 'items', '_dora_demo') ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var others []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		others = append(others, n)
	}
	return s, others
}

// exec runs statements on the file opened read-write, then dates its modification time.
func exec(t *testing.T, path string, mtime time.Time, sqls ...string) {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range sqls {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func TestEnsureDemo(t *testing.T) {
	ctx := context.Background()
	today := time.Date(2026, 7, 15, 9, 30, 0, 0, time.UTC)
	earlier := today.AddDate(0, 0, -3)
	ensure := func(t *testing.T, path string) string {
		t.Helper()
		var log bytes.Buffer
		if err := ensureDemo(ctx, path, today, &log); err != nil {
			t.Fatal(err)
		}
		return log.String()
	}
	want := func(t *testing.T, path string, rows int, others ...string) {
		t.Helper()
		s, got := demoState(t, path)
		if s != (demo.Stamp{Version: demo.Version, Rows: rows, Day: demo.Day(today)}) {
			t.Errorf("stamp %+v, want %d rows built on %s", s, rows, demo.Day(today))
		}
		if strings.Join(got, ",") != strings.Join(others, ",") {
			t.Errorf("other tables %v, want %v", got, others)
		}
	}

	t.Run("missing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dora", "demo.duckdb")
		if log := ensure(t, path); !strings.Contains(log, "building the demo warehouse") {
			t.Errorf("log %q", log)
		}
		want(t, path, demo.DefaultRows)
	})
	t.Run("current", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "demo.duckdb")
		if err := BuildDemoAt(ctx, path, 2000, today); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(path, earlier, earlier) // not written today, so the stamp is read
		if log := ensure(t, path); log != "" {
			t.Errorf("a current warehouse: log %q", log)
		}
		if fi, _ := os.Stat(path); !fi.ModTime().Equal(earlier) {
			t.Error("a current warehouse was rewritten")
		}
	})
	t.Run("built earlier", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "demo.duckdb")
		if err := BuildDemoAt(ctx, path, 2000, earlier); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(path, earlier, earlier)
		if log := ensure(t, path); !strings.Contains(log, "rebuilding the demo warehouse") || !strings.Contains(log, "2026-07-11") {
			t.Errorf("log %q", log)
		}
		want(t, path, 2000)
		if log := ensure(t, path); log != "" {
			t.Errorf("second start: log %q", log)
		}
	})
	t.Run("written today", func(t *testing.T) {
		// Modified today, the file is not opened at all: its stamp is looked at tomorrow.
		path := filepath.Join(t.TempDir(), "demo.duckdb")
		if err := BuildDemoAt(ctx, path, 2000, earlier); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(path, today, today)
		if log := ensure(t, path); log != "" {
			t.Errorf("log %q", log)
		}
	})
	t.Run("before stamps", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "demo.duckdb")
		if err := BuildDemoAt(ctx, path, 2000, earlier); err != nil {
			t.Fatal(err)
		}
		exec(t, path, earlier, "DROP TABLE _dora_demo")
		if log := ensure(t, path); !strings.Contains(log, "for this version of dora") {
			t.Errorf("log %q", log)
		}
		want(t, path, 2000)
	})
	t.Run("with the user's tables", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "demo.duckdb")
		if err := BuildDemoAt(ctx, path, 2000, earlier); err != nil {
			t.Fatal(err)
		}
		exec(t, path, earlier, "CREATE TABLE orders AS SELECT range AS id FROM range(10)")
		if log := ensure(t, path); !strings.Contains(log, "rebuilding") {
			t.Errorf("log %q", log)
		}
		want(t, path, 2000, "orders")
	})
	t.Run("not a demo warehouse", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "demo.duckdb")
		exec(t, path, earlier, "CREATE TABLE orders AS SELECT 1 AS id")
		if log := ensure(t, path); log != "" {
			t.Errorf("log %q", log)
		}
		if fi, _ := os.Stat(path); !fi.ModTime().Equal(earlier) {
			t.Error("a file that is not a demo warehouse was rewritten")
		}
	})
}
