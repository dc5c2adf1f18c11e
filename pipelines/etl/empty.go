package etl

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/query/sqlquote"
)

// A source without rows (a CSV of a header only, or an empty file) has no columns to cleanse,
// yet it is exactly what a check such as row_count > 0 is for. So the run goes on with the
// columns the table is known by, and the checks decide.

// emptyBatch makes batch an empty table with the columns the table is known by: its current
// version's columns (less the journal's own) when it has one, and cleanse is then skipped, as
// those columns are already cleansed; else the columns the pipeline names, as text, which the
// cleanse steps then rename and cast as they would real rows. It reports whether cleanse is
// skipped.
func (r *run) emptyBatch(ctx context.Context) (skipCleanse bool, err error) {
	var cols []string
	t, err := r.cat.Load(ctx, r.p.Table)
	switch {
	case errors.Is(err, catalog.ErrNoSuchTable):
	case err != nil:
		return false, err
	case t.Current() != nil:
		for _, c := range t.Columns() {
			if !slices.Contains(journalColumns, c.Name) {
				cols = append(cols, sqlquote.Ident(c.Name)+" "+duckTypeOf(c.Type))
			}
		}
		skipCleanse = true
	}
	if !skipCleanse {
		for _, name := range r.namedColumns() {
			cols = append(cols, sqlquote.Ident(name)+" VARCHAR")
		}
	}
	cols = append(cols, sqlquote.Ident(srcCol)+" VARCHAR", sqlquote.Ident(rowCol)+" BIGINT")
	if err := r.d.exec(ctx, "CREATE OR REPLACE TABLE batch ("+strings.Join(cols, ", ")+")"); err != nil {
		return false, fmt.Errorf("source %s has no rows: giving it %s's columns: %w", r.p.Source, r.p.Table, err)
	}
	return skipCleanse, nil
}

// namedColumns is the source columns the pipeline names, in the order it first names them: those
// its cleanse steps read (a rename's new name is not a source column), then those validation,
// the journal and the checks read that cleanse does not make.
func (r *run) namedColumns() []string {
	var out []string
	made := map[string]bool{}
	add := func(names ...string) {
		for _, n := range names {
			if n != "" && !made[n] && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	for _, s := range r.p.Cleanse {
		add(s.Columns...)
		add(s.Order...)
		for _, x := range s.Regex {
			add(x.Column)
		}
		if s.Op == "rename" {
			for _, from := range s.Order {
				made[s.Map[from]] = true
			}
		}
	}
	for _, v := range r.p.Validate.Rules {
		add(v.Columns...)
		add(v.Column)
	}
	if j := r.p.Journal; j != nil {
		add(j.Key...)
		add(j.CheckColumns...)
		add(j.UpdatedAt)
	}
	for _, c := range r.p.Checks {
		for _, m := range checkColumn.FindAllStringSubmatch(c.Expr, -1) {
			add(m[1])
		}
	}
	return out
}

// checkColumn finds the column a metric function of a check reads: null_fraction(name).
var checkColumn = regexp.MustCompile(`[a-z_]+\(\s*"?([A-Za-z_][A-Za-z0-9_]*)"?\s*\)`)

// duckTypeOf is the DuckDB type of an Iceberg type as catalog.Column names it.
func duckTypeOf(t string) string {
	switch t = strings.ToLower(t); {
	case t == "long":
		return "BIGINT"
	case t == "int":
		return "INTEGER"
	case t == "double":
		return "DOUBLE"
	case t == "float":
		return "FLOAT"
	case t == "boolean":
		return "BOOLEAN"
	case t == "date":
		return "DATE"
	case t == "time":
		return "TIME"
	case t == "timestamptz":
		return "TIMESTAMPTZ"
	case t == "timestamp":
		return "TIMESTAMP"
	case t == "binary" || strings.HasPrefix(t, "fixed"):
		return "BLOB"
	case t == "uuid":
		return "UUID"
	case strings.HasPrefix(t, "decimal"):
		return strings.ToUpper(t)
	}
	return "VARCHAR"
}
