package session

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends"
	_ "github.com/dora-dev/dora/backends/duckdb"
)

func write(t *testing.T, path, stmt string) {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}

// A session on a DuckDB file that is not there yet says the backend is unavailable, opens once
// the file is there, and its stamp changes when a table is made.
func TestASessionOpensWhenItsBackendIsThere(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "later.duckdb")
	url := "duckdb:" + path
	s := New(url, func(ctx context.Context) (backends.Backend, error) { return backends.Open(ctx, url) })
	defer s.Close()
	if _, err := s.Tables(ctx); !errors.Is(err, backends.ErrUnavailable) || s.Err() == nil {
		t.Fatalf("a missing file: %v, Err %v", err, s.Err())
	}
	if s.Name() != url || s.Unwrap() != nil {
		t.Errorf("before it opens: name %q, backend %v", s.Name(), s.Unwrap())
	}
	write(t, path, "CREATE TABLE a AS SELECT 1 AS x")
	time.Sleep(RetryOpen)
	ts, err := s.Tables(ctx)
	if err != nil || len(ts) != 1 || ts[0].Name != "a" || s.Err() != nil {
		t.Fatalf("once the file is there: %v, %v, Err %v", ts, err, s.Err())
	}
	before, err := s.Stamp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // the writer below needs the file to itself
	write(t, path, "CREATE TABLE b AS SELECT 2 AS y")
	after, err := s.Stamp(ctx)
	if err != nil || after == before {
		t.Errorf("the stamp did not change with a new table: %q -> %q (%v)", before, after, err)
	}
}
