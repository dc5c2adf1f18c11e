package common

import (
	"math/rand/v2"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/tui/styles"
)

// Every rune narrow admits is one cell on its own and between others, as ansi measures it.
func TestNarrowRunes(t *testing.T) {
	for r := rune(0); r < 0x10000; r++ {
		if !narrow(r) {
			continue
		}
		s := string(r)
		if w := ansi.StringWidth(s); w != 1 {
			t.Errorf("%U %q: %d cells alone", r, s, w)
		}
		if w := ansi.StringWidth("a" + s + s + "é" + s + "─"); w != 6 {
			t.Errorf("%U %q: %d cells among others, want 6", r, s, w)
		}
	}
}

// Width agrees with ansi.StringWidth on text of every kind: styled, wide, combining, emoji,
// other escapes, broken escapes and bytes.
func TestWidthMatchesAnsi(t *testing.T) {
	s := styles.Default(true, false)
	parts := []string{"a", "Z", " ", "─", "│", "╭", "█", "▁", "⣿", "●", "○", "■", "◆", "▲", "▼", "…", "·",
		"é", "ü", "ß", "→", "↔", "▶", "◀", "◻", "漢", "字", "🙂", "e\u0301", "\u0301", "\u200d", "\u00ad",
		"\t", "\n", "\x01", "\x7f", "\x1b[m", "\x1b[38;2;1;2;3m", "\x1b[1;4m", "\x1b]8;;http://x\x07",
		"\x1b", "\x1b[", "\x1b[3", "\x1b[1 q", "\x1b[ 1q", "\x1b[?25l", "\x1b[0\x01m", "\x1bM", "\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;19;20;21;22;23;24;25;26;27;28;29;30;31;32;33m", "\xff", "\xe2\x94", "🇫🇷", "\u2028",
		s.Series(0).Render("██"), s.Bold.Render("bold"), s.Muted.Render("… 3 more")}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rnd.IntN(12); n >= 0; n-- {
			b.WriteString(parts[rnd.IntN(len(parts))])
		}
		if got, want := Width(b.String()), ansi.StringWidth(b.String()); got != want {
			t.Fatalf("Width(%q) = %d, ansi says %d", b.String(), got, want)
		}
	}
}

// A painter draws exactly what the style's Render does, plain styles or not.
func TestPainterMatchesRender(t *testing.T) {
	s := styles.Default(true, false)
	for i, st := range []lipgloss.Style{
		{}, lipgloss.NewStyle(), s.Table.Cell, s.Series(2), s.Bold, s.Muted.Italic(true).Reverse(true),
		lipgloss.NewStyle().Background(lipgloss.Color("#102030")).Blink(true).Faint(true),
		lipgloss.NewStyle().Underline(true), lipgloss.NewStyle().Strikethrough(true), lipgloss.NewStyle().Padding(0, 1),
		lipgloss.NewStyle().Width(6), lipgloss.NewStyle().MaxWidth(3), lipgloss.NewStyle().SetString("pre"),
		lipgloss.NewStyle().Transform(strings.ToUpper), lipgloss.NewStyle().Border(lipgloss.NormalBorder()),
		lipgloss.NewStyle().Hyperlink("http://x"), lipgloss.NewStyle().Inline(true).Foreground(lipgloss.Color("2")),
		lipgloss.NewStyle().UnderlineColor(lipgloss.Color("5")).Bold(true),
	} {
		p := NewPainter(st)
		for _, text := range []string{"", "x", "two words", "  spaced  ", "tab\there", "two\nlines", "cr\r\nlf", "漢字 ─ ⣿", "\x1b[1mnested\x1b[m"} {
			var b strings.Builder
			p.Write(&b, []byte(text))
			if got, want := p.Render(text), st.Render(text); got != want || b.String() != want {
				t.Errorf("style %d, %q: painter %q / %q, Render %q", i, text, got, b.String(), want)
			}
		}
	}
}
