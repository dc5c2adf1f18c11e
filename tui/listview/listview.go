// Package listview is the scrolling, selectable list the side panels and the picker share: one
// row per item with a glyph, a name and a right-aligned detail.
package listview

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/styles"
)

// Row is one list item.
type Row struct {
	Glyph  string // one cell, shown before the text
	Text   string
	Detail string // right-aligned, muted
}

// NavKeyMap moves the cursor.
type NavKeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
}

// DefaultNavKeyMap returns the arrow and vi keys.
func DefaultNavKeyMap() NavKeyMap {
	return NavKeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "top")),
		Bottom:   key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "bottom")),
	}
}

// Model is a list with a cursor.
type Model struct {
	styles  *styles.Styles
	rows    []Row
	cursor  int
	offset  int
	width   int
	height  int
	focused bool
	Empty   string // shown when there are no rows
}

// New returns an empty list.
func New(s *styles.Styles) *Model { return &Model{styles: s} }

// SetStyles swaps the styles (the theme changed).
func (m *Model) SetStyles(s *styles.Styles) { m.styles = s }

// SetRows replaces the items, keeping the cursor in range.
func (m *Model) SetRows(rows []Row) {
	m.rows = rows
	m.SetCursor(m.cursor)
}

// Rows returns the items.
func (m *Model) Rows() []Row { return m.rows }

// Len is the number of items.
func (m *Model) Len() int { return len(m.rows) }

// Cursor is the index of the selected item (0 when empty).
func (m *Model) Cursor() int { return m.cursor }

// SetCursor selects an item, scrolling it into view.
func (m *Model) SetCursor(i int) {
	m.cursor = max(0, min(i, len(m.rows)-1))
	if m.height > 0 {
		if m.cursor < m.offset {
			m.offset = m.cursor
		}
		if m.cursor >= m.offset+m.height {
			m.offset = m.cursor - m.height + 1
		}
		m.offset = max(0, min(m.offset, len(m.rows)-m.height))
	}
}

// SetSize sets the list's width and visible rows.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = max(0, w), max(0, h)
	m.SetCursor(m.cursor)
}

// SetFocused says whether the list's panel has focus.
func (m *Model) SetFocused(f bool) { m.focused = f }

// Update moves the cursor for navigation keys and reports whether the key was one.
func (m *Model) Update(msg tea.KeyPressMsg, k NavKeyMap) bool {
	switch {
	case key.Matches(msg, k.Up):
		m.SetCursor(m.cursor - 1)
	case key.Matches(msg, k.Down):
		m.SetCursor(m.cursor + 1)
	case key.Matches(msg, k.PageUp):
		m.SetCursor(m.cursor - max(1, m.height-1))
	case key.Matches(msg, k.PageDown):
		m.SetCursor(m.cursor + max(1, m.height-1))
	case key.Matches(msg, k.Top):
		m.SetCursor(0)
	case key.Matches(msg, k.Bottom):
		m.SetCursor(len(m.rows) - 1)
	default:
		return false
	}
	return true
}

// View renders exactly width x height cells.
func (m *Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	s := m.styles
	// A list longer than its height keeps its last column for the scroll arrows, so they
	// never cover a row's text.
	scrolls := len(m.rows) > m.height && m.width > 1
	rowW := m.width
	if scrolls {
		rowW--
	}
	lines := make([]string, 0, m.height)
	if len(m.rows) == 0 && m.Empty != "" {
		lines = append(lines, s.Muted.Render(common.Fit(" "+m.Empty, m.width)))
	}
	for i := m.offset; i < len(m.rows) && len(lines) < m.height; i++ {
		lines = append(lines, m.row(i, rowW))
	}
	for len(lines) < m.height {
		lines = append(lines, strings.Repeat(" ", rowW))
	}
	if scrolls {
		for i := range lines {
			arrow := " "
			switch {
			case i == 0 && m.offset > 0:
				arrow = s.Muted.Render("↑")
			case i == len(lines)-1 && m.offset+m.height < len(m.rows):
				arrow = s.Muted.Render("↓")
			}
			lines[i] += arrow
		}
	}
	return strings.Join(lines, "\n")
}

func (m *Model) row(i, width int) string {
	s := m.styles
	r := m.rows[i]
	selected := i == m.cursor
	marker := " "
	if selected {
		marker = "▸"
	}
	glyph := r.Glyph
	if glyph == "" {
		glyph = " "
	}
	detail := termsafe.String(r.Detail) // names and values come from the data
	dw := ansi.StringWidth(detail)
	textW := width - 3 // marker, glyph, space
	if dw > 0 {
		textW -= dw + 1
		if textW < 4 { // too narrow: drop the detail
			textW += dw + 1
			detail, dw = "", 0
		}
	}
	text := common.Fit(termsafe.String(r.Text), max(0, textW))
	if selected && m.focused {
		plain := marker + glyph + " " + text
		if dw > 0 {
			plain += " " + detail
		}
		return s.List.Selected.Render(common.Fit(plain, width))
	}
	var b strings.Builder
	if selected {
		b.WriteString(s.List.Cursor.Render(marker))
	} else {
		b.WriteString(marker)
	}
	b.WriteString(s.List.Glyph.Render(glyph))
	b.WriteString(" ")
	if selected {
		b.WriteString(s.List.Cursor.Render(text))
	} else {
		b.WriteString(s.List.Item.Render(text))
	}
	if dw > 0 {
		b.WriteString(" ")
		b.WriteString(s.List.Detail.Render(detail))
	}
	return common.Fit(b.String(), width)
}
