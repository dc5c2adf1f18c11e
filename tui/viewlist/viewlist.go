// Package viewlist is the side panel that lists the parts of the current view (group-bys,
// metrics, filters, order, limit) so any of them can be removed.
package viewlist

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/builder"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/listview"
)

// RemoveMsg asks the root to remove a part of the view.
type RemoveMsg struct{ Item builder.Item }

// KeyMap is the panel's bindings.
type KeyMap struct {
	Nav    listview.NavKeyMap
	Remove key.Binding
}

// DefaultKeyMap returns the panel's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Nav:    listview.DefaultNavKeyMap(),
		Remove: key.NewBinding(key.WithKeys("x", "backspace", "delete"), key.WithHelp("x", "remove")),
	}
}

// Model is the view panel.
type Model struct {
	common *common.Common
	keys   KeyMap
	list   *listview.Model
	items  []builder.Item
}

// New returns an empty view panel.
func New(c *common.Common) *Model {
	l := listview.New(c.Styles)
	l.Empty = "raw rows"
	return &Model{common: c, keys: DefaultKeyMap(), list: l}
}

// SetSpec lists the parts of a Spec.
func (m *Model) SetSpec(s query.Spec) {
	m.items = builder.Items(s)
	rows := make([]listview.Row, len(m.items))
	for i, it := range m.items {
		rows[i] = listview.Row{Glyph: glyph(it.Kind), Text: it.Label}
	}
	m.list.SetRows(rows)
}

func glyph(k builder.Kind) string {
	switch k {
	case builder.KindGroupBy:
		return "▤"
	case builder.KindMetric:
		return "∑"
	case builder.KindFilter, builder.KindHaving:
		return "⊃"
	case builder.KindOrder:
		return "⇅"
	}
	return "≤"
}

// Items returns the listed parts.
func (m *Model) Items() []builder.Item { return m.items }

// SetCursor selects an item.
func (m *Model) SetCursor(i int) { m.list.SetCursor(i) }

// SetSize sets the inner size.
func (m *Model) SetSize(w, h int) { m.list.SetSize(w, h) }

// SetFocused says whether the panel has focus.
func (m *Model) SetFocused(f bool) { m.list.SetFocused(f) }

// Update handles a key press.
func (m *Model) Update(msg tea.KeyPressMsg) tea.Cmd {
	if m.list.Update(msg, m.keys.Nav) {
		return nil
	}
	if key.Matches(msg, m.keys.Remove) && len(m.items) > 0 {
		it := m.items[m.list.Cursor()]
		return func() tea.Msg { return RemoveMsg{Item: it} }
	}
	return nil
}

// View renders the list.
func (m *Model) View() string {
	m.list.SetStyles(m.common.Styles)
	return m.list.View()
}

// ShortHelp is the help bar.
func (m *Model) ShortHelp() []key.Binding { return []key.Binding{m.keys.Remove} }

// FullHelp is the full help.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.keys.Remove, m.keys.Nav.Up, m.keys.Nav.Down}}
}
