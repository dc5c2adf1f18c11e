package esdsl

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dora-dev/dora/query"
)

// group is one result row under construction: the dimension keys then the metrics, with the
// documents in the group and, per metric, how many values it aggregated (for "Other" sums).
type group struct {
	vals   []any
	docs   int64
	counts []int64
	// when groups are merged (derived.go): per metric, the sum and sum of squares behind an
	// average or a spread
	sums, sqs []float64
}

// termsResult holds what a top-N answer says beyond its buckets.
type termsResult struct {
	other  int64                  // sum_other_doc_count
	totals map[string]metricValue // all_* aggregations, for the "Other" row
}

func (s *Search) newGroup(keys []any, b bucket, docs int64) (group, error) {
	vals, counts, err := s.metricValues(b, docs)
	if err != nil {
		return group{}, err
	}
	g := group{vals: append(keys, vals...), docs: docs, counts: counts}
	if s.merge {
		g.sums, g.sqs = make([]float64, len(s.metrics)), make([]float64, len(s.metrics))
		for i, m := range s.metrics {
			if m.spread || m.m.Func == query.AggAvg {
				if g.counts[i], g.sums[i], g.sqs[i], err = m.parts(b); err != nil {
					return group{}, err
				}
			}
		}
	}
	return g, nil
}

func (s *Search) feedGlobal(r *response) error {
	docs := max(s.total, 0)
	b := r.Aggregations
	if b == nil {
		b = bucket{}
	}
	g, err := s.newGroup(nil, b, docs)
	if err != nil {
		return err
	}
	s.groups = append(s.groups, g)
	return nil
}

func (s *Search) feedComposite(r *response) (more bool, err error) {
	var agg struct {
		AfterKey json.RawMessage `json:"after_key"`
		Buckets  []bucket        `json:"buckets"`
	}
	if err := json.Unmarshal(r.Aggregations["groups"], &agg); err != nil {
		return false, fmt.Errorf("reading the composite aggregation: %w", err)
	}
	for _, b := range agg.Buckets {
		var key map[string]json.RawMessage
		if err := json.Unmarshal(b["key"], &key); err != nil {
			return false, fmt.Errorf("reading a composite key: %w", err)
		}
		keys := make([]any, len(s.sources))
		for i, d := range s.sources {
			if keys[i], err = d.key(key[fmt.Sprintf("g%d", i)]); err != nil {
				return false, fmt.Errorf("reading the key of %s: %w", d.d.Name(), err)
			}
		}
		if s.merge {
			keys = s.deriveKeys(keys)
		}
		docs, err := b.docCount()
		if err != nil {
			return false, err
		}
		g, err := s.newGroup(keys, b, docs)
		if err != nil {
			return false, err
		}
		s.groups = append(s.groups, g)
	}
	if s.ordered && len(s.groups) > s.rowCap() {
		return false, nil // the sources sort as asked: the rest is cut off anyway
	}
	if len(agg.Buckets) < s.composite["size"].(int) || len(agg.AfterKey) == 0 {
		return false, nil
	}
	s.after = agg.AfterKey
	return true, nil
}

func (s *Search) feedTerms(r *response) error {
	var agg struct {
		Bound   int64    `json:"doc_count_error_upper_bound"`
		Other   int64    `json:"sum_other_doc_count"`
		Buckets []bucket `json:"buckets"`
	}
	if err := json.Unmarshal(r.Aggregations["groups"], &agg); err != nil {
		return fmt.Errorf("reading the terms aggregation: %w", err)
	}
	d := s.dims[0]
	for _, b := range agg.Buckets {
		key, err := d.key(b["key"])
		if err != nil {
			return fmt.Errorf("reading the key of %s: %w", d.d.Name(), err)
		}
		docs, err := b.docCount()
		if err != nil {
			return err
		}
		g, err := s.newGroup([]any{key}, b, docs)
		if err != nil {
			return err
		}
		s.groups = append(s.groups, g)
	}
	var missing bucket
	if d.missing != nil {
		missing = bucket{"doc_count": json.RawMessage("0")} // folded into the terms by coalesce
	} else if err := json.Unmarshal(r.Aggregations["missing"], &missing); err != nil {
		return fmt.Errorf("reading the missing aggregation: %w", err)
	}
	if docs, err := missing.docCount(); err != nil {
		return err
	} else if docs > 0 {
		g, err := s.newGroup([]any{nil}, missing, docs)
		if err != nil {
			return err
		}
		s.groups = append(s.groups, g)
	}
	s.bound = agg.Bound
	s.termsAg.other = agg.Other
	s.termsAg.totals = map[string]metricValue{}
	for k, raw := range r.Aggregations {
		if name, ok := strings.CutPrefix(k, "all_"); ok {
			var v metricValue
			if err := json.Unmarshal(raw, &v); err != nil {
				return err
			}
			s.termsAg.totals[name] = v
		}
	}
	return nil
}

