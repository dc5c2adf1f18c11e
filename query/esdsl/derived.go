package esdsl

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dora-dev/dora/query"
)

// Group-by expressions (CASE, coalesce, year(ts), qty % 3, ...) are grouped in two phases.
// Elasticsearch groups by the columns the expressions read (terms, or a date_histogram as fine
// as the date parts need, so year(ts) groups by calendar years); dora computes each expression
// from those keys with the evaluator every backend shares and merges the groups that land on
// the same key, combining metrics that combine exactly: counts and sums add, min and max take
// the least and greatest, averages divide the summed sums by the summed counts, and variances
// come from summed counts, sums and sums of squares. Count distinct and percentiles do not
// combine; over such keys they need scripting.

// datePartUnit is the calendar interval whose buckets keep a date part intact.
var datePartUnit = map[string]string{"year": "year", "quarter": "quarter", "month": "month", "day": "day",
	"dow": "day", "isodow": "day", "doy": "day", "week": "day", "hour": "hour", "minute": "minute"}

var unitRank = map[string]int{"minute": 0, "hour": 1, "day": 2, "month": 3, "quarter": 4, "year": 5}

// planDerived plans the sources Elasticsearch groups by when some group-by is an expression.
func (s *Search) planDerived(tr translator) error {
	s.merge = true
	s.sources = nil
	sources := map[string]int{}
	add := func(key string, dp dimPlan) int {
		if i, ok := sources[key]; ok {
			return i
		}
		sources[key] = len(s.sources)
		s.sources = append(s.sources, dp)
		return len(s.sources) - 1
	}
	s.baseOf = make([]int, len(s.dims))
	s.colBase = map[string]int{}
	for i, d := range s.dims {
		if d.d.Kind != query.DimExpr {
			s.baseOf[i] = add("d:"+d.d.Name(), d)
			continue
		}
		s.baseOf[i] = -1
		for _, col := range query.CalcRefs(d.d.Calc) {
			if _, done := s.colBase[col]; done {
				continue
			}
			f, err := tr.field(col)
			if err != nil {
				return err
			}
			name, _, err := tr.exact(col, "GROUP BY "+d.d.Expr())
			if err != nil {
				return err
			}
			src := obj{"terms": obj{"field": name}}
			if unit := s.partUnit(col); unit != "" && f.Type.Temporal() {
				src = obj{"date_histogram": obj{"field": f.Name, "calendar_interval": unit}}
			}
			typ := f.Type
			if typ == query.TypeText {
				typ = query.TypeString
			}
			k := fmt.Sprint(src)
			s.colBase[col] = add(k, dimPlan{d: query.Dimension{Kind: query.DimColumn, Column: col}, field: f, name: name, typ: typ, source: src})
			if f.Type.Temporal() {
				s.sources[s.colBase[col]].d.Kind = query.DimDateTrunc // read the key as a time
			}
		}
	}
	// year(ts) over calendar years maps each bucket to a key of its own: nothing merges, so
	// every metric is Elasticsearch's own, count distinct and percentiles too.
	s.oneToOne = true
	for _, d := range s.dims {
		f, ok := d.d.Calc.(query.Func)
		if d.d.Kind == query.DimExpr && !(ok && f.Name == "year" && s.partUnit(d.d.Column) == "year") {
			s.oneToOne = false
		}
	}
	for _, m := range s.metrics {
		if f := m.m.Func; (f == query.AggCountDistinct || f == query.AggPercentile) && !s.oneToOne {
			if tr.scripting {
				return s.planScriptKeys(tr)
			}
			return &NeedsScriptingError{What: m.m.Expr() + " grouped by an expression (" + s.exprNames() + ")"}
		}
	}
	return nil
}

// planScriptKeys groups by each expression's own value, computed by a script in a composite
// source: the groups are Elasticsearch's own, so count distinct and percentiles need no merge.
func (s *Search) planScriptKeys(tr translator) error {
	s.merge, s.oneToOne = false, false
	s.sources = make([]dimPlan, len(s.dims))
	for i, d := range s.dims {
		if d.d.Kind != query.DimExpr {
			s.sources[i] = d
			continue
		}
		src, typ, err := scriptFor(tr, d.d.Calc, "GROUP BY "+d.d.Expr())
		if err != nil {
			return err
		}
		src["value_type"] = map[query.Type]string{query.TypeInt: "long", query.TypeFloat: "double", query.TypeString: "string"}[typ]
		d.typ, d.source, d.script = typ, obj{"terms": src}, true
		s.dims[i], s.sources[i] = d, d
	}
	return nil
}

func (s *Search) exprNames() string {
	var names []string
	for _, d := range s.dims {
		if d.d.Kind == query.DimExpr {
			names = append(names, d.d.Expr())
		}
	}
	return strings.Join(names, ", ")
}

