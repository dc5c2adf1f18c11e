package esdsl

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/dora-dev/dora/query"
)

// precisionThreshold is the cardinality aggregation's exact-below threshold, its maximum.
const precisionThreshold = 40000

// dimPlan is one group-by level.
type dimPlan struct {
	d      query.Dimension
	field  query.Field
	name   string // the Elasticsearch field grouped
	typ    query.Type
	source obj  // the value source: {"terms": {...}} or {"date_histogram": {...}} ...
	script bool // the source's values are a Painless script's (script.go)
	// missing is the value a top-N terms puts the rows without the column under:
	// coalesce(col, value) (casegroups.go); nil for none
	missing any
}

// metricPlan is one metric and the aggregations that compute it.
type metricPlan struct {
	m     query.Metric
	name  string // the sub-aggregation's name, "m0"...; "" for count(*)
	field query.Field
	typ   query.Type
	aggs  obj    // sub-aggregations by name
	path  string // the terms order path; "_count" for count(*)
	sum   bool   // a sum, null when its companion value count is zero, as in SQL
	// filter names the filter aggregation the metric is computed inside (FILTER (WHERE ...), or a
	// CASE WHEN's condition), "" when there is none.
	filter string
	// constant is what each row matching a CASE WHEN contributes when THEN is a value (the
	// metric then counts the filter's documents); other is what every other row contributes
	// (ELSE k), nil for NULL.
	constant, other any
	spread          bool // extended_stats: a standard deviation or variance
	stats           bool // an average planned as stats, to be merged (derived.go)
	script          bool // the aggregation reads a Painless script's value (script.go)
}

func (m metricPlan) countName() string { return m.name + "n" }

func (s *Search) planGroups(schema query.Schema) error {
	tr := translator{schema: schema, now: s.opts.Now, scripting: s.opts.Scripting}
	spec := s.spec
	for _, d := range spec.GroupBy {
		dp, err := planDim(tr, d, spec.TimeZone)
		if err != nil {
			return err
		}
		s.dims = append(s.dims, dp)
		s.cols = append(s.cols, query.Column{Name: d.Name(), Role: query.RoleDimension, Type: dp.typ})
	}
	for _, d := range spec.GroupBy {
		tr.merge = tr.merge || d.Kind == query.DimExpr
	}
	for i, m := range spec.Metrics {
		mp, err := planMetric(tr, m, fmt.Sprintf("m%d", i))
		if err != nil {
			return err
		}
		s.metrics = append(s.metrics, mp)
		s.cols = append(s.cols, query.Column{Name: m.Name(), Role: query.RoleMetric, Type: mp.typ})
	}
	s.cols = append(s.cols, query.ComputedColumns(spec, schema)[len(s.cols):]...) // the expressions after aggregation
	for _, o := range spec.OrderBy {
		if s.column(o.Name) < 0 {
			return fmt.Errorf("ORDER BY %s: not a column of this query", o.Name)
		}
	}
	var bad string
	query.Walk(spec.Having, func(e query.Expr) {
		if c := query.ColumnOf(e); s.column(c) < 0 && bad == "" {
			bad = c
		}
	})
	if bad != "" {
		return fmt.Errorf("HAVING %s: not a column of this query", bad)
	}
	s.sources = s.dims
	if ok, err := s.planCaseGroups(tr); ok || err != nil {
		return err
	}
	if s.coalesceTopN(tr) {
		s.shape = shapeTerms
		return nil
	}
	if tr.merge {
		if err := s.planDerived(tr); err != nil {
			return err
		}
	}
	switch {
	case len(s.dims) == 0:
		s.shape = shapeGlobal
	case s.isTopN():
		s.shape = shapeTerms
	default:
		s.shape = shapeComposite
		s.planComposite()
	}
	return nil
}

