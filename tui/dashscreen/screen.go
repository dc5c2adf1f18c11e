package dashscreen

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/tui/screen"
)

var (
	_ screen.Screen     = (*Model)(nil)
	_ screen.FullHelper = (*Model)(nil)
	_ screen.Unsaved    = (*Model)(nil)
)

// Update starts the panels when the screen is first shown, runs them again when tables changed
// elsewhere, and routes every other message: answers to their panel, keys to the prompt, the
// zoomed explorer or the grid.
func (m *Model) Update(msg tea.Msg) (screen.Screen, tea.Cmd) {
	if m.d == nil {
		return m, nil
	}
	switch msg.(type) {
	case screen.ShownMsg:
		if m.focused {
			return m, m.start()
		}
		return m, nil
	case screen.Changed: // a load or an ETL publish elsewhere: the panels' tables may hold other rows
		cmd := m.toZoom(msg) // the zoomed explorer lists its tables again
		if m.started {
			cmd = tea.Batch(cmd, m.refreshAll(refreshDue))
		}
		return m, cmd
	}
	return m, m.update(msg)
}

// SetSize gives the screen its area, and the zoomed explorer with it.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.hint.SetSize(w, h)
	if m.zoom != nil {
		m.zoom.SetSize(w, h)
	}
}

// Focus marks the screen shown; the ShownMsg that follows starts its panels the first time.
func (m *Model) Focus() { m.focused = true }

// Blur marks it hidden; its panels go on refreshing.
func (m *Model) Blur() { m.focused = false }

// Unsaved names the zoomed explorer's view when it was changed and not saved, for the shell to
// ask before quitting; "" when no panel is zoomed or nothing would be lost.
func (m *Model) Unsaved() string {
	if m.zoom == nil {
		return ""
	}
	return m.zoom.Unsaved()
}

// View draws the grid, or the explorer a panel is zoomed into, or how to open a dashboard.
func (m *Model) View() string {
	switch {
	case m.d == nil:
		return m.hint.View()
	case m.zoom != nil:
		return m.zoom.View()
	}
	return m.render()
}

// ShortHelp is the grid's bindings, or the zoomed explorer's.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	switch {
	case m.d == nil:
		return nil
	case m.zoom != nil:
		return m.zoom.ShortHelp()
	case m.editing != editNone:
		return []key.Binding{k.Submit, k.Cancel}
	}
	return k.ShortHelp()
}

// FullHelp is every binding of the grid, or of the zoomed explorer.
func (m *Model) FullHelp() [][]key.Binding {
	switch {
	case m.d == nil:
		return nil
	case m.zoom != nil:
		return m.zoom.FullHelp()
	}
	return m.keys.FullHelp()
}

// Title is the tab's name.
func (m *Model) Title() string { return "Dashboards" }

// InputFocused is true while the range or filter prompt, or the zoomed explorer's, takes typing.
func (m *Model) InputFocused() bool {
	if m.zoom != nil {
		return m.zoom.InputFocused()
	}
	return m.editing != editNone
}

// Status counts the panels running.
func (m *Model) Status() string {
	n := 0
	for _, p := range m.panels {
		if p.running {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d refreshing", n)
}
