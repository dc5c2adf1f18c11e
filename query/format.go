package query

import (
	"strconv"
	"strings"
	"time"
)

// SQL prints the Spec as one canonical line of the SQL subset; parsing that line gives the same
// Spec back.
func (s Spec) SQL() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	var items []string
	if s.IsRaw() {
		if len(s.Columns) == 0 {
			items = append(items, "*")
		}
		for _, c := range s.Columns {
			items = append(items, QuoteIdent(c))
		}
	}
	for _, d := range s.GroupBy {
		items = append(items, withAlias(s.dimSQL(d), d.Alias))
	}
	for _, m := range s.Metrics {
		items = append(items, withAlias(m.Expr(), m.Alias))
	}
	b.WriteString(strings.Join(items, ", "))
	b.WriteString(" FROM ")
	b.WriteString(QuoteIdent(s.Table))
	if s.Where != nil {
		b.WriteString(" WHERE ")
		b.WriteString(FormatExpr(s.Where))
	}
	if len(s.GroupBy) > 0 {
		b.WriteString(" GROUP BY ")
		for i, d := range s.GroupBy {
			if i > 0 {
				b.WriteString(", ")
			}
			if d.Alias != "" {
				b.WriteString(QuoteIdent(d.Alias))
			} else {
				b.WriteString(s.dimSQL(d))
			}
		}
	}
	if s.Having != nil {
		b.WriteString(" HAVING ")
		b.WriteString(FormatExpr(s.Having))
	}
	if len(s.OrderBy) > 0 {
		b.WriteString(" ORDER BY ")
		for i, o := range s.OrderBy {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(s.refText(o.Name))
			if o.Desc {
				b.WriteString(" DESC")
			}
		}
	}
	if s.Limit > 0 {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.Itoa(s.Limit))
	}
	return b.String()
}

// refText prints a reference to an output column: an alias or plain column as an identifier, an
// unaliased expression as its text (which the parser reads back as the same output column).
func (s Spec) refText(name string) string {
	for _, d := range s.GroupBy {
		if d.Name() == name && d.Alias == "" && d.Kind != DimColumn {
			return s.dimSQL(d)
		}
	}
	for _, m := range s.Metrics {
		if m.Name() == name && m.Alias == "" {
			return m.Expr()
		}
	}
	return QuoteIdent(name)
}

// dimSQL prints a dimension with the Spec's time zone as a time bucket's third argument.
func (s Spec) dimSQL(d Dimension) string {
	e := d.Expr()
	if d.IsTime() && s.TimeZone != "" && s.TimeZone != "UTC" {
		e = e[:len(e)-1] + ", " + quoteString(s.TimeZone) + ")"
	}
	return e
}

func withAlias(expr, alias string) string {
	if alias == "" {
		return expr
	}
	return expr + " AS " + QuoteIdent(alias)
}

// FormatExpr prints a filter expression in the SQL subset, with the fewest parentheses that keep
// its meaning.
func FormatExpr(e Expr) string { return formatExpr(e, 0) }

// precedence: OR 1, AND 2, NOT 3, predicate 4.
func formatExpr(e Expr, outer int) string {
	wrap := func(s string, p int) string {
		if p < outer {
			return "(" + s + ")"
		}
		return s
	}
	switch x := e.(type) {
	case Or:
		parts := make([]string, len(x.Terms))
		for i, t := range x.Terms {
			parts[i] = formatExpr(t, 2) // an OR inside an OR keeps its parentheses so the tree round-trips
		}
		return wrap(strings.Join(parts, " OR "), 1)
	case And:
		parts := make([]string, len(x.Terms))
		for i, t := range x.Terms {
			parts[i] = formatExpr(t, 3)
		}
		return wrap(strings.Join(parts, " AND "), 2)
	case Not:
		return wrap("NOT "+formatExpr(x.X, 4), 3)
	case Compare:
		return QuoteIdent(x.Column) + " " + string(x.Op) + " " + FormatValue(x.Value)
	case In:
		vs := make([]string, len(x.Values))
		for i, v := range x.Values {
			vs[i] = FormatValue(v)
		}
		return QuoteIdent(x.Column) + " IN (" + strings.Join(vs, ", ") + ")"
	case Between:
		return wrap(QuoteIdent(x.Column)+" BETWEEN "+FormatValue(x.Low)+" AND "+FormatValue(x.High), 4)
	case IsNull:
		if x.Not {
			return QuoteIdent(x.Column) + " IS NOT NULL"
		}
		return QuoteIdent(x.Column) + " IS NULL"
	case Like:
		return QuoteIdent(x.Column) + " LIKE " + quoteString(escapeLike(x.Prefix)+"%")
	case Match:
		return "match(" + QuoteIdent(x.Column) + ", " + quoteString(x.Text) + ")"
	}
	return ""
}

// FormatValue prints a literal in the SQL subset.
func FormatValue(v Value) string {
	switch v.Kind {
	case KindNull:
		return "NULL"
	case KindBool:
		if v.Bool {
			return "TRUE"
		}
		return "FALSE"
	case KindInt:
		return strconv.FormatInt(v.Int, 10)
	case KindFloat:
		return formatFloat(v.Float)
	case KindString:
		return quoteString(v.Str)
	case KindTime:
		if v.Date {
			return "DATE " + quoteString(v.Time.Format("2006-01-02"))
		}
		return "TIMESTAMP " + quoteString(formatTime(v.Time))
	case KindRelNow:
		if v.Ago.N == 0 {
			return "now()"
		}
		return "now() - INTERVAL " + quoteString(v.Ago.String())
	}
	return "NULL"
}

func formatTime(t time.Time) string {
	if t.Location() == time.UTC {
		if t.Nanosecond() == 0 {
			return t.Format("2006-01-02 15:04:05")
		}
		return t.Format("2006-01-02 15:04:05.999999999")
	}
	return t.Format("2006-01-02 15:04:05.999999999Z07:00")
}

func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") { // keep floats floats when printed and parsed back
		s += ".0"
	}
	return s
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// QuoteIdent prints an identifier bare when it is a plain lower-case word that is not a keyword,
// and double-quoted otherwise.
func QuoteIdent(s string) string {
	if isBareIdent(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func isBareIdent(s string) bool {
	if s == "" || keywords[strings.ToUpper(s)] {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r == '_':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
