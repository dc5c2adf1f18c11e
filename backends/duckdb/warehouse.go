package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

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

// BuildDemo writes the demo warehouse to path with the given number of shipments, over the two
// years before today (UTC); see BuildDemoAt.
func BuildDemo(ctx context.Context, path string, rows int) error {
	return BuildDemoAt(ctx, path, rows, time.Now())
}

// BuildDemoAt writes the demo warehouse to path with the given number of shipments, over the two
// years before day's UTC day. It builds into a temporary file and renames it into place, so a
// reader never opens half a warehouse.
func BuildDemoAt(ctx context.Context, path string, rows int, day time.Time) error {
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
	err = demo.BuildAt(ctx, db, rows, day)
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

// EnsureDemo makes the demo warehouse at path current before it is opened: it builds it when it
// is missing, and rebuilds it, with as many shipments as before, when it was built on an earlier
// day (UTC) or by another version of the generator, so that its two years end today. What it does
// is said on log. A rebuild that fails leaves the old warehouse in use.
func EnsureDemo(ctx context.Context, path string, log io.Writer) error {
	return ensureDemo(ctx, path, time.Now(), log)
}

func ensureDemo(ctx context.Context, path string, now time.Time, log io.Writer) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(log, "dora: building the demo warehouse at %s\n", path)
		return BuildDemoAt(ctx, path, demo.DefaultRows, now)
	}
	// Written today (UTC), it was built today or loaded into since, and is left alone until
	// tomorrow; this spares every start the opening of the file.
	if err != nil || demo.Day(fi.ModTime()).Equal(demo.Day(now)) {
		return nil
	}
	stamp, others, err := inspectDemo(ctx, path)
	if err != nil || stamp.Current(now) {
		return nil // busy, or not a demo warehouse: opening it says more
	}
	if stamp.Version != demo.Version {
		fmt.Fprintf(log, "dora: rebuilding the demo warehouse at %s for this version of dora\n", path)
	} else {
		fmt.Fprintf(log, "dora: rebuilding the demo warehouse at %s to bring its data up to today (it ended on %s)\n",
			path, stamp.Day.AddDate(0, 0, -1).Format(time.DateOnly))
	}
	if others {
		err = rebuildDemoInPlace(ctx, path, stamp.Rows, now)
	} else {
		err = BuildDemoAt(ctx, path, stamp.Rows, now)
	}
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(log, "dora: %v; using the old demo warehouse\n", err)
		return nil
	}
	return err
}

// inspectDemo reads the demo warehouse's stamp, and whether it holds tables of the user's too.
func inspectDemo(ctx context.Context, path string) (demo.Stamp, bool, error) {
	db, err := sql.Open("duckdb", path+"?access_mode=READ_ONLY")
	if err != nil {
		return demo.Stamp{}, false, err
	}
	defer db.Close()
	stamp, err := demo.ReadStamp(ctx, db)
	if err != nil {
		return demo.Stamp{}, false, err
	}
	var others bool
	err = db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM information_schema.tables
		WHERE table_schema = 'main' AND table_catalog = current_database()
		AND table_name NOT IN ('shipments', 'clients', 'items') AND NOT starts_with(table_name, '_dora')`).Scan(&others)
	return stamp, others, err
}

// rebuildDemoInPlace replaces the demo tables inside the file, keeping the user's tables beside
// them. A file another process is using is left for the next start.
func rebuildDemoInPlace(ctx context.Context, path string, rows int, day time.Time) error {
	conn, err := duckdbdrv.NewConnector(path, nil)
	if err != nil {
		return fmt.Errorf("opening %s to rebuild it: %w", path, err)
	}
	defer conn.Close()
	db := sql.OpenDB(conn)
	defer db.Close()
	if err := demo.BuildAt(ctx, db, rows, day); err != nil {
		return fmt.Errorf("rebuilding the demo warehouse: %w", err)
	}
	_, err = db.ExecContext(ctx, "CHECKPOINT")
	return err
}
