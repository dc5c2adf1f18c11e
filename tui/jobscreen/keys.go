package jobscreen

import "charm.land/bubbles/v2/key"

// KeyMap is the Jobs screen's bindings.
type KeyMap struct {
	Up, Down   key.Binding
	Switch     key.Binding // definitions <-> runs
	Open       key.Binding
	Back       key.Binding
	Launch     key.Binding
	Submit     key.Binding
	Cancel     key.Binding
	Retry      key.Binding
	Refresh    key.Binding
	ByJob      key.Binding
	ByStatus   key.Binding
	Follow     key.Binding
	Top        key.Binding
	FirstError key.Binding
	PageUp     key.Binding
	PageDown   key.Binding
	Search     key.Binding
	Next, Prev key.Binding // the search's matches
}

// DefaultKeyMap returns the Jobs screen's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:         key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑↓", "move")),
		Down:       key.NewBinding(key.WithKeys("down", "j")),
		Switch:     key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "jobs/runs")),
		Open:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Launch:     key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "launch")),
		Submit:     key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "launch (in the form)")), // not ctrl+s: flow control freezes terminals
		Cancel:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "cancel run")),
		Retry:      key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "retry")), // r refreshes, as on every screen
		Refresh:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		ByJob:      key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "filter by job")),
		ByStatus:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "filter by status")),
		Follow:     key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "follow")),
		Top:        key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		FirstError: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "first error")),
		PageUp:     key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("pgup/pgdn", "page")),
		PageDown:   key.NewBinding(key.WithKeys("pgdown", " ")),
		Search:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")),
		Next:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n/N", "next/previous match")),
		Prev:       key.NewBinding(key.WithKeys("N")),
	}
}
