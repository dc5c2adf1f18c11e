package chart

import (
	"math"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/NimbleMarkets/ntcharts/v2/sparkline"

	"github.com/dora-dev/dora/tui/common"
)

// Sparkline draws values as a sparkline of exactly w x h cells, from zero to the largest value.
// More values than cells are averaged in neighbouring groups; NaN counts as zero.
func Sparkline(style lipgloss.Style, vs []float64, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if len(vs) == 0 {
		return common.Block("", w, h)
	}
	if len(vs) > w {
		out := make([]float64, w)
		for i := range out {
			lo, hi := i*len(vs)/w, (i+1)*len(vs)/w
			sum := 0.0
			for _, v := range vs[lo:hi] {
				if !math.IsNaN(v) {
					sum += v
				}
			}
			out[i] = sum / float64(max(1, hi-lo))
		}
		vs = out
	}
	hi := 0.0
	clean := make([]float64, len(vs))
	for i, v := range vs {
		if math.IsNaN(v) || v < 0 {
			v = 0
		}
		clean[i] = v
		hi = math.Max(hi, v)
	}
	if hi <= 0 {
		hi = 1
	}
	sl := sparkline.New(len(clean), h, sparkline.WithStyle(style), sparkline.WithNoAutoMaxValue(), sparkline.WithMaxValue(hi))
	sl.PushAll(clean)
	sl.Draw()
	lines := strings.Split(sl.View(), "\n")
	for i := range lines {
		lines[i] = common.Fit(lines[i], w)
	}
	return common.Block(strings.Join(lines, "\n"), w, h)
}