// finish turns the collected groups or rows into the Result: HAVING, then ORDER BY, then LIMIT,
// over the complete set of groups, as SQL does.
func (s *Search) finish() {
	res := &query.Result{Columns: s.Columns(), Meta: query.Meta{Total: s.total, Complete: true}}
	s.result = res
	defer func() { res.Rows = query.Project(s.spec, res.Rows) }()
	if s.shape == shapeRows && s.sortInDora {
		res.Rows, res.Meta.Complete = s.rows, !s.sortCut // sorted, offset and cut by sortRows
		return
	}
	if s.shape == shapeRows {
		res.Rows = s.rows[min(s.spec.Offset, len(s.rows)):]
		if res.Rows == nil {
			res.Rows = [][]any{}
		}
		res.Meta.Complete = s.total < 0 || int64(len(s.rows)) >= s.total
		return
	}
	for _, m := range s.metrics {
		if m.m.Approximate() {
			res.Meta.Approximate = true
		}
	}
	now := s.opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	if s.merge && !s.oneToOne {
		s.mergeGroups()
	}
	for i := range s.groups {
		s.groups[i].vals = s.withCalcs(s.groups[i].vals, now)
	}
	kept := s.groups[:0]
	for _, g := range s.groups {
		if s.spec.Having == nil || eval(s.spec.Having, s.cols, g.vals, now) == query.True {
			kept = append(kept, g)
		}
	}
	s.sortGroups(kept)
	keep := len(kept)
	if n := s.rowCap(); n > 0 && n < keep {
		keep = n
	}
	cut := kept[keep:]
	skip := min(s.spec.Offset, keep) // OFFSET: groups before the first shown are neither shown nor "Other"
	var other int64
	for _, g := range cut {
		other += g.docs
	}
	switch s.shape {
	case shapeTerms:
		other += s.termsAg.other
		res.Meta.ErrorBound = s.bound
		countDesc := s.metrics[s.column(s.spec.OrderBy[0].Name)-len(s.dims)].name == "" && s.spec.OrderBy[0].Desc
		// Elasticsearch bounds the error of counts ordered by count; any other order over
		// several shards that returned only part of their groups may rank wrongly.
		if s.bound != 0 || s.shards > 1 && s.termsAg.other > 0 && !countDesc {
			res.Meta.Approximate = true
		}
	case shapeComposite:
		if s.ordered && len(cut) > 0 {
			// Paging stopped early: the groups not fetched are every matching document not shown.
			other = s.total
			for _, g := range kept[:keep] {
				other -= g.docs
			}
		}
	}
	res.Meta.OtherCount = other
	res.Meta.Complete = other == 0 && len(cut) == 0
	res.Rows = make([][]any, 0, keep+1)
	for _, g := range kept[skip:keep] {
		res.Rows = append(res.Rows, g.vals)
	}
	if s.spec.Other && other > 0 {
		res.Rows = append(res.Rows, s.withCalcs(s.otherRow(kept[skip:keep], cut, other)[:len(s.dims)+len(s.metrics)], now))
	}
}

// withCalcs appends to a row of group keys and metrics the expressions computed after
// aggregation, by the one evaluator every backend shares.
func (s *Search) withCalcs(row []any, now time.Time) []any {
	for _, c := range s.spec.Calcs {
		row = append(row, query.EvalCalc(c, cellOf(s.cols[:len(row)], row), now))
	}
	return row
}

// otherRow sums the groups a LIMIT cut off: count(*), count(col) and sum, which add up; the
// other metrics do not and are null. The first key says "Other".
func (s *Search) otherRow(shown, cut []group, docs int64) []any {
	row := make([]any, len(s.cols))
	row[0] = "Other"
	for i, m := range s.metrics {
		at := len(s.dims) + i
		switch {
		case m.name == "" && m.filter == "" && m.constant == nil:
			row[at] = docs
		case m.m.Func == query.AggCount || m.sum:
			var sum any
			var n int64
			if s.shape == shapeTerms {
				// total over every group minus the groups shown
				t, ok := s.termsAg.totals[m.name]
				if !ok {
					continue
				}
				n = t.count()
				if m.sum {
					n = s.termsAg.totals[m.countName()].count()
					f, _ := t.number()
					sum = typed(f, m.typ)
				} else {
					sum = n
				}
				for _, g := range shown {
					n -= g.counts[i]
					sum = sub(sum, g.vals[at])
				}
			} else {
				sum = int64(0)
				if m.typ == query.TypeFloat {
					sum = 0.0
				}
				for _, g := range cut {
					n += g.counts[i]
					sum = add(sum, g.vals[at])
				}
			}
			if m.sum && n == 0 {
				sum = nil
			}
			row[at] = sum
		}
	}
	return row
}

func add(a, b any) any {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return x + y
		}
	case float64:
		if y, ok := b.(float64); ok {
			return x + y
		}
	}
	return a
}

func sub(a, b any) any {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return x - y
		}
	case float64:
		if y, ok := b.(float64); ok {
			return x - y
		}
	}
	return a
}

// sortGroups orders groups by ORDER BY, then by the group keys ascending so the order is
// deterministic (and the same as the DuckDB backend's), NULLs last in every direction as DuckDB
// sorts them by default.
func (s *Search) sortGroups(gs []group) {
	type key struct {
		col   int
		desc  bool
		first bool
	}
	keys := make([]key, 0, len(s.spec.OrderBy)+len(s.dims))
	for _, o := range s.spec.OrderBy {
		keys = append(keys, key{s.column(o.Name), o.Desc, o.Nulls.First()})
	}
	for i := range s.dims {
		keys = append(keys, key{col: i})
	}
	slices.SortStableFunc(gs, func(a, b group) int {
		for _, k := range keys {
			if c := compareSQL(a.vals[k.col], b.vals[k.col], k.desc, k.first); c != 0 {
				return c
			}
		}
		return 0
	})
}
