package chart

import (
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/NimbleMarkets/ntcharts/v2/canvas"
)

// styleKey is what tells two chart cells' styles apart: charts only ever vary colours and a few
// attributes, so cells with the same key can be drawn in one run.
type styleKey struct {
	fg, bg                              color.Color
	bold, faint, italic, underline, rev bool
}

func keyOf(s lipgloss.Style) styleKey {
	return styleKey{s.GetForeground(), s.GetBackground(), s.GetBold(), s.GetFaint(), s.GetItalic(),
		s.GetUnderline(), s.GetReverse()}
}

// draw renders an ntcharts canvas like its View, but styles each run of equally styled cells
// once instead of every cell: a 200x60 chart is otherwise twelve thousand Render calls.
func draw(c *canvas.Model) string {
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
			k := keyOf(cell.Style)
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
