// Package builder edits a query.Spec one keystroke at a time: add a group-by, a metric or a
// filter, set the order and limit, remove any item, undo. It is pure: no I/O, no TUI.
package builder

import (
	"fmt"
	"slices"

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
	s.Columns = slices.Clone(s.Columns)
	s.GroupBy = slices.Clone(s.GroupBy)
	s.Metrics = slices.Clone(s.Metrics)
	s.OrderBy = slices.Clone(s.OrderBy)
	return s // Where and Having trees are immutable values: edits build new ones
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
	s.Columns = nil
	s.OrderBy = nil
	s.Limit = 0
	return s
}

// AddGroupBy adds a group-by level. A second time bucket on the same column replaces the first
// (changing the bucket); a column grouped twice is an error. A Spec with no metric gets count(*).
func AddGroupBy(s query.Spec, d query.Dimension) (query.Spec, error) {
	s = Clone(toAggregate(s))
	for i, have := range s.GroupBy {
		if have.Column != d.Column {
			continue
		}
		if have.IsTime() && d.IsTime() {
			old := have.Name()
			s.GroupBy[i] = d
			s.OrderBy = renameOrder(s.OrderBy, old, d.Name())
			return s, nil
		}
		if have.Expr() == d.Expr() {
			return s, fmt.Errorf("%s is already a group-by", d.Expr())
		}
	}
	s.GroupBy = append(s.GroupBy, d)
	if len(s.Metrics) == 0 {
		s.Metrics = []query.Metric{{Func: query.AggCount}}
	}
	return s, nil
}

func renameOrder(os []query.Order, from, to string) []query.Order {
	for i := range os {
		if os[i].Name == from {
			os[i].Name = to
		}
	}
	return os
}

// AddMetric adds an aggregate; the same aggregate twice is an error.
func AddMetric(s query.Spec, m query.Metric) (query.Spec, error) {
	s = Clone(toAggregate(s))
	for _, have := range s.Metrics {
		if have.Expr() == m.Expr() {
			return s, fmt.Errorf("%s is already a metric", m.Expr())
		}
	}
	s.Metrics = append(s.Metrics, m)
	return s, nil
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

// OutputNames lists the columns a Spec's answer has: dimension and metric names, or for raw rows
// the selected columns (nil when all).
func OutputNames(s query.Spec) []string {
	if s.IsRaw() {
		return slices.Clone(s.Columns)
	}
	var out []string
	for _, d := range s.GroupBy {
		out = append(out, d.Name())
	}
	for _, m := range s.Metrics {
		out = append(out, m.Name())
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
			gone = s.GroupBy[it.Index].Name()
			s.GroupBy = slices.Delete(s.GroupBy, it.Index, it.Index+1)
		}
	case KindMetric:
		if it.Index < len(s.Metrics) {
			gone = s.Metrics[it.Index].Name()
			s.Metrics = slices.Delete(s.Metrics, it.Index, it.Index+1)
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
		s.OrderBy = slices.DeleteFunc(s.OrderBy, func(o query.Order) bool { return o.Name == gone })
		var keep []query.Expr
		for _, t := range terms(s.Having) {
			uses := false
			query.Walk(t, func(p query.Expr) { uses = uses || query.ColumnOf(p) == gone })
			if !uses {
				keep = append(keep, t)
			}
		}
		s.Having = query.NewAnd(keep...)
		if s.IsRaw() {
			s.Having = nil
			s.OrderBy = nil
			if s.Limit == 0 {
				s.Limit = DiscoverLimit
			}
		}
	}
	return s
}
