package chart

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/NimbleMarkets/ntcharts/v2/barchart"
	"github.com/NimbleMarkets/ntcharts/v2/canvas"
	"github.com/NimbleMarkets/ntcharts/v2/canvas/runes"
	"github.com/NimbleMarkets/ntcharts/v2/heatmap"
	"github.com/NimbleMarkets/ntcharts/v2/linechart"
	"github.com/NimbleMarkets/ntcharts/v2/linechart/timeserieslinechart"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/format"
	"github.com/dora-dev/dora/tui/styles"
)

// maxSeries is how many series a line, column or stacked chart draws, as many as the palette
// tells apart: beyond it the smallest fold into one "Other" series (a count or a sum adds up;
// other metrics are left out and counted in the legend).
const maxSeries = 8

// Render draws a result as a chart of kind in exactly w x h cells. metric picks which metric
// (0 = the first) is charted.
func Render(s *styles.Styles, kind charts.Kind, spec query.Spec, res *query.Result, metric, w, h int) string {
	return RenderWith(s, kind, spec, res, Options{Metric: metric}, w, h)
}

// Options tune a chart beyond its kind.
type Options struct {
	Metric int // which metric is charted, 0 for the first
	// BarStyle, when set, styles a bar by its value (a dashboard's thresholds); ok false keeps
	// the series colour.
	BarStyle func(v float64) (style lipgloss.Style, ok bool)
	// Extent is the time the rows span, when known: the first and last buckets it does not
	// cover whole are marked partial.
	Extent Extent
	// Figures says last and change figures go with the chart (the explorer's series layout): the
	// line naming partial buckets says whether they count them, CountPartial (the explorer's P),
	// or leave them out.
	Figures, CountPartial bool

	pivots *pivotCache // the panel's: a redraw of the same result does not pivot its rows again
}

// pivotCache keeps the pivots of one result (a line chart's and a heatmap's differ).
type pivotCache struct {
	res     *query.Result
	entries []pivotEntry
}

type pivotEntry struct {
	metric, maxSeries int
	sh                shape
	ps                series
}

// pivot is pivot(sh, res, metric, maxSeries), remembered for res while it is the cache's.
func (c *pivotCache) pivot(sh shape, res *query.Result, metric, maxSeries int) series {
	if c == nil {
		return pivot(sh, res, metric, maxSeries)
	}
	if c.res != res {
		c.res, c.entries = res, nil
	}
	for _, e := range c.entries {
		if e.metric == metric && e.maxSeries == maxSeries && sameShape(e.sh, sh) {
			return e.ps
		}
	}
	ps := pivot(sh, res, metric, maxSeries)
	c.entries = append(c.entries, pivotEntry{metric, maxSeries, sh, ps})
	return ps
}

func sameShape(a, b shape) bool {
	if len(a.dims) != len(b.dims) || len(a.metrics) != len(b.metrics) {
		return false
	}
	for i := range a.dims {
		if a.dims[i] != b.dims[i] {
			return false
		}
	}
	for i := range a.metrics {
		if a.metrics[i] != b.metrics[i] {
			return false
		}
	}
	return true
}

// RenderWith draws a result as a chart of kind in exactly w x h cells, as Options say.
func RenderWith(s *styles.Styles, kind charts.Kind, spec query.Spec, res *query.Result, o Options, w, h int) string {
	metric := o.Metric
	if w <= 0 || h <= 0 {
		return ""
	}
	sh := shapeOf(spec, res)
	var out string
	switch {
	case res == nil:
		out = s.Muted.Render("no result yet")
	case kind == charts.None || len(sh.metrics) == 0:
		out = s.Muted.Render("raw rows: add a group-by (g) or a metric (m) to chart them")
	case len(res.Rows) == 0:
		out = s.Muted.Render("no rows match")
	case kind == charts.Number || len(sh.dims) == 0:
		out = renderNumbers(s, sh, res, w, h)
	default:
		mc := sh.metrics[min(max(0, metric), len(sh.metrics)-1)]
		limited := func() series { return limitSeries(o.pivots.pivot(sh, res, mc, 0), maxSeries, additive(spec, mc)) }
		switch {
		case kind.Series():
			ps := limited()
			p := partialOf(ps, o.Extent)
			ch := h
			if p.First || p.Last {
				ch = h - 1 // a line under the chart says which buckets are partial
			}
			switch kind {
			case charts.Lines:
				out = renderLines(s, ps, p, w, ch)
			case charts.Columns:
				out = renderColumns(s, ps, p, w, ch)
			default:
				out = renderStacked(s, ps, p, w, ch)
			}
			out = markPartial(s, out, ps, p, o, w)
		case kind == charts.Heatmap:
			out = renderHeatmap(s, sh, res, mc, o.pivots, w, h)
		default:
			out = renderBars(s, sh, res, mc, o.BarStyle, w, h)
		}
	}
	return common.Block(out, w, h)
}

