package explorer

import "charm.land/bubbles/v2/key"

// KeyMap holds the explorer's global bindings; each panel has its own for what only it does, and
// the shell has help and quit.
type KeyMap struct {
	NextPanel  key.Binding
	PrevPanel  key.Binding
	ToggleSide key.Binding
	EditSQL    key.Binding
	GroupBy    key.Binding
	Metric     key.Binding
	Filter     key.Binding
	Time       key.Binding
	Order      key.Binding
	Limit      key.Binding
	Undo       key.Binding
	Chart      key.Binding
	Inspect    key.Binding
	Export     key.Binding
	Copy       key.Binding
	Retry      key.Binding
	SaveView   key.Binding
	OpenView   key.Binding
	Back       key.Binding
	// Partial counts partial first and last time buckets in the last and change figures, or
	// leaves them out again (the default).
	Partial key.Binding
}

// DefaultKeyMap returns the explorer's default global bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		NextPanel:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "panels")),
		PrevPanel:  key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous panel")),
		ToggleSide: key.NewBinding(key.WithKeys("ctrl+b"), key.WithHelp("ctrl+b", "side lists")),
		EditSQL:    key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "SQL")),
		GroupBy:    key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "group")),
		Metric:     key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "metric")),
		Filter:     key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "filter")),
		Time:       key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "time")),
		Order:      key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "order")),
		Limit:      key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "limit")),
		Undo:       key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo")),
		Chart:      key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "chart")),
		Inspect:    key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "inspect")),
		Export:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export")),
		Copy:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy")),
		Retry:      key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "re-run")),
		SaveView:   key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "save")),
		OpenView:   key.NewBinding(key.WithKeys("V"), key.WithHelp("V", "views")),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Partial:    key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "count partial buckets")),
	}
}

// build is the bindings that build and use a view, most important first: the help bar shows
// as many as its width holds, after the focused panel's own.
func (k KeyMap) build() []key.Binding {
	return []key.Binding{k.GroupBy, k.Metric, k.Filter, k.Time, k.EditSQL, k.Chart, k.Inspect, k.Export,
		k.Copy, k.SaveView, k.OpenView, k.Undo, k.Order, k.Limit, k.NextPanel, k.ToggleSide, k.Retry}
}

// FullHelp groups every global binding for the ? screen.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.GroupBy, k.Metric, k.Filter, k.Time, k.Order, k.Limit, k.Undo},
		{k.EditSQL, k.Chart, k.Partial, k.Inspect, k.Export, k.Copy, k.Retry, k.SaveView, k.OpenView},
		{k.NextPanel, k.PrevPanel, k.ToggleSide},
	}
}
