package testenv

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestPostgres proves a test gets a database of its own that it can write and read, and that it
// is gone once the test ends.
func TestPostgres(t *testing.T) {
	var name string
	t.Run("fresh database", func(t *testing.T) {
		u := Postgres(t)
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "test_") {
			t.Fatalf("connected to %q, want a test_ database", name)
		}
		var tables int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Fatalf("the fresh database has %d tables", tables)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE t (id bigint PRIMARY KEY, name text)"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO t VALUES (1, 'one'), (2, 'two')"); err != nil {
			t.Fatal(err)
		}
		rows, _ := conn.Query(ctx, "SELECT id, name FROM t ORDER BY id")
		got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
			ID   int64
			Name string
		}])
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != 1 || got[0].Name != "one" || got[1].ID != 2 || got[1].Name != "two" {
			t.Fatalf("read back %+v", got)
		}
	})
	if name == "" {
		return // skipped: no server
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var left int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("database %s is still there after its test ended", name)
	}
}