// markPartial adds, under a chart of ps, the line that says which of its buckets are partial,
// and whether the last and change figures count them.
func markPartial(s *styles.Styles, chart string, ps series, p Partial, o Options, w int) string {
	if !p.First && !p.Last || len(ps.xs) == 0 {
		return chart
	}
	unit := ps.xDim.unit
	if unit == "" {
		unit = "bucket"
	}
	var which []string
	if p.First {
		which = append(which, "first "+unit+" "+format.Label(ps.xs[0], ps.xDim.unit))
	}
	if p.Last {
		which = append(which, "last "+unit+" "+format.Label(ps.xs[len(ps.xs)-1], ps.xDim.unit))
	}
	how := ""
	switch {
	case o.Figures && o.CountPartial:
		how = " (counted in last and change)"
	case o.Figures:
		how = " (left out of last and change)"
	}
	note := "◌ partial: " + strings.Join(which, ", ") + how
	return chart + "\n" + s.Muted.Render(common.Truncate(note, w))
}

// additive says the metric of output column i adds up across groups (a count or a sum), so
// series can fold into "Other".
func additive(spec query.Spec, i int) bool {
	outs := spec.Outputs()
	if i < 0 || i >= len(outs) || outs[i].Kind != query.OutMetric {
		return false
	}
	ref := strings.ToLower(outs[i].Ref)
	return strings.HasPrefix(ref, "count(") && !strings.Contains(ref, "distinct") || strings.HasPrefix(ref, "sum(")
}

// limitSeries keeps at most n series of ps (largest first, as pivot orders them): with fold,
// the first n-1 and an "Other" series that sums the rest; else the first n, the rest counted in
// more. ps is not changed: it may be a cached pivot.
func limitSeries(ps series, n int, fold bool) series {
	if len(ps.names) <= n {
		return ps
	}
	out := ps
	if !fold {
		out.names, out.values, out.more = ps.names[:n:n], ps.values[:n:n], ps.more+len(ps.names)-n
		return out
	}
	other := make([]float64, len(ps.xs))
	for i := range other {
		other[i] = math.NaN()
	}
	for _, vs := range ps.values[n-1:] {
		for i, v := range vs {
			if math.IsNaN(v) {
				continue
			}
			if math.IsNaN(other[i]) {
				other[i] = 0
			}
			other[i] += v
		}
	}
	out.names = append(slices.Clone(ps.names[:n-1]), fmt.Sprintf("Other (%d)", len(ps.names)-n+1))
	out.values = append(slices.Clone(ps.values[:n-1]), other)
	return out
}

// Title names what a chart shows: "avg(price) by category".
func Title(spec query.Spec, res *query.Result, kind charts.Kind, metric int) string {
	sh := shapeOf(spec, res)
	if len(sh.metrics) == 0 {
		return "rows of " + termsafe.String(spec.Table)
	}
	m := res.Columns[sh.metrics[min(max(0, metric), len(sh.metrics)-1)]].Name
	if len(sh.dims) == 0 {
		return termsafe.String(spec.Table)
	}
	var by []string
	for _, d := range sh.dims {
		by = append(by, d.name)
	}
	return termsafe.String(fmt.Sprintf("%s by %s · %s", m, strings.Join(by, ", "), kind))
}

