package etl

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dora-dev/dora/query/sqlquote"
)

// createQuarantine makes the table rows set aside go to: why, where from, and their values.
func (r *run) createQuarantine(ctx context.Context) error {
	return r.d.exec(ctx, `CREATE OR REPLACE TEMP TABLE quarantine (reason VARCHAR, source VARCHAR, "row" BIGINT, "values" JSON)`)
}

// quarantineRaw sets aside a row the decoder could not read.
func (r *run) quarantineRaw(ctx context.Context, source string, row int64, reason string) error {
	return r.d.exec(ctx, `INSERT INTO quarantine VALUES (?, ?, ?, NULL)`, "decode: "+reason, source, row)
}

// quarantineWhere moves the rows a query picks (batch's columns plus _dora_reason) from batch to
// the quarantine.
func (r *run) quarantineWhere(ctx context.Context, picked string) error {
	cols, err := r.d.columns(ctx, "batch", false)
	if err != nil {
		return err
	}
	err = r.d.exec(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE picked AS %s`, picked))
	if err != nil {
		return err
	}
	err = r.d.exec(ctx, fmt.Sprintf(`INSERT INTO quarantine SELECT _dora_reason, %s, %s, to_json(struct_pack(%s)) FROM picked`, sqlquote.Ident(srcCol), sqlquote.Ident(rowCol), qis(names(cols))))
	if err != nil {
		return err
	}
	return r.d.exec(ctx, fmt.Sprintf(`DELETE FROM batch WHERE (%[1]s, %[2]s) IN (SELECT (%[1]s, %[2]s) FROM picked)`, sqlquote.Ident(srcCol), sqlquote.Ident(rowCol)))
}

// validate quarantines every row that breaks a rule, with all the rules it breaks in its reason.
// A journal's key is implicitly not null and unique within the batch.
func (r *run) validate(ctx context.Context) error {
	cols, err := r.d.columns(ctx, "batch", false)
	if err != nil {
		return err
	}
	rules := r.p.Validate.Rules
	if j := r.p.Journal; j != nil {
		rules = append(rules, implicitRule(rules, "not_null", j)...)
		rules = append(rules, implicitRule(rules, "unique", j)...)
	}
	if clean, err := r.keyOnlyClean(ctx, rules, cols); err != nil || clean {
		return err
	}
	for _, rule := range rules {
		for _, c := range append(append([]string(nil), rule.Columns...), rule.Column) {
			if c == "" {
				continue
			}
			if _, ok := find(cols, c); !ok {
				return r.posError(rule.Pos, "validate %s: the rows have no column %q (they have %s)", rule.Kind, c, strings.Join(names(cols), ", "))
			}
		}
	}
	judge := judgeSQL(rules, cols)
	if judge == "" {
		return nil
	}
	if err := r.d.exec(ctx, judge); err != nil {
		return err
	}
	return r.quarantineWhere(ctx, fmt.Sprintf(`SELECT b.*, array_to_string(j.reasons, '; ') AS _dora_reason
		FROM batch b JOIN judged j USING (%s, %s) WHERE len(j.reasons) > 0`, sqlquote.Ident(srcCol), sqlquote.Ident(rowCol)))
}

// judgeSQL builds the table "judged": every row of batch with the reasons, one a rule it breaks,
// it is quarantined for. It runs nothing; cols are batch's columns, which hold every column the
// rules name. "" when the rules judge nothing.
func judgeSQL(rules []Rule, cols []column) string {
	var reasons, windows []string
	for _, rule := range rules {
		col := sqlquote.Ident(rule.Column)
		switch rule.Kind {
		case "not_null":
			for _, c := range rule.Columns {
				reasons = append(reasons, fmt.Sprintf("CASE WHEN %s IS NULL THEN %s END", sqlquote.Ident(c), sqlquote.String("not_null: "+c+" is null")))
			}
		case "unique":
			w := fmt.Sprintf("_dora_n%d", len(windows))
			windows = append(windows, fmt.Sprintf("count(*) OVER (PARTITION BY %s) AS %s", qis(rule.Columns), w))
			reasons = append(reasons, fmt.Sprintf("CASE WHEN %s > 1 THEN 'unique: ' || %s || ' appears ' || %s || ' times' END", w, keyText(rule.Columns, ""), w))
		case "range":
			c, _ := find(cols, rule.Column)
			var cases []string
			if rule.Min != "" {
				cases = append(cases, fmt.Sprintf("WHEN %s < %s THEN %s || %s::VARCHAR || %s", col, bound(rule.Min, c.Type), sqlquote.String("range: "+rule.Column+" "), col, sqlquote.String(" is below "+rule.Min)))
			}
			if rule.Max != "" {
				cases = append(cases, fmt.Sprintf("WHEN %s > %s THEN %s || %s::VARCHAR || %s", col, bound(rule.Max, c.Type), sqlquote.String("range: "+rule.Column+" "), col, sqlquote.String(" is above "+rule.Max)))
			}
			reasons = append(reasons, "CASE "+strings.Join(cases, " ")+" END")
		case "accepted_values":
			vals := make([]string, len(rule.Values))
			for i, v := range rule.Values {
				vals[i] = sqlquote.String(v)
			}
			reasons = append(reasons, fmt.Sprintf("CASE WHEN %s IS NOT NULL AND %s::VARCHAR NOT IN (%s) THEN %s || %s::VARCHAR || %s END",
				col, col, strings.Join(vals, ", "), sqlquote.String("accepted_values: "+rule.Column+" "), col, sqlquote.String(" is not one of "+strings.Join(rule.Values, ", "))))
		case "regex":
			reasons = append(reasons, fmt.Sprintf("CASE WHEN %s IS NOT NULL AND NOT regexp_full_match(%s::VARCHAR, %s) THEN %s || %s::VARCHAR || %s END",
				col, col, sqlquote.String(rule.Pattern), sqlquote.String("regex: "+rule.Column+" "), col, sqlquote.String(" does not match "+rule.Pattern)))
		}
	}
	if len(reasons) == 0 {
		return ""
	}
	inner := "batch"
	if len(windows) > 0 {
		inner = fmt.Sprintf("(SELECT *, %s FROM batch)", strings.Join(windows, ", "))
	}
	return fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE judged AS
		SELECT %s, %s, list_filter([%s], x -> x IS NOT NULL) AS reasons FROM %s`, sqlquote.Ident(srcCol), sqlquote.Ident(rowCol), strings.Join(reasons, ", "), inner)
}

