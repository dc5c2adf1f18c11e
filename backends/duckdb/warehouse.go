package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends/duckdb/demo"
)

// DemoPath is where the demo warehouse lives: $XDG_DATA_HOME/dora/demo.duckdb.
func DemoPath() string {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "dora", "demo.duckdb")
}

// BuildDemo writes the demo warehouse to path with the given number of shipments. It builds into
// a temporary file and renames it into place, so a reader never opens half a warehouse.
func BuildDemo(ctx context.Context, path string, rows int) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	tmp := fmt.Sprintf("%s.building-%d", path, os.Getpid())
	os.Remove(tmp)
	defer os.Remove(tmp)
	defer os.Remove(tmp + ".wal")
	conn, err := duckdbdrv.NewConnector(tmp, nil)
	if err != nil {
		return fmt.Errorf("creating %s: %w", tmp, err)
	}
	db := sql.OpenDB(conn)
	err = demo.Build(ctx, db, rows)
	if err == nil {
		_, err = db.ExecContext(ctx, "CHECKPOINT")
	}
	db.Close()
	conn.Close()
	if err != nil {
		return fmt.Errorf("building the demo warehouse: %w", err)
	}
	return os.Rename(tmp, path)
}

// EnsureDemo builds the demo warehouse at path unless it is already there.
func EnsureDemo(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	return BuildDemo(ctx, path, demo.DefaultRows)
}
