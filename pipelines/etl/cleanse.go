package etl

import (
	"context"
	"fmt"
	"slices"
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

func (r *run) cleanseStep(ctx context.Context, s Step) error {
	cols, err := r.d.columns(ctx, "batch", false)
	if err != nil {
		return err
	}
	need := func(name string) (column, error) {
		c, ok := find(cols, name)
		if !ok {
			return c, r.posError(s.colPos[name], "cleanse.%s: the source has no column %q (it has %s)", s.Op, name, strings.Join(names(cols), ", "))
		}
		return c, nil
	}
	replace := func(exprs []string) error {
		if len(exprs) == 0 {
			return nil
		}
		return r.d.exec(ctx, "CREATE OR REPLACE TABLE batch AS SELECT * REPLACE ("+strings.Join(exprs, ", ")+") FROM batch")
	}
	switch s.Op {
	case "trim", "lower", "upper":
		var exprs []string
		for _, name := range s.Columns {
			c, err := need(name)
			if err != nil {
				return err
			}
			if !isText(c.Type) {
				return r.posError(s.colPos[name], "cleanse.%s: column %q is %s, not text", s.Op, name, c.Type)
			}
			exprs = append(exprs, fmt.Sprintf("%s(%s) AS %s", s.Op, sqlquote.Ident(name), sqlquote.Ident(name)))
		}
		return replace(exprs)
	case "rename":
		for _, from := range s.Order {
			if _, err := need(from); err != nil {
				return err
			}
			to := s.Map[from]
			if _, taken := find(cols, to); taken {
				return r.posError(s.colPos[from], "cleanse.rename: %q to %q, but the source already has a column %q", from, to, to)
			}
			if err := r.d.exec(ctx, fmt.Sprintf("ALTER TABLE batch RENAME COLUMN %s TO %s", sqlquote.Ident(from), sqlquote.Ident(to))); err != nil {
				return err
			}
		}
	case "cast":
		var exprs []string
		for _, name := range s.Order {
			if _, err := need(name); err != nil {
				return err
			}
			typ := s.Map[name]
			if err := r.d.exec(ctx, fmt.Sprintf("SELECT TRY_CAST(NULL AS %s)", typ)); err != nil {
				return r.posError(s.colPos[name], "cleanse.cast: %q is not a type DuckDB knows (as in BIGINT, DOUBLE, DATE, TIMESTAMP, VARCHAR, DECIMAL(10, 2))", typ)
			}
			failed, err := r.d.count(ctx, fmt.Sprintf("SELECT count(*) FROM batch WHERE %s IS NOT NULL AND TRY_CAST(%s AS %s) IS NULL", sqlquote.Ident(name), sqlquote.Ident(name), typ))
			if err != nil {
				return err
			}
			if failed > 0 {
				r.s.CastFailures[name] += failed
			}
			exprs = append(exprs, fmt.Sprintf("TRY_CAST(%s AS %s) AS %s", sqlquote.Ident(name), typ, sqlquote.Ident(name)))
		}
		if err := replace(exprs); err != nil {
			return err
		}
		return r.normalizeTypes(ctx, "batch")
	case "defaults":
		var exprs []string
		for _, name := range s.Order {
			c, err := need(name)
			if err != nil {
				return err
			}
			v := sqlquote.String(s.Map[name])
			if err := r.d.exec(ctx, fmt.Sprintf("SELECT CAST(%s AS %s)", v, c.Type)); err != nil {
				return r.posError(s.colPos[name], "cleanse.defaults: %s is not a %s, the type of %q", v, c.Type, name)
			}
			exprs = append(exprs, fmt.Sprintf("coalesce(%s, CAST(%s AS %s)) AS %s", sqlquote.Ident(name), v, c.Type, sqlquote.Ident(name)))
		}
		return replace(exprs)
	case "regex_replace":
		var exprs []string
		for _, rr := range s.Regex {
			c, err := need(rr.Column)
			if err != nil {
				return err
			}
			if !isText(c.Type) {
				return r.posError(s.colPos[rr.Column], "cleanse.regex_replace: column %q is %s, not text", rr.Column, c.Type)
			}
			exprs = append(exprs, fmt.Sprintf("regexp_replace(%s, %s, %s, 'g') AS %s", sqlquote.Ident(rr.Column), sqlquote.String(rr.Pattern), sqlquote.String(rr.Replacement), sqlquote.Ident(rr.Column)))
		}
		return replace(exprs)
	case "drop_if_null":
		var conds []string
		for _, name := range s.Columns {
			if _, err := need(name); err != nil {
				return err
			}
			conds = append(conds, sqlquote.Ident(name)+" IS NULL")
		}
		n, err := r.d.count(ctx, "SELECT count(*) FROM batch WHERE "+strings.Join(conds, " OR "))
		if err != nil {
			return err
		}
		r.s.CleansedAway += n
		return r.d.exec(ctx, "DELETE FROM batch WHERE "+strings.Join(conds, " OR "))
	case "dedupe":
		for _, name := range s.Columns {
			if _, err := need(name); err != nil {
				return err
			}
		}
		return r.dedupe(ctx, s.Columns, names(cols))
	}
	return nil
}

// dedupe collapses rows identical on every column (keeping the first in source order), then
// quarantines the rows of each key that still has more than one, naming the columns that differ.
func (r *run) dedupe(ctx context.Context, key, all []string) error {
	before, err := r.d.count(ctx, "SELECT count(*) FROM batch")
	if err != nil {
		return err
	}
	err = r.d.exec(ctx, fmt.Sprintf(`CREATE OR REPLACE TABLE batch AS SELECT * FROM batch
		QUALIFY row_number() OVER (PARTITION BY %s ORDER BY %s, %s) = 1`, qis(all), sqlquote.Ident(srcCol), sqlquote.Ident(rowCol)))
	if err != nil {
		return err
	}
	after, err := r.d.count(ctx, "SELECT count(*) FROM batch")
	if err != nil {
		return err
	}
	r.s.CleansedAway += before - after
	var diffs []string
	for _, c := range all {
		if slices.Contains(key, c) {
			continue
		}
		diffs = append(diffs, fmt.Sprintf(`CASE WHEN count(DISTINCT %[1]s) + max(CASE WHEN %[1]s IS NULL THEN 1 ELSE 0 END) > 1
			THEN %[2]s || ': ' || string_agg(DISTINCT coalesce(%[1]s::VARCHAR, 'NULL'), ' vs ' ORDER BY coalesce(%[1]s::VARCHAR, 'NULL')) END`, sqlquote.Ident(c), sqlquote.String(c)))
	}
	if len(diffs) == 0 {
		return nil
	}
	err = r.d.exec(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE dupes AS
		SELECT %s, 'dedupe: ' || %s || ' has ' || count(*) || ' different rows: ' || concat_ws('; ', %s) AS reason
		FROM batch GROUP BY %s HAVING count(*) > 1`, qis(key), keyText(key, ""), strings.Join(diffs, ", "), qis(key)))
	if err != nil {
		return fmt.Errorf("dedupe: %w", err)
	}
	return r.quarantineWhere(ctx, fmt.Sprintf("SELECT b.*, d.reason AS _dora_reason FROM batch b JOIN dupes d USING (%s)", qis(key)))
}

// keyText is SQL text that prints a key as "movie_id=7" (alias. prefixes the columns).
func keyText(key []string, alias string) string {
	parts := make([]string, len(key))
	for i, k := range key {
		parts[i] = fmt.Sprintf("%s || '=' || coalesce(%s%s::VARCHAR, 'NULL')", sqlquote.String(k), alias, sqlquote.Ident(k))
	}
	return strings.Join(parts, " || ', ' || ")
}
