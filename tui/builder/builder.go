// Package builder edits a query.Spec one keystroke at a time: add a group-by, a metric or a
// filter, set the order and limit, remove any item, undo. It is pure: no I/O, no TUI.
package builder

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dora-dev/dora/query"
)

// DiscoverLimit is the row cap of a raw-rows ("discover") view, so opening a big table is quick.
const DiscoverLimit = 100

// History holds the current Spec and the ones before it, for undo.
type History struct {
	spec query.Spec
	past []query.Spec
}

// Spec returns the current Spec.
func (h *History) Spec() query.Spec { return Clone(h.spec) }

// Push makes s current, remembering the previous Spec for Undo. Pushing the same SQL again is a
// no-op, so undo never steps through identical views.
func (h *History) Push(s query.Spec) {
	if h.spec.Table != "" && h.spec.SQL() == s.SQL() {
		return
	}
	if h.spec.Table != "" {
		h.past = append(h.past, h.spec)
		if len(h.past) > 200 {
			h.past = h.past[1:]
		}
	}
	h.spec = Clone(s)
}

// Reset makes s current and forgets the history (a new table was opened).
func (h *History) Reset(s query.Spec) {
	h.past = nil
	h.spec = Clone(s)
}

// Undo returns to the previous Spec and reports whether there was one.
func (h *History) Undo() bool {
	if len(h.past) == 0 {
		return false
	}
	h.spec = h.past[len(h.past)-1]
	h.past = h.past[:len(h.past)-1]
	return true
}

// Depth is how many steps can be undone.
func (h *History) Depth() int { return len(h.past) }

// Clone copies a Spec so later edits do not reach through shared slices.
func Clone(s query.Spec) query.Spec {
	s.Select = slices.Clone(s.Select)
	s.GroupBy = slices.Clone(s.GroupBy)
	s.Metrics = slices.Clone(s.Metrics)
	s.OrderBy = slices.Clone(s.OrderBy)
	s.Calcs = slices.Clone(s.Calcs)
	return s // Where, Having and Calc trees are immutable values: edits build new ones
}

// Open returns the discover view of a table: its first rows.
func Open(table string) query.Spec {
	return query.Spec{Table: table, Limit: DiscoverLimit}
}

// toAggregate turns a raw-rows Spec into a grouped one: raw columns, row order and the row cap
// mean nothing for groups.
func toAggregate(s query.Spec) query.Spec {
	if !s.IsRaw() {
		return s
	}
	s.Select = nil
	s.OrderBy = nil
	s.Limit = 0
	return s
}

// TopLimit is how many groups a view shows when a categorical group-by is added: the top values
// by the first metric, as Kibana Lens and VisiData's frequency table show them.
const TopLimit = 10

// selected makes a grouped Spec's SELECT list explicit, so edits can add to it.
func selected(s query.Spec) query.Spec {
	if !s.IsRaw() {
		s.Select = slices.Clone(s.Outputs())
	}
	return s
}

// hasTime reports whether a Spec groups by a time bucket.
func hasTime(s query.Spec) bool {
	for _, d := range s.GroupBy {
		if d.IsTime() {
			return true
		}
	}
	return false
}

// isTopN reports whether a Spec is ordered the way AddGroupBy orders a categorical view.
func isTopN(s query.Spec) bool {
	return len(s.Metrics) > 0 && len(s.OrderBy) == 1 && s.OrderBy[0].Name == s.Metrics[0].Name() && s.OrderBy[0].Desc && s.Limit == TopLimit
}

