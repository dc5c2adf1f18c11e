// Package picker is the modal chooser every view-building step uses: pick a field, a function,
// an operator, a value. Typing narrows the list; when free text is allowed, what was typed can be
// chosen as it is.
package picker

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/listview"
)

// Item is one choice.
type Item struct {
	Glyph  string
	Label  string
	Detail string
	Value  any
}

// ChosenMsg reports a choice. Free is set when the typed text was chosen rather than an item.
type ChosenMsg struct {
	ID   int
	Item Item
	Text string
	Free bool
}

// CancelMsg reports that the picker was closed without a choice.
type CancelMsg struct{ ID int }

// KeyMap is the picker's bindings. Letters type into the filter, so navigation is arrows only.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Choose, Cancel key.Binding
}

// DefaultKeyMap returns the picker's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "ctrl+p", "shift+tab"), key.WithHelp("↑", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "ctrl+n", "tab"), key.WithHelp("↓", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "first")),
		Bottom:   key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "last")),
		Choose:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// Model is an open picker.
type Model struct {
	common    *common.Common
	keys      KeyMap
	id        int
	title     string
	items     []Item
	shown     []Item // items matching the filter, with the free-text choice first when offered
	free      int    // index of the free-text choice in shown, -1 when there is none
	input     textinput.Model
	list      *listview.Model
	allowFree bool
	loading   bool
	Hint      string // a line under the title, e.g. "type a value or pick one"
	// FreeFirst puts what was typed before the matching items, so enter takes the typed text (a
	// new name) unless an item is picked with the arrows.
	FreeFirst bool
	suggest   string
	width     int
	height    int
}

// New opens a picker. id lets the root tell answers to different pickers apart.
func New(c *common.Common, id int, title string, items []Item, allowFree bool) *Model {
	in := textinput.New()
	st := in.Styles()
	st.Cursor.Blink = false // a steady cursor: no redraw traffic over SSH
	in.SetStyles(st)
	in.Prompt = "› "
	in.Placeholder = "type to filter"
	if allowFree {
		in.Placeholder = "type a value or filter"
	}
	in.Focus()
	m := &Model{common: c, keys: DefaultKeyMap(), id: id, title: title, items: items, input: in,
		list: listview.New(c.Styles), allowFree: allowFree}
	m.list.SetFocused(true)
	m.list.Empty = "no match"
	m.refilter()
	return m
}

// ID is the picker's id.
func (m *Model) ID() int { return m.id }

// Title is the picker's title.
func (m *Model) Title() string { return m.title }

// SetLoading shows that items are still being fetched.
func (m *Model) SetLoading(b bool) {
	m.loading = b
	m.refilter()
}

// SetItems replaces the choices (top values arrived).
func (m *Model) SetItems(items []Item) {
	m.items = items
	m.loading = false
	m.refilter()
}

// Suggest offers text as the choice when nothing is typed: it stands in the input as the
// placeholder, and enter takes it (the item of that label, when there is one). Typing replaces it.
func (m *Model) Suggest(text string) {
	m.suggest = text
	if text != "" {
		m.input.Placeholder = text
	}
	m.refilter()
}

// Items returns the choices currently shown.
func (m *Model) Items() []Item { return m.shown }

