// Package sqlgen translates a query.Spec into DuckDB SQL. Every user value is a bound parameter
// and every identifier is quoted, so no user text is ever pasted into SQL.
package sqlgen

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/query/sqlquote"
)

// Options tunes translation.
type Options struct {
	Now     time.Time // resolves now() - INTERVAL '...'
	MaxRows int       // cap on rows returned when the Spec has no LIMIT; 0 means no cap
	// TimeZoneAware marks time columns stored as TIMESTAMPTZ; others are naive UTC TIMESTAMPs.
	TimeZoneAware map[string]bool
	// DateColumns marks DATE columns, which time buckets treat as midnight UTC.
	DateColumns map[string]bool
	// FloatColumns marks floating-point columns, which are summed with compensated (Kahan)
	// summation: the honest total, and the one Elasticsearch computes.
	FloatColumns map[string]bool
	// Windows asks for the window columns (ColGroups, ColTotal) even when the Spec has no LIMIT,
	// for an answer the MaxRows cap cut.
	Windows bool
}

// Hidden columns the grouped query adds after the Spec's own, for Result.Meta.
const (
	ColGroups = "__dora_groups" // groups that passed HAVING, before LIMIT
	ColTotal  = "__dora_total"  // rows in those groups
	ColRows   = "__dora_rows"   // rows in this group
)

// Query is translated SQL with its parameters.
type Query struct {
	SQL  string
	Args []any
	// Hidden counts the trailing hidden columns of a grouped query: ColRows, then with Windows
	// ColGroups and ColTotal, then Totals.
	Hidden int
	// Windows reports that ColGroups and ColTotal follow ColRows. Without a LIMIT they are not
	// asked for: every group comes back, so the rows say how many there are and what they hold.
	Windows bool
	// Totals lists the metrics (by index) whose total over all groups follows ColRows, when the
	// Spec asks for an "Other" row.
	Totals []int
	Capped bool // LIMIT is MaxRows+1, so one extra row means the answer was cut
}

// Explain returns the SQL with its parameters listed underneath, for people to read.
func (q Query) Explain() string {
	if len(q.Args) == 0 {
		return q.SQL
	}
	vals := make([]string, len(q.Args))
	for i, a := range q.Args {
		vals[i] = fmt.Sprintf("$%d = %s", i+1, literal(a))
	}
	return q.SQL + "\n-- " + strings.Join(vals, ", ")
}

func literal(a any) string {
	switch v := a.(type) {
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case time.Time:
		return "'" + v.Format(time.RFC3339Nano) + "'"
	}
	return fmt.Sprint(a)
}

