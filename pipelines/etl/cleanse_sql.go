package etl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dora-dev/dora/query/sqlquote"
)

// cleanseSQL is the SQL of one cleanse step over the table batch, built from the step and
// batch's columns alone; cleanseStep checks the columns, runs it and keeps the counts.
type cleanseSQL struct {
	// Items are the columns the step names, in the file's order, each with what to ask DuckDB
	// about it before anything changes.
	Items []cleanseItem
	// Lost counts the rows the step deletes (drop_if_null); "" when it deletes none.
	Lost string
	// Apply are the statements that change batch, in order.
	Apply []string
}

// cleanseItem is one column a cleanse step names.
type cleanseItem struct {
	Column string
	// Check is a statement DuckDB must accept for the step to make sense (the cast's type, the
	// default's value in the column's type); "" when there is none.
	Check string
	// Failures counts the column's values the step turns into NULL (a failed cast); "" when none.
	Failures string
}

// buildCleanse is the SQL of step s over batch, whose columns are cols. Dedupe's statements
// depend on counts taken between them and come from dedupeSQL; its items only name the key.
// A column the step names that cols lacks yields SQL that is never run: cleanseStep refuses it
// first.
func buildCleanse(s Step, cols []column) cleanseSQL {
	var q cleanseSQL
	var exprs []string
	item := func(name string) { q.Items = append(q.Items, cleanseItem{Column: name}) }
	switch s.Op {
	case "trim", "lower", "upper":
		for _, name := range s.Columns {
			item(name)
			exprs = append(exprs, fmt.Sprintf("%s(%s) AS %s", s.Op, sqlquote.Ident(name), sqlquote.Ident(name)))
		}
	case "rename":
		for _, from := range s.Order {
			item(from)
			q.Apply = append(q.Apply, fmt.Sprintf("ALTER TABLE batch RENAME COLUMN %s TO %s", sqlquote.Ident(from), sqlquote.Ident(s.Map[from])))
		}
	case "cast":
		for _, name := range s.Order {
			typ, c := s.Map[name], sqlquote.Ident(name)
			q.Items = append(q.Items, cleanseItem{
				Column:   name,
				Check:    fmt.Sprintf("SELECT TRY_CAST(NULL AS %s)", typ),
				Failures: fmt.Sprintf("SELECT count(*) FROM batch WHERE %s IS NOT NULL AND TRY_CAST(%s AS %s) IS NULL", c, c, typ),
			})
			exprs = append(exprs, fmt.Sprintf("TRY_CAST(%s AS %s) AS %s", c, typ, c))
		}
	case "defaults":
		for _, name := range s.Order {
			c, _ := find(cols, name)
			v := sqlquote.String(s.Map[name])
			q.Items = append(q.Items, cleanseItem{Column: name, Check: fmt.Sprintf("SELECT CAST(%s AS %s)", v, c.Type)})
			exprs = append(exprs, fmt.Sprintf("coalesce(%s, CAST(%s AS %s)) AS %s", sqlquote.Ident(name), v, c.Type, sqlquote.Ident(name)))
		}
	case "regex_replace":
		for _, rr := range s.Regex {
			item(rr.Column)
			exprs = append(exprs, fmt.Sprintf("regexp_replace(%s, %s, %s, 'g') AS %s", sqlquote.Ident(rr.Column), sqlquote.String(rr.Pattern), sqlquote.String(rr.Replacement), sqlquote.Ident(rr.Column)))
		}
	case "drop_if_null":
		var conds []string
		for _, name := range s.Columns {
			item(name)
			conds = append(conds, sqlquote.Ident(name)+" IS NULL")
		}
		where := strings.Join(conds, " OR ")
		q.Lost = "SELECT count(*) FROM batch WHERE " + where
		q.Apply = append(q.Apply, "DELETE FROM batch WHERE "+where)
	case "dedupe":
		for _, name := range s.Columns {
			item(name)
		}
	}
	if len(exprs) > 0 {
		q.Apply = append(q.Apply, "CREATE OR REPLACE TABLE batch AS SELECT * REPLACE ("+strings.Join(exprs, ", ")+") FROM batch")
	}
	return q
}

// dedupeSQL is dedupe's SQL over batch with columns all and key key: collapse keeps the first of
// the rows identical on every column (in source order); dupes makes the temp table dupes of the
// keys that still have more than one row, with a reason naming the columns that differ, and is
// "" when every column is in the key; quarantine selects those rows with their reason.
func dedupeSQL(key, all []string) (collapse, dupes, quarantine string) {
	collapse = fmt.Sprintf(`CREATE OR REPLACE TABLE batch AS SELECT * FROM batch
		QUALIFY row_number() OVER (PARTITION BY %s ORDER BY %s, %s) = 1`, qis(all), sqlquote.Ident(srcCol), sqlquote.Ident(rowCol))
	var diffs []string
	for _, c := range all {
		if slices.Contains(key, c) {
			continue
		}
		diffs = append(diffs, fmt.Sprintf(`CASE WHEN count(DISTINCT %[1]s) + max(CASE WHEN %[1]s IS NULL THEN 1 ELSE 0 END) > 1
			THEN %[2]s || ': ' || string_agg(DISTINCT coalesce(%[1]s::VARCHAR, 'NULL'), ' vs ' ORDER BY coalesce(%[1]s::VARCHAR, 'NULL')) END`, sqlquote.Ident(c), sqlquote.String(c)))
	}
	if len(diffs) == 0 {
		return collapse, "", ""
	}
	dupes = fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE dupes AS
		SELECT %s, 'dedupe: ' || %s || ' has ' || count(*) || ' different rows: ' || concat_ws('; ', %s) AS reason
		FROM batch GROUP BY %s HAVING count(*) > 1`, qis(key), keyText(key, ""), strings.Join(diffs, ", "), qis(key))
	quarantine = fmt.Sprintf("SELECT b.*, d.reason AS _dora_reason FROM batch b JOIN dupes d USING (%s)", qis(key))
	return collapse, dupes, quarantine
}

// keyText is SQL text that prints a key as "movie_id=7" (alias. prefixes the columns).
func keyText(key []string, alias string) string {
	parts := make([]string, len(key))
	for i, k := range key {
		parts[i] = fmt.Sprintf("%s || '=' || coalesce(%s%s::VARCHAR, 'NULL')", sqlquote.String(k), alias, sqlquote.Ident(k))
	}
	return strings.Join(parts, " || ', ' || ")
}
