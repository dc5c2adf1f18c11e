package explorer

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/tui/screen"
)

var (
	_ screen.Screen     = (*Model)(nil)
	_ screen.FullHelper = (*Model)(nil)
	_ screen.Unsaved    = (*Model)(nil)
)

// Update routes a message: window and theme changes, I/O answers to their owner, keys to the
// modal in front or else to the global bindings and then the focused panel.
func (m *Model) Update(msg tea.Msg) (screen.Screen, tea.Cmd) {
	cmd := m.update(msg)
	m.layout() // sizes follow whatever changed: lists, results, modals
	return m, cmd
}

// View draws the explorer in the area SetSize gave; the shell draws the help bar below it.
func (m *Model) View() string { return m.render() }

// SetSize gives the explorer its area.
func (m *Model) SetSize(w, h int) {
	m.common.Width, m.common.Height = w, h
	m.layout()
}

// Focus does nothing: the explorer keeps its state while another screen is shown.
func (m *Model) Focus() {}

// Blur does nothing, as Focus.
func (m *Model) Blur() {}

// ShortHelp is the modal's or the focused panel's bindings, then the builders.
func (m *Model) ShortHelp() []key.Binding { return m.shortHelp() }

// FullHelp is the focused panel's bindings and the explorer's.
func (m *Model) FullHelp() [][]key.Binding { return m.helpGroups() }

// Title is the tab's name.
func (m *Model) Title() string { return "Explore" }

// InputFocused is true while a picker or the SQL line takes typing.
func (m *Model) InputFocused() bool { return m.picker != nil || m.bar.Editing() }

// Status is "querying" while a query is in flight.
func (m *Model) Status() string {
	if m.running {
		return "querying"
	}
	return ""
}

// Closes says esc has something to close in the explorer: a picker, the SQL editor, the
// inspector, or a view opened for another screen to go back from. A screen holding the explorer
// (a dashboard zoomed into a panel) leaves it on an esc that closes nothing.
func (m *Model) Closes() bool {
	return m.picker != nil || m.bar.Editing() || m.showInsp || len(m.frames) > 0
}

// Stop cancels the query in flight: the explorer is being put away.
func (m *Model) Stop() {
	if m.cancel != nil {
		m.cancel()
	}
}
