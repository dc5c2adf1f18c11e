package chart

import (
	"image/color"
	"strings"
	"unicode/utf8"
	"unsafe"

	"charm.land/lipgloss/v2"
	"github.com/NimbleMarkets/ntcharts/v2/canvas"

	"github.com/dora-dev/dora/tui/common"
)

// styleKey is what tells two chart cells' styles apart: charts only ever vary colours and a few
// attributes, so cells with the same key can be drawn in one run.
type styleKey struct {
	fg, bg                              color.Color
	bold, faint, italic, underline, rev bool
}

func keyOf(s *lipgloss.Style) styleKey {
	return styleKey{s.GetForeground(), s.GetBackground(), s.GetBold(), s.GetFaint(), s.GetItalic(),
		s.GetUnderline(), s.GetReverse()}
}

// sameBits reports whether two styles are the same bits: such styles draw alike and have the
// same key. Comparing them this way costs a fraction of asking seven getters of a 650-byte value
// per cell (most neighbouring cells share their style); styles that differ in bits go on to keyOf.
func sameBits(a, b *lipgloss.Style) bool {
	const n = unsafe.Sizeof(lipgloss.Style{})
	return *(*[n]byte)(unsafe.Pointer(a)) == *(*[n]byte)(unsafe.Pointer(b))
}

// draw renders an ntcharts canvas like its View, but styles each run of equally styled cells
// once instead of every cell (a 200x60 chart is otherwise twelve thousand Render calls), with
// a painter per style.
func draw(c *canvas.Model) string {
	w, h := c.Width(), c.Height()
	var b strings.Builder
	b.Grow(w*h*2 + h)
	run := make([]byte, 0, 4*w)
	type known struct {
		style   lipgloss.Style
		painter common.Painter
	}
	var painters []known         // by the bits of the style, so one style always draws the same
	var cur, last lipgloss.Style // the run's first cell's style, which draws it; the last cell's
	var curKey styleKey
	flush := func() {
		if len(run) == 0 {
			return
		}
		i := 0
		for i < len(painters) && !sameBits(&painters[i].style, &cur) {
			i++
		}
		switch {
		case i < len(painters):
			painters[i].painter.Write(&b, run)
		case len(painters) < 64: // charts draw with a handful of styles
			painters = append(painters, known{cur, common.NewPainter(cur)})
			painters[i].painter.Write(&b, run)
		default:
			b.WriteString(cur.Render(string(run)))
		}
		run = run[:0]
	}
	for y := 0; y < h; y++ {
		if y > 0 {
			b.WriteByte('\n')
		}
		started := false
		for x := 0; x < w; x++ {
			cell := c.Cell(canvas.Point{X: x, Y: y})
			if !started || !sameBits(&cell.Style, &last) {
				if k := keyOf(&cell.Style); !started || k != curKey {
					flush()
					cur, curKey, started = cell.Style, k, true
				}
				last = cell.Style
			}
			switch r := cell.Rune; {
			case r == 0:
				run = append(run, ' ')
			case r < utf8.RuneSelf:
				run = append(run, byte(r))
			default:
				run = utf8.AppendRune(run, r)
			}
		}
		flush()
	}
	return b.String()
}
