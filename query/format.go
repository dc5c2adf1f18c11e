package query

import (
	"strconv"
	"strings"
	"time"

	"github.com/dora-dev/dora/query/sqlquote"
)

// SQL prints the Spec as one canonical line of the SQL subset: the SELECT list as written (order,
// repeats, aliases), and every name in GROUP BY, HAVING and ORDER BY spelled so that it resolves
// back to what it named. Parsing the line gives the same Spec back.
func (s Spec) SQL() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if s.Distinct {
		b.WriteString("DISTINCT ")
	}
	outs := s.Outputs()
	if len(outs) == 0 {
		b.WriteString("*")
	}
	for i, o := range outs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(withAlias(s.outputSQL(o), o.Alias))
	}
	b.WriteString(" FROM ")
	b.WriteString(QuoteIdent(s.Table))
	if s.Where != nil {
		b.WriteString(" WHERE ")
		b.WriteString(FormatExpr(s.Where))
	}
	if len(s.GroupBy) > 0 && !s.Distinct {
		b.WriteString(" GROUP BY ")
		for i, d := range s.GroupBy {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(s.groupText(d))
		}
	}
	if s.Having != nil {
		b.WriteString(" HAVING ")
		b.WriteString(formatExpr(s.Having, 0, s.havingText))
	}
	if len(s.OrderBy) > 0 {
		b.WriteString(" ORDER BY ")
		for i, o := range s.OrderBy {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(s.orderText(o.Name))
			if o.Desc {
				b.WriteString(" DESC")
			}
			switch o.Nulls {
			case NullsFirst:
				b.WriteString(" NULLS FIRST")
			case NullsLast:
				b.WriteString(" NULLS LAST")
			}
		}
	}
	if s.Limit > 0 {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.Itoa(s.Limit))
	}
	if s.Offset > 0 {
		b.WriteString(" OFFSET ")
		b.WriteString(strconv.Itoa(s.Offset))
	}
	return b.String()
}

// calcSQL prints a computed expression, its references as the things they name.
func (s Spec) calcSQL(c Calc) string {
	if s.IsRaw() {
		return FormatCalc(c, QuoteIdent)
	}
	return FormatCalc(c, s.computedText)
}

// outputSQL prints what a select item computes, without its alias.
func (s Spec) outputSQL(o Output) string {
	switch o.Kind {
	case OutDimension:
		if i := s.Dimension(o.Ref); i >= 0 {
			return s.dimSQL(s.GroupBy[i])
		}
	case OutMetric:
		if i := s.Metric(o.Ref); i >= 0 {
			return s.Metrics[i].Expr()
		}
	case OutCalc:
		if i := s.Calc(o.Ref); i >= 0 {
			return s.calcSQL(s.Calcs[i])
		}
	}
	return QuoteIdent(o.Ref)
}

// computedText prints a dimension or metric as an expression: an aggregate call, a bucket
// function, or a plain column's name.
func (s Spec) computedText(name string) string {
	if i := s.Metric(name); i >= 0 {
		return s.Metrics[i].Expr()
	}
	if i := s.Dimension(name); i >= 0 {
		return s.dimSQL(s.GroupBy[i])
	}
	if i := s.Calc(name); i >= 0 {
		return s.calcSQL(s.Calcs[i])
	}
	return QuoteIdent(name)
}

// sameName reports whether every select item whose name (by name) is n returns the same thing,
// the dimension or metric ref; there is at least one when some is set.
func (s Spec) sameName(n string, name func(Output) string, kind OutputKind, ref string) (ok, some bool) {
	for _, o := range s.Outputs() {
		if m := name(o); m != "" && strings.EqualFold(m, n) {
			some = true
			if o.Kind != kind || o.Ref != ref {
				return false, true
			}
		}
	}
	return true, some
}

func aliasOf(o Output) string { return o.Alias }

// position returns the 1-based place of a select item returning ref, 0 when none does.
func (s Spec) position(kind OutputKind, ref string) int {
	for i, o := range s.Outputs() {
		if o.Kind == kind && o.Ref == ref {
			return i + 1
		}
	}
	return 0
}

// groupText prints a GROUP BY item. A name there is an output alias first, then a column.
func (s Spec) groupText(d Dimension) string {
	for _, o := range s.Outputs() {
		if o.Kind == OutDimension && o.Ref == d.Name() && o.Alias != "" {
			if ok, _ := s.sameName(o.Alias, aliasOf, OutDimension, o.Ref); ok {
				return QuoteIdent(o.Alias)
			}
		}
	}
	if d.Kind != DimColumn {
		return s.dimSQL(d)
	}
	if ok, _ := s.sameName(d.Column, aliasOf, OutDimension, d.Name()); !ok {
		if n := s.position(OutDimension, d.Name()); n > 0 {
			return strconv.Itoa(n)
		}
	}
	return QuoteIdent(d.Column)
}

// havingText prints a HAVING operand as the expression it names, which is what PostgreSQL
// accepts there too.
func (s Spec) havingText(name string) string { return s.computedText(name) }

