package common

import (
	"strings"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Width is ansi.StringWidth, measured quickly for the text the panels are made of: SGR escape
// sequences and runes that are one cell wide and never join a neighbour into one grapheme
// (ASCII, Latin-1 letters, box drawing, blocks, braille, arrows and the like). Any other
// escape or rune hands the whole string to ansi.StringWidth; most of a frame's cost was that
// grapheme-by-grapheme measuring.
func Width(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f:
			n++
			i++
		case c == 0x1b: // CSI: ESC [ parameters and intermediates, then a final byte
			j := i + 2
			if j > len(s) || s[i+1] != '[' {
				return ansi.StringWidth(s)
			}
			for j < len(s) && s[j] >= 0x30 && s[j] <= 0x3f { // parameters
				j++
			}
			for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2f { // intermediates
				j++
			}
			if j >= len(s) || s[j] < 0x40 || s[j] > 0x7e {
				return ansi.StringWidth(s)
			}
			i = j + 1
		case c < 0x80:
			return ansi.StringWidth(s)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if !narrow(r) {
				return ansi.StringWidth(s)
			}
			n++
			i += size
		}
	}
	return n
}

// narrow reports whether r is one cell wide and a grapheme of its own whatever surrounds it
// (TestNarrowRunes checks every one against ansi.StringWidth).
func narrow(r rune) bool {
	switch {
	case r >= 0xa0 && r <= 0xff:
		return r != 0xad // the soft hyphen is a format character
	case r >= 0x2010 && r <= 0x2027, // dashes, quotes, bullets, the ellipsis
		r >= 0x2190 && r <= 0x21ff, // arrows
		r >= 0x2500 && r <= 0x259f, // box drawing and blocks
		r >= 0x25a0 && r <= 0x25fc, // geometric shapes (◽ and ◾ after them are emoji)
		r >= 0x2800 && r <= 0x28ff: // braille
		return true
	}
	return false
}

// Painter draws text in a style exactly as Style.Render does, but for a style that only
// colours and sets attributes it finds the SGR prefix and suffix once and writes them around
// each text: a table's cells and a chart's runs are otherwise a full Render each.
type Painter struct {
	style     lipgloss.Style
	pre, post string
	plain     bool
}

// NewPainter returns the painter of s.
func NewPainter(s lipgloss.Style) Painter {
	p := Painter{style: s}
	if s.GetWidth() != 0 || s.GetHeight() != 0 || s.GetMaxWidth() != 0 || s.GetMaxHeight() != 0 ||
		s.GetHorizontalFrameSize() != 0 || s.GetVerticalFrameSize() != 0 || s.GetUnderline() ||
		s.GetStrikethrough() || s.GetUnderlineSpaces() || s.GetStrikethroughSpaces() ||
		s.GetTransform() != nil || s.GetInline() {
		return p // Render lays it out, or styles spaces apart
	}
	if link, _ := s.GetHyperlink(); link != "" {
		return p
	}
	const probe, check = "x", "yy y"
	out := s.Render(probe)
	i := strings.LastIndex(out, probe)
	if i < 0 {
		return p
	}
	p.pre, p.post = out[:i], out[i+len(probe):]
	p.plain = s.Render(check) == p.pre+check+p.post
	return p
}

// Render is p's style's Render(text).
func (p Painter) Render(text string) string {
	if !p.plain || strings.ContainsAny(text, "\t\r\n") { // Render converts tabs and splits lines
		return p.style.Render(text)
	}
	return p.pre + text + p.post
}

// Write writes p's style's Render(text) to b.
func (p Painter) Write(b *strings.Builder, text []byte) {
	if !p.plain || strings.ContainsAny(string(text), "\t\r\n") {
		b.WriteString(p.style.Render(string(text)))
		return
	}
	b.WriteString(p.pre)
	b.Write(text)
	b.WriteString(p.post)
}
