package chart

import (
	"image/color"
	"strings"
	"unicode/utf8"
	"unsafe"

	"charm.land/lipgloss/v2"
	"github.com/NimbleMarkets/ntcharts/v2/canvas"
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

// wrap is how Render draws a run in a style: pre + run + post, when plain says it does.
type wrap struct {
	pre, post string
	ok        bool
}

// plain reports whether Render(text) of a single line without tabs is only text between an
// SGR prefix and suffix, and returns them: no width, height, padding, margins, borders,
// alignment, truncation, transform, hyperlink or styled spaces. Checked on two texts.
func plain(s *lipgloss.Style) wrap {
	if s.GetWidth() != 0 || s.GetHeight() != 0 || s.GetMaxWidth() != 0 || s.GetMaxHeight() != 0 ||
		s.GetHorizontalFrameSize() != 0 || s.GetVerticalFrameSize() != 0 || s.GetUnderline() ||
		s.GetStrikethrough() || s.GetUnderlineSpaces() || s.GetStrikethroughSpaces() ||
		s.GetTransform() != nil {
		return wrap{}
	}
	if link, _ := s.GetHyperlink(); link != "" {
		return wrap{}
	}
	const probe, check = "x", "yy y"
	out := s.Render(probe)
	i := strings.LastIndex(out, probe)
	if i < 0 {
		return wrap{}
	}
	w := wrap{pre: out[:i], post: out[i+len(probe):], ok: true}
	if s.Render(check) != w.pre+check+w.post {
		return wrap{}
	}
	return w
}

// draw renders an ntcharts canvas like its View, but styles each run of equally styled cells
// once instead of every cell (a 200x60 chart is otherwise twelve thousand Render calls), and
// draws a run in a plain style by writing the style's SGR prefix and suffix around it.
func draw(c *canvas.Model) string {
	w, h := c.Width(), c.Height()
	var b strings.Builder
	b.Grow(w*h*2 + h)
	run := make([]byte, 0, 4*w)
	type known struct {
		style lipgloss.Style
		wrap  wrap
	}
	var wraps []known            // by the bits of the style, so the same style always draws the same
	var cur, last lipgloss.Style // the run's first cell's style, which draws it; the last cell's
	var curKey styleKey
	special := false // the run holds a control character: Render converts tabs, so let it
	flush := func() {
		if len(run) == 0 {
			return
		}
		var wr wrap
		seen := false
		for i := range wraps {
			if sameBits(&wraps[i].style, &cur) {
				wr, seen = wraps[i].wrap, true
				break
			}
		}
		if !seen {
			wr = plain(&cur)
			if len(wraps) < 32 { // charts use a handful of styles
				wraps = append(wraps, known{cur, wr})
			}
		}
		if wr.ok && !special {
			b.WriteString(wr.pre)
			b.Write(run)
			b.WriteString(wr.post)
		} else {
			b.WriteString(cur.Render(string(run)))
		}
		run, special = run[:0], false
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
			case r < 0x80:
				run = append(run, byte(r))
				special = special || r < 0x20 || r == 0x7f
			default:
				run = utf8.AppendRune(run, r)
			}
		}
		flush()
	}
	return b.String()
}