// Generate translates a validated Spec. The query returns the Spec's computed columns (see
// query.ComputedColumns), then the hidden ones; query.Project makes the answer of them.
func Generate(s query.Spec, opts Options) (Query, error) {
	g := &gen{opts: opts}
	if opts.Now.IsZero() {
		g.opts.Now = time.Now()
	}
	var sel []string
	if s.IsRaw() {
		cols := s.SourceColumns()
		if len(cols) == 0 {
			sel = append(sel, "*")
		}
		for _, c := range cols {
			sel = append(sel, sqlquote.Ident(c))
		}
		for _, c := range s.Calcs {
			sel = append(sel, g.calc(c)+" AS "+sqlquote.Ident(query.CalcName(c)))
		}
	}
	for _, d := range s.GroupBy {
		sel = append(sel, g.dim(d, s.Location())+" AS "+sqlquote.Ident(d.Name()))
	}
	for _, m := range s.Metrics {
		sel = append(sel, g.metric(m)+" AS "+sqlquote.Ident(m.Name()))
	}
	grouped := !s.IsRaw()
	if grouped && len(s.Calcs) > 0 {
		g.postCols(s)
		for _, c := range s.Calcs {
			sel = append(sel, g.calc(c)+" AS "+sqlquote.Ident(query.CalcName(c)))
		}
		g.cols = nil
	}
	q := Query{}
	if grouped {
		sel = append(sel, "count(*) AS "+sqlquote.Ident(ColRows))
		q.Hidden = 1
		if s.Limit > 0 || s.Other || opts.Windows {
			sel = append(sel, "count(*) OVER () AS "+sqlquote.Ident(ColGroups), "sum(count(*)) OVER () AS "+sqlquote.Ident(ColTotal))
			q.Hidden, q.Windows = 3, true
		}
		if s.Other {
			// The totals over every group of the metrics that add up, for the "Other" row.
			for i, m := range s.Metrics {
				if Additive(m) {
					sel = append(sel, "sum("+g.metric(m)+") OVER () AS "+sqlquote.Ident(fmt.Sprintf("%s_%d", ColTotal, i)))
					q.Totals = append(q.Totals, i)
				}
			}
			q.Hidden += len(q.Totals)
		}
	}
	var b strings.Builder
	b.WriteString("SELECT " + strings.Join(sel, ", ") + " FROM " + sqlquote.Ident(s.Table))
	if s.Where != nil {
		w, err := g.expr(s.Where, false)
		if err != nil {
			return Query{}, err
		}
		b.WriteString(" WHERE " + w)
	}
	if len(s.GroupBy) > 0 {
		nums := make([]string, len(s.GroupBy))
		for i := range s.GroupBy {
			nums[i] = strconv.Itoa(i + 1)
		}
		b.WriteString(" GROUP BY " + strings.Join(nums, ", "))
	}
	if s.Having != nil {
		h, err := g.havingExpr(s, s.Having)
		if err != nil {
			return Query{}, err
		}
		b.WriteString(" HAVING " + h)
	}
	// Order by what was asked, then by every group key, so ties and LIMIT cut the same rows on
	// every backend.
	var order []string
	seen := map[string]bool{}
	for _, o := range s.OrderBy {
		dir := " ASC"
		if o.Desc {
			dir = " DESC"
		}
		nulls := " NULLS LAST"
		if o.Nulls.First() {
			nulls = " NULLS FIRST"
		}
		order = append(order, sqlquote.Ident(o.Name)+dir+nulls)
		seen[o.Name] = true
	}
	for _, d := range s.GroupBy {
		if !seen[d.Name()] {
			order = append(order, sqlquote.Ident(d.Name())+" ASC NULLS LAST")
		}
	}
	if len(order) > 0 {
		b.WriteString(" ORDER BY " + strings.Join(order, ", "))
	}
	switch {
	case s.Limit > 0 && (opts.MaxRows <= 0 || s.Limit <= opts.MaxRows):
		b.WriteString(" LIMIT " + strconv.Itoa(s.Limit))
	case opts.MaxRows > 0:
		b.WriteString(" LIMIT " + strconv.Itoa(opts.MaxRows+1))
		q.Capped = true
	}
	if s.Offset > 0 {
		b.WriteString(" OFFSET " + strconv.Itoa(s.Offset))
	}
	q.SQL = b.String()
	q.Args = g.args
	return q, nil
}

type gen struct {
	opts Options
	args []any
	// HAVING and expressions after aggregation: output names to the expressions they stand for,
	// written when used so bound parameters come in the order of the text
	cols map[string]func() string
}

// col renders a column reference: the column itself, or in HAVING the aggregate it names.
func (g *gen) col(name string) string {
	if e, ok := g.cols[name]; ok {
		return "(" + e() + ")"
	}
	return sqlquote.Ident(name)
}

func (g *gen) bind(v any) string {
	g.args = append(g.args, v)
	return "?"
}

// localTime returns SQL for the column as naive wall-clock time in loc.
func (g *gen) localTime(col string, loc *time.Location) string {
	c := sqlquote.Ident(col)
	if g.opts.DateColumns[col] {
		c = "CAST(" + c + " AS TIMESTAMP)"
	}
	if loc == time.UTC {
		if g.opts.TimeZoneAware[col] {
			return "timezone('UTC', " + c + ")"
		}
		return c
	}
	if !g.opts.TimeZoneAware[col] {
		c = "timezone('UTC', " + c + ")" // naive UTC -> instant
	}
	return "timezone(" + sqlquote.String(loc.String()) + ", " + c + ")"
}

// utcKey turns a naive local bucket start back into the naive UTC instant it names, so bucket
// keys are comparable across backends and zones.
func (g *gen) utcKey(local string, loc *time.Location) string {
	if loc == time.UTC {
		return local
	}
	return "timezone('UTC', timezone(" + sqlquote.String(loc.String()) + ", " + local + "))"
}

func (g *gen) dim(d query.Dimension, loc *time.Location) string {
	switch d.Kind {
	case query.DimDateTrunc:
		return g.utcKey("date_trunc("+sqlquote.String(d.Unit)+", "+g.localTime(d.Column, loc)+")", loc)
	case query.DimTimeBucket:
		iv := "INTERVAL " + sqlquote.String(d.Every.String())
		// DuckDB's default origin (Monday 2000-01-03 for days and clock units, 2000-01-01 for
		// months), which the Elasticsearch plan offsets its fixed intervals to match.
		return g.utcKey("time_bucket("+iv+", "+g.localTime(d.Column, loc)+")", loc)
	case query.DimHistogram:
		w := strconv.FormatFloat(d.Width, 'g', -1, 64)
		return "floor(" + sqlquote.Ident(d.Column) + " / " + w + ") * " + w
	case query.DimExpr:
		return g.calc(d.Calc)
	}
	return sqlquote.Ident(d.Column)
}

