package etl

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dora-dev/dora/query/sqlquote"
)

// Metric is one data-quality measure of the batch about to be written: row_count of the whole
// batch, the others of one column. min and max of a column that is not a number are Text.
type Metric struct {
	Column string   `json:"column,omitempty"`
	Name   string   `json:"metric"`
	Value  *float64 `json:"value"`
	Text   string   `json:"text,omitempty"`
}

// Key names the metric as a check does: "row_count" or "null_fraction(director)".
func (m Metric) Key() string { return metricRef{Metric: m.Name, Column: m.Column}.Key() }

// CheckOutcome is how a check came out: pass, warn or fail.
type CheckOutcome struct {
	Check   string `json:"check"`
	Level   string `json:"level"`
	Outcome string `json:"outcome"`
	Detail  string `json:"detail,omitempty"` // the values compared, or why it passed without any
}

// measure computes the per-column metrics of the batch in one pass.
func (r *run) measure(ctx context.Context) ([]Metric, error) {
	cols, err := r.d.columns(ctx, "batch", false)
	if err != nil {
		return nil, err
	}
	q, slots := measureSQL(cols)
	dest := make([]any, len(slots))
	for i, s := range slots {
		if s.text {
			dest[i] = new(sql.NullString)
		} else {
			dest[i] = new(sql.NullFloat64)
		}
	}
	if err := r.d.conn.QueryRowContext(ctx, q).Scan(dest...); err != nil {
		return nil, fmt.Errorf("measuring the batch: %w", err)
	}
	out := make([]Metric, len(slots))
	for i, s := range slots {
		m := Metric{Column: s.col, Name: s.metric}
		switch v := dest[i].(type) {
		case *sql.NullFloat64:
			if v.Valid {
				x := v.Float64
				m.Value = &x
			}
		case *sql.NullString:
			m.Text = v.String
		}
		out[i] = m
	}
	return out, nil
}

// metricSlot is one metric measureSQL's query returns, in its order: a column's (or the
// table's, col "") metric, a number or, when text, a text.
type metricSlot struct {
	col, metric string
	text        bool
}

// measureSQL builds the one query that measures batch: row_count, then per column its null
// count and fraction, distinct count, and min and max (and mean for numbers). It runs nothing.
func measureSQL(cols []column) (string, []metricSlot) {
	exprs := []string{"count(*)::DOUBLE"}
	slots := []metricSlot{{"", "row_count", false}}
	for _, c := range cols {
		q := sqlquote.Ident(c.Name)
		add := func(metric, expr string, text bool) {
			exprs = append(exprs, expr)
			slots = append(slots, metricSlot{c.Name, metric, text})
		}
		add("null_count", fmt.Sprintf("count(*) FILTER (WHERE %s IS NULL)::DOUBLE", q), false)
		add("null_fraction", fmt.Sprintf("CASE WHEN count(*) = 0 THEN 0 ELSE (count(*) FILTER (WHERE %s IS NULL))::DOUBLE / count(*) END", q), false)
		add("distinct_count", fmt.Sprintf("count(DISTINCT %s)::DOUBLE", q), false)
		switch {
		case isNumeric(c.Type):
			add("min", fmt.Sprintf("min(%s)::DOUBLE", q), false)
			add("max", fmt.Sprintf("max(%s)::DOUBLE", q), false)
			add("mean", fmt.Sprintf("avg(%s)::DOUBLE", q), false)
		case c.Type == "BOOLEAN" || strings.HasPrefix(c.Type, "STRUCT") || strings.HasSuffix(c.Type, "[]") || strings.HasPrefix(c.Type, "MAP"):
		default:
			add("min", fmt.Sprintf("min(%s)::VARCHAR", q), true)
			add("max", fmt.Sprintf("max(%s)::VARCHAR", q), true)
		}
	}
	return "SELECT " + strings.Join(exprs, ", ") + " FROM batch", slots
}

// runChecks evaluates the checks against this batch's metrics and the previous published
// version's (nil when there is none).
func (r *run) runChecks(ctx context.Context, now, previous []Metric) ([]CheckOutcome, error) {
	cur, prev := metricMap(now), metricMap(previous)
	var out []CheckOutcome
	for _, c := range r.p.Checks {
		o := CheckOutcome{Check: c.Expr, Level: c.Level}
		var missing metricRef
		noPrevious := false
		var shown []string
		sqlText := c.expr.SQL(func(ref metricRef) string {
			m, ok := cur[ref.Key()]
			if ref.Previous {
				if previous == nil {
					noPrevious = true
					return "NULL"
				}
				m, ok = prev[ref.Key()]
			}
			if !ok {
				if _, known := cur[ref.Key()]; !known && missing.Metric == "" {
					missing = ref
				}
				return "NULL"
			}
			v := metricLiteral(m)
			name := ref.Key()
			if ref.Previous {
				name = "previous(" + name + ")"
			}
			shown = append(shown, name+" = "+strings.Trim(v, "'"))
			return v
		})
		switch {
		case missing.Metric != "":
			at := c.Pos
			if c.exprAt.Line > 0 {
				at = Pos{c.exprAt.Line, c.exprAt.Column + missing.at}
			}
			return nil, r.posError(at, "check %q: the rows have no column %q for %s", c.Expr, missing.Column, missing.Key())
		case noPrevious:
			o.Outcome, o.Detail = "pass", "no published version to compare with yet"
			out = append(out, o)
			continue
		}
		var ok sql.NullBool
		if err := r.d.conn.QueryRowContext(ctx, "SELECT ("+sqlText+")::BOOLEAN").Scan(&ok); err != nil {
			return nil, r.posError(c.Pos, "check %q: %v", c.Expr, err)
		}
		o.Detail = strings.Join(shown, ", ")
		switch {
		case ok.Valid && ok.Bool:
			o.Outcome = "pass"
		case c.Level == "warn":
			o.Outcome = "warn"
		default:
			o.Outcome = "fail"
		}
		out = append(out, o)
	}
	return out, nil
}

func metricMap(ms []Metric) map[string]Metric {
	out := make(map[string]Metric, len(ms))
	for _, m := range ms {
		out[m.Key()] = m
	}
	return out
}

func metricLiteral(m Metric) string {
	switch {
	case m.Value != nil && !math.IsNaN(*m.Value) && !math.IsInf(*m.Value, 0):
		return strconv.FormatFloat(*m.Value, 'f', -1, 64)
	case m.Text != "":
		return sqlquote.String(m.Text)
	}
	return "NULL"
}