func renderNumbers(s *styles.Styles, sh shape, res *query.Result, w, h int) string {
	var lines []string
	nameW := 0
	for _, c := range sh.metrics {
		nameW = max(nameW, ansi.StringWidth(termsafe.String(res.Columns[c].Name)))
	}
	nameW = min(nameW, max(4, w/2))
	for _, c := range sh.metrics {
		v := any(nil)
		if len(res.Rows) > 0 {
			v = res.Rows[0][c]
		}
		lines = append(lines, s.Chart.Label.Render(common.Fit(termsafe.String(res.Columns[c].Name), nameW))+"  "+s.Bold.Render(format.Value(v, "")))
	}
	return strings.Join(lines, "\n")
}

// labelOf prints a dimension value for an axis or a bar.
func labelOf(v any, d dim) string {
	if t, ok := v.(time.Time); ok && d.time {
		return format.Time(t, d.unit)
	}
	return format.Label(v, d.unit)
}

func renderBars(s *styles.Styles, sh shape, res *query.Result, mc int, barStyle func(float64) (lipgloss.Style, bool), w, h int) string {
	n := len(res.Rows)
	shown := n
	if n > h {
		shown = max(0, h-1)
	}
	labels := make([]string, shown)
	values := make([]float64, shown)
	texts := make([]string, shown)
	labelW, valW := 1, 1
	maxV := 0.0
	for i := 0; i < shown; i++ {
		row := res.Rows[i]
		var parts []string
		for _, d := range sh.dims {
			parts = append(parts, labelOf(row[d.col], d))
		}
		labels[i] = strings.Join(parts, " · ")
		v, ok := format.Number(row[mc])
		if ok {
			values[i] = v
			texts[i] = format.Human(v)
			maxV = math.Max(maxV, v)
		} else {
			texts[i] = "∅"
		}
		labelW = max(labelW, ansi.StringWidth(labels[i]))
		valW = max(valW, ansi.StringWidth(texts[i]))
	}
	labelW = min(labelW, max(4, w/3))
	barW := w - labelW - valW - 2
	if barW < 2 { // too narrow for bars: labels and values only
		barW = 0
	}
	if maxV <= 0 {
		maxV = 1
	}
	var barLines []string
	if barW > 0 && shown > 0 {
		data := make([]barchart.BarData, shown)
		for i := range data {
			style := s.Series(0)
			if barStyle != nil {
				if st, ok := barStyle(values[i]); ok {
					style = st
				}
			}
			data[i] = barchart.BarData{Label: labels[i], Values: []barchart.BarValue{{Name: labels[i], Value: values[i], Style: style}}}
		}
		bc := barchart.New(barW, shown, barchart.WithHorizontalBars(), barchart.WithNoAxis(),
			barchart.WithNoAutoBarWidth(), barchart.WithBarWidth(1), barchart.WithBarGap(0),
			barchart.WithNoAutoMaxValue(), barchart.WithMaxValue(maxV), barchart.WithDataSet(data))
		bc.Draw()
		barLines = strings.Split(draw(&bc.Canvas), "\n")
	}
	var b strings.Builder
	for i := 0; i < shown; i++ {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(s.Chart.Label.Render(common.Fit(labels[i], labelW)))
		b.WriteString(" ")
		if barW > 0 {
			bar := ""
			if i < len(barLines) {
				bar = barLines[i]
			}
			b.WriteString(common.Fit(bar, barW))
			b.WriteString(" ")
		}
		b.WriteString(s.Chart.Value.Render(common.FitLeft(texts[i], valW)))
	}
	if shown < n {
		if shown > 0 {
			b.WriteString("\n")
		}
		b.WriteString(s.Muted.Render(fmt.Sprintf("… %d more rows (see the table)", n-shown)))
	}
	return b.String()
}

// legend prints the series names in their colours, as many as fit.
func legend(s *styles.Styles, names []string, more int, glyph string, w int) string {
	var b strings.Builder
	used := 0
	for i, n := range names {
		glyph := glyph
		if glyph == "" {
			glyph = string(markers[i%len(markers)])
		}
		item := glyph + " " + common.Truncate(n, 18)
		iw := ansi.StringWidth(item) + 2
		if used+iw > w-8 && i < len(names)-1 || used+iw > w {
			more += len(names) - i
			break
		}
		b.WriteString(s.Series(i).Render(glyph))
		b.WriteString(s.Chart.Label.Render(" " + common.Truncate(n, 18) + "  "))
		used += iw
	}
	if more > 0 {
		b.WriteString(s.Muted.Render(fmt.Sprintf("+%d more", more)))
	}
	return b.String()
}