func (g *gen) metric(m query.Metric) string {
	a := g.aggregate(m)
	if m.Filter != nil {
		f, err := g.expr(m.Filter, false)
		if err != nil {
			f = "FALSE"
		}
		a += " FILTER (WHERE " + f + ")"
	}
	return a
}

func (g *gen) aggregate(m query.Metric) string {
	c := sqlquote.Ident(m.Column)
	if m.Arg != nil {
		c = g.calc(m.Arg)
	}
	if m.Func.Spread() {
		return query.AggName(m.Func) + "(" + c + ")"
	}
	switch m.Func {
	case query.AggCount:
		if m.Column == "" && m.Arg == nil {
			return "count(*)"
		}
		return "count(" + c + ")"
	case query.AggCountDistinct:
		return "count(DISTINCT " + c + ")"
	case query.AggSum:
		if m.Arg == nil && g.opts.FloatColumns[m.Column] {
			return "fsum(" + c + ")"
		}
		return "sum(" + c + ")"
	case query.AggAvg:
		return "avg(" + c + ")"
	case query.AggMin:
		return "min(" + c + ")"
	case query.AggMax:
		return "max(" + c + ")"
	case query.AggPercentile:
		return "quantile_cont(" + c + ", " + strconv.FormatFloat(m.P, 'g', -1, 64) + ")"
	}
	return "NULL"
}

func (g *gen) value(col string, v query.Value) string {
	v = v.Resolve(g.opts.Now)
	if v.Kind == query.KindTime {
		s := v.Time.UTC().Format("2006-01-02 15:04:05.999999")
		if g.opts.TimeZoneAware[col] {
			return "CAST(" + g.bind(s+"+00") + " AS TIMESTAMPTZ)"
		}
		if g.opts.DateColumns[col] && v.Date {
			return "CAST(" + g.bind(v.Time.Format("2006-01-02")) + " AS DATE)"
		}
		return "CAST(" + g.bind(s) + " AS TIMESTAMP)"
	}
	return g.bind(v.Any())
}

func (g *gen) expr(e query.Expr, having bool) (string, error) {
	switch x := e.(type) {
	case query.And:
		return g.join(x.Terms, " AND ", having)
	case query.Or:
		return g.join(x.Terms, " OR ", having)
	case query.Not:
		in, err := g.expr(x.X, having)
		return "NOT (" + in + ")", err
	case query.Compare:
		return g.col(x.Column) + " " + string(x.Op) + " " + g.value(x.Column, x.Value), nil
	case query.In:
		vs := make([]string, len(x.Values))
		for i, v := range x.Values {
			vs[i] = g.value(x.Column, v)
		}
		return g.col(x.Column) + " IN (" + strings.Join(vs, ", ") + ")", nil
	case query.Between:
		return g.col(x.Column) + " BETWEEN " + g.value(x.Column, x.Low) + " AND " + g.value(x.Column, x.High), nil
	case query.IsNull:
		if x.Not {
			return g.col(x.Column) + " IS NOT NULL", nil
		}
		return g.col(x.Column) + " IS NULL", nil
	case query.Like:
		if p, ok := x.LikePrefix(); ok && !x.ILike {
			return "starts_with(" + g.col(x.Column) + ", " + g.bind(p) + ")", nil
		}
		fn := "like_escape"
		if x.ILike {
			fn = "ilike_escape"
		}
		// like_escape with an empty escape string has none, as LIKE without ESCAPE.
		return fn + "(" + g.col(x.Column) + ", " + g.bind(x.Pattern) + ", " + g.bind(x.Escape) + ")", nil
	case query.PartTest:
		// the comparison, with the column read as its date part
		c := query.ColumnOf(x.Test)
		part := "date_part(" + sqlquote.String(x.Part) + ", " + g.col(c) + ")"
		saved := g.cols
		g.cols = map[string]func() string{c: func() string { return part }}
		defer func() { g.cols = saved }()
		return g.expr(x.Test, having)
	case query.Match:
		words := Words(x.Text)
		if len(words) == 0 {
			return "FALSE", nil
		}
		parts := make([]string, len(words))
		for i, w := range words {
			parts[i] = "list_contains(string_split_regex(lower(" + g.col(x.Column) + "), '[^[:alnum:]]+'), " + g.bind(w) + ")"
		}
		return "(" + strings.Join(parts, " AND ") + ")", nil
	}
	return "", fmt.Errorf("%w: unknown filter %T", errUnsupported, e)
}

