// Package tables is the side panel that lists the backend's tables with their row counts; enter
// opens one.
package tables

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/format"
	"github.com/dora-dev/dora/tui/listview"
)

// OpenMsg asks the root to open a table.
type OpenMsg struct{ Table string }

// KeyMap is the panel's bindings.
type KeyMap struct {
	Nav  listview.NavKeyMap
	Open key.Binding
}

// DefaultKeyMap returns the panel's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Nav:  listview.DefaultNavKeyMap(),
		Open: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open table")),
	}
}

// Model is the tables panel.
type Model struct {
	common *common.Common
	keys   KeyMap
	list   *listview.Model
	tables []backends.Table
}

// New returns an empty tables panel.
func New(c *common.Common) *Model {
	l := listview.New(c.Styles)
	l.Empty = "loading…"
	return &Model{common: c, keys: DefaultKeyMap(), list: l}
}

// SetTables fills the list.
func (m *Model) SetTables(ts []backends.Table) {
	m.tables = ts
	rows := make([]listview.Row, len(ts))
	for i, t := range ts {
		detail := ""
		if t.Rows >= 0 {
			detail = format.Human(float64(t.Rows))
		}
		glyph := "▦"
		if t.Kind == "view" || t.Kind == "alias" {
			glyph = "◇"
		}
		rows[i] = listview.Row{Glyph: glyph, Text: t.Name, Detail: detail}
	}
	m.list.Empty = "no tables"
	m.list.SetRows(rows)
}

// SetFailed shows that the tables could not be listed.
func (m *Model) SetFailed() {
	if len(m.tables) == 0 {
		m.list.Empty = "unavailable; r retries"
	}
}

// Tables returns the listed tables.
func (m *Model) Tables() []backends.Table { return m.tables }

// Select moves the cursor to the named table.
func (m *Model) Select(name string) {
	for i, t := range m.tables {
		if t.Name == name {
			m.list.SetCursor(i)
		}
	}
}

// Selected returns the table under the cursor.
func (m *Model) Selected() (backends.Table, bool) {
	if len(m.tables) == 0 {
		return backends.Table{}, false
	}
	return m.tables[m.list.Cursor()], true
}

// SetSize sets the inner size.
func (m *Model) SetSize(w, h int) { m.list.SetSize(w, h) }

// SetFocused says whether the panel has focus.
func (m *Model) SetFocused(f bool) { m.list.SetFocused(f) }

// Update handles a key press.
func (m *Model) Update(msg tea.KeyPressMsg) tea.Cmd {
	if m.list.Update(msg, m.keys.Nav) {
		return nil
	}
	if key.Matches(msg, m.keys.Open) {
		if t, ok := m.Selected(); ok {
			return func() tea.Msg { return OpenMsg{Table: t.Name} }
		}
	}
	return nil
}

// View renders the list.
func (m *Model) View() string {
	m.list.SetStyles(m.common.Styles)
	return m.list.View()
}

// ShortHelp is the help bar.
func (m *Model) ShortHelp() []key.Binding {
	return []key.Binding{m.keys.Open}
}

// FullHelp is the full help.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.keys.Open, m.keys.Nav.Up, m.keys.Nav.Down, m.keys.Nav.PageUp, m.keys.Nav.PageDown}}
}
