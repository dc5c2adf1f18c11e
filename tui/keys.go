package tui

import "charm.land/bubbles/v2/key"

// KeyMap is the shell's bindings: only the global ones; each screen has its own.
type KeyMap struct {
	Screens   key.Binding // 1..9: the screen of that number
	Help      key.Binding
	Quit      key.Binding
	ForceQuit key.Binding
	Close     key.Binding // closes the help
	Yes       key.Binding // quits when asked whether to
}

// DefaultKeyMap returns the shell's bindings for n screens.
func DefaultKeyMap(n int) KeyMap {
	digits := make([]string, n)
	for i := range digits {
		digits[i] = string(rune('1' + i))
	}
	return KeyMap{
		Screens:   key.NewBinding(key.WithKeys(digits...), key.WithHelp("1-"+digits[n-1], "screens")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Close:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
		Yes:       key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "quit anyway")),
	}
}

// ShortHelp is the global part of the help bar.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Screens, k.Help, k.Quit} }
