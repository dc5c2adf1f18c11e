package etl

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/pipelines/decode"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/query/sqlquote"
)

// appendTable gathers decoded objects into one DuckDB table: each object goes into a table of
// its own through DuckDB's appender, and close unions them by column name, so objects whose
// columns differ (a column only some have, a number column that is text in another) still meet.
type appendTable struct {
	d      *duck
	name   string
	parts  []string
	closed bool
}

// badRow is a row a decoder could not convert.
type badRow struct {
	row    int64
	reason string
}

// fill appends every row of dec and returns those the decoder could not convert.
func (a *appendTable) fill(ctx context.Context, dec decode.Decoder, source string) ([]badRow, error) {
	part := fmt.Sprintf("%s_part%d", a.name, len(a.parts))
	fields := dec.Schema().Fields
	cols := make([]string, 0, len(fields)+2)
	for _, f := range fields {
		cols = append(cols, sqlquote.Ident(f.Name)+" "+duckType(f.Type))
	}
	cols = append(cols, sqlquote.Ident(srcCol)+" VARCHAR", sqlquote.Ident(rowCol)+" BIGINT")
	if err := a.d.exec(ctx, fmt.Sprintf("CREATE TEMP TABLE %s (%s)", sqlquote.Ident(part), strings.Join(cols, ", "))); err != nil {
		return nil, err
	}
	a.parts = append(a.parts, part)
	var bad []badRow
	err := a.d.conn.Raw(func(dc any) error {
		app, err := duckdbdrv.NewAppenderFromConn(dc.(driver.Conn), "", part)
		if err != nil {
			return err
		}
		vals := make([]driver.Value, len(fields)+2)
		vals[len(fields)] = source
		var n int64
		for {
			row, err := dec.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			n++
			var re *decode.RowError
			if errors.As(err, &re) {
				bad = append(bad, badRow{rowNumber(re, n), re.Error()})
				continue
			}
			if err != nil {
				app.Close()
				return err
			}
			for i, f := range fields {
				vals[i] = nil
				if i < len(row) {
					vals[i] = duckdb.DriverValue(row[i], f.Type)
				}
			}
			vals[len(fields)+1] = n
			if err := app.AppendRow(vals...); err != nil {
				app.Close()
				return fmt.Errorf("row %d: %w", n, err)
			}
		}
		return app.Close()
	})
	return bad, err
}

// close makes the table from the parts.
func (a *appendTable) close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	if len(a.parts) == 0 {
		return nil
	}
	selects := make([]string, len(a.parts))
	for i, p := range a.parts {
		selects[i] = "SELECT * FROM " + sqlquote.Ident(p)
	}
	ctx := context.Background()
	if err := a.d.exec(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %s AS %s", sqlquote.Ident(a.name), strings.Join(selects, " UNION ALL BY NAME "))); err != nil {
		return err
	}
	for _, p := range a.parts {
		a.d.exec(ctx, "DROP TABLE "+sqlquote.Ident(p))
	}
	return nil
}

func duckType(t query.Type) string {
	switch t {
	case query.TypeInt:
		return "BIGINT"
	case query.TypeFloat:
		return "DOUBLE"
	case query.TypeBool:
		return "BOOLEAN"
	case query.TypeTime:
		return "TIMESTAMPTZ"
	case query.TypeDate:
		return "DATE"
	}
	return "VARCHAR"
}

// rowNumber is where a decoder says the bad row was, else its position among the rows.
func rowNumber(re *decode.RowError, n int64) int64 {
	if re.Row > 0 {
		return re.Row
	}
	return n
}
