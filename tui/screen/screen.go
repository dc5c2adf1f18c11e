// Package screen is the one interface every screen of the workbench implements, so the shell
// can switch, size and route to screens that know nothing of each other. Every screen is built
// the same way, New(c *common.Common, opts Options), and its model is the Screen itself.
package screen

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Screen is one tab of the shell: a model that draws the area below the header and above the
// help bar.
//
// The shell hands a Screen key presses only while it is the current one, and every other
// message (ticks, answers of long work) always, so work started on a screen goes on while
// another is shown. A screen therefore owns its answers: their types are its own, and each
// carries a sequence number so a stale one is dropped.
type Screen interface {
	// Init starts the screen's first commands; it does no I/O itself.
	Init() tea.Cmd
	// Update handles a message and returns the screen and the command to run next.
	Update(msg tea.Msg) (Screen, tea.Cmd)
	// View draws the screen at the size SetSize gave.
	View() string
	// SetSize gives the screen its area: the window less the shell's header and help bar.
	SetSize(w, h int)
	// Focus and Blur tell the screen it became, or stopped being, the one shown.
	Focus()
	Blur()
	// ShortHelp is the screen's bindings for the help bar, shown only while it is current.
	ShortHelp() []key.Binding
	// Title is the screen's name in the header's tabs.
	Title() string
	// InputFocused says a text input has the keys, so the shell leaves digits, q and ? to it.
	InputFocused() bool
	// Status is a few words of background progress for the header ("2 running"), or "".
	Status() string
}

// FullHelper is a Screen with grouped bindings for the ? overlay; without it the overlay shows
// ShortHelp.
type FullHelper interface {
	FullHelp() [][]key.Binding
}

// Busy is a Screen whose work would be lost if the workbench quit now: the shell asks before
// quitting while any screen says it is busy.
type Busy interface {
	// Busy is what is running, in a few words ("a load of orders"), or "" when nothing is.
	Busy() string
}

// Unsaved is a Screen holding a change that quitting would lose (a view built and not saved):
// the shell asks before quitting while any screen says so.
type Unsaved interface {
	// Unsaved names what would be lost ("the view on shipments"), or "" when nothing would.
	Unsaved() string
}

// ShownMsg is sent to the screen just shown, after its Focus, and to the first one when the
// workbench starts, so a screen that waits to be seen before it starts work (a dashboard's
// queries) can start it. It may come more than once.
type ShownMsg struct{}
