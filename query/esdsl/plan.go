package esdsl

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dora-dev/dora/query"
)

// The tiers of a plan: what Elasticsearch computes itself, what dora finishes over its answer,
// and what the cluster computes with Painless scripts (only on a cluster that has scripting;
// elsewhere the plan fails with NeedsScriptingError).
const (
	TierEngine = "Elasticsearch"
	TierDora   = "dora"
	TierScript = "Elasticsearch script"
)

// Step is one part of a plan and who does it.
type Step struct {
	Tier string // TierEngine, TierDora or TierScript
	What string
}

// String writes the step as "tier: what".
func (s Step) String() string { return s.Tier + ": " + s.What }

// Plan says, part by part, which tier computes what: the filters, group keys and metrics
// Elasticsearch aggregates natively, and what dora finishes (merged groups, expressions after
// aggregation, HAVING, ORDER BY, OFFSET and LIMIT over the complete groups).
func (s *Search) Plan() []Step {
	var steps []Step
	engine := func(format string, args ...any) {
		steps = append(steps, Step{TierEngine, fmt.Sprintf(format, args...)})
	}
	finish := func(format string, args ...any) { steps = append(steps, Step{TierDora, fmt.Sprintf(format, args...)}) }
	script := func(format string, args ...any) {
		steps = append(steps, Step{TierScript, fmt.Sprintf(format, args...)})
	}
	spec := s.spec
	if spec.Where != nil {
		engine("WHERE %s (bool query)", query.FormatExpr(spec.Where))
		query.Walk(spec.Where, func(e query.Expr) {
			if _, ok := e.(query.PartTest); ok {
				script("WHERE %s (a script query)", query.FormatExpr(e))
			}
		})
	}
	if s.shape == shapeRows {
		engine("rows (search with _source, sort and search_after)")
		for _, c := range spec.Calcs {
			finish("%s computed for each row", query.FormatCalc(c, query.QuoteIdent))
		}
		if s.sortInDora {
			finish("ORDER BY over every matching row (the engine returns them in index order), then OFFSET and LIMIT")
			return steps
		}
		if spec.Offset > 0 {
			finish("OFFSET %d: skips the first rows", spec.Offset)
		}
		return steps
	}
	for _, d := range s.dims {
		if s.shape == shapeFilters {
			engine("GROUP BY %s (a filters aggregation: a filter per THEN, the other bucket for ELSE)", d.d.Expr())
			continue
		}
		if d.script {
			script("GROUP BY %s (a composite terms source over a Painless script)", d.d.Expr())
			continue
		}
		if d.missing != nil {
			engine("GROUP BY %s (terms, top N, with missing: the rows without %s counted under %v)", d.d.Expr(), d.name, d.missing)
			continue
		}
		if d.d.Kind != query.DimExpr {
			engine("GROUP BY %s (%s)", d.d.Expr(), sourceKind(d.source, s.shape))
			continue
		}
		var by []string
		for _, col := range query.CalcRefs(d.d.Calc) {
			by = append(by, col+" ("+sourceKind(s.sources[s.colBase[col]].source, s.shape)+")")
		}
		engine("groups by %s, the columns of GROUP BY %s", strings.Join(by, ", "), d.d.Expr())
		if s.oneToOne {
			finish("GROUP BY %s: reads the key of each bucket", d.d.Expr())
			continue
		}
		finish("GROUP BY %s: computes the key of each group and merges the groups with equal keys", d.d.Expr())
	}
	for _, m := range s.metrics {
		if m.script {
			script("%s (%s over a Painless script)", m.m.Expr(), metricKind(m))
			continue
		}
		engine("%s (%s)", m.m.Expr(), metricKind(m))
	}
	if s.merge && !s.oneToOne {
		finish("combines the metrics of merged groups exactly: counts and sums add, min and max compare, averages and spreads from their counts, sums and sums of squares")
	}
	for _, c := range spec.Calcs {
		finish("%s computed after aggregation", query.FormatCalc(c, func(n string) string { return n }))
	}
	if spec.Having != nil {
		finish("HAVING over the complete groups")
	}
	if len(spec.OrderBy) > 0 && !s.ordered {
		finish("ORDER BY over the complete groups")
	}
	if spec.Offset > 0 || spec.Limit > 0 && (s.shape == shapeComposite || s.shape == shapeFilters) && !s.ordered {
		finish("OFFSET and LIMIT over the sorted groups")
	}
	return steps
}

func sourceKind(source obj, sh shape) string {
	for k, v := range source {
		if o, ok := v.(obj); ok {
			if u, ok := o["calendar_interval"]; ok {
				return fmt.Sprintf("%s, calendar_interval %v", k, u)
			}
		}
		if sh == shapeTerms {
			return "terms, top N"
		}
		return "composite " + k
	}
	return "composite"
}

// metricKind names the aggregations that compute a metric, in a stable order.
func metricKind(m metricPlan) string {
	kinds := aggKinds(m.aggs)
	if len(kinds) == 0 {
		kinds = []string{"doc_count"}
	}
	s := strings.Join(kinds, " and ")
	if m.constant != nil || m.other != nil {
		s += "; dora adds the THEN and ELSE values of the rows counted"
	}
	return s
}

func aggKinds(aggs obj) []string {
	var kinds []string
	for _, a := range aggs {
		o, _ := a.(obj)
		for k := range o {
			switch k {
			case "aggs":
			case "filter":
				in := aggKinds(asObj(o["aggs"]))
				if len(in) == 0 {
					in = []string{"doc_count"}
				}
				kinds = append(kinds, "filter aggregation around "+strings.Join(in, " and "))
			default:
				kinds = append(kinds, k)
			}
		}
	}
	slices.Sort(kinds)
	return kinds
}

func asObj(v any) obj {
	o, _ := v.(obj)
	return o
}
