package explorer

import (
	"charm.land/bubbles/v2/key"

	"github.com/dora-dev/dora/tui/screen"
)

// Screen is the explorer as a tab of the workbench shell.
type Screen struct {
	screen.Wrapped
	m *Model
}

var _ screen.Screen = (*Screen)(nil)

// NewScreen wraps an explorer model, built with Options.Shell set, as a screen.
func NewScreen(m *Model) *Screen {
	s := &Screen{m: m}
	s.Wrap(m, s)
	return s
}

// Model is the explorer behind the screen.
func (s *Screen) Model() *Model { return s.m }

// View draws the explorer without its help bar.
func (s *Screen) View() string { return s.m.render() }

// ShortHelp is the modal's or the focused panel's bindings, then the builders.
func (s *Screen) ShortHelp() []key.Binding { return s.m.shortHelp() }

// FullHelp is the focused panel's bindings and the explorer's.
func (s *Screen) FullHelp() [][]key.Binding {
	return s.m.helpGroups()
}

// Unsaved names the view changed and not saved, for the shell to ask before quitting.
func (s *Screen) Unsaved() string { return s.m.Unsaved() }

// Title is the tab's name.
func (s *Screen) Title() string { return "Explore" }

// InputFocused is true while a picker or the SQL line takes typing.
func (s *Screen) InputFocused() bool { return s.m.picker != nil || s.m.bar.Editing() }

// Status is "querying" while a query is in flight.
func (s *Screen) Status() string {
	if s.m.running {
		return "querying"
	}
	return ""
}
