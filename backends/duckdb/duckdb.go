// Package duckdb is dora's embedded default backend: a DuckDB file on local disk.
//
// Each operation opens the file for just as long as it needs it, read-only for queries, so a TUI
// left open and a script querying the same file both work, and a writer can get in between.
package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/query/sqlgen"
	"github.com/dora-dev/dora/query/sqlquote"
)

// MaxRows caps the rows a query returns when it has no LIMIT, so a group-by over millions of
// distinct values cannot exhaust memory; Result.Meta.Complete says when it cut rows off.
const MaxRows = 100_000

// Backend is a DuckDB file.
type Backend struct {
	path    string
	MaxRows int
	create  bool // the file (and its folder) is created when first needed

	schemas backends.SchemaCache // read once per process, again when the file changes

	mu    sync.Mutex
	db    *sql.DB // the shared read-only handle, nil when closed
	conn  *duckdbdrv.Connector
	users int
	idle  *time.Timer
}

var _ backends.Backend = (*Backend)(nil)

func init() {
	backends.Register("duckdb", func(ctx context.Context, url string) (backends.Backend, error) {
		path, _ := PathOf(url)
		return Open(ctx, path)
	})
}

// PathOf returns the file a duckdb:PATH (or duckdb://PATH) URL names, and false for any other URL.
func PathOf(url string) (string, bool) {
	scheme, rest, ok := strings.Cut(url, ":")
	if !ok || !strings.EqualFold(scheme, "duckdb") {
		return "", false
	}
	return strings.TrimPrefix(rest, "//"), true
}

// OpenToWrite opens a DuckDB file for a command that writes tables into it: a file that does not
// exist yet is created, with its folder, when the backend first touches it (a load's Sink), so a
// load that fails before writing leaves nothing behind. Open, for readers, refuses a missing file.
func OpenToWrite(ctx context.Context, path string) (*Backend, error) {
	path = expandHome(path)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return &Backend{path: path, MaxRows: MaxRows, create: true}, nil
	}
	return Open(ctx, path)
}

// ensureFile creates the file of a backend opened with OpenToWrite, and its folder, if they are
// not there yet.
func (b *Backend) ensureFile(ctx context.Context) error {
	if !b.create {
		return nil
	}
	if _, err := os.Stat(b.path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(b.path), 0o755); err != nil {
		return fmt.Errorf("%w: creating the folder of %s: %v", backends.ErrUnavailable, b.path, err)
	}
	db, conn, err := b.open(ctx, false) // opening read-write creates the database
	if err != nil {
		return err
	}
	defer conn.Close()
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("%w: creating %s: %v", backends.ErrUnavailable, b.path, err)
	}
	return nil
}

// Open opens an existing DuckDB file.
func Open(ctx context.Context, path string) (*Backend, error) {
	path = expandHome(path)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: no DuckDB file at %s", backends.ErrUnavailable, path)
	}
	b := &Backend{path: path, MaxRows: MaxRows}
	if err := b.with(ctx, true, func(db *sql.DB) error { return db.PingContext(ctx) }); err != nil {
		return nil, err
	}
	return b, nil
}

// SetMaxRows sets the cap on rows returned by a query without a LIMIT.
func (b *Backend) SetMaxRows(n int) { b.MaxRows = n }

// VersionTable implements backends.VersionNamer: a load writes the table itself, replaced
// whole when it is published.
func (b *Backend) VersionTable(table, _ string) string { return table }

var (
	_ backends.RowCapper    = (*Backend)(nil)
	_ backends.VersionNamer = (*Backend)(nil)
)

// Path returns the database file.
func (b *Backend) Path() string { return b.path }

// Name returns the backend URL.
func (b *Backend) Name() string { return "duckdb:" + b.path }

// Close closes the read-only handle if it is open.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.idle != nil {
		b.idle.Stop()
	}
	b.mu.Unlock()
	b.closeIdle()
	return nil
}

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return p
}