var errUnsupported = fmt.Errorf("sqlgen: unsupported")

// Additive reports whether a metric of the groups a LIMIT cut off is the total minus the shown
// groups: counts and sums are; averages, extremes and percentiles are not.
func Additive(m query.Metric) bool { return m.Func == query.AggCount || m.Func == query.AggSum }

// Words splits text into the lower-case words match() looks for, as a standard analyser would.
func Words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 && isLetterOrDigit(r))
	})
}

func (g *gen) join(terms []query.Expr, sep string, having bool) (string, error) {
	parts := make([]string, len(terms))
	for i, t := range terms {
		s, err := g.expr(t, having)
		if err != nil {
			return "", err
		}
		parts[i] = "(" + s + ")"
	}
	return strings.Join(parts, sep), nil
}

// havingExpr writes HAVING over the aggregate expressions themselves, since DuckDB resolves an
// output alias in HAVING only sometimes.
func (g *gen) havingExpr(s query.Spec, e query.Expr) (string, error) {
	g.postCols(s)
	defer func() { g.cols = nil }()
	return g.expr(e, true)
}

// postCols makes references name the aggregate, group-key and computed expressions they stand
// for, for HAVING and the expressions computed after aggregation.
func (g *gen) postCols(s query.Spec) {
	cols := map[string]func() string{}
	for _, m := range s.Metrics {
		cols[m.Name()] = func() string {
			saved := g.cols
			g.cols = nil // a metric's own filter and argument name table columns
			defer func() { g.cols = saved }()
			return g.metric(m)
		}
	}
	for _, d := range s.GroupBy {
		cols[d.Name()] = func() string {
			saved := g.cols
			g.cols = nil
			defer func() { g.cols = saved }()
			return g.dim(d, s.Location())
		}
	}
	for _, c := range s.Calcs {
		cols[query.CalcName(c)] = func() string { return g.calc(c) }
	}
	g.cols = cols
}

// calc writes an expression; references go through col, so after aggregation they name what
// postCols mapped them to.
func (g *gen) calc(c query.Calc) string {
	switch x := c.(type) {
	case query.Ref:
		return g.col(x.Name)
	case query.Lit:
		switch x.V.Kind {
		case query.KindNull:
			return "NULL"
		case query.KindInt, query.KindFloat, query.KindBool:
			return query.FormatValue(x.V) // numbers dora printed itself, not user text
		case query.KindString:
			return "CAST(" + g.bind(x.V.Str) + " AS VARCHAR)"
		}
		v := x.V.Resolve(g.opts.Now)
		return "CAST(" + g.bind(v.Time.UTC().Format("2006-01-02 15:04:05.999999")) + " AS TIMESTAMP)"
	case query.Binary:
		return "(" + g.calc(x.L) + " " + x.Op + " " + g.calc(x.R) + ")"
	case query.Neg:
		return "(-" + g.calc(x.X) + ")"
	case query.Cast:
		return "CAST(" + g.calc(x.X) + " AS " + x.Type + ")"
	case query.Func:
		args := make([]string, len(x.Args))
		for i, a := range x.Args {
			args[i] = g.calc(a)
		}
		if query.IsDatePart(x.Name) {
			return "date_part(" + sqlquote.String(x.Name) + ", " + args[0] + ")"
		}
		return x.Name + "(" + strings.Join(args, ", ") + ")"
	case query.Case:
		var b strings.Builder
		b.WriteString("CASE")
		for _, w := range x.Whens {
			cond, err := g.expr(w.Cond, g.cols != nil)
			if err != nil {
				cond = "FALSE"
			}
			b.WriteString(" WHEN " + cond + " THEN " + g.calc(w.Then))
		}
		if x.Else != nil {
			b.WriteString(" ELSE " + g.calc(x.Else))
		}
		b.WriteString(" END")
		return b.String()
	}
	return "NULL"
}

// Ident is sqlquote.Ident, for callers written before the quoting had a package of its own.
//
// Deprecated: use sqlquote.Ident.
func Ident(s string) string { return sqlquote.Ident(s) }