// keyOnlyClean checks, in one aggregation over batch, the rules when they are only a journal's
// key being not null and unique (the implicit ones): true when no row breaks them, so there is
// nothing to quarantine. Other rules, or rows that break these, take the full pass that words
// every row's reasons.
func (r *run) keyOnlyClean(ctx context.Context, rules []Rule, cols []column) (bool, error) {
	j := r.p.Journal
	if j == nil {
		return false, nil
	}
	for _, rule := range rules {
		if rule.Kind != "not_null" && rule.Kind != "unique" || !slices.Equal(rule.Columns, j.Key) {
			return false, nil
		}
	}
	nulls := make([]string, len(j.Key))
	for i, k := range j.Key {
		if _, ok := find(cols, k); !ok {
			return false, nil // the full pass says so, at the rule's place
		}
		nulls[i] = sqlquote.Ident(k) + " IS NULL"
	}
	n, err := r.d.count(ctx, fmt.Sprintf("SELECT count(*) FROM (SELECT count(*) AS n FROM batch GROUP BY %s HAVING n > 1 OR %s)", qis(j.Key), strings.Join(nulls, " OR ")))
	return n == 0, err
}

// bound is a range bound as SQL: a number as it is, anything else (a date) as a literal of the
// column's type.
func bound(v, typ string) string {
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return v
	}
	return fmt.Sprintf("CAST(%s AS %s)", sqlquote.String(v), typ)
}

// ReasonCount is how many quarantined rows share a reason.
type ReasonCount struct {
	Reason  string `json:"reason"` // the rule and column, as "range: imdb_rating"
	Rows    int64  `json:"rows"`
	Example string `json:"example"` // one row's whole reason
}

// quarantineSummary counts the quarantine and its top reasons, and writes it, when it holds
// anything, to an NDJSON file: one line per row with its reason, source, row and values.
func (r *run) quarantineSummary(ctx context.Context) error {
	n, err := r.d.count(ctx, "SELECT count(*) FROM quarantine")
	if err != nil || n == 0 {
		return err
	}
	r.s.Quarantined = n
	rows, err := r.d.conn.QueryContext(ctx, `SELECT coalesce(nullif(regexp_extract(reason, '^(decode|[a-z_]+: [^ =;]+)'), ''), reason) AS kind, count(*), min(reason)
		FROM quarantine GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var rc ReasonCount
		if err := rows.Scan(&rc.Reason, &rc.Rows, &rc.Example); err != nil {
			rows.Close()
			return err
		}
		r.s.TopReasons = append(r.s.TopReasons, rc)
	}
	rows.Close()
	if r.opts.QuarantineDir == "" {
		return nil
	}
	path := fmt.Sprintf("%s/%s.%s.quarantine.ndjson", r.opts.QuarantineDir, r.p.Table, r.s.RunID)
	if err := mkdirFor(path); err != nil {
		return err
	}
	if err := r.d.exec(ctx, fmt.Sprintf(`COPY (SELECT * FROM quarantine ORDER BY source, "row") TO %s (FORMAT json)`, sqlquote.String(path))); err != nil {
		return fmt.Errorf("writing the quarantine: %w", err)
	}
	r.s.QuarantineFile = path
	return nil
}

// implicitRule is the rule a journal's key needs, unless the file already has it.
func implicitRule(rules []Rule, kind string, j *Journal) []Rule {
	for _, r := range rules {
		if r.Kind == kind && slices.Equal(r.Columns, j.Key) {
			return nil
		}
	}
	return []Rule{{Kind: kind, Columns: j.Key, Pos: j.Pos}}
}