// AddGroupBy adds a group-by level and selects it after the other group keys. A second time
// bucket on the same column replaces the first (changing the bucket); a column grouped twice is
// an error. A Spec with no metric gets count(*). A categorical group-by on a view without a time
// bucket or an order of its own shows the top values: ORDER BY the first metric DESC LIMIT
// TopLimit; a time bucket orders by time instead.
func AddGroupBy(s query.Spec, d query.Dimension) (query.Spec, error) {
	s = selected(Clone(toAggregate(s)))
	for i, have := range s.GroupBy {
		if have.Column != d.Column {
			continue
		}
		if have.IsTime() && d.IsTime() {
			old := have.Name()
			s.GroupBy[i] = d
			s = rename(s, old, d.Name())
			return s, nil
		}
		if have.Expr() == d.Expr() {
			return s, fmt.Errorf("%s is already a group-by", d.Expr())
		}
	}
	s.GroupBy = append(s.GroupBy, d)
	at := 0
	for i, o := range s.Select {
		if o.Kind == query.OutDimension {
			at = i + 1
		}
	}
	s.Select = slices.Insert(s.Select, at, query.Output{Kind: query.OutDimension, Ref: d.Name()})
	if len(s.Metrics) == 0 {
		s.Metrics = []query.Metric{{Func: query.AggCount}}
		s.Select = append(s.Select, query.Output{Kind: query.OutMetric, Ref: s.Metrics[0].Name()})
	}
	switch {
	case d.IsTime() && isTopN(s):
		s.OrderBy = []query.Order{{Name: d.Name()}}
		s.Limit = 0
	case !d.IsTime() && d.Kind == query.DimColumn && len(s.OrderBy) == 0 && !hasTime(s):
		s.OrderBy = []query.Order{{Name: s.Metrics[0].Name(), Desc: true}}
		if s.Limit == 0 {
			s.Limit = TopLimit
		}
	}
	return s, nil
}

// rename points the SELECT list, ORDER BY and HAVING at a dimension's new name.
func rename(s query.Spec, from, to string) query.Spec {
	for i := range s.OrderBy {
		if s.OrderBy[i].Name == from {
			s.OrderBy[i].Name = to
		}
	}
	for i := range s.Select {
		if s.Select[i].Kind == query.OutDimension && s.Select[i].Ref == from {
			s.Select[i].Ref = to
		}
	}
	s.Having = dropHaving(s.Having, from)
	return s
}

// dropHaving removes the top-level HAVING terms that name a dimension or metric.
func dropHaving(having query.Expr, name string) query.Expr {
	var keep []query.Expr
	for _, t := range terms(having) {
		uses := false
		query.Walk(t, func(p query.Expr) { uses = uses || query.ColumnOf(p) == name })
		if !uses {
			keep = append(keep, t)
		}
	}
	return query.NewAnd(keep...)
}

// AddMetric adds an aggregate at the end of the SELECT list; the same aggregate selected twice is
// an error. One that HAVING or ORDER BY computed already is selected.
func AddMetric(s query.Spec, m query.Metric) (query.Spec, error) {
	s = selected(Clone(toAggregate(s)))
	for _, o := range s.Select {
		if o.Kind == query.OutMetric && o.Ref == m.Name() {
			return s, fmt.Errorf("%s is already a metric", m.Expr())
		}
	}
	if s.Metric(m.Name()) < 0 {
		s.Metrics = append(s.Metrics, m)
	}
	s.Select = append(s.Select, query.Output{Kind: query.OutMetric, Ref: m.Name()})
	return s, nil
}

// AddRatio adds a computed metric, num / den, or as a percentage 100.0 * num / den, computed
// after aggregation; the two metrics are computed (selected or not). A zero den gives what
// DuckDB gives: Infinity or NaN.
func AddRatio(s query.Spec, num, den query.Metric, percent bool) (query.Spec, error) {
	s = selected(Clone(toAggregate(s)))
	for _, m := range []query.Metric{num, den} {
		if s.Metric(m.Name()) < 0 {
			s.Metrics = append(s.Metrics, m)
		}
	}
	var c query.Calc = query.Binary{Op: "/", L: query.Ref{Name: num.Name()}, R: query.Ref{Name: den.Name()}}
	alias := "ratio"
	if percent {
		c = query.Binary{Op: "/", L: query.Binary{Op: "*", L: query.Lit{V: query.Float(100)}, R: query.Ref{Name: num.Name()}}, R: query.Ref{Name: den.Name()}}
		alias = "pct"
	}
	name := query.CalcName(c)
	for _, o := range s.Select {
		if o.Kind == query.OutCalc && o.Ref == name {
			return s, fmt.Errorf("%s is already a metric", query.FormatCalc(c, func(n string) string { return n }))
		}
	}
	for n := 2; slices.Contains(OutputNames(s), alias); n++ {
		alias = fmt.Sprintf("%s%d", strings.TrimRight(alias, "0123456789"), n)
	}
	if s.Calc(name) < 0 {
		s.Calcs = append(s.Calcs, c)
	}
	s.Select = append(s.Select, query.Output{Kind: query.OutCalc, Ref: name, Alias: alias})
	return s, nil
}