// with runs fn on the file opened read-only or read-write. A read-only handle is kept for a
// moment after use so a burst of operations (schema, then query) opens the file once, and is then
// closed so a writer can get in. A lock held by another process is waited out for a while.
func (b *Backend) with(ctx context.Context, readOnly bool, fn func(*sql.DB) error) error {
	if err := b.ensureFile(ctx); err != nil {
		return err
	}
	if !readOnly {
		db, conn, err := b.open(ctx, false)
		if err != nil {
			return err
		}
		defer conn.Close()
		defer db.Close()
		return fn(db)
	}
	b.mu.Lock()
	if b.db == nil {
		db, conn, err := b.open(ctx, true)
		if err != nil {
			b.mu.Unlock()
			return err
		}
		b.db, b.conn = db, conn
	}
	if b.idle != nil {
		b.idle.Stop()
	}
	b.users++
	db := b.db
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.users--
		if b.users == 0 {
			b.idle = time.AfterFunc(idleClose, b.closeIdle)
		}
	}()
	return fn(db)
}

// idleClose is how long a read-only handle outlives its last use.
const idleClose = 2 * time.Second

func (b *Backend) closeIdle() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.users == 0 && b.db != nil {
		b.db.Close()
		b.conn.Close()
		b.db, b.conn = nil, nil
	}
}

func (b *Backend) open(ctx context.Context, readOnly bool) (*sql.DB, *duckdbdrv.Connector, error) {
	dsn := b.path
	if readOnly {
		dsn += "?access_mode=READ_ONLY"
	}
	var conn *duckdbdrv.Connector
	var err error
	delay := 20 * time.Millisecond
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err = duckdbdrv.NewConnector(dsn, func(ex driver.ExecerContext) error {
			// Not ctx: the connector outlives this call, and sets up every connection its pool
			// opens later, for other queries (a dashboard's panels) after ctx is done.
			_, err := ex.ExecContext(context.Background(), "SET TimeZone = 'UTC'", nil)
			return err
		})
		if err == nil || !isLockError(err) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
	if err != nil {
		if isLockError(err) {
			return nil, nil, fmt.Errorf("%w: %s is locked by another process that is writing to it; try again when it finishes", backends.ErrUnavailable, b.path)
		}
		return nil, nil, fmt.Errorf("%w: opening %s: %v", backends.ErrUnavailable, b.path, err)
	}
	return sql.OpenDB(conn), conn, nil
}

// isLockError says the file is held by a writer: another process's lock, or this process's own
// read-write handle (a load committing), which DuckDB refuses to share with a read-only one.
func isLockError(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "Could not set lock") || strings.Contains(err.Error(), "Conflicting lock") ||
		strings.Contains(err.Error(), "with a different configuration"))
}

// Tables lists the tables and views in the main schema.
func (b *Backend) Tables(ctx context.Context) ([]backends.Table, error) {
	var out []backends.Table
	err := b.with(ctx, true, func(db *sql.DB) error {
		var err error
		out, err = tables(ctx, db)
		return err
	})
	return out, err
}

func tables(ctx context.Context, db *sql.DB) ([]backends.Table, error) {
	rows, err := db.QueryContext(ctx, `SELECT table_name, table_type FROM information_schema.tables
		WHERE table_schema = 'main' AND table_catalog = current_database() AND NOT starts_with(table_name, '_dora') ORDER BY table_name`)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	defer rows.Close()
	var out []backends.Table
	for rows.Next() {
		var t backends.Table
		if err := rows.Scan(&t.Name, &t.Kind); err != nil {
			return nil, err
		}
		t.Kind = strings.ToLower(strings.TrimPrefix(t.Kind, "BASE "))
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Rows = -1
		if out[i].Kind == "table" {
			_ = db.QueryRowContext(ctx, "SELECT count(*) FROM "+sqlquote.Ident(out[i].Name)).Scan(&out[i].Rows)
		}
	}
	return out, nil
}

// Schema describes a table's columns in neutral types.
func (b *Backend) Schema(ctx context.Context, table string) (query.Schema, error) {
	var s query.Schema
	err := b.with(ctx, true, func(db *sql.DB) error {
		var err error
		s, err = b.schema(ctx, db, table)
		return err
	})
	return s, err
}

// schema returns a table's schema, from the cache while the file has not changed since it was
// read.
func (b *Backend) schema(ctx context.Context, db *sql.DB, table string) (query.Schema, error) {
	stamp := b.stamp()
	if s, ok := b.schemas.Get(table, stamp); ok {
		return s, nil
	}
	s, err := schema(ctx, db, table)
	if err == nil {
		b.schemas.Put(table, stamp, s)
	}
	return s, err
}

// stamp says cheaply whether the file may have changed: any write moves its modification time
// or its write-ahead log's.
func (b *Backend) stamp() string {
	var out strings.Builder
	for _, p := range []string{b.path, b.path + ".wal"} {
		if fi, err := os.Stat(p); err == nil {
			fmt.Fprintf(&out, "%d/%d;", fi.ModTime().UnixNano(), fi.Size())
		}
	}
	return out.String()
}