func toTime(v any) (time.Time, bool) {
	t, ok := v.(time.Time)
	return t, ok
}

func renderLines(s *styles.Styles, ps series, partial Partial, w, h int) string {
	if !ps.xDim.time {
		return renderColumns(s, ps, Partial{}, w, h)
	}
	lc, glyph := lineChart(s, ps, w, h)
	// A partial bucket's points are drawn hollow, so its dip is not read as a fall.
	for i := range ps.names {
		for _, j := range []int{0, len(ps.xs) - 1} {
			if j == 0 && !partial.First || j == len(ps.xs)-1 && !partial.Last {
				continue
			}
			t, ok := toTime(ps.xs[j])
			if v := ps.values[i][j]; ok && !math.IsNaN(v) {
				p := lc.ScaleFloat64PointForLine(canvas.Float64Point{X: float64(t.Unix()), Y: v})
				lc.Canvas.SetCell(canvas.CanvasPointFromFloat64Point(lc.Origin(), p), canvas.NewCellWithStyle('◌', s.Series(i)))
			}
		}
	}
	return draw(&lc.Canvas) + "\n" + legend(s, ps.names, ps.more, glyph, w)
}

// lineChart draws time series as lines on a canvas of w x h-1 cells and says which glyph the
// legend marks them with.
func lineChart(s *styles.Styles, ps series, w, h int) (timeserieslinechart.Model, string) {
	var t0, t1 time.Time
	for _, x := range ps.xs {
		if t, ok := toTime(x); ok {
			if t0.IsZero() || t.Before(t0) {
				t0 = t
			}
			if t1.IsZero() || t.After(t1) {
				t1 = t
			}
		}
	}
	if !t1.After(t0) {
		t1 = t0.Add(time.Second)
	}
	lo, hi := minMax(ps.values...)
	if lo >= 0 && lo < hi/2 || hi <= 0 { // counts and sums read from zero; averages keep their band
		lo = math.Min(0, lo)
	} else {
		pad := (hi - lo) * 0.05
		lo, hi = lo-pad, hi+pad
	}
	if hi <= lo {
		hi = lo + 1
	}
	chartH := max(3, h-1)
	unit := labelUnit(ps.xDim.unit, t1.Sub(t0))
	xw := ansi.StringWidth(format.ShortTime(t0, unit)) + 2
	lc := timeserieslinechart.New(w, chartH,
		timeserieslinechart.WithXYSteps(xw, max(2, (chartH-2)/5)),
		timeserieslinechart.WithYRange(lo, hi),
		timeserieslinechart.WithTimeRange(t0, t1),
		timeserieslinechart.WithAxesStyles(s.Chart.Axis, s.Chart.Label),
		timeserieslinechart.WithXLabelFormatter(func(_ int, v float64) string {
			return format.ShortTime(time.Unix(int64(v), 0).In(t0.Location()), unit)
		}),
		timeserieslinechart.WithYLabelFormatter(func(_ int, v float64) string { return format.Human(v) }),
	)
	names := make([]string, 0, len(ps.names))
	for i := len(ps.names) - 1; i >= 0; i-- { // the largest series is drawn last, on top
		name := fmt.Sprintf("%02d", i)
		lc.SetDataSetStyle(name, s.Series(i))
		lc.SetDataSetLineStyle(name, runes.ArcLineStyle)
		for j, x := range ps.xs {
			t, ok := toTime(x)
			v := ps.values[i][j]
			if !ok || math.IsNaN(v) {
				continue
			}
			lc.PushDataSet(name, timeserieslinechart.TimePoint{Time: t, Value: v})
		}
		names = append(names, name)
	}
	lc.DrawDataSets(names)
	glyph := "━"
	if s.NoColor && len(ps.names) > 1 && len(ps.xs) <= lc.GraphWidth()/3 {
		// Without colour the lines look alike: mark each series' points with its own glyph.
		for i := range ps.names {
			mark := markers[i%len(markers)]
			for j, x := range ps.xs {
				t, ok := toTime(x)
				if v := ps.values[i][j]; ok && !math.IsNaN(v) {
					p := lc.ScaleFloat64PointForLine(canvas.Float64Point{X: float64(t.Unix()), Y: v})
					lc.Canvas.SetRune(canvas.CanvasPointFromFloat64Point(lc.Origin(), p), mark)
				}
			}
		}
		glyph = ""
	}
	return lc, glyph
}

