package dashscreen

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/tui/explorer"
	"github.com/dora-dev/dora/tui/screen"
)

// Screen is the dashboard as a tab of the workbench shell.
type Screen struct {
	screen.Wrapped
	m       *Model
	focused bool
}

var (
	_ screen.Screen  = (*Screen)(nil)
	_ screen.Unsaved = (*Screen)(nil)
)

// NewScreen wraps a dashboard model, built with Options.Shell set, as a screen.
func NewScreen(m *Model) *Screen {
	s := &Screen{m: m}
	s.Wrap(m, s)
	return s
}

// Update starts the panels when the screen is first shown, runs them again when tables changed
// elsewhere, and hands on every message.
func (s *Screen) Update(msg tea.Msg) (screen.Screen, tea.Cmd) {
	switch msg.(type) {
	case screen.ShownMsg:
		if s.focused {
			return s, s.m.start()
		}
		return s, nil
	case screen.Changed: // a load or an ETL publish elsewhere: the panels' tables may hold other rows
		_, cmd := s.Wrapped.Update(msg) // the zoomed explorer lists its tables again
		if s.m.Started() {
			cmd = tea.Batch(cmd, s.m.refreshAll(refreshDue))
		}
		return s, cmd
	}
	return s.Wrapped.Update(msg)
}

// Focus marks the screen shown; the ShownMsg that follows starts its panels the first time.
func (s *Screen) Focus() { s.focused = true }

// Blur marks it hidden; its panels go on refreshing.
func (s *Screen) Blur() { s.focused = false }

// Model is the dashboard behind the screen.
func (s *Screen) Model() *Model { return s.m }

// zoomed is the explorer a panel is zoomed into, as a screen, or nil.
func (s *Screen) zoomed() *explorer.Screen {
	if s.m.zoom == nil {
		return nil
	}
	return explorer.NewScreen(s.m.zoom)
}

// Unsaved names the zoomed explorer's view when it was changed and not saved, for the shell to
// ask before quitting; "" when no panel is zoomed or nothing would be lost.
func (s *Screen) Unsaved() string {
	if s.m.zoom == nil {
		return ""
	}
	return s.m.zoom.Unsaved()
}

// View draws the grid, or the explorer a panel is zoomed into.
func (s *Screen) View() string {
	if z := s.zoomed(); z != nil {
		return z.View()
	}
	return s.m.render()
}

// ShortHelp is the grid's bindings, or the zoomed explorer's.
func (s *Screen) ShortHelp() []key.Binding {
	if z := s.zoomed(); z != nil {
		return z.ShortHelp()
	}
	k := s.m.keys
	if s.m.editing != editNone {
		return []key.Binding{k.Submit, k.Cancel}
	}
	return []key.Binding{k.Up, k.Zoom, k.Earlier, k.Wider, k.Range, k.Filter, k.Refresh, k.Pause}
}

// FullHelp is every binding of the grid, or of the zoomed explorer.
func (s *Screen) FullHelp() [][]key.Binding {
	if z := s.zoomed(); z != nil {
		return z.FullHelp()
	}
	k := s.m.keys
	return [][]key.Binding{{k.Up, k.Zoom}, {k.Earlier, k.Wider, k.Range, k.Filter}, {k.Refresh, k.Pause}}
}

// Title is the tab's name.
func (s *Screen) Title() string { return "Dashboards" }

// InputFocused is true while the range or filter prompt, or the zoomed explorer's, takes typing.
func (s *Screen) InputFocused() bool {
	if z := s.zoomed(); z != nil {
		return z.InputFocused()
	}
	return s.m.editing != editNone
}

// Status counts the panels running.
func (s *Screen) Status() string {
	n := 0
	for _, p := range s.m.panels {
		if p.running {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d refreshing", n)
}
