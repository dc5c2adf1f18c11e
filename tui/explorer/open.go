package explorer

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/tui/screen"
)

// backendMsg answers the opening of another backend for a screen.Open.
type backendMsg struct {
	seq   int
	url   string
	table string
	b     backends.Backend
	err   error
}

// sameBackend says url names the backend open now ("" does), with or without its secrets.
func (m *Model) sameBackend(url string) bool {
	name := m.common.Backend.Name()
	return url == "" || url == name || url == backends.Redact(name)
}

// openFor shows a table another screen asks for: on the backend open now, or first opening the
// one at the URL.
func (m *Model) openFor(msg screen.Open) tea.Cmd {
	if m.sameBackend(msg.BackendURL) {
		return tea.Batch(m.loadTables(), m.openTable(msg.Table))
	}
	m.backendSeq++
	seq, ctx := m.backendSeq, m.common.Ctx
	m.running = true
	return func() tea.Msg {
		b, err := backends.Open(ctx, msg.BackendURL)
		if err == nil {
			go func() { <-ctx.Done(); b.Close() }()
		}
		return backendMsg{seq: seq, url: msg.BackendURL, table: msg.Table, b: b, err: err}
	}
}

// backendOpened switches to the backend opened, keeping the one the explorer was started on
// for its owner to close.
func (m *Model) backendOpened(msg backendMsg) tea.Cmd {
	if msg.seq != m.backendSeq {
		if msg.b != nil {
			msg.b.Close()
		}
		return nil
	}
	m.running = false
	if msg.err != nil {
		m.err = fmt.Errorf("opening %s: %w", backends.Redact(msg.url), msg.err)
		return nil
	}
	if m.owned != nil {
		m.owned.Close()
	}
	if m.cancel != nil {
		m.cancel() // a query in flight belongs to the backend left
	}
	m.owned, m.common.Backend, m.opts.Backend = msg.b, msg.b, backends.Redact(msg.url)
	return tea.Batch(m.loadTables(), m.openTable(msg.table))
}

// Backend is the backend the explorer queries.
func (m *Model) Backend() backends.Backend { return m.common.Backend }
