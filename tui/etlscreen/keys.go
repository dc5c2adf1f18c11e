package etlscreen

import "charm.land/bubbles/v2/key"

// KeyMap is the ETL screen's bindings.
type KeyMap struct {
	Up, Down   key.Binding
	Switch     key.Binding // pipelines <-> versions
	Plan       key.Binding
	Publish    key.Binding
	Rollback   key.Binding
	Yes, No    key.Binding
	Quarantine key.Binding
	Journal    key.Binding
	Refresh    key.Binding
	Back       key.Binding
}

// DefaultKeyMap returns the ETL screen's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:         key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑↓", "move")),
		Down:       key.NewBinding(key.WithKeys("down", "j")),
		Switch:     key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "pipelines/versions")),
		Plan:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "plan")),
		Publish:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "run & publish")),
		Rollback:   key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "roll back to version")),
		Yes:        key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
		No:         key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", "no")),
		Quarantine: key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "quarantine in explorer")),
		Journal:    key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "version in explorer")),
		Refresh:    key.NewBinding(key.WithKeys("r", "ctrl+r", "f5"), key.WithHelp("r", "refresh")),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	}
}