// partUnit returns the coarsest calendar interval that keeps every use of a time column in the
// group-by expressions intact: "" when some use needs the value itself.
func (s *Search) partUnit(col string) string {
	unit, ok := "", true
	var visit func(c query.Calc, inPart string)
	visit = func(c query.Calc, inPart string) {
		switch x := c.(type) {
		case query.Ref:
			if x.Name != col {
				return
			}
			u := datePartUnit[inPart]
			if u == "" {
				ok = false
				return
			}
			if unit == "" || unitRank[u] < unitRank[unit] {
				unit = u
			}
		case query.Func:
			part := ""
			if query.IsDatePart(x.Name) {
				part = x.Name
			}
			for _, a := range x.Args {
				visit(a, part)
			}
		case query.Binary:
			visit(x.L, "")
			visit(x.R, "")
		case query.Neg:
			visit(x.X, "")
		case query.Cast:
			visit(x.X, "")
		case query.Case:
			for _, w := range x.Whens {
				query.Walk(w.Cond, func(e query.Expr) {
					if query.ColumnOf(e) == col {
						ok = false
					}
				})
				visit(w.Then, "")
			}
			if x.Else != nil {
				visit(x.Else, "")
			}
		}
	}
	for _, d := range s.dims {
		if d.d.Kind == query.DimExpr {
			visit(d.d.Calc, "")
		}
	}
	if !ok {
		return ""
	}
	return unit
}

// deriveKeys computes the group keys from one composite bucket's keys.
func (s *Search) deriveKeys(base []any) []any {
	keys := make([]any, len(s.dims))
	get := func(col string) any {
		if i, ok := s.colBase[col]; ok {
			return base[i]
		}
		return nil
	}
	for i, d := range s.dims {
		if s.baseOf[i] >= 0 {
			keys[i] = base[s.baseOf[i]]
			continue
		}
		keys[i] = query.EvalCalc(d.d.Calc, get, s.opts.Now)
	}
	return keys
}

// mergeGroups merges the groups whose derived keys are equal, in first-seen order.
func (s *Search) mergeGroups() {
	at := map[string]int{}
	var out []group
	for _, g := range s.groups {
		k := keyString(g.vals[:len(s.dims)])
		i, ok := at[k]
		if !ok {
			at[k] = len(out)
			out = append(out, g)
			continue
		}
		out[i] = s.combine(out[i], g)
	}
	s.groups = out
}

func keyString(keys []any) string {
	b, _ := json.Marshal(keys)
	return string(b)
}

// combine merges group b into a, metric by metric.
func (s *Search) combine(a, b group) group {
	nd := len(s.dims)
	a.docs += b.docs
	for i, m := range s.metrics {
		at := nd + i
		x, y := a.vals[at], b.vals[at]
		switch {
		case m.spread || m.m.Func == query.AggAvg:
			a.counts[i] += b.counts[i]
			a.sums[i] += b.sums[i]
			a.sqs[i] += b.sqs[i]
			a.vals[at] = s.fromParts(m, a.counts[i], a.sums[i], a.sqs[i])
		case m.m.Func == query.AggMin || m.m.Func == query.AggMax:
			if x == nil {
				a.vals[at] = y
			} else if y != nil {
				c, _ := query.CompareValues(y, x)
				if (c < 0) == (m.m.Func == query.AggMin) && c != 0 {
					a.vals[at] = y
				}
			}
		default: // counts and sums
			a.counts[i] += b.counts[i]
			switch {
			case x == nil:
				a.vals[at] = y
			case y != nil:
				a.vals[at] = add(x, y)
			}
		}
	}
	return a
}

// fromParts computes an average or a spread from a count, a sum and a sum of squares.
func (s *Search) fromParts(m metricPlan, n int64, sum, sq float64) any {
	if m.m.Func == query.AggAvg {
		if n == 0 {
			return nil
		}
		return sum / float64(n)
	}
	return spread(m.m.Func, metricValue{Count: &n, Sum: &sum, SumSq: &sq})
}

// parts reads what an average or spread needs to be merged: count, sum and sum of squares.
func (m metricPlan) parts(b bucket) (n int64, sum, sq float64, err error) {
	if m.filter != "" {
		var sub bucket
		if err := json.Unmarshal(b[m.filter], &sub); err != nil {
			return 0, 0, 0, err
		}
		b = sub
	}
	v, err := b.metric(m.name)
	if err != nil {
		return 0, 0, 0, err
	}
	if v.Count != nil {
		n = *v.Count
	}
	if v.Sum != nil {
		sum = *v.Sum
	}
	if v.SumSq != nil {
		sq = *v.SumSq
	}
	return n, sum, sq, nil
}
