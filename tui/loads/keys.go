package loads

import "charm.land/bubbles/v2/key"

// KeyMap is the Loads screen's bindings.
type KeyMap struct {
	Up, Down key.Binding
	Enter    key.Binding // into a folder; on a load, open its table
	Parent   key.Binding
	Location key.Binding
	Switch   key.Binding // files <-> loads
	New      key.Binding
	Progress key.Binding
	Open     key.Binding
	Refresh  key.Binding
	Cancel   key.Binding
	Back     key.Binding
	Next     key.Binding // the form's fields
	Prev     key.Binding
	Start    key.Binding
	// On the form's mapping: choose a column, cycle its type.
	ColLeft, ColRight, CycleType key.Binding
}

// DefaultKeyMap returns the Loads screen's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑↓", "move")),
		Down:      key.NewBinding(key.WithKeys("down", "j")),
		Enter:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Parent:    key.NewBinding(key.WithKeys("backspace", "h", "left"), key.WithHelp("⌫", "up a folder")),
		Location:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "location")),
		Switch:    key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "files/loads")),
		New:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new load")),
		Progress:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "progress")),
		Open:      key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open table")),
		Refresh:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Cancel:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "cancel load")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Next:      key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next field")),
		Prev:      key.NewBinding(key.WithKeys("shift+tab", "up")),
		Start:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "start")),
		ColLeft:   key.NewBinding(key.WithKeys("left"), key.WithHelp("←", "column")),
		ColRight:  key.NewBinding(key.WithKeys("right"), key.WithHelp("←→", "column")),
		CycleType: key.NewBinding(key.WithKeys("space", " "), key.WithHelp("space", "change type")),
	}
}
