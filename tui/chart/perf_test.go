package chart

import (
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/NimbleMarkets/ntcharts/v2/canvas"

	"github.com/dora-dev/dora/internal/benchcpu"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/format"
	"github.com/dora-dev/dora/tui/styles"
)

// drawReference is draw as it was before it wrote plain styles' SGR codes itself: one Render
// per run of equally keyed cells. Tests hold draw to its bytes; benchmarks measure against it.
func drawReference(c *canvas.Model) string {
	w, h := c.Width(), c.Height()
	var b, run strings.Builder
	for y := 0; y < h; y++ {
		if y > 0 {
			b.WriteByte('\n')
		}
		var cur lipgloss.Style
		var curKey styleKey
		started := false
		flush := func() {
			if run.Len() > 0 {
				b.WriteString(cur.Render(run.String()))
				run.Reset()
			}
		}
		for x := 0; x < w; x++ {
			cell := c.Cell(canvas.Point{X: x, Y: y})
			k := keyOf(&cell.Style)
			if !started || k != curKey {
				flush()
				cur, curKey, started = cell.Style, k, true
			}
			if cell.Rune == 0 {
				run.WriteByte(' ')
			} else {
				run.WriteRune(cell.Rune)
			}
		}
		flush()
	}
	return b.String()
}

