package etl

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver

	"github.com/dora-dev/dora/query/sqlquote"
)

// duck is the in-process DuckDB a run works in: one connection, so temporary tables and settings
// stay with it, spilling to disk beyond its memory limit.
type duck struct {
	db   *sql.DB
	conn *sql.Conn
}

// Hidden columns that follow each row from the source to the quarantine.
const (
	srcCol = "_dora_source"
	rowCol = "_dora_row"
)

func openDuck(ctx context.Context, tempDir, memory string) (*duck, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("starting DuckDB: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("starting DuckDB: %w", err)
	}
	d := &duck{db: db, conn: conn}
	settings := []string{"SET TimeZone = 'UTC'", "SET temp_directory = " + sqlquote.String(tempDir), "SET preserve_insertion_order = false"}
	if memory != "" {
		settings = append(settings, "SET memory_limit = "+sqlquote.String(memory))
	}
	for _, s := range settings {
		if err := d.exec(ctx, s); err != nil {
			d.close()
			return nil, err
		}
	}
	return d, nil
}

func (d *duck) close() {
	d.conn.Close()
	d.db.Close()
}

func (d *duck) exec(ctx context.Context, q string, args ...any) error {
	if _, err := d.conn.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("%w\n  in: %s", err, clip(q))
	}
	return nil
}

// count runs a query that gives one integer.
func (d *duck) count(ctx context.Context, q string, args ...any) (int64, error) {
	var n sql.NullInt64
	if err := d.conn.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("%w\n  in: %s", err, clip(q))
	}
	return n.Int64, nil
}

// column is a column of a DuckDB table.
type column struct {
	Name, Type string
}

// columns lists a table's columns, the hidden ones left out unless all.
func (d *duck) columns(ctx context.Context, table string, all bool) ([]column, error) {
	rows, err := d.conn.QueryContext(ctx, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? AND NOT internal ORDER BY column_index", table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, err
		}
		if all || !hidden(c.Name) {
			out = append(out, c)
		}
	}
	return out, rows.Err()
}

func hidden(name string) bool { return name == srcCol || name == rowCol }

func names(cs []column) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func find(cs []column, name string) (column, bool) {
	i := slices.IndexFunc(cs, func(c column) bool { return c.Name == name })
	if i < 0 {
		return column{}, false
	}
	return cs[i], true
}

// qis quotes and joins identifiers.
func qis(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = sqlquote.Ident(s)
	}
	return strings.Join(q, ", ")
}

func clip(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 300 {
		return q[:300] + "…"
	}
	return q
}

func isText(t string) bool { return t == "VARCHAR" }

func isNumeric(t string) bool {
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE":
		return true
	}
	return strings.HasPrefix(t, "DECIMAL")
}
