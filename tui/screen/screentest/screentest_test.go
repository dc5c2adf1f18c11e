package screentest

import (
	"fmt"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/tui/screen"
)

type tickMsg struct{}
type doneMsg struct{}

// counter is a screen that counts what reaches its Update.
type counter struct {
	ticks, dones int
	keys         string
}

func (c *counter) Init() tea.Cmd {
	return tea.Batch(func() tea.Msg { return doneMsg{} }, func() tea.Msg { return screen.Open{Table: "t"} })
}

func (c *counter) Update(msg tea.Msg) (screen.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		c.ticks++
	case doneMsg:
		c.dones++
	case tea.KeyPressMsg:
		c.keys += msg.String()
		return c, func() tea.Msg { return doneMsg{} }
	}
	return c, nil
}

func (c *counter) View() string {
	return fmt.Sprintf("\x1b[1mticks %d dones %d keys %s\x1b[0m", c.ticks, c.dones, c.keys)
}
func (c *counter) SetSize(w, h int)         {}
func (c *counter) Focus()                   {}
func (c *counter) Blur()                    {}
func (c *counter) ShortHelp() []key.Binding { return nil }
func (c *counter) Title() string            { return "counter" }
func (c *counter) InputFocused() bool       { return false }
func (c *counter) Status() string           { return "" }

func TestDriverRunsBatchesCapturesOpensAndPressesKeys(t *testing.T) {
	var after []tea.Msg
	d := New(t, Options{After: func(msg tea.Msg) { after = append(after, msg) }})
	c := &counter{}
	d.Start(c)
	d.Until("Init's batch", func() bool { return c.dones == 1 && len(d.Opened) == 1 })
	if d.Opened[0] != (screen.Open{Table: "t"}) {
		t.Errorf("Opened %+v", d.Opened)
	}
	d.Keys("a", "b")
	d.Until("the keys' commands", func() bool { return c.dones == 3 })
	if got := d.Screen(); got != "ticks 0 dones 3 keys ab" {
		t.Errorf("Screen() = %q", got)
	}
	if len(after) != 3 { // the three doneMsgs; keys go straight to Update
		t.Errorf("After saw %v", after)
	}
}

func TestDriverTicksAndDrops(t *testing.T) {
	dropped := 0
	d := New(t, Options{Drop: func(msg tea.Msg) bool {
		_, ok := msg.(doneMsg)
		if ok {
			dropped++
		}
		return ok
	}, Tick: func() tea.Msg { return tickMsg{} }})
	c := &counter{}
	d.Start(c)
	d.Until("ticks and the dropped message", func() bool { return c.ticks >= 2 && dropped == 1 })
	if c.dones != 0 {
		t.Errorf("a dropped message reached Update %d times", c.dones)
	}
}
