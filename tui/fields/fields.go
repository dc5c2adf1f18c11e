// Package fields is the side panel that lists the open table's fields with a glyph for their type;
// enter groups by the field under the cursor.
package fields

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/listview"
)

// GroupByMsg asks the root to group by a field.
type GroupByMsg struct{ Field query.Field }

// KeyMap is the panel's bindings.
type KeyMap struct {
	Nav     listview.NavKeyMap
	GroupBy key.Binding
}

// DefaultKeyMap returns the panel's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Nav:     listview.DefaultNavKeyMap(),
		GroupBy: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "group by field")),
	}
}

// Glyph is the one-cell sign of a field type: # numbers, A strings, ¶ full text, ◷ time, ◐ bool.
func Glyph(t query.Type) string {
	switch {
	case t.Numeric():
		return "#"
	case t.Temporal():
		return "◷"
	case t == query.TypeString:
		return "A"
	case t == query.TypeText:
		return "¶"
	case t == query.TypeBool:
		return "◐"
	}
	return "?"
}

// ShortType names a type in a few letters.
func ShortType(t query.Type) string {
	switch t {
	case query.TypeString:
		return "kw"
	case query.TypeTime:
		return "ts"
	case query.TypeFloat:
		return "float"
	}
	return string(t)
}

// Model is the fields panel.
type Model struct {
	common *common.Common
	keys   KeyMap
	list   *listview.Model
	schema query.Schema
}

// New returns an empty fields panel.
func New(c *common.Common) *Model {
	l := listview.New(c.Styles)
	l.Empty = "open a table"
	return &Model{common: c, keys: DefaultKeyMap(), list: l}
}

// SetSchema fills the list with a table's fields.
func (m *Model) SetSchema(s query.Schema) {
	if s.Table != m.schema.Table {
		m.list.SetCursor(0)
	}
	m.schema = s
	rows := make([]listview.Row, len(s.Fields))
	for i, f := range s.Fields {
		rows[i] = listview.Row{Glyph: Glyph(f.Type), Text: f.Name, Detail: ShortType(f.Type)}
	}
	m.list.Empty = "no fields"
	m.list.SetRows(rows)
}

// Selected returns the field under the cursor.
func (m *Model) Selected() (query.Field, bool) {
	if len(m.schema.Fields) == 0 {
		return query.Field{}, false
	}
	return m.schema.Fields[m.list.Cursor()], true
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
	if key.Matches(msg, m.keys.GroupBy) {
		if f, ok := m.Selected(); ok {
			return func() tea.Msg { return GroupByMsg{Field: f} }
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
func (m *Model) ShortHelp() []key.Binding { return []key.Binding{m.keys.GroupBy} }

// FullHelp is the full help.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.keys.GroupBy, m.keys.Nav.Up, m.keys.Nav.Down}}
}