func schema(ctx context.Context, db *sql.DB, table string) (query.Schema, error) {
	// pragma_table_info reads the catalog directly: several milliseconds cheaper than
	// information_schema, which a query pays once per process.
	rows, err := db.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?) ORDER BY cid`, sqlquote.Ident(table))
	if err != nil && strings.Contains(err.Error(), "Catalog Error") {
		ts, err := tables(ctx, db)
		if err != nil {
			return query.Schema{}, err
		}
		return query.Schema{}, &backends.NoSuchTableError{Table: table, Tables: backends.TableNames(ts)}
	}
	if err != nil {
		return query.Schema{}, fmt.Errorf("describing %s: %w", table, err)
	}
	defer rows.Close()
	s := query.Schema{Table: table}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return query.Schema{}, err
		}
		s.Fields = append(s.Fields, query.Field{Name: name, Type: neutral(typ), Aggregatable: true, Raw: typ})
	}
	if err := rows.Err(); err != nil {
		return query.Schema{}, err
	}
	if len(s.Fields) == 0 {
		ts, err := tables(ctx, db)
		if err != nil {
			return query.Schema{}, err
		}
		return query.Schema{}, &backends.NoSuchTableError{Table: table, Tables: backends.TableNames(ts)}
	}
	return s, nil
}

// neutral maps a DuckDB type name onto dora's neutral types.
func neutral(t string) query.Type {
	t = strings.ToUpper(t)
	switch {
	case t == "VARCHAR" || strings.HasPrefix(t, "ENUM") || t == "UUID":
		return query.TypeString
	case t == "BOOLEAN":
		return query.TypeBool
	case t == "DATE":
		return query.TypeDate
	case strings.HasPrefix(t, "TIMESTAMP"):
		return query.TypeTime
	case strings.Contains(t, "INT"):
		return query.TypeInt
	case t == "DOUBLE" || t == "FLOAT" || t == "REAL" || strings.HasPrefix(t, "DECIMAL"):
		return query.TypeFloat
	}
	return query.TypeOther
}

func genOptions(s query.Schema, maxRows int) sqlgen.Options {
	o := sqlgen.Options{Now: time.Now(), MaxRows: maxRows, TimeZoneAware: map[string]bool{}, DateColumns: map[string]bool{}, FloatColumns: map[string]bool{}}
	for _, f := range s.Fields {
		if strings.HasPrefix(strings.ToUpper(f.Raw), "TIMESTAMP WITH TIME ZONE") || strings.ToUpper(f.Raw) == "TIMESTAMPTZ" {
			o.TimeZoneAware[f.Name] = true
		}
		if f.Type == query.TypeDate {
			o.DateColumns[f.Name] = true
		}
		if f.Type == query.TypeFloat {
			o.FloatColumns[f.Name] = true
		}
	}
	return o
}

// Explain returns the SQL Run would send, with its parameters listed.
func (b *Backend) Explain(ctx context.Context, spec query.Spec) (string, error) {
	s, err := b.Schema(ctx, spec.Table)
	if err != nil {
		return "", err
	}
	q, err := sqlgen.Generate(spec, genOptions(s, b.MaxRows))
	if err != nil {
		return "", err
	}
	return q.Explain(), nil
}

// Plan says that DuckDB computes the whole Spec: the SQL it runs is the Spec's.
func (b *Backend) Plan(ctx context.Context, spec query.Spec) ([]string, error) {
	return []string{"DuckDB: the whole query, as one SQL statement"}, nil
}

var _ backends.Planner = (*Backend)(nil)

// Run answers a validated Spec.
func (b *Backend) Run(ctx context.Context, spec query.Spec) (*query.Result, error) {
	var res *query.Result
	err := b.with(ctx, true, func(db *sql.DB) error {
		s, err := b.schema(ctx, db, spec.Table)
		if err != nil {
			return err
		}
		opts := genOptions(s, b.MaxRows)
		res, err = b.run(ctx, db, spec, s, opts)
		if err == errCapped {
			// More groups than MaxRows: only the window columns say how many and what they hold.
			opts.Windows = true
			res, err = b.run(ctx, db, spec, s, opts)
		}
		return err
	})
	return res, err
}

// errCapped says an answer without window columns was cut by MaxRows.
var errCapped = errors.New("cut by the row cap")

func (b *Backend) run(ctx context.Context, db *sql.DB, spec query.Spec, s query.Schema, opts sqlgen.Options) (*query.Result, error) {
	var res *query.Result
	err := func() error {
		q, err := sqlgen.Generate(spec, opts)
		if err != nil {
			return fmt.Errorf("%w: %v", backends.ErrBadQuery, err)
		}
		start := time.Now()
		rows, err := db.QueryContext(ctx, q.SQL, q.Args...)
		if err != nil {
			b.schemas.Forget(spec.Table) // the table may have changed under the schema read
			return mapError(ctx, err)
		}
		defer rows.Close()
		computed := query.ComputedColumns(spec, s)
		res = &query.Result{Columns: computed, Meta: query.Meta{Backend: b.Name(), Request: q.Explain(), Total: -1, Complete: true}}
		width := len(computed) + q.Hidden
		if spec.IsRaw() {
			cols, err := rows.Columns()
			if err != nil {
				return err
			}
			width = len(cols)
		}
		var groups, total int64
		var counts []int64 // rows in each returned group
		totals := make([]any, len(q.Totals))
		for rows.Next() {
			vals := make([]any, width)
			ptrs := make([]any, width)
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			for i := range vals {
				vals[i] = Normalize(vals[i])
			}
			if q.Hidden > 0 {
				n := len(vals) - q.Hidden
				counts = append(counts, toInt(vals[n]))
				if q.Windows {
					groups, total = toInt(vals[n+1]), toInt(vals[n+2])
					copy(totals, vals[n+3:])
				} else {
					groups++
					total += counts[len(counts)-1]
				}
				vals = vals[:n]
			}
			res.Rows = append(res.Rows, vals)
		}
		if err := rows.Err(); err != nil {
			return mapError(ctx, err)
		}
		res.Meta.Took = time.Since(start)
		if q.Capped && len(res.Rows) > b.MaxRows {
			if q.Hidden > 0 && !q.Windows {
				return errCapped
			}
			res.Rows = res.Rows[:b.MaxRows]
			res.Meta.Complete = false
		}
		switch {
		case q.Hidden > 0:
			res.Meta.Total = total
			if int64(len(res.Rows)) < groups {
				res.Meta.Complete = false
				shown := int64(0)
				for _, c := range counts[:len(res.Rows)] {
					shown += c
				}
				res.Meta.OtherCount = total - shown
				if spec.Other && res.Meta.OtherCount > 0 {
					res.Rows = append(res.Rows, otherRow(spec, res.Rows, q.Totals, totals, len(res.Columns)))
				}
			}
		case spec.Limit > 0 && len(res.Rows) >= spec.Limit:
			res.Meta.Complete = false // more rows may match
		}
		res.Columns = query.ResultColumns(spec, s)
		res.Rows = query.Project(spec, res.Rows)
		return nil
	}()
	return res, err
}

// otherRow is the "Other" row: the groups a LIMIT cut off, as totals minus the shown groups for
// the metrics that add up, null for the rest; its first key says "Other".
func otherRow(spec query.Spec, shown [][]any, which []int, totals []any, width int) []any {
	row := make([]any, width)
	row[0] = "Other"
	dims := len(spec.GroupBy)
	for k, i := range which {
		switch t := totals[k].(type) {
		case int64:
			for _, r := range shown {
				if v, ok := r[dims+i].(int64); ok {
					t -= v
				}
			}
			row[dims+i] = t
		case float64:
			for _, r := range shown {
				if v, ok := r[dims+i].(float64); ok {
					t -= v
				}
			}
			row[dims+i] = t
		}
	}
	return row
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func mapError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	msg := err.Error()
	if strings.Contains(msg, "Binder Error") || strings.Contains(msg, "Conversion Error") || strings.Contains(msg, "Parser Error") {
		return fmt.Errorf("%w: %s", backends.ErrBadQuery, msg)
	}
	return err
}

// Normalize turns a driver value into one of nil, bool, int64, float64, string or time.Time.
func Normalize(v any) any {
	switch x := v.(type) {
	case nil, bool, int64, float64, string:
		return v
	case time.Time:
		return x.UTC()
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x <= 1<<63-1 {
			return int64(x)
		}
		return float64(x)
	case float32:
		return float64(x)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	case duckdbdrv.Decimal:
		return x.Float64()
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}
