package backends_test

import (
	"fmt"
	"strings"
)

// The wider SQL of issue 17 in the differential generator: group-by expressions, spread
// statistics, FILTER and CASE inside aggregates, expressions after aggregation (with division
// by zero and negative numbers), scalar functions over rows, DISTINCT, OFFSET, NULLS FIRST/LAST
// and LIKE/ILIKE anywhere with ESCAPE. DuckDB reads the very same text.

// fzExprKeys are group-by expressions of columns; every date part is computed in UTC.
var fzExprKeys = []string{
	"year(ts)", "month(ts)", "quarter(date)", "extract(dow FROM ts)", "date_part('hour', ts)", "isodow(date)",
	"day(date)", "extract(year FROM date)", "dayofweek(ts)",
	"CASE WHEN score > 0 THEN 'pos' WHEN score < 0 THEN 'neg' ELSE 'zero' END",
	"CASE WHEN qty >= 6 THEN 'many' ELSE 'few' END",
	"CASE WHEN amount < 2500 THEN 1 WHEN amount < 5000 THEN 2 END",
	"CASE category WHEN 'Tops' THEN 'T' WHEN 'Jeans' THEN 'J' ELSE 'other' END",
	"coalesce(category, 'none')", "coalesce(qty, -1)", "qty % 3", "value // 10", "abs(value)", "upper(type)",
	"lower(category)", "length(name)", "greatest(qty, 5)", "nullif(type, 'web')", "-value", "category || '/' || type",
}

// exprKey draws a group-by expression.
func (g *fzGen) exprKey() fzKey {
	e := fzPick(g, fzExprKeys)
	return fzKey{id: "e:" + e, expr: func(g *fzGen) fzSQL { return fzBoth(e) }, wide: true}
}

// wideAgg draws an aggregate of the new kinds: a spread statistic, an aggregate with FILTER, or
// one over CASE WHEN.
func (g *fzGen) wideAgg() fzAgg {
	numeric := []string{"qty", "value", "count", "amount", "score", "id"}
	switch x := g.r.Float64(); {
	case x < 0.3:
		fn := fzPick(g, []string{"stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop"})
		c := fzCol(fzPick(g, numeric))
		return fzAgg{col: c, fn: fn, out: fzOut{cmp: fzRel}, wide: true, expr: func(g *fzGen) fzSQL {
			return fzBoth(g.fn(fn) + "(" + g.ref(c.name) + ")")
		}}
	case x < 0.45:
		return g.scriptAgg()
	case x < 0.65:
		a := g.plainAgg()
		for a.fn == "percentile" { // the bounds query would need the filter too
			a = g.plainAgg()
		}
		cond := g.filterCond()
		inner := a.expr
		a.expr = func(g *fzGen) fzSQL {
			e := inner(g)
			return fzSQL{e.dora + " FILTER (WHERE " + cond.dora + ")", e.duck + " FILTER (WHERE " + cond.duck + ")"}
		}
		a.wide = true
		return a
	}
	cond := g.filterCond()
	c := fzCol(fzPick(g, numeric))
	when := func(then, els string) string {
		s := "CASE WHEN " + cond.dora + " THEN " + then
		if els != "" {
			s += " ELSE " + els
		}
		return s + " END"
	}
	forms := []struct {
		fn, then, els string
		exact         bool
	}{
		{"count", "1", "", true}, {"count", c.name, "", true}, {"sum", c.name, "0", true}, {"sum", "1", "0", true},
		{"sum", c.name, "", true}, {"avg", c.name, "", true}, {"min", c.name, "", true}, {"max", c.name, "", true},
		{"count", "'x'", "'y'", true}, {"sum", "2", "", true},
	}
	f := fzPick(g, forms)
	a := fzAgg{col: c, fn: f.fn, exact: f.exact, wide: true, expr: func(g *fzGen) fzSQL {
		return fzBoth(g.fn(f.fn) + "(" + when(f.then, f.els) + ")")
	}}
	if f.fn == "avg" || f.fn == "sum" && c.kind == fzFloat && f.then == c.name {
		a.out.cmp = fzRel
	}
	return a
}

// filterCond writes a condition over one column for FILTER or CASE WHEN (no match(): DuckDB
// proper reads it otherwise).
func (g *fzGen) filterCond() fzSQL {
	var cols []*fzColumn
	for _, c := range fzColumns {
		if c.kind != fzText {
			cols = append(cols, c)
		}
	}
	return g.atom(fzPick(g, cols))
}