// markers tell series apart when there is no colour.
var markers = []rune{'●', '○', '■', '□', '◆', '◇', '▲', '△'}

// labelUnit picks how precisely axis labels print times: a long span of days reads better as
// months, and decades as years.
func labelUnit(unit string, span time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case span > 5*365*day && unit != "":
		return "year"
	case span > 180*day && (unit == "day" || unit == "week" || unit == "hour" || unit == "minute" || unit == ""):
		return "month"
	case span > 3*day && (unit == "hour" || unit == "minute"):
		return "day"
	}
	return unit
}

func renderColumns(s *styles.Styles, ps series, partial Partial, w, h int) string {
	_, hi := minMax(ps.values...)
	if hi <= 0 {
		hi = 1
	}
	// Stacked columns sum their series; the scale follows the tallest stack.
	stackMax := 0.0
	for j := range ps.xs {
		sum := 0.0
		for i := range ps.names {
			if v := ps.values[i][j]; !math.IsNaN(v) && v > 0 {
				sum += v
			}
		}
		stackMax = math.Max(stackMax, sum)
	}
	if stackMax > 0 {
		hi = stackMax
	}
	yLabels := []string{format.Human(hi), format.Human(hi / 2), "0"}
	yw := 0
	for _, l := range yLabels {
		yw = max(yw, ansi.StringWidth(l))
	}
	gridW := max(1, w-yw-1)
	gridH := max(1, h-2) // x labels and legend
	first := 0
	if len(ps.xs) > gridW { // keep the most recent buckets that fit
		first = len(ps.xs) - gridW
	}
	xs := ps.xs[first:]
	n := len(xs)
	barW := max(1, gridW/max(1, n))
	gap := 0
	if barW >= 3 {
		gap = 1
		barW--
	}
	data := make([]barchart.BarData, n)
	for j := range xs {
		var vals []barchart.BarValue
		for i, name := range ps.names {
			v := ps.values[i][first+j]
			if math.IsNaN(v) {
				v = 0
			}
			vals = append(vals, barchart.BarValue{Name: name, Value: v, Style: s.Series(i)})
		}
		data[j] = barchart.BarData{Values: vals}
	}
	bc := barchart.New(gridW, gridH, barchart.WithNoAxis(), barchart.WithNoAutoBarWidth(),
		barchart.WithBarWidth(barW), barchart.WithBarGap(gap),
		barchart.WithNoAutoMaxValue(), barchart.WithMaxValue(hi), barchart.WithDataSet(data))
	bc.Draw()
	if partial.First && first == 0 {
		hatch(&bc.Canvas, 0, barW, 0, gridH)
	}
	if partial.Last && n > 0 {
		x := (n - 1) * (barW + gap)
		hatch(&bc.Canvas, x, x+barW, 0, gridH)
	}
	grid := strings.Split(draw(&bc.Canvas), "\n")
	var b strings.Builder
	for r := 0; r < gridH; r++ {
		label := ""
		switch r {
		case 0:
			label = yLabels[0]
		case gridH / 2:
			if gridH > 2 {
				label = yLabels[1]
			}
		case gridH - 1:
			label = yLabels[2]
		}
		b.WriteString(s.Chart.Label.Render(common.FitLeft(label, yw)))
		b.WriteString(s.Chart.Axis.Render("│"))
		if r < len(grid) {
			b.WriteString(common.Fit(grid[r], gridW))
		}
		b.WriteString("\n")
	}
	// x labels: the first and last bucket, and the middle when there is room
	type mark struct {
		col  int
		text string
	}
	var marks []mark
	if n > 0 {
		lab := func(j int) string { return labelOf(xs[j], ps.xDim) }
		l0, lm, ln := lab(0), lab(n/2), lab(n-1)
		w0, wm, wn := ansi.StringWidth(l0), ansi.StringWidth(lm), ansi.StringWidth(ln)
		marks = append(marks, mark{0, l0})
		if n > 2 && w0+wm+wn+4 < gridW {
			marks = append(marks, mark{min(n/2*(barW+gap), gridW-wm), lm})
		}
		if n > 1 && w0+wn+2 < gridW {
			marks = append(marks, mark{max(0, min((n-1)*(barW+gap), gridW-wn)), ln})
		}
	}
	var xb strings.Builder
	at := 0
	for _, mk := range marks {
		if mk.col < at { // would overlap the previous label
			continue
		}
		t := common.Truncate(mk.text, gridW-mk.col)
		xb.WriteString(strings.Repeat(" ", mk.col-at))
		xb.WriteString(t)
		at = mk.col + ansi.StringWidth(t)
	}
	xl := common.Fit(xb.String(), gridW)
	b.WriteString(strings.Repeat(" ", yw+1))
	b.WriteString(s.Chart.Label.Render(xl))
	b.WriteString("\n")
	more := ps.more
	note := ""
	if first > 0 {
		note = fmt.Sprintf("  (last %d of %d buckets)", n, len(ps.xs))
	}
	b.WriteString(legend(s, ps.names, more, "█", w-ansi.StringWidth(note)))
	b.WriteString(s.Muted.Render(note))
	return b.String()
}