func (m *Model) refilter() {
	q := strings.ToLower(strings.TrimSpace(m.input.Value()))
	m.shown = m.shown[:0]
	exact := false
	for _, it := range m.items {
		if strings.EqualFold(it.Label, q) {
			exact = true
		}
	}
	for _, it := range m.items {
		if q == "" || strings.Contains(strings.ToLower(it.Label), q) {
			m.shown = append(m.shown, it)
		}
	}
	// What was typed can be chosen as it is: first when nothing matches, else after the matches.
	m.free = -1
	if q == "" && m.suggest != "" && m.allowFree {
		i := slices.IndexFunc(m.shown, func(it Item) bool { return it.Label == m.suggest })
		if i >= 0 { // the suggestion is an item: first, under the cursor
			it := m.shown[i]
			m.shown = append([]Item{it}, slices.Delete(m.shown, i, i+1)...)
		} else {
			m.free = 0
			m.shown = append([]Item{{Glyph: "✎", Label: fmt.Sprintf("use %q", m.suggest)}}, m.shown...)
		}
	}
	if m.allowFree && q != "" && !exact {
		typed := Item{Glyph: "✎", Label: fmt.Sprintf("use %q", m.input.Value())}
		switch {
		case m.FreeFirst || len(m.shown) == 0:
			m.free = 0
			m.shown = append([]Item{typed}, m.shown...)
		default:
			m.free = len(m.shown)
			m.shown = append(m.shown, typed)
		}
	}
	rows := make([]listview.Row, len(m.shown))
	for i, it := range m.shown {
		rows[i] = listview.Row{Glyph: it.Glyph, Text: it.Label, Detail: it.Detail}
	}
	if m.loading {
		m.list.Empty = "loading…"
	} else {
		m.list.Empty = "no match"
	}
	m.list.SetRows(rows)
	m.list.SetCursor(0)
}

// SetSize sets the size of the whole box.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.input.SetWidth(max(1, w-6))
	m.list.SetSize(max(0, w-2), max(0, h-4-m.hintLines()))
}

func (m *Model) hintLines() int {
	if m.Hint == "" {
		return 0
	}
	return 1
}

// Update handles input; it returns a command carrying ChosenMsg or CancelMsg when done.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		nav := listview.NavKeyMap{Up: m.keys.Up, Down: m.keys.Down, PageUp: m.keys.PageUp, PageDown: m.keys.PageDown,
			Top: m.keys.Top, Bottom: m.keys.Bottom} // home and end move in the list: the filter is short
		if m.list.Update(k, nav) {
			return nil
		}
		switch {
		case key.Matches(k, m.keys.Cancel):
			id := m.id
			return func() tea.Msg { return CancelMsg{ID: id} }
		case key.Matches(k, m.keys.Choose):
			return m.choose()
		}
	}
	before := m.input.Value()
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	if m.input.Value() != before {
		m.refilter()
	}
	return cmd
}

func (m *Model) choose() tea.Cmd {
	id, text := m.id, strings.TrimSpace(m.input.Value())
	if len(m.shown) == 0 {
		return nil
	}
	i := m.list.Cursor()
	if i == m.free {
		if text == "" {
			text = m.suggest
		}
		return func() tea.Msg { return ChosenMsg{ID: id, Text: text, Free: true} }
	}
	it := m.shown[i]
	return func() tea.Msg { return ChosenMsg{ID: id, Item: it, Text: text} }
}

// View renders the picker as a framed box of its size.
func (m *Model) View() string {
	s := m.common.Styles
	m.list.SetStyles(s)
	innerW := max(0, m.width-2)
	var b strings.Builder
	b.WriteString(common.Fit(m.input.View(), innerW))
	if m.Hint != "" {
		b.WriteString("\n")
		b.WriteString(s.Muted.Render(common.Fit(" "+m.Hint, innerW)))
	}
	b.WriteString("\n")
	b.WriteString(s.Box.Border.Render(strings.Repeat("─", innerW)))
	b.WriteString("\n")
	b.WriteString(m.list.View())
	return common.Box(s, m.title, b.String(), m.width, m.height, true)
}

// ShortHelp is the help bar while the picker is open.
func (m *Model) ShortHelp() []key.Binding {
	return []key.Binding{m.keys.Choose, m.keys.Up, m.keys.Down, m.keys.Cancel}
}

// FullHelp is the full help while the picker is open.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.keys.Choose, m.keys.Cancel}, {m.keys.Up, m.keys.Down, m.keys.PageUp, m.keys.PageDown, m.keys.Top, m.keys.Bottom}}
}