// calcItem draws an expression computed after aggregation over the query's aggregates and keys.
// exact ones (integer-valued, or one division of exact values) may order and filter groups.
func (b *fzGroupQuery) calcItem() fzItem {
	g := b.g
	numAgg := func() fzAgg {
		for {
			a := g.exactAgg()
			if a.col == nil || a.col.kind == fzInt || a.col.kind == fzFloat || a.fn == "count" {
				return a
			}
		}
	}
	a1, a2 := numAgg(), numAgg()
	intAgg := func() fzAgg {
		for {
			a := g.exactAgg()
			if a.fn == "count" || a.fn == "sum" && a.col != nil && a.col.kind == fzInt {
				return a
			}
		}
	}
	i1, i2 := intAgg(), intAgg()
	e := func(a fzAgg) string { return a.expr(g).dora }
	type form struct {
		text  string
		exact bool
		rel   bool
	}
	forms := []form{
		{e(i1) + " / " + e(i2), true, true},
		{e(i1) + " // " + e(i2), true, false},
		{e(i1) + " % " + e(i2), true, false},
		{e(i1) + " + " + e(i2) + " * 2", true, false},
		{"-" + e(i1) + " - 3", true, false},
		{"(" + e(i1) + " - 7) * -2", true, false},
		{"round(" + e(i1) + " / " + e(i2) + ", 2)", false, true},
		{"100.0 * " + e(i1) + " / " + e(i2), false, true},
		{"abs(" + e(i1) + " - 500)", true, false},
		{"coalesce(" + e(a1) + ", 0)", false, true},
		{"nullif(" + e(i1) + ", 0)", true, false},
		{"CASE WHEN " + e(i1) + " > 10 THEN 'big' WHEN " + e(i2) + " IS NULL THEN 'none' ELSE 'small' END", false, false},
		{"greatest(" + e(i1) + ", " + e(i2) + ")", true, false},
		{"least(" + e(a1) + ", " + e(a2) + ")", false, true},
		{e(i1) + " / 0", false, true},
		{e(i1) + " // (" + e(i2) + " - " + e(i2) + ")", false, false},
		{"ceil(" + e(i1) + " / 7)", false, true},
		{"floor(" + e(i1) + " / -7)", false, true},
	}
	// expressions of group keys
	for _, k := range b.keys {
		if k.col == "" {
			continue
		}
		switch fzCol(k.col).kind {
		case fzInt:
			forms = append(forms, form{"coalesce(" + k.col + ", 0) * 10 + " + e(i1), true, false})
		case fzString:
			forms = append(forms, form{"upper(" + k.col + ") || '!'", false, false}, form{"length(" + k.col + ") + " + e(i1), true, false})
		}
	}
	f := fzPick(g, forms)
	it := fzItem{text: fzBoth(f.text), key: -1, calc: true, calcExact: f.exact}
	if f.rel || strings.Contains(f.text, "least(") || strings.Contains(f.text, "coalesce(") {
		it.out.cmp = fzRel
	}
	return it
}

// rawCalc draws an expression over a row's columns for a raw-rows query.
func (g *fzGen) rawCalc() fzItem {
	e := fzPick(g, []string{
		"upper(name)", "lower(category)", "length(name)", "qty * 2 + 1", "coalesce(qty, 0)", "-value",
		"CASE WHEN value > 0 THEN 'p' WHEN value < 0 THEN 'n' END", "amount / 4", "round(score / 3, 2)",
		"year(ts)", "month(date)", "substr(type, 2, 2)", "concat(type, '-', qty)", "category || '/' || type",
		"CAST(amount AS BIGINT)", "qty::DOUBLE / 2", "greatest(qty, value)", "least(amount, 100)", "nullif(qty, 0)",
		"value % 7", "qty // 0", "value / 0", "abs(value) // 3", "trunc(score / 7)", "extract(hour FROM ts)",
		"isodow(ts)", "CASE type WHEN 'web' THEN 1 ELSE 0 END", "floor(amount / 1000) * 1000",
	})
	it := fzItem{text: fzBoth(e), key: -1, calc: true}
	if strings.Contains(e, "/ ") || strings.Contains(e, "round") || strings.Contains(e, "trunc") || strings.Contains(e, "least") {
		it.out.cmp = fzRel
	}
	return it
}

