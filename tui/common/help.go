package common

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/tui/styles"
)

// helpGap separates the items of the help bar.
const helpGap = "  "

// HelpBar draws the help bar in at most w cells: bindings come most important first, and one
// that does not fit is left out whole rather than cut, so the bar never ends in "…". The
// bindings of last are always drawn, at the end (the key of the full help). A key shown once
// is not shown again, and disabled bindings are not shown.
func HelpBar(s *styles.Styles, bs, last []key.Binding, w int) string {
	item := func(b key.Binding) (string, int) {
		h := b.Help()
		text := s.Help.Key.Render(h.Key) + " " + s.Help.Desc.Render(h.Desc)
		return text, ansi.StringWidth(h.Key) + 1 + ansi.StringWidth(h.Desc)
	}
	seen := map[string]bool{}
	room := w
	var tail []string
	for _, b := range last {
		if k := b.Help().Key; b.Enabled() && k != "" && !seen[k] {
			seen[k] = true
			t, n := item(b)
			tail = append(tail, t)
			room -= n + len(helpGap)
		}
	}
	var out []string
	for _, b := range bs {
		k := b.Help().Key
		if !b.Enabled() || k == "" || seen[k] {
			continue
		}
		t, n := item(b)
		if n+len(helpGap) > room {
			continue // a shorter one further on may still fit
		}
		seen[k] = true
		out = append(out, t)
		room -= n + len(helpGap)
	}
	return Fit(strings.Join(append(out, tail...), helpGap), w)
}

// HelpColumns lays groups of bindings out as columns of "key  what" for the full help, as
// many side by side as fit in w cells; the others wrap onto further rows of columns, so no
// column is ever cut. When that is taller than h rows, long groups are split into shorter
// columns until it fits (or cannot be split further). A binding shown in an earlier group is
// not shown again.
func HelpColumns(s *styles.Styles, groups [][]key.Binding, w, h int) []string {
	rows := helpColumns(s, groups, w)
	for most := 10; len(rows) > h && most >= 3; most-- {
		var split [][]key.Binding
		for _, g := range groups {
			for len(g) > most {
				split = append(split, g[:most])
				g = g[most:]
			}
			split = append(split, g)
		}
		rows = helpColumns(s, split, w)
	}
	return rows
}

func helpColumns(s *styles.Styles, groups [][]key.Binding, w int) []string {
	seen := map[string]bool{}
	var cols [][]string
	var widths []int
	for _, g := range groups {
		var shown []key.Binding
		keyW := 0
		for _, b := range g {
			k := b.Help().Key
			if !b.Enabled() || k == "" || seen[k+"\x00"+b.Help().Desc] {
				continue
			}
			seen[k+"\x00"+b.Help().Desc] = true
			shown = append(shown, b)
			keyW = max(keyW, ansi.StringWidth(k))
		}
		var col []string
		cw := 0
		for _, b := range shown {
			line := s.Help.Key.Render(Fit(b.Help().Key, keyW)) + "  " + s.Help.Desc.Render(b.Help().Desc)
			col = append(col, line)
			cw = max(cw, ansi.StringWidth(line))
		}
		if len(col) > 0 {
			cols, widths = append(cols, col), append(widths, min(cw, max(1, w-1))) // a column wider than the screen is the one thing cut
		}
	}
	const gap = 3
	var rows []string
	for i := 0; i < len(cols); {
		j, used := i+1, 1+widths[i] // a cell of margin, then the columns
		for j < len(cols) && used+gap+widths[j] <= w {
			used += gap + widths[j]
			j++
		}
		height := 0
		for k := i; k < j; k++ {
			height = max(height, len(cols[k]))
		}
		for r := range height {
			var b strings.Builder
			for k := i; k < j; k++ {
				cell := ""
				if r < len(cols[k]) {
					cell = cols[k][r]
				}
				b.WriteString(Fit(cell, widths[k]))
				if k < j-1 {
					b.WriteString(strings.Repeat(" ", gap))
				}
			}
			rows = append(rows, " "+b.String())
		}
		rows = append(rows, "")
		i = j
	}
	return rows[:max(0, len(rows)-1)]
}
