package dash

import (
	"fmt"
	"strings"
	"time"

	"github.com/dora-dev/dora/query"
)

// Scope is what a dashboard lays over every panel at one moment: the time range resolved to
// times over a time column, and the global filter.
type Scope struct {
	TimeColumn string
	From, To   time.Time // the zero time is an open end
	Where      query.Expr
}

// HasRange reports whether the scope limits time at all.
func (s Scope) HasRange() bool { return !s.From.IsZero() || !s.To.IsZero() }

// Scope resolves the dashboard's range r and filter at now.
func (d *Dashboard) Scope(r Range, where query.Expr, now time.Time) Scope {
	from, to := r.Resolve(now)
	return Scope{TimeColumn: d.TimeColumn, From: from, To: to, Where: where}
}

// Applied is a panel's Spec with the scope laid over it, and what the panel had to leave out.
type Applied struct {
	Spec       query.Spec
	TimeColumn string // the column the range was applied to; "" when it was not
	Notes      []string
}

// Apply lays the scope over a panel's Spec: it ANDs time_col >= from AND time_col < to (the
// dashboard's time column when the table has it, else the panel's own) and the filter, when the
// table has every column the filter names. What does not fit the table is left out and said in
// Notes. It is pure: the Spec's other parts are kept as they are.
func Apply(p Panel, schema query.Schema, sc Scope) Applied {
	out := Applied{Spec: p.Spec}
	var terms []query.Expr
	if sc.HasRange() {
		col, why := timeColumn(schema, sc.TimeColumn, p.TimeColumn)
		if col == "" {
			out.Notes = append(out.Notes, "ignores the time range: "+why)
		} else {
			out.TimeColumn = col
			if !sc.From.IsZero() {
				terms = append(terms, query.Compare{Column: col, Op: query.OpGe, Value: query.Time(sc.From)})
			}
			if !sc.To.IsZero() {
				terms = append(terms, query.Compare{Column: col, Op: query.OpLt, Value: query.Time(sc.To)})
			}
		}
	}
	if sc.Where != nil {
		if missing := missingColumns(schema, sc.Where); len(missing) > 0 {
			out.Notes = append(out.Notes, fmt.Sprintf("ignores the filter: %s has no column %s", schema.Table, strings.Join(missing, ", ")))
		} else {
			terms = append(terms, sc.Where)
		}
	}
	if len(terms) > 0 {
		out.Spec.Where = query.NewAnd(append([]query.Expr{p.Spec.Where}, terms...)...)
	}
	return out
}

// timeColumn picks the column a range applies to in a table: the dashboard's, else the
// panel's own; why says what was wrong when neither fits.
func timeColumn(schema query.Schema, dashCol, panelCol string) (col, why string) {
	var reasons []string
	for _, c := range []string{dashCol, panelCol} {
		if c == "" {
			continue
		}
		f, ok := field(schema, c)
		switch {
		case !ok:
			reasons = append(reasons, fmt.Sprintf("%s has no column %s", schema.Table, c))
		case !f.Type.Temporal():
			reasons = append(reasons, fmt.Sprintf("%s is %s, not a time", f.Name, f.Type))
		default:
			return f.Name, ""
		}
	}
	if len(reasons) == 0 {
		return "", "the dashboard names no time column (time.column)"
	}
	return "", strings.Join(reasons, "; ")
}

// field finds a column as validation does: by its name, else by the one name that matches
// without regard to case.
func field(s query.Schema, name string) (query.Field, bool) {
	if f, ok := s.Field(name); ok {
		return f, true
	}
	var match []query.Field
	for _, f := range s.Fields {
		if strings.EqualFold(f.Name, name) {
			match = append(match, f)
		}
	}
	if len(match) == 1 {
		return match[0], true
	}
	return query.Field{}, false
}

// missingColumns lists, once each, the columns e names that the table does not have.
func missingColumns(s query.Schema, e query.Expr) []string {
	var out []string
	query.Walk(e, func(x query.Expr) {
		c := query.ColumnOf(x)
		if _, ok := field(s, c); !ok && !contains(out, c) {
			out = append(out, c)
		}
	})
	return out
}