// likeAtom writes LIKE, ILIKE or their negation with % and _ anywhere, sometimes with ESCAPE.
func (g *fzGen) likeAtom(ref string, c *fzColumn) fzSQL {
	v := strings.Trim(fzPick(g, c.lits), "'")
	v = strings.ReplaceAll(v, "''", "'")
	rs := []rune(v)
	esc := ""
	var b strings.Builder
	if strings.ContainsAny(v, "%_") || g.p(0.2) {
		esc = fzPick(g, []string{`\`, "!"})
	}
	for i, r := range rs {
		switch {
		case g.p(0.15):
			b.WriteByte('_') // any one character
		case g.p(0.1) && i > 0:
			b.WriteByte('%')
		case (r == '%' || r == '_' || string(r) == esc) && esc != "":
			b.WriteString(esc + string(r))
		case r == '%' || r == '_':
			b.WriteRune(r) // a wildcard that also matches itself
		default:
			b.WriteRune(r)
		}
	}
	pat := b.String()
	switch g.pick(4) {
	case 0:
		pat = "%" + pat
	case 1:
		pat += "%"
	case 2:
		pat = "%" + pat + "%"
	}
	op := fzPick(g, []string{" LIKE ", " ILIKE ", " NOT LIKE ", " NOT ILIKE ", " LIKE "})
	if strings.Contains(op, "ILIKE") && g.p(0.5) {
		pat = strings.ToUpper(pat) // both escape characters stay as they are
	}
	s := ref + op + fzQuote(pat)
	if esc != "" {
		s += " ESCAPE " + fzQuote(esc)
	}
	return fzBoth(s)
}

// fzNulls draws an explicit NULL order, or none.
func fzNulls(g *fzGen) string {
	return fzPick(g, []string{"", "", "", " NULLS FIRST", " NULLS LAST"})
}

// distinct writes SELECT DISTINCT over columns and group-by expressions, ordered by every item
// so that LIMIT and OFFSET cut the same rows everywhere.
func (g *fzGen) distinct() fzQ {
	q := fzQ{shape: fzGrouped, ordered: true}
	keys := g.keys(1 + g.pick(2))
	var items, order []fzSQL
	for i, k := range keys {
		e := k.expr(g)
		name := e.dora
		if k.wide || k.time || g.p(0.2) {
			a := g.alias()
			e = fzSQL{e.dora + " AS " + a, e.duck + " AS " + a}
			name = strings.Trim(a, `"`)
		}
		items = append(items, e)
		q.outs = append(q.outs, fzOut{name: name})
		dir := fzPick(g, []string{"", " DESC"}) + fzNulls(g)
		order = append(order, fzBoth(fmt.Sprint(i+1)+dir))
	}
	list := fzJoin(items, ", ")
	text := fzSQL{"SELECT DISTINCT " + list.dora + " FROM {T}", "SELECT DISTINCT " + list.duck + " FROM " + fzTable}
	if w := g.where(); w.dora != "" {
		text = fzJoin([]fzSQL{text, w}, " WHERE ")
	}
	text = fzJoin([]fzSQL{text, fzJoin(order, ", ")}, " ORDER BY ")
	if g.p(0.5) {
		text = fzJoin([]fzSQL{text, fzBoth(fmt.Sprint(fzPick(g, []int{1, 3, 10})))}, " LIMIT ")
		if g.p(0.5) {
			text = fzJoin([]fzSQL{text, fzBoth(fmt.Sprint(fzPick(g, []int{1, 2, 5})))}, " OFFSET ")
		}
	}
	q.dora, q.duck = text.dora, text.duck
	return q
}

// fzScriptAggs are aggregates of per-row expressions: no aggregation computes them natively, so
// a search engine needs a script (exact: integer-valued, or sums of quarters).
var fzScriptAggs = []struct {
	text  string
	exact bool
}{
	{"sum(qty * value)", true}, {"sum(amount - score)", true}, {"avg(qty * 2 + value)", false},
	{"min(value - qty)", true}, {"max(abs(score))", true}, {"count(DISTINCT qty % 5)", true},
	{"count(DISTINCT coalesce(category, type))", true}, {"count(nullif(qty, 0))", true},
	{"count(DISTINCT upper(type) || '/' || category)", true}, {"max(extract(hour FROM ts))", true},
	{"count(DISTINCT month(ts))", true}, {"count(DISTINCT date_part('dow', date))", true},
	{"sum(CASE WHEN qty > 5 THEN 2 WHEN value < 0 THEN 1 ELSE 0 END)", true},
	{"sum(CASE WHEN flag = true THEN qty ELSE value END)", true}, {"stddev_pop(value * 2)", false},
	{"sum(qty // 0)", true}, {"max(greatest(qty, value))", true}, {"avg(CAST(score AS BIGINT))", false},
	{"sum(length(name))", true}, {"min(floor(amount / 7))", true},
}

// scriptAgg draws an aggregate of a per-row expression.
func (g *fzGen) scriptAgg() fzAgg {
	f := fzPick(g, fzScriptAggs)
	g.scripted = append(g.scripted, f.text)
	a := fzAgg{fn: "script", exact: f.exact, wide: true, expr: func(g *fzGen) fzSQL { return fzBoth(f.text) }}
	if !f.exact {
		a.out.cmp = fzRel
	}
	return a
}

// partAtom writes a condition on a date part other than the year: a search engine filters it
// with a script query.
func (g *fzGen) partAtom() fzSQL {
	col := fzPick(g, []string{"ts", "date"})
	part := fzPick(g, []string{"month(" + col + ")", "extract(dow FROM " + col + ")", "date_part('day', " + col + ")",
		"hour(ts)", "isodow(" + col + ")", "quarter(" + col + ")", "dayofweek(" + col + ")", "week(" + col + ")"})
	var s string
	switch g.pick(4) {
	case 0:
		s = part + fzPick(g, []string{" = ", " != ", " < ", " >= "}) + fmt.Sprint(1+g.pick(12))
	case 1:
		s = part + " IN (0, 6, 7)"
	case 2:
		s = part + " BETWEEN 2 AND 5"
	default:
		s = "NOT " + part + " <= 3"
	}
	g.scripted = append(g.scripted, s)
	return fzBoth(s)
}
