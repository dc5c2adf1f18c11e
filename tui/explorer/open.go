package explorer

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/builder"
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

// frame is the view the explorer left to open something on another backend (an ETL version, a
// quarantine, a load into another backend): esc, or u with nothing left to undo, comes back to
// it whole, on its own backend.
type frame struct {
	backend  backends.Backend
	named    string // Options.Backend: what views saved there are saved against
	hist     builder.History
	schema   query.Schema
	res      *query.Result
	resSpec  query.Spec
	viewName string
	focus    focus
	tables   []backends.Table
}

// sameBackend says url names the backend open now ("" does), with or without its secrets.
func (m *Model) sameBackend(url string) bool {
	name := m.common.Backend.Name()
	return url == "" || url == name || url == backends.Redact(name)
}

// openFor shows a table another screen asks for: on the backend open now, or as a new view on
// the backend at the URL, which esc leaves.
func (m *Model) openFor(msg screen.Open) tea.Cmd {
	if m.sameBackend(msg.BackendURL) {
		return tea.Batch(m.loadTables(), m.openTable(msg.Table))
	}
	m.backendSeq++
	seq, ctx := m.backendSeq, m.common.Ctx
	m.running = true
	return func() tea.Msg {
		b, err := backends.Open(ctx, msg.BackendURL)
		return backendMsg{seq: seq, url: msg.BackendURL, table: msg.Table, b: b, err: err}
	}
}

// backendOpened keeps the view on screen as a frame to come back to and opens the table on the
// backend opened.
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
	if m.cancel != nil {
		m.cancel() // a query in flight belongs to the backend left
	}
	m.frames = append(m.frames, frame{backend: m.common.Backend, named: m.opts.Backend, hist: m.hist, schema: m.schema,
		res: m.res, resSpec: m.resSpec, viewName: m.viewName, focus: m.focus, tables: m.tables.Tables()})
	m.tables.SetTables(nil) // the backend left's tables are not this one's
	m.common.Backend, m.opts.Backend = msg.b, backends.Redact(msg.url)
	m.hist, m.schema, m.viewName, m.err = builder.History{}, query.Schema{}, "", nil
	m.fields.SetSchema(query.Schema{})
	m.show(query.Spec{}, nil)
	m.specChanged()
	return tea.Batch(m.loadTables(), m.openTable(msg.table))
}

// Leave goes back to the view a hand-over from another screen left, closing the backend it
// opened; false when there is none.
func (m *Model) leave(rerun bool) (tea.Cmd, bool) {
	n := len(m.frames)
	if n == 0 {
		return nil, false
	}
	f := m.frames[n-1]
	m.frames = m.frames[:n-1]
	if m.cancel != nil {
		m.cancel()
	}
	m.backendSeq++ // a backend still opening is for the view left
	m.running = false
	m.common.Backend.Close()
	m.common.Backend, m.opts.Backend = f.backend, f.named
	m.hist, m.schema, m.viewName, m.focus, m.err = f.hist, f.schema, f.viewName, f.focus, nil
	m.fields.SetSchema(f.schema)
	m.tables.SetTables(f.tables)
	m.show(f.resSpec, f.res)
	m.specChanged()
	if m.hist.Spec().Table != "" {
		m.tables.Select(m.hist.Spec().Table)
	}
	if !rerun || m.hist.Spec().Table == "" {
		return m.loadTables(), true
	}
	return tea.Batch(m.loadTables(), m.runQuery()), true
}

// leaveAll goes back to the explorer's own backend, without running its view again; the
// command lists its tables.
func (m *Model) leaveAll() tea.Cmd {
	var cmd tea.Cmd
	for len(m.frames) > 0 {
		cmd, _ = m.leave(false)
	}
	return cmd
}

// Frames is how many hand-overs deep the explorer is: 0 on its own backend.
func (m *Model) Frames() int { return len(m.frames) }

// show draws res, the answer to spec (nil for none), in the chart and the table.
func (m *Model) show(spec query.Spec, res *query.Result) {
	m.res, m.resSpec = res, spec
	m.chart.SetResult(spec, res)
	m.results.SetResult(spec, res)
}

// Consistent says whether the rows on screen belong to the SQL line shown: nil when they do, or
// when there are none.
func (m *Model) Consistent() error {
	if m.res == nil {
		return nil
	}
	if got, want := m.resSpec.SQL(), m.bar.SQL(); got != want {
		return fmt.Errorf("the rows on screen answer %q, the SQL line says %q", got, want)
	}
	ts := m.tables.Tables()
	for _, t := range ts {
		if t.Name == m.resSpec.Table {
			return nil
		}
	}
	if len(ts) > 0 {
		return fmt.Errorf("the rows on screen are of %s, which %s does not list", m.resSpec.Table, m.common.Backend.Name())
	}
	return nil
}

// listingError is a failure to list the tables, which the next listing that works puts away.
type listingError struct{ err error }

func (e *listingError) Error() string { return "listing tables: " + e.err.Error() }
func (e *listingError) Unwrap() error { return e.err }

// Tables is the table list shown.
func (m *Model) Tables() []backends.Table { return m.tables.Tables() }

// Backend is the backend the explorer queries.
func (m *Model) Backend() backends.Backend { return m.common.Backend }
