package esdsl

import (
	"encoding/json"
	"fmt"

	"github.com/dora-dev/dora/query"
)

// A query grouped by nothing but a CASE of conditions with a value in every branch
// (CASE WHEN delay > 15 THEN 'late' WHEN delay > 0 THEN 'a bit' ELSE 'ok' END) is one `filters`
// aggregation: a filter per branch, matching the documents whose first true condition is that
// branch's, and the other bucket for ELSE (or the null group). Every metric is then
// Elasticsearch's own, count distinct and percentiles too, and nothing is merged in dora.

// caseBranch is one bucket of the filters aggregation: its group key and its filter.
type caseBranch struct {
	key    any
	filter any
}

// planCaseGroups makes the filters plan when the query's only group-by is such a CASE; ok is
// false when it is not (the two-phase plan of derived.go answers it).
func (s *Search) planCaseGroups(tr translator) (ok bool, err error) {
	if len(s.dims) != 1 || s.dims[0].d.Kind != query.DimExpr {
		return false, nil
	}
	c, isCase := s.dims[0].d.Calc.(query.Case)
	if !isCase {
		return false, nil
	}
	lit := func(x query.Calc) (any, bool) {
		l, ok := x.(query.Lit)
		if !ok || l.V.Kind == query.KindRelNow || l.V.Kind == query.KindTime {
			return nil, false
		}
		return l.V.Any(), true
	}
	var elseKey any
	if c.Else != nil {
		var ok bool
		if elseKey, ok = lit(c.Else); !ok {
			return false, nil
		}
	}
	seen := map[string]bool{keyString([]any{elseKey}): true}
	var branches []caseBranch
	var earlier []any // the conditions of the branches before: a row takes the first true one
	for _, w := range c.Whens {
		key, ok := lit(w.Then)
		if !ok || key == nil || seen[keyString([]any{key})] {
			return false, nil // a computed THEN, or two branches with one key: the two-phase plan
		}
		seen[keyString([]any{key})] = true
		q, err := tr.truth(w.Cond)
		if err != nil {
			return false, err
		}
		f := obj{"bool": obj{"filter": []any{q}}}
		if len(earlier) > 0 {
			f["bool"].(obj)["must_not"] = append([]any(nil), earlier...)
		}
		branches = append(branches, caseBranch{key: key, filter: f})
		earlier = append(earlier, q)
	}
	s.caseKeys, s.caseElse = branches, elseKey
	s.merge, s.oneToOne = false, true
	s.shape = shapeFilters
	return true, nil
}

// filtersAgg is the request's filters aggregation, with the metrics under each bucket.
func (s *Search) filtersAgg() obj {
	filters := obj{}
	for i, b := range s.caseKeys {
		filters[fmt.Sprintf("b%d", i)] = b.filter
	}
	agg := obj{"filters": obj{"filters": filters, "other_bucket_key": "else"}}
	if aggs := s.metricAggs(); len(aggs) > 0 {
		agg["aggs"] = aggs
	}
	return obj{"groups": agg}
}

// feedFilters reads the filters buckets as groups; a bucket without documents is no group.
func (s *Search) feedFilters(r *response) error {
	var agg struct {
		Buckets map[string]bucket `json:"buckets"`
	}
	if err := json.Unmarshal(r.Aggregations["groups"], &agg); err != nil {
		return fmt.Errorf("reading the filters aggregation: %w", err)
	}
	names := make([]string, 0, len(s.caseKeys)+1)
	keys := make([]any, 0, len(s.caseKeys)+1)
	for i, b := range s.caseKeys {
		names, keys = append(names, fmt.Sprintf("b%d", i)), append(keys, b.key)
	}
	names, keys = append(names, "else"), append(keys, s.caseElse)
	for i, name := range names {
		b, ok := agg.Buckets[name]
		if !ok {
			continue
		}
		docs, err := b.docCount()
		if err != nil || docs == 0 {
			if err != nil {
				return err
			}
			continue
		}
		key := keys[i]
		if n, ok := key.(int64); ok && s.dims[0].typ == query.TypeFloat {
			key = float64(n) // THEN 1 ... ELSE 2.5: the key's type is the CASE's
		}
		g, err := s.newGroup([]any{key}, b, docs)
		if err != nil {
			return err
		}
		s.groups = append(s.groups, g)
	}
	return nil
}

// coalesceTopN plans a top-N by a count of coalesce(col, value) — SELECT coalesce(origin,
// 'none') AS o, count(*) ... ORDER BY 2 DESC LIMIT 3 — as one terms aggregation whose `missing`
// puts the rows without col under value, where they merge with the rows that hold it: the
// engine ranks the merged groups itself. ok is false when the key is not of that shape.
func (s *Search) coalesceTopN(tr translator) bool {
	if len(s.dims) != 1 || s.dims[0].d.Kind != query.DimExpr {
		return false
	}
	f, ok := s.dims[0].d.Calc.(query.Func)
	if !ok || f.Name != "coalesce" || len(f.Args) != 2 {
		return false
	}
	ref, ok1 := f.Args[0].(query.Ref)
	lit, ok2 := f.Args[1].(query.Lit)
	if !ok1 || !ok2 {
		return false
	}
	name, field, err := tr.exact(ref.Name, "GROUP BY")
	if err != nil {
		return false
	}
	switch k := lit.V.Kind; {
	case (field.Type == query.TypeString || field.Type == query.TypeText) && k == query.KindString,
		field.Type == query.TypeInt && k == query.KindInt,
		field.Type == query.TypeFloat && (k == query.KindInt || k == query.KindFloat):
	default:
		return false
	}
	d := s.dims[0]
	d.name, d.missing = name, lit.V.Any()
	s.dims[0] = d
	if !s.isTopN() {
		s.dims[0].missing = nil
		return false
	}
	s.sources = s.dims
	return true
}
