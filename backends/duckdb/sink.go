package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/query/sqlquote"
)

// sink writes a new version of a table into a staging file beside the database, so the
// database itself stays free for readers while a load runs, then copies it in and replaces the
// table in one transaction on Commit: readers see the old table or the new one, never half of it.
type sink struct {
	b       *Backend
	table   string
	staging string // the staging table, in the staging file
	file    string // the staging file
	conn    *duckdbdrv.Connector
	db      *sql.DB
	raw     *sql.Conn
	app     *duckdbdrv.Appender
	schema  query.Schema
	mu      sync.Mutex // the appender takes one writer at a time
}

// Sink creates a staging table for a new version of table. The file stays open for writing
// until Commit or Abort.
func (b *Backend) Sink(ctx context.Context, table string, s query.Schema, opts backends.SinkOptions) (backends.Sink, error) {
	if opts.Resume {
		// Rows carry no ids here, so rows written before a crash cannot be told from their
		// re-run: a load into DuckDB starts over instead (it is local and fast).
		return nil, fmt.Errorf("%w: --resume is for Elasticsearch; a load into DuckDB starts over: run it again without --resume", backends.ErrBadQuery)
	}
	if err := b.ensureFile(ctx); err != nil {
		return nil, err
	}
	version := opts.Version
	if version == "" {
		version = time.Now().UTC().Format("20060102150405")
	}
	k := &sink{b: b, table: table, staging: "staging", file: fmt.Sprintf("%s.load-%s-%s.duckdb", b.path, table, version), schema: s}
	os.Remove(k.file)
	var err error
	if k.conn, err = duckdbdrv.NewConnector(k.file, nil); err != nil {
		return nil, fmt.Errorf("creating the staging file %s: %w", k.file, err)
	}
	k.db = sql.OpenDB(k.conn)
	cols := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		cols[i] = sqlquote.Ident(f.Name) + " " + sqlType(f.Type)
	}
	if _, err := k.db.ExecContext(ctx, "CREATE OR REPLACE TABLE "+sqlquote.Ident(k.staging)+" ("+strings.Join(cols, ", ")+")"); err != nil {
		k.close()
		return nil, fmt.Errorf("creating %s: %w", k.staging, err)
	}
	if k.raw, err = k.db.Conn(ctx); err != nil {
		k.close()
		return nil, err
	}
	err = k.raw.Raw(func(dc any) error {
		var err error
		k.app, err = duckdbdrv.NewAppenderFromConn(dc.(driver.Conn), "", k.staging)
		return err
	})
	if err != nil {
		k.close()
		return nil, fmt.Errorf("appending to %s: %w", k.staging, err)
	}
	return k, nil
}

func sqlType(t query.Type) string {
	switch t {
	case query.TypeInt:
		return "BIGINT"
	case query.TypeFloat:
		return "DOUBLE"
	case query.TypeBool:
		return "BOOLEAN"
	case query.TypeTime:
		return "TIMESTAMP"
	case query.TypeDate:
		return "DATE"
	}
	return "VARCHAR"
}

// Write appends rows; ids are not needed, since a version replaces the whole table.
func (k *sink) Write(ctx context.Context, rows []backends.Row, ids []string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	vals := make([]driver.Value, len(k.schema.Fields))
	for _, r := range rows {
		for i := range vals {
			if i < len(r) {
				vals[i] = DriverValue(r[i], k.schema.Fields[i].Type)
			} else {
				vals[i] = nil
			}
		}
		if err := k.app.AppendRow(vals...); err != nil {
			return fmt.Errorf("writing %s: %w", k.table, err)
		}
	}
	return nil
}

// DriverValue is a decoded value (nil, bool, int64, float64, string, time.Time) as DuckDB's
// appender takes it for a column of type t.
func DriverValue(v any, t query.Type) driver.Value {
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		return x.UTC()
	case int:
		return int64(x)
	case int64:
		if t == query.TypeFloat {
			return float64(x)
		}
		return x
	case float64:
		if t == query.TypeInt {
			return int64(x)
		}
		return x
	case string, bool:
		return x
	}
	return fmt.Sprint(v)
}

// Count flushes what was appended and returns the rows in the staging table.
func (k *sink) Count(ctx context.Context) (int64, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.app.Flush(); err != nil {
		return 0, fmt.Errorf("writing %s: %w", k.table, err)
	}
	var n int64
	err := k.db.QueryRowContext(ctx, "SELECT count(*) FROM "+sqlquote.Ident(k.staging)).Scan(&n)
	return n, err
}

// Commit closes the staging file, then copies it into the database and replaces the table in one
// transaction. Only this step holds the database's write lock.
func (k *sink) Commit(ctx context.Context) error {
	defer k.remove()
	if err := k.app.Close(); err != nil {
		k.close()
		return fmt.Errorf("writing %s: %w", k.table, err)
	}
	k.app = nil
	k.close()
	k.b.Close() // our own read-only handle would lock us out
	return k.b.with(ctx, false, func(db *sql.DB) error {
		conn, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "ATTACH "+sqlquote.String(k.file)+" AS dora_load (READ_ONLY)"); err != nil {
			return fmt.Errorf("reading the staging file %s: %w", k.file, err)
		}
		defer conn.ExecContext(context.Background(), "DETACH dora_load")
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+sqlquote.Ident(k.table)); err != nil {
			return fmt.Errorf("replacing %s: %w", k.table, err)
		}
		if _, err := tx.ExecContext(ctx, "CREATE TABLE "+sqlquote.Ident(k.table)+" AS SELECT * FROM dora_load."+sqlquote.Ident(k.staging)); err != nil {
			return fmt.Errorf("publishing %s: %w", k.table, err)
		}
		return tx.Commit()
	})
}

// remove deletes the staging file.
func (k *sink) remove() {
	os.Remove(k.file)
	os.Remove(k.file + ".wal")
}

// Abort deletes the staging file; the table is untouched.
func (k *sink) Abort(ctx context.Context) error {
	k.close()
	k.remove()
	return nil
}

func (k *sink) close() {
	if k.app != nil {
		_ = k.app.Close()
		k.app = nil
	}
	if k.raw != nil {
		_ = k.raw.Close()
		k.raw = nil
	}
	if k.db != nil {
		_ = k.db.Close()
		k.db = nil
	}
	if k.conn != nil {
		_ = k.conn.Close()
		k.conn = nil
	}
}