// CaseBucket is a group-by of a numeric column into the ranges its ascending edges bound:
// CASE WHEN col IS NULL THEN NULL WHEN col < e1 THEN '< e1' WHEN col < e2 THEN 'e1 to e2' ...
// ELSE '>= en' END. Nulls keep a group of their own rather than falling to ELSE.
func CaseBucket(col string, edges []float64) (query.Dimension, error) {
	if len(edges) == 0 {
		return query.Dimension{}, fmt.Errorf("a bucket needs at least one edge")
	}
	if !slices.IsSorted(edges) {
		return query.Dimension{}, fmt.Errorf("the edges must go up")
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	c := query.Case{Whens: []query.When{{Cond: query.IsNull{Column: col}, Then: query.Lit{V: query.Null()}}}}
	for i, e := range edges {
		label := "< " + num(e)
		if i > 0 {
			label = num(edges[i-1]) + " to " + num(e)
		}
		c.Whens = append(c.Whens, query.When{Cond: query.Compare{Column: col, Op: query.OpLt, Value: query.Float(e)}, Then: query.Lit{V: query.String(label)}})
	}
	c.Else = query.Lit{V: query.String(">= " + num(edges[len(edges)-1]))}
	return query.Dimension{Kind: query.DimExpr, Column: col, Calc: c}, nil
}

// AddFilter ANDs a predicate onto the Spec's filter.
func AddFilter(s query.Spec, e query.Expr) query.Spec {
	s = Clone(s)
	s.Where = query.NewAnd(s.Where, e)
	return s
}

// SetOrder orders by one output column (or, for raw rows, one table column).
func SetOrder(s query.Spec, name string, desc bool) query.Spec {
	s = Clone(s)
	s.OrderBy = []query.Order{{Name: name, Desc: desc}}
	return s
}

// ToggleSort orders by a column, flipping the direction when it is already the first order.
// A new column starts descending when descFirst is set (metrics and numbers), ascending otherwise.
func ToggleSort(s query.Spec, name string, descFirst bool) query.Spec {
	if len(s.OrderBy) > 0 && s.OrderBy[0].Name == name {
		return SetOrder(s, name, !s.OrderBy[0].Desc)
	}
	return SetOrder(s, name, descFirst)
}

// SetLimit sets the row or group cap; 0 removes it.
func SetLimit(s query.Spec, n int) query.Spec {
	s = Clone(s)
	s.Limit = max(0, n)
	return s
}

// OutputNames lists the columns a Spec's answer has: its SELECT list's names (nil for every
// column of a raw-rows view).
func OutputNames(s query.Spec) []string {
	var out []string
	for _, o := range s.Outputs() {
		out = append(out, s.OutputName(o))
	}
	return out
}

// Kind says what part of a Spec a view-list item is.
type Kind int

// The parts of a Spec the view list shows.
const (
	KindGroupBy Kind = iota
	KindMetric
	KindFilter
	KindHaving
	KindOrder
	KindLimit
	KindCalc
)

// Item is one removable part of a Spec, as the view list shows it.
type Item struct {
	Kind  Kind
	Index int
	Label string // "group  category", "avg(price)", "region = 'West'"
}

// Items lists the parts of a Spec in the order the view list shows them.
func Items(s query.Spec) []Item {
	var out []Item
	for i, d := range s.GroupBy {
		out = append(out, Item{KindGroupBy, i, "by " + d.Expr()})
	}
	for i, m := range s.Metrics {
		out = append(out, Item{KindMetric, i, m.Expr()})
	}
	for i, c := range s.Calcs {
		out = append(out, Item{KindCalc, i, query.FormatCalc(c, func(n string) string { return n })})
	}
	for i, t := range terms(s.Where) {
		out = append(out, Item{KindFilter, i, "where " + query.FormatExpr(t)})
	}
	for i, t := range terms(s.Having) {
		out = append(out, Item{KindHaving, i, "having " + query.FormatExpr(t)})
	}
	for i, o := range s.OrderBy {
		dir := "asc"
		if o.Desc {
			dir = "desc"
		}
		out = append(out, Item{KindOrder, i, "order " + o.Name + " " + dir})
	}
	if s.Limit > 0 {
		out = append(out, Item{KindLimit, 0, fmt.Sprintf("limit %d", s.Limit)})
	}
	return out
}

// terms splits a top-level AND into its terms.
func terms(e query.Expr) []query.Expr {
	switch x := e.(type) {
	case nil:
		return nil
	case query.And:
		return x.Terms
	}
	return []query.Expr{e}
}

func without(ts []query.Expr, i int) query.Expr {
	if i < 0 || i >= len(ts) {
		return query.NewAnd(ts...)
	}
	rest := append(slices.Clone(ts[:i]), ts[i+1:]...)
	return query.NewAnd(rest...)
}

// Remove drops one item from a Spec. Orders and HAVING terms that name a removed output column
// go with it; a Spec left with no group-by and no metric becomes the discover view.
func Remove(s query.Spec, it Item) query.Spec {
	s = Clone(s)
	var gone string
	switch it.Kind {
	case KindGroupBy:
		if it.Index < len(s.GroupBy) {
			s = selected(s)
			gone = s.GroupBy[it.Index].Name()
			s.GroupBy = slices.Delete(s.GroupBy, it.Index, it.Index+1)
			s.Select = slices.DeleteFunc(s.Select, func(o query.Output) bool { return o.Kind == query.OutDimension && o.Ref == gone })
		}
	case KindMetric:
		if it.Index < len(s.Metrics) {
			s = selected(s)
			gone = s.Metrics[it.Index].Name()
			s.Metrics = slices.Delete(s.Metrics, it.Index, it.Index+1)
			s.Select = slices.DeleteFunc(s.Select, func(o query.Output) bool { return o.Kind == query.OutMetric && o.Ref == gone })
		}
	case KindCalc:
		if it.Index < len(s.Calcs) {
			s = selected(s)
			gone = query.CalcName(s.Calcs[it.Index])
			s.Calcs = slices.Delete(s.Calcs, it.Index, it.Index+1)
			s.Select = slices.DeleteFunc(s.Select, func(o query.Output) bool { return o.Kind == query.OutCalc && o.Ref == gone })
		}
	case KindFilter:
		s.Where = without(terms(s.Where), it.Index)
	case KindHaving:
		s.Having = without(terms(s.Having), it.Index)
	case KindOrder:
		if it.Index < len(s.OrderBy) {
			s.OrderBy = slices.Delete(s.OrderBy, it.Index, it.Index+1)
		}
	case KindLimit:
		s.Limit = 0
	}
	if gone != "" {
		// computed metrics over what is gone go with it
		for i := len(s.Calcs) - 1; i >= 0; i-- {
			if slices.Contains(query.CalcRefs(s.Calcs[i]), gone) {
				s = Remove(s, Item{Kind: KindCalc, Index: i})
			}
		}
		s.OrderBy = slices.DeleteFunc(s.OrderBy, func(o query.Order) bool { return o.Name == gone })
		s.Having = dropHaving(s.Having, gone)
		if s.IsRaw() {
			s.Select = nil
			s.Having = nil
			s.OrderBy = nil
			if s.Limit == 0 {
				s.Limit = DiscoverLimit
			}
		}
	}
	return s
}