// orderText prints an ORDER BY item. A name there is an output name (alias, or an item as
// written) first, then a column.
func (s Spec) orderText(name string) string {
	if i := s.Calc(name); i >= 0 {
		for _, o := range s.Outputs() {
			if o.Kind == OutCalc && o.Ref == name && o.Alias != "" {
				if ok, _ := s.sameName(o.Alias, Output.Name, OutCalc, name); ok {
					return QuoteIdent(o.Alias)
				}
			}
		}
		return s.calcSQL(s.Calcs[i])
	}
	if s.IsRaw() {
		ok, _ := s.sameName(name, Output.Name, OutColumn, name)
		if ok {
			return QuoteIdent(name)
		}
		for _, o := range s.Outputs() {
			if o.Kind == OutColumn && o.Ref == name {
				if ok, _ := s.sameName(o.Name(), Output.Name, OutColumn, name); ok {
					return QuoteIdent(o.Name())
				}
			}
		}
		if n := s.position(OutColumn, name); n > 0 {
			return strconv.Itoa(n)
		}
		return QuoteIdent(name)
	}
	kind := OutMetric
	if s.Metric(name) < 0 {
		kind = OutDimension
	}
	for _, o := range s.Outputs() {
		if o.Kind == kind && o.Ref == name && o.Alias != "" {
			if ok, _ := s.sameName(o.Alias, Output.Name, kind, name); ok {
				return QuoteIdent(o.Alias)
			}
		}
	}
	i := s.Dimension(name)
	if kind == OutMetric || i >= 0 && s.GroupBy[i].Kind != DimColumn {
		return s.computedText(name)
	}
	if ok, _ := s.sameName(name, Output.Name, kind, name); !ok {
		if n := s.position(kind, name); n > 0 {
			return strconv.Itoa(n)
		}
	}
	return QuoteIdent(name)
}

// dimSQL prints a dimension with the Spec's time zone as a time bucket's third argument.
func (s Spec) dimSQL(d Dimension) string {
	e := d.Expr()
	if d.IsTime() && s.TimeZone != "" && s.TimeZone != "UTC" {
		e = e[:len(e)-1] + ", " + sqlquote.String(s.TimeZone) + ")"
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
func FormatExpr(e Expr) string { return formatExpr(e, 0, QuoteIdent) }

// precedence: OR 1, AND 2, NOT 3, predicate 4. col prints a predicate's column.
func formatExpr(e Expr, outer int, col func(string) string) string {
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
			parts[i] = formatExpr(t, 2, col) // an OR inside an OR keeps its parentheses so the tree round-trips
		}
		return wrap(strings.Join(parts, " OR "), 1)
	case And:
		parts := make([]string, len(x.Terms))
		for i, t := range x.Terms {
			parts[i] = formatExpr(t, 3, col)
		}
		return wrap(strings.Join(parts, " AND "), 2)
	case Not:
		return wrap("NOT "+formatExpr(x.X, 4, col), 3)
	case Compare:
		return col(x.Column) + " " + string(x.Op) + " " + FormatValue(x.Value)
	case In:
		vs := make([]string, len(x.Values))
		for i, v := range x.Values {
			vs[i] = FormatValue(v)
		}
		return col(x.Column) + " IN (" + strings.Join(vs, ", ") + ")"
	case Between:
		return wrap(col(x.Column)+" BETWEEN "+FormatValue(x.Low)+" AND "+FormatValue(x.High), 4)
	case IsNull:
		if x.Not {
			return col(x.Column) + " IS NOT NULL"
		}
		return col(x.Column) + " IS NULL"
	case Like:
		op := " LIKE "
		if x.ILike {
			op = " ILIKE "
		}
		s := col(x.Column) + op + sqlquote.String(x.Pattern)
		if x.Escape != "" {
			s += " ESCAPE " + sqlquote.String(x.Escape)
		}
		return s
	case Match:
		return "match(" + col(x.Column) + ", " + sqlquote.String(x.Text) + ")"
	case PartTest:
		return formatExpr(x.Test, outer, func(c string) string { return FormatCalc(x.Calc(), col) })
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
		return sqlquote.String(v.Str)
	case KindTime:
		if v.Date {
			return "DATE " + sqlquote.String(v.Time.Format("2006-01-02"))
		}
		return "TIMESTAMP " + sqlquote.String(formatTime(v.Time))
	case KindRelNow:
		base := "now()"
		if v.Today {
			base = "current_date"
		}
		if v.Ago.N == 0 {
			return base
		}
		op := " - "
		if v.Ahead {
			op = " + "
		}
		return base + op + "INTERVAL " + sqlquote.String(v.Ago.String())
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

// QuoteIdent prints an identifier bare when it is a plain lower-case word that is not a keyword,
// and double-quoted otherwise.
func QuoteIdent(s string) string {
	if isBareIdent(s) {
		return s
	}
	return sqlquote.Ident(s)
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