func renderStacked(s *styles.Styles, ps series, partial Partial, w, h int) string {
	n := len(ps.xs)
	rowsAvail := max(1, h-1)
	shown := min(n, rowsAvail)
	if n > rowsAvail {
		shown = max(0, rowsAvail-1)
	}
	labels := make([]string, shown)
	totals := make([]float64, shown)
	labelW, valW := 1, 1
	maxV := 0.0
	for j := 0; j < shown; j++ {
		labels[j] = labelOf(ps.xs[j], ps.xDim)
		for i := range ps.names {
			if v := ps.values[i][j]; !math.IsNaN(v) && v > 0 {
				totals[j] += v
			}
		}
		maxV = math.Max(maxV, totals[j])
		labelW = max(labelW, ansi.StringWidth(labels[j]))
		valW = max(valW, ansi.StringWidth(format.Human(totals[j])))
	}
	labelW = min(labelW, max(4, w/3))
	barW := max(1, w-labelW-valW-2)
	if maxV <= 0 {
		maxV = 1
	}
	data := make([]barchart.BarData, shown)
	for j := range data {
		var vals []barchart.BarValue
		for i, name := range ps.names {
			v := ps.values[i][j]
			if math.IsNaN(v) {
				v = 0
			}
			vals = append(vals, barchart.BarValue{Name: name, Value: v, Style: s.Series(i)})
		}
		data[j] = barchart.BarData{Label: labels[j], Values: vals}
	}
	var bars []string
	if shown > 0 {
		bc := barchart.New(barW, shown, barchart.WithHorizontalBars(), barchart.WithNoAxis(),
			barchart.WithNoAutoBarWidth(), barchart.WithBarWidth(1), barchart.WithBarGap(0),
			barchart.WithNoAutoMaxValue(), barchart.WithMaxValue(maxV), barchart.WithDataSet(data))
		bc.Draw()
		if partial.First {
			hatch(&bc.Canvas, 0, barW, 0, 1)
		}
		if partial.Last && n-1 < shown {
			hatch(&bc.Canvas, 0, barW, n-1, n)
		}
		bars = strings.Split(draw(&bc.Canvas), "\n")
	}
	var b strings.Builder
	for j := 0; j < shown; j++ {
		b.WriteString(s.Chart.Label.Render(common.Fit(labels[j], labelW)))
		b.WriteString(" ")
		if j < len(bars) {
			b.WriteString(common.Fit(bars[j], barW))
		}
		b.WriteString(" ")
		b.WriteString(s.Chart.Value.Render(common.FitLeft(format.Human(totals[j]), valW)))
		b.WriteString("\n")
	}
	if shown < n {
		b.WriteString(s.Muted.Render(fmt.Sprintf("… %d more", n-shown)))
		b.WriteString("\n")
	}
	b.WriteString(legend(s, ps.names, ps.more, "█", w))
	return b.String()
}

