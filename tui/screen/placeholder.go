package screen

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/styles"
)

// Placeholder is a screen still to be written: its tab works and it says what it will hold.
type Placeholder struct {
	title, text string
	styles      *styles.Styles
	w, h        int
}

var _ Screen = (*Placeholder)(nil)

// NewPlaceholder is a screen titled title that shows text.
func NewPlaceholder(s *styles.Styles, title, text string) *Placeholder {
	return &Placeholder{title: title, text: text, styles: s}
}

// Init does nothing.
func (p *Placeholder) Init() tea.Cmd { return nil }

// Update ignores every message: its styles are the shell's, which follow the background.
func (p *Placeholder) Update(tea.Msg) (Screen, tea.Cmd) { return p, nil }

// View draws the text, wrapped, in a box filling the area.
func (p *Placeholder) View() string {
	text := lipgloss.NewStyle().Padding(1, 2).Width(max(1, p.w-2)).Render(p.styles.Muted.Render(p.text))
	return common.Box(p.styles, p.title, text, p.w, p.h, true)
}

// SetSize gives the placeholder its area.
func (p *Placeholder) SetSize(w, h int) { p.w, p.h = w, h }

// Focus does nothing.
func (p *Placeholder) Focus() {}

// Blur does nothing.
func (p *Placeholder) Blur() {}

// ShortHelp is empty: the screen has no keys of its own.
func (p *Placeholder) ShortHelp() []key.Binding { return nil }

// Title is the tab's name.
func (p *Placeholder) Title() string { return p.title }

// InputFocused is false: there is nothing to type into.
func (p *Placeholder) InputFocused() bool { return false }

// Status is empty.
func (p *Placeholder) Status() string { return "" }