// isTopN reports whether the Spec is one group-by level ordered first by a metric and cut by a
// LIMIT: the question terms answers without visiting every group.
func (s *Search) isTopN() bool {
	spec := s.spec
	if len(s.dims) != 1 || s.dims[0].d.Kind != query.DimColumn && s.dims[0].missing == nil || spec.Limit == 0 || spec.Having != nil || len(spec.OrderBy) == 0 {
		return false
	}
	i := s.column(spec.OrderBy[0].Name) - len(s.dims)
	if i < 0 {
		return false
	}
	// terms ranks a group whose metric is null (a sum, average or extreme over no values) as
	// if it were infinite, not last as SQL does, and would pick it over the real top groups:
	// only counts, which are never null, are ranked by terms.
	if i >= len(s.metrics) || s.metrics[i].filter != "" {
		return false
	}
	// An "Other" row subtracts the shown groups from totals over every group; a metric inside a
	// filter aggregation has none to read, so such a query visits every group (composite).
	for _, m := range s.metrics {
		if spec.Other && (m.filter != "" || m.constant != nil) {
			return false
		}
	}
	f := s.metrics[i].m.Func
	return f == query.AggCount || f == query.AggCountDistinct
}

// column returns the index of an output column, -1 when there is none.
func (s *Search) column(name string) int {
	for i, c := range s.cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func planDim(tr translator, d query.Dimension, zone string) (dimPlan, error) {
	f, err := tr.field(d.Column)
	if err != nil {
		return dimPlan{}, err
	}
	dp := dimPlan{d: d, field: f, name: f.Name, typ: f.Type}
	switch d.Kind {
	case query.DimColumn:
		if dp.name, _, err = tr.exact(d.Column, "GROUP BY"); err != nil {
			return dimPlan{}, err
		}
		if f.Type == query.TypeText {
			dp.typ = query.TypeString
		}
		dp.source = obj{"terms": obj{"field": dp.name}}
	case query.DimDateTrunc, query.DimTimeBucket:
		every := query.Interval{N: 1, Unit: d.Unit}
		if d.Kind == query.DimTimeBucket {
			every = d.Every
		}
		h, err := dateHistogram(every)
		if err != nil {
			return dimPlan{}, fmt.Errorf("%s: %w", d.Expr(), err)
		}
		if _, offset := h["offset"]; offset && hasDST(zone) {
			// Elasticsearch adds an offset in absolute time, so near a daylight-saving change
			// such buckets would start an hour off the local midnight DuckDB starts them at.
			return dimPlan{}, fmt.Errorf("%s in %s: Elasticsearch cannot align buckets of %s to local time across daylight-saving changes; use UTC, date_trunc('day') or date_trunc('week'), or a width that divides a day",
				d.Expr(), zone, every)
		}
		h["field"] = f.Name
		if zone != "" && zone != "UTC" {
			h["time_zone"] = zone
		}
		dp.typ = query.TypeTime
		dp.source = obj{"date_histogram": h}
	case query.DimExpr:
		dp.typ = query.CalcType(d.Calc, func(n string) query.Type {
			f, _ := tr.schema.Field(n)
			return f.Type
		}) // grouped by its columns (derived.go)
	case query.DimHistogram:
		if !(d.Width > 0) || math.IsInf(d.Width, 0) {
			return dimPlan{}, fmt.Errorf("%s: the bucket width must be a positive number", d.Expr())
		}
		dp.typ = query.TypeFloat
		dp.source = obj{"histogram": obj{"field": f.Name, "interval": d.Width}}
	default:
		return dimPlan{}, fmt.Errorf("unknown group-by kind %d", d.Kind)
	}
	return dp, nil
}

// bucketOrigin is where DuckDB's time_bucket aligns buckets of days, hours, minutes and seconds
// (Monday 2000-01-03, local time); fixed intervals are offset to match it.
var bucketOrigin = time.Date(2000, 1, 3, 0, 0, 0, 0, time.UTC).UnixMilli()

// dateHistogram returns the date_histogram interval settings for a bucket width: a calendar
// interval for one unit (so days, weeks and months follow the time zone's calendar), a fixed
// interval for multiples of clock units.
func dateHistogram(i query.Interval) (obj, error) {
	if i.N <= 0 {
		return nil, fmt.Errorf("the bucket width must be positive")
	}
	calendar := func(u string) (obj, error) { return obj{"calendar_interval": u}, nil }
	switch i.Unit {
	case "minute", "hour", "day", "week":
		if i.N == 1 {
			return calendar(i.Unit)
		}
		if i.Unit == "day" && i.N == 7 {
			return calendar("week") // DuckDB's 7-day buckets start on Mondays, as ISO weeks do
		}
	case "month":
		switch i.N {
		case 1:
			return calendar("month")
		case 3:
			return calendar("quarter")
		case 12:
			return calendar("year")
		}
		return nil, fmt.Errorf("Elasticsearch buckets months one, three (a quarter) or twelve (a year) at a time, not %d; use '1 month', '3 months' or '1 year'", i.N)
	case "quarter":
		switch i.N {
		case 1:
			return calendar("quarter")
		case 4:
			return calendar("year")
		}
		return nil, fmt.Errorf("Elasticsearch buckets quarters one at a time (or four, a year), not %d", i.N)
	case "year":
		if i.N == 1 {
			return calendar("year")
		}
		return nil, fmt.Errorf("Elasticsearch buckets years one at a time, not %d", i.N)
	case "second":
	default:
		return nil, fmt.Errorf("unknown time unit %q", i.Unit)
	}
	d := i.Duration()
	h := obj{"fixed_interval": durationText(d.Milliseconds())}
	if off := bucketOrigin % d.Milliseconds(); off != 0 {
		h["offset"] = "+" + durationText(off)
	}
	return h, nil
}

// hasDST reports whether a zone's offset from UTC changes during the year.
func hasDST(zone string) bool {
	if zone == "" || zone == "UTC" {
		return false
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return false
	}
	for year := time.Now().Year() - 1; year <= time.Now().Year()+1; year++ {
		_, jan := time.Date(year, 1, 1, 0, 0, 0, 0, loc).Zone()
		_, jul := time.Date(year, 7, 1, 0, 0, 0, 0, loc).Zone()
		if jan != jul {
			return true
		}
	}
	return false
}

// durationText writes milliseconds in the largest unit that divides them: "15m", "14d".
func durationText(ms int64) string {
	for _, u := range []struct {
		ms   int64
		name string
	}{{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}} {
		if ms%u.ms == 0 {
			return strconv.FormatInt(ms/u.ms, 10) + u.name
		}
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

// NeedsScriptingError is SQL that Elasticsearch can answer only with scripting (runtime fields or
// scripts), which dora does not send: the part is named so the query can be rewritten.
type NeedsScriptingError struct{ What string }

func (e *NeedsScriptingError) Error() string {
	return e.What + " needs scripting on Elasticsearch (a Painless script), which this cluster does not have: " +
		"rewrite it with FILTER (WHERE ...) or CASE WHEN col <op> value THEN col END, run it on DuckDB, or on a cluster with the lang-painless module"
}

// planMetric plans a metric natively when an aggregation expresses it, else with a script when
// the cluster has scripting.
func planMetric(tr translator, m query.Metric, name string) (metricPlan, error) {
	mp, err := planNativeMetric(tr, m, name)
	var ns *NeedsScriptingError
	if errors.As(err, &ns) && tr.scripting {
		return planScriptMetric(tr, m, name)
	}
	return mp, err
}

// planNativeMetric plans a metric: its own aggregation, inside a filter aggregation when it has a
// FILTER clause or aggregates a CASE WHEN with one branch (sum(CASE WHEN c THEN x ELSE 0 END) is
// sum(x) over the rows where c holds, plus 0 for each other row).
func planNativeMetric(tr translator, m query.Metric, name string) (metricPlan, error) {
	cond := m.Filter
	inner := m
	inner.Filter, inner.Arg = nil, nil
	var constant, other any
	if m.Arg != nil {
		c, ok := m.Arg.(query.Case)
		if !ok || len(c.Whens) != 1 || m.Func == query.AggCountDistinct || m.Func == query.AggPercentile {
			return metricPlan{}, &NeedsScriptingError{What: m.Expr()}
		}
		cond = query.NewAnd(m.Filter, c.Whens[0].Cond)
		switch t := c.Whens[0].Then.(type) {
		case query.Ref:
			inner.Column = t.Name
		case query.Lit:
			if t.V.Kind != query.KindInt && t.V.Kind != query.KindFloat && !(m.Func == query.AggCount && t.V.Kind != query.KindNull) {
				return metricPlan{}, &NeedsScriptingError{What: m.Expr()}
			}
			constant = t.V.Any()
			inner = query.Metric{Func: query.AggCount}
		default:
			return metricPlan{}, &NeedsScriptingError{What: m.Expr()}
		}
		if e, ok := c.Else.(query.Lit); ok && e.V.Kind != query.KindNull {
			if e.V.Kind != query.KindInt && e.V.Kind != query.KindFloat && m.Func != query.AggCount {
				return metricPlan{}, &NeedsScriptingError{What: m.Expr()}
			}
			other = e.V.Any()
		} else if c.Else != nil && !ok {
			return metricPlan{}, &NeedsScriptingError{What: m.Expr()}
		}
		if (constant != nil || other != nil) && m.Func != query.AggCount && m.Func != query.AggSum {
			return metricPlan{}, &NeedsScriptingError{What: m.Expr()}
		}
	}
	mp, err := planPlainMetric(tr, inner, name)
	if err != nil {
		return metricPlan{}, err
	}
	mp.m = m
	mp.constant, mp.other = constant, other
	if constant != nil {
		mp.sum = m.Func == query.AggSum
		mp.typ = query.TypeInt
		if _, f := constant.(float64); f {
			mp.typ = query.TypeFloat
		}
		if _, f := other.(float64); f {
			mp.typ = query.TypeFloat
		}
		if m.Func == query.AggCount {
			mp.typ = query.TypeInt
		}
	}
	if _, f := other.(float64); f && m.Func == query.AggSum {
		mp.typ = query.TypeFloat
	}
	return mp, mp.inFilter(tr, cond, name)
}

// inFilter puts the metric's aggregations inside a filter aggregation for cond (nil: none).
func (mp *metricPlan) inFilter(tr translator, cond query.Expr, name string) error {
	if cond == nil {
		return nil
	}
	q, err := tr.truth(cond)
	if err != nil {
		return err
	}
	f := obj{"filter": q}
	if len(mp.aggs) > 0 {
		f["aggs"] = mp.aggs
	}
	mp.filter = name + "f"
	mp.aggs = obj{mp.filter: f}
	mp.path = mp.filter + ">" + mp.path
	if mp.name == "" {
		// A single-bucket aggregation's name orders by its doc count; "f>_count" is refused.
		mp.path = mp.filter
	}
	return nil
}

func planPlainMetric(tr translator, m query.Metric, name string) (metricPlan, error) {
	if m.Func == query.AggCount && m.Column == "" {
		return metricPlan{m: m, typ: query.TypeInt, path: "_count"}, nil
	}
	f, err := tr.field(m.Column)
	if err != nil {
		return metricPlan{}, err
	}
	values := obj{"field": f.Name}
	switch {
	case m.Func == query.AggCount && (f.Type == query.TypeText || !f.Aggregatable):
		// No doc values to count: count the documents that have the field instead.
		return metricPlan{m: m, name: name, field: f, typ: query.TypeInt, path: name, aggs: obj{name: obj{"filter": exists(f.Name)}}}, nil
	case m.Func == query.AggCountDistinct:
		field, _, err := tr.exact(m.Column, "count(DISTINCT)")
		if err != nil {
			return metricPlan{}, err
		}
		values = obj{"field": field}
	}
	mp, err := metricAggs(tr, m, name, values, f.Type)
	mp.field = f
	return mp, err
}

// metricAggs plans the aggregation of a metric over values, {"field": name} or a script's
// {"script": ...}, whose type is typ.
func metricAggs(tr translator, m query.Metric, name string, values obj, typ query.Type) (metricPlan, error) {
	mp := metricPlan{m: m, name: name, typ: query.TypeInt, path: name}
	with := func(more obj) obj {
		o := clone(values)
		for k, v := range more {
			o[k] = v
		}
		return o
	}
	numeric := func() error {
		if !typ.Numeric() && !(typ.Temporal() && (m.Func == query.AggMin || m.Func == query.AggMax)) {
			return fmt.Errorf("%s needs a numeric column; it is %s", m.Expr(), typ)
		}
		return nil
	}
	switch m.Func {
	case query.AggCount:
		mp.aggs = obj{name: obj{"value_count": with(nil)}}
	case query.AggCountDistinct:
		mp.aggs = obj{name: obj{"cardinality": with(obj{"precision_threshold": precisionThreshold})}}
	case query.AggSum:
		if err := numeric(); err != nil {
			return metricPlan{}, err
		}
		mp.typ = typ
		mp.sum = true
		mp.aggs = obj{name: obj{"sum": with(nil)}, mp.countName(): obj{"value_count": with(nil)}}
	case query.AggAvg:
		if err := numeric(); err != nil {
			return metricPlan{}, err
		}
		mp.typ = query.TypeFloat
		mp.aggs = obj{name: obj{"avg": with(nil)}}
		if tr.merge {
			mp.aggs = obj{name: obj{"stats": with(nil)}} // its sum and count merge exactly
			mp.stats = true
		}
	case query.AggMin, query.AggMax:
		if err := numeric(); err != nil {
			return metricPlan{}, err
		}
		mp.typ = typ
		fn := "min"
		if m.Func == query.AggMax {
			fn = "max"
		}
		mp.aggs = obj{name: obj{fn: with(nil)}}
	case query.AggStddev, query.AggStddevSamp, query.AggStddevPop, query.AggVariance, query.AggVarSamp, query.AggVarPop:
		if err := numeric(); err != nil {
			return metricPlan{}, err
		}
		mp.typ = query.TypeFloat
		mp.spread = true
		mp.aggs = obj{name: obj{"extended_stats": with(nil)}}
	case query.AggPercentile:
		if err := numeric(); err != nil {
			return metricPlan{}, err
		}
		if !(m.P > 0 && m.P < 1) {
			return metricPlan{}, fmt.Errorf("%s: the fraction must be between 0 and 1", m.Expr())
		}
		pct := math.Round(m.P*100*1e9) / 1e9
		mp.typ = query.TypeFloat
		mp.aggs = obj{name: obj{"percentiles": with(obj{"percents": []float64{pct}, "keyed": false})}}
		mp.path = name + "[" + strconv.FormatFloat(pct, 'f', -1, 64) + "]"
	default:
		return metricPlan{}, fmt.Errorf("unknown aggregate %d", m.Func)
	}
	return mp, nil
}

// planScriptMetric plans a metric whose argument only a script computes: the aggregation reads
// the script's value for each document, inside a filter aggregation for a FILTER clause.
func planScriptMetric(tr translator, m query.Metric, name string) (metricPlan, error) {
	arg := m.Arg
	if arg == nil {
		arg = query.Ref{Name: m.Column}
	}
	values, typ, err := scriptFor(tr, arg, m.Expr())
	if err != nil {
		return metricPlan{}, err
	}
	if typ == query.TypeString && m.Func != query.AggCount && m.Func != query.AggCountDistinct {
		return metricPlan{}, fmt.Errorf("%s needs a numeric argument; it is text", m.Expr())
	}
	mp, err := metricAggs(tr, m, name, values, typ)
	if err != nil {
		return metricPlan{}, err
	}
	mp.script = true
	return mp, mp.inFilter(tr, m.Filter, name)
}

// metricAggs returns the sub-aggregations that compute every metric.
func (s *Search) metricAggs() obj {
	aggs := obj{}
	for _, m := range s.metrics {
		for k, v := range m.aggs {
			aggs[k] = v
		}
	}
	return aggs
}

// planComposite builds the composite aggregation. When ORDER BY names leading group-by columns
// in order and there is no HAVING, the sources are sorted that way and paging stops at LIMIT.
func (s *Search) planComposite() {
	spec := s.spec
	ordered := spec.Having == nil && len(spec.OrderBy) <= len(s.dims) && !s.merge
	for i, o := range spec.OrderBy {
		ordered = ordered && o.Name == s.dims[i].d.Name()
	}
	// Elasticsearch 8.19 loses groups whose key is missing on composite pages after the first
	// when missing_order is set, so the sources sort as ORDER BY asks only when one page holds the
	// whole answer; otherwise every group is fetched and sorted here.
	s.ordered = ordered && !s.opts.NoMissingOrder && s.rowCap() > 0 && s.rowCap() < s.opts.PageSize && !spec.Other // an "Other" row needs every group
	sources := make([]any, len(s.sources))
	for i, d := range s.sources {
		var kind string
		var body obj
		for k, v := range d.source {
			kind, body = k, clone(v.(obj))
		}
		body["missing_bucket"] = true // SQL groups nulls; so does the composite with this
		if s.ordered {
			body["missing_order"] = "last" // SQL's NULLS LAST, DuckDB's default in both directions
			if i < len(spec.OrderBy) && spec.OrderBy[i].Nulls.First() {
				body["missing_order"] = "first"
			}
			if i < len(spec.OrderBy) && spec.OrderBy[i].Desc {
				body["order"] = "desc"
			}
		}
		sources[i] = obj{fmt.Sprintf("g%d", i): obj{kind: body}}
	}
	s.composite = obj{"size": s.compositePage(), "sources": sources}
}

// compositePage is the composite page size: no larger than the rows an ordered plan needs.
func (s *Search) compositePage() int {
	n := s.opts.PageSize
	if s.ordered {
		if need := s.rowCap(); need > 0 {
			n = min(n, need+1) // one more tells whether groups were cut off
		}
	}
	return n
}

// rowCap is the most rows the result may hold, 0 for no cap, counting the rows OFFSET skips.
func (s *Search) rowCap() int {
	n := s.spec.Limit
	if c := s.opts.MaxRows; c > 0 && (n == 0 || c < n) {
		n = c
	}
	if n > 0 {
		n += s.spec.Offset
	}
	return n
}

func clone(o obj) obj {
	c := make(obj, len(o)+2)
	for k, v := range o {
		c[k] = v
	}
	return c
}

func (s *Search) aggBody() obj {
	body := s.base()
	body["size"] = 0
	switch s.shape {
	case shapeGlobal:
		if aggs := s.metricAggs(); len(aggs) > 0 {
			body["aggs"] = aggs
		}
	case shapeTerms:
		body["aggs"] = s.termsAggs()
	case shapeFilters:
		body["aggs"] = s.filtersAgg()
	case shapeComposite:
		c := s.composite
		if s.after != nil {
			c["after"] = s.after
		}
		agg := obj{"composite": c}
		if aggs := s.metricAggs(); len(aggs) > 0 {
			agg["aggs"] = aggs
		}
		body["aggs"] = obj{"groups": agg}
	}
	return body
}

// termsAggs is the top-N request: terms ordered by the metric, a missing aggregation beside it
// for the null group (which SQL ranks with the others), and, for an "Other" row, the totals the
// shown groups are subtracted from.
func (s *Search) termsAggs() obj {
	d := s.dims[0]
	size := s.rowCap()
	order := make([]any, 0, len(s.spec.OrderBy)+1)
	keyed := false
	for _, o := range s.spec.OrderBy {
		dir := "asc"
		if o.Desc {
			dir = "desc"
		}
		i := s.column(o.Name)
		if i < len(s.dims) {
			order = append(order, obj{"_key": dir})
			keyed = true
			break // the key is unique: later orders never apply
		}
		order = append(order, obj{s.metrics[i-len(s.dims)].path: dir})
	}
	if !keyed {
		order = append(order, obj{"_key": "asc"}) // Elasticsearch breaks ties so; say it
	}
	terms := obj{"field": d.name, "size": size, "shard_size": max(100, size*3/2+10), "order": order}
	groups := obj{"terms": terms}
	missing := obj{"missing": obj{"field": d.name}}
	if aggs := s.metricAggs(); len(aggs) > 0 {
		groups["aggs"] = aggs
		missing["aggs"] = aggs
	}
	aggs := obj{"groups": groups, "missing": missing}
	if d.missing != nil {
		terms["missing"] = d.missing // coalesce(col, value): the null rows are value's
		delete(aggs, "missing")
	}
	if s.spec.Other {
		for _, m := range s.metrics {
			if m.m.Func == query.AggCount && m.name != "" || m.sum {
				for k, v := range m.aggs {
					aggs["all_"+k] = v
				}
			}
		}
	}
	return aggs
}