// shades stand in for colour in a heatmap when there is no colour (NO_COLOR).
var shades = []rune{'·', '░', '▒', '▓', '█'}

func renderHeatmap(s *styles.Styles, sh shape, res *query.Result, mc int, pivots *pivotCache, w, h int) string {
	gridRows := max(1, h-2) // x labels, scale
	ps := pivots.pivot(sh, res, mc, gridRows)
	labelW := 1
	for _, n := range ps.names {
		labelW = max(labelW, ansi.StringWidth(n))
	}
	labelW = min(labelW, max(4, w/4))
	gridW := max(1, w-labelW-1)
	first := 0
	if len(ps.xs) > gridW {
		if ps.xDim.time {
			first = len(ps.xs) - gridW
		} else {
			ps.more = len(ps.xs) - gridW // shown in the scale line
		}
	}
	xs := ps.xs[first:min(len(ps.xs), first+gridW)]
	nx, ny := len(xs), len(ps.names)
	if nx == 0 || ny == 0 {
		return s.Muted.Render("no rows match")
	}
	cw := max(1, gridW/nx)
	usedW := cw * nx
	lo, hi := minMax(ps.values...)
	if hi <= lo {
		hi = lo + 1
	}
	scale := s.Chart.Heat
	if len(scale) == 0 {
		scale = []color.Color{lipgloss.NoColor{}}
	}
	lc := linechart.New(usedW, ny, 0, float64(usedW), 0, float64(ny), linechart.WithXYSteps(0, 0))
	hm := heatmap.New(usedW, ny, heatmap.WithStyle(lc), heatmap.WithColorScale(scale), heatmap.WithValueRange(lo, hi))
	for y := 0; y < ny; y++ {
		for x := 0; x < nx; x++ {
			v := ps.values[y][first+x]
			if math.IsNaN(v) {
				continue
			}
			for k := 0; k < cw; k++ {
				cx := x*cw + k
				hm.Push(heatmap.NewHeatPoint(float64(cx), float64(ny-1-y), v))
				if s.NoColor {
					level := int((v - lo) / (hi - lo) * float64(len(shades)))
					hm.Canvas.SetRune(canvas.Point{X: cx, Y: y}, shades[max(0, min(level, len(shades)-1))])
				}
			}
		}
	}
	hm.Draw()
	grid := strings.Split(draw(&hm.Canvas), "\n")
	var b strings.Builder
	for y := 0; y < ny; y++ {
		b.WriteString(s.Chart.Label.Render(common.Fit(ps.names[y], labelW)))
		b.WriteString(" ")
		if y < len(grid) {
			b.WriteString(grid[y])
		}
		b.WriteString("\n")
	}
	l0, ln := labelOf(xs[0], ps.xDim), labelOf(xs[nx-1], ps.xDim)
	xl := common.Truncate(l0, usedW)
	switch {
	case cw >= 4 && !ps.xDim.time: // room to name every column
		var lb strings.Builder
		for _, x := range xs {
			lb.WriteString(common.Fit(labelOf(x, ps.xDim), cw-1))
			lb.WriteString(" ")
		}
		xl = lb.String()
	case nx > 1 && ansi.StringWidth(l0)+ansi.StringWidth(ln)+2 <= usedW:
		xl = l0 + strings.Repeat(" ", usedW-ansi.StringWidth(l0)-ansi.StringWidth(ln)) + ln
	}
	b.WriteString(strings.Repeat(" ", labelW+1))
	b.WriteString(s.Chart.Label.Render(xl))
	b.WriteString("\n")
	// the scale: low to high
	b.WriteString(s.Chart.Value.Render(format.Human(lo) + " "))
	if s.NoColor {
		b.WriteString(string(shades))
	} else {
		for _, c := range scale {
			b.WriteString(lipgloss.NewStyle().Foreground(c).Render("█"))
		}
	}
	b.WriteString(s.Chart.Value.Render(" " + format.Human(hi)))
	if ps.more > 0 {
		b.WriteString(s.Muted.Render(fmt.Sprintf("  +%d more", ps.more)))
	}
	return b.String()
}
