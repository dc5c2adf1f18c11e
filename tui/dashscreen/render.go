package dashscreen

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/dash"
	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/chart"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/format"
	"github.com/dora-dev/dora/tui/results"
	"github.com/dora-dev/dora/tui/styles"
)

// Body draws a panel's answer in exactly w x h cells: its chart, or the error in words, with
// what the panel left out of the dashboard's range and filter on the last line.
func Body(s *styles.Styles, p dash.Panel, a *dash.Answer, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	switch {
	case a == nil:
		return common.Block(s.Muted.Render("waiting for the first answer…"), w, h)
	case a.Err != nil:
		return common.Block(s.Status.Error.Render(ansi.Wordwrap("✗ "+Describe(a.Err), w, " ")), w, h)
	}
	notes := strings.Join(a.Applied.Notes, "; ")
	chartH := h
	if notes != "" && h >= 3 {
		chartH = h - 1
	}
	out := chartBody(s, p, a, w, chartH)
	if chartH < h {
		out += "\n" + s.Muted.Render(common.Truncate(notes, w))
	}
	return common.Block(out, w, h)
}

// Describe says what went wrong in words: the backend's error without Go's wrapping noise, with
// any control character it quotes from the data shown as an escape.
func Describe(err error) string {
	if pe := (*query.ParseError)(nil); errors.As(err, &pe) && pe.Offset < 0 {
		return termsafe.Text(pe.Msg)
	}
	return termsafe.Text(err.Error())
}

func chartBody(s *styles.Styles, p dash.Panel, a *dash.Answer, w, h int) string {
	spec, res := a.Applied.Spec, a.Result
	switch p.Chart {
	case charts.Number:
		return stat(s, p, res, a.Previous, a.Applied.TimeColumn != "", w, h)
	case charts.Sparkline:
		return spark(s, p, spec, res, w, h)
	case charts.Table:
		c := &common.Common{Styles: s}
		t := results.New(c)
		t.SetResult(spec, res)
		t.SetSize(w, h)
		return t.View()
	}
	metric := 0
	for i, c := range metricColumns(res) {
		if res.Columns[c].Name == p.Metric {
			metric = i
		}
	}
	return chart.RenderWith(s, p.Chart, spec, res, chart.Options{Metric: metric, BarStyle: thresholdStyle(s, p),
		Extent: chart.Extent{From: a.From, To: a.To}}, w, h)
}

// thresholdStyle styles a value by the panel's thresholds; nil when it has none.
func thresholdStyle(s *styles.Styles, p dash.Panel) func(float64) (lipgloss.Style, bool) {
	if len(p.Thresholds) == 0 {
		return nil
	}
	return func(v float64) (lipgloss.Style, bool) { return colorStyle(s, p.Color(v)) }
}

// colorStyle turns a threshold's colour name into a style from the theme where it has one.
func colorStyle(s *styles.Styles, name string) (lipgloss.Style, bool) {
	if name == "" || s.NoColor {
		return lipgloss.Style{}, false
	}
	switch name {
	case "green":
		return s.Status.OK, true
	case "yellow", "orange":
		return s.Status.Warn, true
	case "red":
		return s.Status.Error, true
	}
	ansiColors := map[string]string{"blue": "4", "magenta": "5", "purple": "5", "cyan": "6", "gray": "8", "grey": "8", "white": "15"}
	if c, ok := ansiColors[name]; ok {
		return lipgloss.NewStyle().Foreground(lipgloss.Color(c)), true
	}
	return lipgloss.NewStyle().Foreground(lipgloss.Color(name)), true
}

// metricColumns lists the result's metric columns.
func metricColumns(res *query.Result) []int {
	var out []int
	for i, c := range res.Columns {
		if c.Role == query.RoleMetric {
			out = append(out, i)
		}
	}
	return out
}

// stat prints each metric's exact value, and its change against the period before when the
// range applied.
func stat(s *styles.Styles, p dash.Panel, res, prev *query.Result, ranged bool, w, h int) string {
	cols := metricColumns(res)
	if len(res.Rows) == 0 || len(cols) == 0 {
		return center(s.Muted.Render("no rows match"), w, h)
	}
	var lines []string
	for _, c := range cols {
		v := res.Rows[0][c]
		text := format.Value(v, "")
		style := s.Bold
		if f, ok := format.Number(v); ok {
			if st, ok := colorStyle(s, p.Color(f)); ok {
				style = st.Bold(true)
			}
		}
		value := style.Render(text)
		if len(cols) > 1 {
			value = s.Chart.Label.Render(termsafe.String(res.Columns[c].Name)+"  ") + value
		}
		lines = append(lines, value)
		if change := changeText(v, prev, c, ranged); change != "" {
			lines = append(lines, s.Muted.Render(change))
		}
	}
	return center(strings.Join(lines, "\n"), w, h)
}

