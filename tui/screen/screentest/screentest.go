// Package screentest drives a screen.Screen in a test as Bubble Tea would: commands run in
// goroutines, their messages come back through Update on the test's goroutine, and the test
// waits for what it wants to see.
package screentest

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/tui/screen"
)

// Options say how a Driver treats the messages of the screen it drives.
type Options struct {
	// Deadline is how long Until waits before it fails; 0 is 30 seconds.
	Deadline time.Duration
	// Drop says a message never reaches Update (the screen's own ticks, when the test ticks).
	Drop func(tea.Msg) bool
	// Tick, if set, is sent through Update every 20ms while Until waits: the test's clock.
	Tick func() tea.Msg
	// After is called with each message Update handled, before its command runs.
	After func(tea.Msg)
	// Route hands screen.Open to Update as well: the screen driven is a shell that routes it.
	Route bool
}

// Driver runs one screen for one test. Its context is cancelled, and the commands still
// running let go, when the test ends.
type Driver struct {
	Ctx context.Context
	// Opened is every screen.Open the screen asked for, in order; they do not reach Update.
	Opened []screen.Open

	t    testing.TB
	s    screen.Screen
	opts Options
	msgs chan tea.Msg
	done chan struct{}
}

// New is a Driver for t; Start gives it its screen.
func New(t testing.TB, opts Options) *Driver {
	if opts.Deadline == 0 {
		opts.Deadline = 30 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Driver{Ctx: ctx, t: t, opts: opts, msgs: make(chan tea.Msg, 64), done: make(chan struct{})}
	t.Cleanup(func() { cancel(); close(d.done) })
	return d
}

// Start drives s and runs its Init.
func (d *Driver) Start(s screen.Screen) {
	d.s = s
	d.Run(s.Init())
}

// Run runs cmd in a goroutine; its message is handled by the next Until.
func (d *Driver) Run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		select {
		case d.msgs <- msg:
		case <-d.done:
		}
	}()
}

func (d *Driver) handle(msg tea.Msg) {
	if msg == nil || d.opts.Drop != nil && d.opts.Drop(msg) {
		return
	}
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			d.Run(c)
		}
	case screen.Open:
		d.Opened = append(d.Opened, msg)
		if d.opts.Route {
			_, cmd := d.s.Update(msg)
			d.Run(cmd)
		}
	default:
		_, cmd := d.s.Update(msg)
		if d.opts.After != nil {
			d.opts.After(msg)
		}
		d.Run(cmd)
	}
}

// Until handles messages, and ticks if the Options say so, until ok; it fails with the screen
// once the deadline passes.
func (d *Driver) Until(what string, ok func() bool) {
	d.t.Helper()
	deadline := time.After(d.opts.Deadline)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !ok() {
		select {
		case msg := <-d.msgs:
			d.handle(msg)
		case <-tick.C:
			if d.opts.Tick != nil {
				_, cmd := d.s.Update(d.opts.Tick())
				d.Run(cmd)
			}
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s; the screen was:\n%s", what, d.Screen())
		}
	}
}

// Keys presses keys, each as testenv.Keys spells it, handing each press to Update.
func (d *Driver) Keys(keys ...string) {
	for _, k := range keys {
		for _, msg := range testenv.Keys(k) {
			_, cmd := d.s.Update(msg)
			d.Run(cmd)
		}
	}
}

// Screen is the screen's view without its styling.
func (d *Driver) Screen() string { return ansi.Strip(d.s.View()) }