// pivotReference is pivot as it was before it kept its cells in slices: a map per cell and a
// label printed per row.
func pivotReference(sh shape, res *query.Result, metric int, maxSeries int) series {
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
	xIndex := map[any]int{}
	sIndex := map[string]int{}
	var sNames []string
	type cell struct{ x, s int }
	vals := map[cell]float64{}
	for _, row := range res.Rows {
		xk := mapKey(row[ps.xDim.col])
		if _, ok := xIndex[xk]; !ok {
			xIndex[xk] = len(ps.xs)
			ps.xs = append(ps.xs, row[ps.xDim.col])
		}
		sn := res.Columns[metric].Name
		if ps.sDim != nil {
			sn = format.Label(row[ps.sDim.col], ps.sDim.unit)
		}
		if _, ok := sIndex[sn]; !ok {
			sIndex[sn] = len(sNames)
			sNames = append(sNames, sn)
		}
		v, ok := format.Number(row[metric])
		if !ok {
			v = math.NaN()
		}
		c := cell{xIndex[xk], sIndex[sn]}
		if old, seen := vals[c]; seen && !math.IsNaN(old) {
			v += old
		}
		vals[c] = v
	}
	order := make([]int, len(ps.xs))
	for i := range order {
		order[i] = i
	}
	if ps.xDim.time {
		sort.SliceStable(order, func(a, b int) bool { return less(ps.xs[order[a]], ps.xs[order[b]]) })
	}
	xs := make([]any, len(order))
	for i, o := range order {
		xs[i] = ps.xs[o]
	}
	ps.xs = xs
	totals := make([]float64, len(sNames))
	for c, v := range vals {
		if !math.IsNaN(v) {
			totals[c.s] += math.Abs(v)
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
		row := make([]float64, len(ps.xs))
		for i, o := range order {
			v, ok := vals[cell{o, s}]
			if !ok {
				v = math.NaN()
			}
			row[i] = v
		}
		ps.values = append(ps.values, row)
	}
	return ps
}

// testCanvas fills a w x h canvas with cells of the styles a chart uses and some it never
// does: padded, underlined, with a value set; wide runes, tabs and empty cells among them.
func testCanvas(s *styles.Styles, seed uint64, w, h int) canvas.Model {
	rnd := rand.New(rand.NewPCG(seed, 1))
	st := []lipgloss.Style{
		{}, lipgloss.NewStyle(), s.Series(0), s.Series(1), s.Series(2), s.Chart.Axis, s.Chart.Label,
		s.Series(0).Bold(true), lipgloss.NewStyle().Background(lipgloss.Color("#203040")),
		lipgloss.NewStyle().Underline(true), lipgloss.NewStyle().Strikethrough(true).Foreground(lipgloss.Color("3")),
		lipgloss.NewStyle().PaddingLeft(1), lipgloss.NewStyle().SetString("v"), lipgloss.NewStyle().Blink(true),
		s.Series(1).Reverse(true), lipgloss.NewStyle().Width(3), lipgloss.NewStyle().Faint(true).Italic(true),
	}
	runes := []rune{0, 0, 0, ' ', '│', '─', '╭', '●', '█', 'a', '7', '\t', '婦', '⣿', '\x01'}
	c := canvas.New(w, h)
	for y := 0; y < h; y++ {
		x := 0
		for x < w {
			n := 1 + rnd.IntN(12) // runs of one style, as charts draw them
			style := st[rnd.IntN(len(st))]
			for ; n > 0 && x < w; n-- {
				c.SetCell(canvas.Point{X: x, Y: y}, canvas.NewCellWithStyle(runes[rnd.IntN(len(runes))], style))
				x++
			}
		}
	}
	return c
}

func TestDrawMatchesReference(t *testing.T) {
	for _, s := range []*styles.Styles{styles.Default(true, false), styles.Default(false, false), styles.Default(true, true)} {
		for seed := uint64(0); seed < 40; seed++ {
			c := testCanvas(s, seed, 1+int(seed*7)%90, 1+int(seed)%13)
			if got, want := draw(&c), drawReference(&c); got != want {
				t.Fatalf("seed %d: draw differs from the reference\n got %q\nwant %q", seed, got, want)
			}
		}
	}
	// and the canvases the charts draw
	s := styles.Default(true, false)
	spec, res := timeSeries(300, "day", []string{"West", "East", "South"})
	sh := shapeOf(spec, res)
	for _, size := range [][2]int{{40, 10}, {86, 55}, {200, 60}} {
		ps := pivot(sh, res, sh.metrics[0], maxSeries)
		if got := renderLines(s, ps, Partial{}, size[0], size[1]); !strings.Contains(got, "\x1b[") {
			t.Fatalf("%v: no colour in the line chart", size)
		}
	}
}

// pivotCases are results with what pivot must get right: times out of order, missing cells,
// NaN and null metrics, a third dimension folded by sum, more series than are drawn, series
// keyed by numbers and times, categories in their ORDER BY.
func pivotCases() map[string]func() (query.Spec, *query.Result) {
	return map[string]func() (query.Spec, *query.Result){
		"sorted":     func() (query.Spec, *query.Result) { return timeSeries(200, "day", []string{"West", "East", "South"}) },
		"one series": func() (query.Spec, *query.Result) { return timeSeries(50, "month", nil) },
		"categories": twoCategories,
		"bars":       categories,
		"shuffled": func() (query.Spec, *query.Result) {
			spec, res := timeSeries(120, "day", []string{"a", "b", "c", "d", "e", "f", "g", "h"})
			rnd := rand.New(rand.NewPCG(7, 7))
			rnd.Shuffle(len(res.Rows), func(i, j int) { res.Rows[i], res.Rows[j] = res.Rows[j], res.Rows[i] })
			res.Rows = res.Rows[:len(res.Rows)*2/3] // and cells missing
			return spec, res
		},
		"folded": func() (query.Spec, *query.Result) {
			spec, _ := query.Parse("SELECT date_trunc('day', shipped_at), rating, category, avg(price) FROM shipments GROUP BY date_trunc('day', shipped_at), rating, category")
			res := &query.Result{Columns: []query.Column{
				{Name: spec.GroupBy[0].Name(), Role: query.RoleDimension, Type: query.TypeTime},
				{Name: "rating", Role: query.RoleDimension, Type: query.TypeInt},
				{Name: "category", Role: query.RoleDimension, Type: query.TypeString},
				{Name: "avg(price)", Role: query.RoleMetric, Type: query.TypeFloat},
			}}
			t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
			rnd := rand.New(rand.NewPCG(3, 3))
			for i := 0; i < 400; i++ {
				var v any = rnd.Float64() * 100
				switch rnd.IntN(10) {
				case 0:
					v = nil
				case 1:
					v = math.NaN()
				}
				var rating any = int64(rnd.IntN(5))
				if rnd.IntN(20) == 0 {
					rating = nil
				}
				var when any = t0.AddDate(0, 0, rnd.IntN(40))
				if rnd.IntN(30) == 0 {
					when = nil
				}
				res.Rows = append(res.Rows, []any{when, rating, []string{"x", "y"}[rnd.IntN(2)], v})
			}
			return spec, res
		},
		"time second": func() (query.Spec, *query.Result) {
			spec, _ := query.Parse("SELECT region, date_trunc('month', shipped_at), count(*) FROM shipments GROUP BY region, date_trunc('month', shipped_at)")
			res := &query.Result{Columns: []query.Column{
				{Name: "region", Role: query.RoleDimension, Type: query.TypeString},
				{Name: spec.GroupBy[1].Name(), Role: query.RoleDimension, Type: query.TypeTime},
				{Name: "count(*)", Role: query.RoleMetric, Type: query.TypeInt},
			}}
			t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := 11; i >= 0; i-- {
				for _, r := range []string{"West", "East"} {
					res.Rows = append(res.Rows, []any{r, t0.AddDate(0, i, 0), int64(i * len(r))})
				}
			}
			return spec, res
		},
	}
}

func sameSeries(a, b series) bool {
	if !reflect.DeepEqual(a.xs, b.xs) || !reflect.DeepEqual(a.names, b.names) || a.more != b.more ||
		a.xDim != b.xDim || (a.sDim == nil) != (b.sDim == nil) || a.sDim != nil && *a.sDim != *b.sDim ||
		len(a.values) != len(b.values) {
		return false
	}
	for i := range a.values {
		if len(a.values[i]) != len(b.values[i]) {
			return false
		}
		for j, v := range a.values[i] {
			if w := b.values[i][j]; v != w && !(math.IsNaN(v) && math.IsNaN(w)) {
				return false
			}
		}
	}
	return true
}

func TestPivotMatchesReference(t *testing.T) {
	for name, mk := range pivotCases() {
		spec, res := mk()
		sh := shapeOf(spec, res)
		for _, max := range []int{0, 3, maxSeries} {
			got, want := pivot(sh, res, sh.metrics[0], max), pivotReference(sh, res, sh.metrics[0], max)
			if !sameSeries(got, want) {
				t.Errorf("%s, %d series: pivot differs from the reference\n got %+v\nwant %+v", name, max, got, want)
			}
		}
	}
}

// The panel keeps a result's pivots across redraws, and a new result drops them.
func TestPivotCache(t *testing.T) {
	s := styles.Default(true, false)
	spec, res := timeSeries(30, "day", []string{"West", "East"})
	m := New(&common.Common{Styles: s})
	m.SetSize(80, 12)
	m.SetResult(spec, res)
	first := m.View()
	if len(m.pivots.entries) != 1 {
		t.Fatalf("%d pivots kept, want 1", len(m.pivots.entries))
	}
	m.Invalidate()
	if m.View() != first {
		t.Error("a redraw from the kept pivot should draw the same chart")
	}
	again := *res
	again.Rows = append([][]any{}, res.Rows[:10]...)
	m.SetResult(spec, &again)
	if m.View() == first || m.pivots.res != &again {
		t.Error("a new result should be pivoted afresh")
	}
}

// BenchmarkDraw turns the canvas of a 1,000-bucket line chart at the sizes the explorer gives
// it (86x55 at 200x60) and alone (200x60) into text, against drawReference in the same run.
func BenchmarkDraw(b *testing.B) {
	s := styles.Default(true, false)
	spec, res := timeSeries(1000, "day", []string{"West", "East", "South"})
	sh := shapeOf(spec, res)
	ps := pivot(sh, res, sh.metrics[0], maxSeries)
	for _, size := range [][2]int{{86, 55}, {200, 60}} {
		lc, _ := lineChart(s, ps, size[0], size[1])
		c := lc.Canvas
		for _, impl := range []struct {
			name string
			draw func(*canvas.Model) string
		}{{"reference", drawReference}, {"draw", draw}} {
			b.Run(impl.name+"/"+sizeName(size), func(b *testing.B) {
				done := benchcpu.Start(b)
				for b.Loop() {
					_ = impl.draw(&c)
				}
				done()
			})
		}
	}
}

// BenchmarkPivot pivots 1,000 days x 3 regions, against pivotReference in the same run.
func BenchmarkPivot(b *testing.B) {
	spec, res := timeSeries(1000, "day", []string{"West", "East", "South"})
	sh := shapeOf(spec, res)
	for _, impl := range []struct {
		name  string
		pivot func(shape, *query.Result, int, int) series
	}{{"reference", pivotReference}, {"pivot", pivot}} {
		b.Run(impl.name, func(b *testing.B) {
			done := benchcpu.Start(b)
			for b.Loop() {
				_ = impl.pivot(sh, res, sh.metrics[0], maxSeries)
			}
			done()
		})
	}
}

func sizeName(s [2]int) string {
	return format.Int(int64(s[0])) + "x" + format.Int(int64(s[1]))
}