// changeText compares a value with the same metric over the period before.
func changeText(v any, prev *query.Result, col int, ranged bool) string {
	if !ranged {
		return ""
	}
	if prev == nil || len(prev.Rows) == 0 || col >= len(prev.Rows[0]) {
		return "no answer for the period before"
	}
	pv := prev.Rows[0][col]
	cur, ok1 := format.Number(v)
	was, ok2 := format.Number(pv)
	if !ok1 || !ok2 {
		return "before: " + format.Value(pv, "")
	}
	before := " vs " + format.Value(pv, "") + " before"
	switch {
	case cur == was:
		return "= no change" + before
	case was == 0:
		return "▲ up from 0 before"
	}
	pct := (cur - was) / math.Abs(was) * 100
	arrow := "▲"
	if pct < 0 {
		arrow = "▼"
	}
	return fmt.Sprintf("%s %.1f%%%s", arrow, math.Abs(pct), before)
}

// center puts text in the middle of w x h cells.
func center(text string, w, h int) string {
	lines := strings.Split(text, "\n")
	top := max(0, (h-len(lines))/2)
	out := make([]string, 0, h)
	for range top {
		out = append(out, "")
	}
	for _, l := range lines {
		lw := ansi.StringWidth(l)
		if lw >= w {
			out = append(out, common.Truncate(l, w))
			continue
		}
		out = append(out, strings.Repeat(" ", (w-lw)/2)+l)
	}
	return common.Block(strings.Join(out, "\n"), w, h)
}

// spark draws the first metric over the first group-by as a sparkline under its latest value.
func spark(s *styles.Styles, p dash.Panel, spec query.Spec, res *query.Result, w, h int) string {
	cols := metricColumns(res)
	dim := -1
	for i, c := range res.Columns {
		if c.Role == query.RoleDimension {
			dim = i
			break
		}
	}
	if len(res.Rows) == 0 || len(cols) == 0 || dim < 0 {
		return s.Muted.Render("no rows match")
	}
	rows := append([][]any(nil), res.Rows...)
	if _, ok := rows[0][dim].(time.Time); ok {
		sort.SliceStable(rows, func(i, j int) bool {
			a, _ := rows[i][dim].(time.Time)
			b, _ := rows[j][dim].(time.Time)
			return a.Before(b)
		})
	}
	mc := cols[0]
	vs := make([]float64, len(rows))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, r := range rows {
		v, ok := format.Number(r[mc])
		if !ok {
			v = math.NaN()
		} else {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		vs[i] = v
	}
	last := rows[len(rows)-1][mc]
	style := s.Bold
	if f, ok := format.Number(last); ok {
		if st, ok := colorStyle(s, p.Color(f)); ok {
			style = st.Bold(true)
		}
	}
	unit := ""
	if d, ok := spec.OutputDimension(dim); ok && d.Kind == query.DimDateTrunc {
		unit = d.Unit
	}
	head := style.Render(format.Value(last, "")) + s.Muted.Render("  "+format.Label(rows[len(rows)-1][dim], unit))
	if !math.IsInf(lo, 0) {
		head += s.Muted.Render(fmt.Sprintf(" · min %s · max %s", format.Human(lo), format.Human(hi)))
		// Counts read from zero; a band of averages far from zero is drawn from a little below it.
		if base := lo - (hi-lo)/4; lo > 0 && lo > hi/2 {
			for i := range vs {
				vs[i] -= base
			}
		}
	}
	if h < 2 {
		return common.Truncate(head, w)
	}
	if len(vs) < w { // few buckets: widen each to fill the panel
		wide := make([]float64, w)
		for x := range wide {
			wide[x] = vs[x*len(vs)/w]
		}
		vs = wide
	}
	return common.Truncate(head, w) + "\n" + chart.Sparkline(s.Series(0), vs, w, h-1)
}
