package dashscreen

import "charm.land/bubbles/v2/key"

// KeyMap is the dashboard screen's bindings; help and quit are the shell's.
type KeyMap struct {
	Up, Down, Left, Right key.Binding
	Zoom                  key.Binding
	Refresh               key.Binding
	Pause                 key.Binding
	Earlier, Later        key.Binding
	Wider, Narrower       key.Binding
	Range                 key.Binding
	Filter                key.Binding
	Submit, Cancel        key.Binding
}

// DefaultKeyMap returns the dashboard's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑↓←→/hjkl", "move")),
		Down:     key.NewBinding(key.WithKeys("down", "j")),
		Left:     key.NewBinding(key.WithKeys("left", "h")),
		Right:    key.NewBinding(key.WithKeys("right", "l")),
		Zoom:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "explore")),
		Refresh:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Pause:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause panel")),
		Earlier:  key.NewBinding(key.WithKeys("["), key.WithHelp("[ ]", "shift range")),
		Later:    key.NewBinding(key.WithKeys("]")),
		Wider:    key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+ -", "widen/narrow")),
		Narrower: key.NewBinding(key.WithKeys("-")),
		Range:    key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "type range")),
		Filter:   key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "filter")),
		Submit:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// ShortHelp is the grid's part of the help bar.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Zoom, k.Earlier, k.Wider, k.Range, k.Filter, k.Refresh, k.Pause}
}

// FullHelp is every binding, grouped.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Zoom}, {k.Earlier, k.Wider, k.Range, k.Filter}, {k.Refresh, k.Pause}}
}
