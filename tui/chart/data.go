package chart

import (
	"math"
	"sort"
	"time"

	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/format"
)

// dim is one result column used as a dimension.
type dim struct {
	col  int
	name string
	time bool
	unit string // bucket unit of a time dimension
}

// shape is what a result looks like to the charts: its dimensions and metrics.
type shape struct {
	dims    []dim
	metrics []int // result column indices
}

func shapeOf(spec query.Spec, res *query.Result) shape {
	var sh shape
	if res == nil {
		return sh
	}
	for i, c := range res.Columns {
		switch c.Role {
		case query.RoleMetric:
			sh.metrics = append(sh.metrics, i)
		case query.RoleDimension:
			d := dim{col: i, name: c.Name, time: c.Type.Temporal()}
			if g, ok := spec.OutputDimension(i); ok && g.IsTime() {
				d.time = true
				d.unit = bucketUnit(g)
			}
			sh.dims = append(sh.dims, d)
		}
	}
	return sh
}

// bucketUnit is the calendar unit a time dimension's keys fall on.
func bucketUnit(d query.Dimension) string {
	if d.Kind == query.DimDateTrunc {
		return d.Unit
	}
	if d.Kind == query.DimTimeBucket {
		if d.Every.Unit == "second" {
			return "minute"
		}
		return d.Every.Unit
	}
	return ""
}

// Kinds lists the chart kinds that suit a result, the default first, as package charts chooses
// them for the result's shape.
func Kinds(spec query.Spec, res *query.Result) []charts.Kind {
	sh := shapeOf(spec, res)
	out := charts.Shape{Raw: res == nil || len(sh.metrics) == 0}
	for _, d := range sh.dims {
		out.Time = append(out.Time, d.time)
	}
	return charts.Kinds(out)
}

// series is a result pivoted for charting: x keys across, one row of values per series.
type series struct {
	xs     []any       // x keys, time-ordered for time dimensions
	names  []string    // series labels, largest total first
	values [][]float64 // [series][x], NaN where the result has no row
	more   int         // series left out
	xDim   dim
	sDim   *dim
}

// pivot turns rows into series: x from the time dimension (or the first), series from the other
// dimension, if any; at most maxSeries series, the largest by total.
func pivot(sh shape, res *query.Result, metric int, maxSeries int) series {
	var ps series
	if len(sh.dims) == 0 {
		return ps
	}
	xi, si := 0, -1
	if len(sh.dims) > 1 {
		si = 1
		if !sh.dims[0].time && sh.dims[1].time {
			xi, si = 1, 0
		}
	}
	ps.xDim = sh.dims[xi]
	if si >= 0 {
		d := sh.dims[si]
		ps.sDim = &d
	}
	xIndex := make(map[any]int, len(res.Rows))
	sIndex := map[string]int{}
	sOfValue := map[any]int{} // series index by the raw value, to print each value's label once
	var sNames []string
	type point struct {
		x, s int
		v    float64
	}
	points := make([]point, len(res.Rows))
	for r, row := range res.Rows {
		xk := mapKey(row[ps.xDim.col])
		x, ok := xIndex[xk]
		if !ok {
			x = len(ps.xs)
			xIndex[xk] = x
			ps.xs = append(ps.xs, row[ps.xDim.col])
		}
		s := 0
		if ps.sDim == nil {
			if len(sNames) == 0 {
				sNames = append(sNames, res.Columns[metric].Name)
			}
		} else {
			raw := row[ps.sDim.col]
			cacheable := false
			switch raw.(type) {
			case string, int64, float64, bool, nil:
				cacheable = true
			}
			cached := false
			if cacheable {
				s, cached = sOfValue[raw]
			}
			if !cached {
				sn := format.Label(raw, ps.sDim.unit)
				var known bool
				if s, known = sIndex[sn]; !known {
					s = len(sNames)
					sIndex[sn] = s
					sNames = append(sNames, sn)
				}
				if cacheable {
					sOfValue[raw] = s
				}
			}
		}
		v, ok := format.Number(row[metric])
		if !ok {
			v = math.NaN()
		}
		points[r] = point{x, s, v}
	}
	// vals[s][x], NaN where no row has that cell; a third dimension folds in by sum.
	nx := len(ps.xs)
	flat := make([]float64, len(sNames)*nx)
	for i := range flat {
		flat[i] = math.NaN()
	}
	vals := make([][]float64, len(sNames))
	for s := range vals {
		vals[s] = flat[s*nx : (s+1)*nx]
	}
	for _, p := range points {
		v := p.v
		if old := vals[p.s][p.x]; !math.IsNaN(old) {
			v += old
		}
		vals[p.s][p.x] = v
	}
	// Time keys in time order; categories keep the result's order (its ORDER BY).
	order := make([]int, nx)
	for i := range order {
		order[i] = i
	}
	reordered := ps.xDim.time && !sortedBy(ps.xs)
	if reordered {
		sort.SliceStable(order, func(a, b int) bool { return less(ps.xs[order[a]], ps.xs[order[b]]) })
		xs := make([]any, nx)
		for i, o := range order {
			xs[i] = ps.xs[o]
		}
		ps.xs = xs
	}
	totals := make([]float64, len(sNames))
	for s, row := range vals {
		for _, v := range row {
			if !math.IsNaN(v) {
				totals[s] += math.Abs(v)
			}
		}
	}
	sOrder := make([]int, len(sNames))
	for i := range sOrder {
		sOrder[i] = i
	}
	if ps.sDim != nil {
		sort.SliceStable(sOrder, func(a, b int) bool { return totals[sOrder[a]] > totals[sOrder[b]] })
	}
	if maxSeries > 0 && len(sOrder) > maxSeries {
		ps.more = len(sOrder) - maxSeries
		sOrder = sOrder[:maxSeries]
	}
	for _, s := range sOrder {
		ps.names = append(ps.names, sNames[s])
		row := vals[s]
		if reordered {
			row = make([]float64, nx)
			for i, o := range order {
				row[i] = vals[s][o]
			}
		}
		ps.values = append(ps.values, row)
	}
	return ps
}

// sortedBy reports whether xs are in order already (results usually come ordered by time), so
// the sort and its copies can be skipped.
func sortedBy(xs []any) bool {
	for i := 1; i < len(xs); i++ {
		if less(xs[i], xs[i-1]) {
			return false
		}
	}
	return true
}

// mapKey makes a map key of a result value (time.Time values compare by instant).
func mapKey(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.UnixNano()
	}
	return v
}

func less(a, b any) bool {
	ta, oka := a.(time.Time)
	tb, okb := b.(time.Time)
	if oka && okb {
		return ta.Before(tb)
	}
	if !oka && okb { // nulls last
		return false
	}
	if oka && !okb {
		return true
	}
	fa, _ := format.Number(a)
	fb, _ := format.Number(b)
	return fa < fb
}

func minMax(vs ...[]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		for _, f := range v {
			if math.IsNaN(f) {
				continue
			}
			lo = math.Min(lo, f)
			hi = math.Max(hi, f)
		}
	}
	if math.IsInf(lo, 1) {
		return 0, 1
	}
	return lo, hi
}
