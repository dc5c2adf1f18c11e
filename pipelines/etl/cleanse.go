package etl

import (
	"context"
	"fmt"
	"strings"

	"github.com/dora-dev/dora/query/sqlquote"
)

// normalizeTypes casts the columns Iceberg has no type for onto ones it has: timestamps without
// a zone become UTC timestamptz (the table format wants instants), unsigned and 128-bit integers
// become wider signed ones or decimals, and the rest that have no Iceberg type become text.
func (r *run) normalizeTypes(ctx context.Context, table string) error {
	cols, err := r.d.columns(ctx, table, false)
	if err != nil {
		return err
	}
	var repl []string
	for _, c := range cols {
		if t := icebergType(c.Type); t != "" {
			repl = append(repl, fmt.Sprintf("CAST(%s AS %s) AS %s", sqlquote.Ident(c.Name), t, sqlquote.Ident(c.Name)))
		}
	}
	if len(repl) == 0 {
		return nil
	}
	return r.d.exec(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT * REPLACE (%s) FROM %s", sqlquote.Ident(table), strings.Join(repl, ", "), sqlquote.Ident(table)))
}

// icebergType is the type to cast a DuckDB column of type t to, "" when it can stay.
func icebergType(t string) string {
	switch t {
	case "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "TIMESTAMP WITH TIME ZONE":
		if t == "TIMESTAMP WITH TIME ZONE" {
			return ""
		}
		return "TIMESTAMPTZ"
	case "UTINYINT", "USMALLINT", "TINYINT", "SMALLINT":
		return "INTEGER"
	case "UINTEGER":
		return "BIGINT"
	case "UBIGINT", "HUGEINT", "UHUGEINT":
		return "DECIMAL(38, 0)"
	case "INTERVAL", "UUID", "BIT", "TIME WITH TIME ZONE", "VARINT":
		return "VARCHAR"
	}
	if strings.HasPrefix(t, "ENUM") {
		return "VARCHAR"
	}
	return ""
}

// cleanse runs the cleanse steps in the file's order on batch. Rows that drop_if_null and dedupe
// take away are counted in cleansed_away; rows sharing a dedupe key with different values go to
// the quarantine with both values in the reason.
func (r *run) cleanse(ctx context.Context) error {
	for _, s := range r.p.Cleanse {
		if err := r.cleanseStep(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// cleanseStep runs one cleanse step: it refuses a column batch lacks (or one of the wrong type),
// asks DuckDB whether the step's types and values make sense, keeps the counts of what the step
// takes away, then applies buildCleanse's statements.
func (r *run) cleanseStep(ctx context.Context, s Step) error {
	cols, err := r.d.columns(ctx, "batch", false)
	if err != nil {
		return err
	}
	q := buildCleanse(s, cols)
	for _, it := range q.Items {
		c, err := r.cleanseColumn(s, cols, it.Column)
		if err != nil {
			return err
		}
		if it.Check != "" {
			if err := r.d.exec(ctx, it.Check); err != nil {
				return r.cleanseCheckError(s, c)
			}
		}
		if it.Failures != "" {
			failed, err := r.d.count(ctx, it.Failures)
			if err != nil {
				return err
			}
			if failed > 0 {
				r.s.CastFailures[it.Column] += failed
			}
		}
	}
	if q.Lost != "" {
		n, err := r.d.count(ctx, q.Lost)
		if err != nil {
			return err
		}
		r.s.CleansedAway += n
	}
	for _, stmt := range q.Apply {
		if err := r.d.exec(ctx, stmt); err != nil {
			return err
		}
	}
	switch s.Op {
	case "cast":
		return r.normalizeTypes(ctx, "batch")
	case "dedupe":
		return r.dedupe(ctx, s.Columns, names(cols))
	}
	return nil
}

// cleanseColumn is the column name of batch (whose columns are cols) that step s names, or the
// error at its place in the file when batch lacks it or it cannot take the step.
func (r *run) cleanseColumn(s Step, cols []column, name string) (column, error) {
	c, ok := find(cols, name)
	if !ok {
		return c, r.posError(s.colPos[name], "cleanse.%s: the source has no column %q (it has %s)", s.Op, name, strings.Join(names(cols), ", "))
	}
	switch s.Op {
	case "trim", "lower", "upper", "regex_replace":
		if !isText(c.Type) {
			return c, r.posError(s.colPos[name], "cleanse.%s: column %q is %s, not text", s.Op, name, c.Type)
		}
	case "rename":
		to := s.Map[name]
		if _, taken := find(cols, to); taken {
			return c, r.posError(s.colPos[name], "cleanse.rename: %q to %q, but the source already has a column %q", name, to, to)
		}
	}
	return c, nil
}

// cleanseCheckError is the error for column c when DuckDB refused the step's check on it.
func (r *run) cleanseCheckError(s Step, c column) error {
	if s.Op == "cast" {
		return r.posError(s.colPos[c.Name], "cleanse.cast: %q is not a type DuckDB knows (as in BIGINT, DOUBLE, DATE, TIMESTAMP, VARCHAR, DECIMAL(10, 2))", s.Map[c.Name])
	}
	return r.posError(s.colPos[c.Name], "cleanse.defaults: %s is not a %s, the type of %q", sqlquote.String(s.Map[c.Name]), c.Type, c.Name)
}

// dedupe collapses rows identical on every column (keeping the first in source order), then
// quarantines the rows of each key that still has more than one, naming the columns that differ.
func (r *run) dedupe(ctx context.Context, key, all []string) error {
	collapse, dupes, quarantine := dedupeSQL(key, all)
	before, err := r.d.count(ctx, "SELECT count(*) FROM batch")
	if err != nil {
		return err
	}
	if err := r.d.exec(ctx, collapse); err != nil {
		return err
	}
	after, err := r.d.count(ctx, "SELECT count(*) FROM batch")
	if err != nil {
		return err
	}
	r.s.CleansedAway += before - after
	if dupes == "" {
		return nil
	}
	if err := r.d.exec(ctx, dupes); err != nil {
		return fmt.Errorf("dedupe: %w", err)
	}
	return r.quarantineWhere(ctx, quarantine)
}
