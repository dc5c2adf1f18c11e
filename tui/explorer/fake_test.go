package explorer

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
)

// fakeBackend answers every Spec with made-up rows shaped like the Spec, and records what it
// was asked. It stands in for a real backend in Update tests; the end-to-end tests use DuckDB.
type fakeBackend struct {
	mu      sync.Mutex
	specs   []query.Spec
	down    bool          // every call fails with ErrUnavailable
	gate    chan struct{} // when set, Run waits for it (or for its context)
	schemas map[string]query.Schema
}

var _ backends.Backend = (*fakeBackend)(nil)

func newFake() *fakeBackend {
	return &fakeBackend{schemas: map[string]query.Schema{
		"shipments": {Table: "shipments", Fields: []query.Field{
			{Name: "shipped_at", Type: query.TypeTime, Aggregatable: true},
			{Name: "region", Type: query.TypeString, Aggregatable: true},
			{Name: "category", Type: query.TypeString, Aggregatable: true},
			{Name: "price", Type: query.TypeFloat, Aggregatable: true},
			{Name: "rating", Type: query.TypeInt, Aggregatable: true},
			{Name: "notes", Type: query.TypeText},
		}},
		"clients": {Table: "clients", Fields: []query.Field{
			{Name: "client_id", Type: query.TypeInt, Aggregatable: true},
			{Name: "state", Type: query.TypeString, Aggregatable: true},
		}},
	}}
}

func (f *fakeBackend) Name() string { return "fake:test" }

func (f *fakeBackend) Tables(context.Context) ([]backends.Table, error) {
	if f.down {
		return nil, fmt.Errorf("connecting: %w", backends.ErrUnavailable)
	}
	return []backends.Table{{Name: "clients", Kind: "table", Rows: 3300}, {Name: "shipments", Kind: "table", Rows: 20000}}, nil
}

func (f *fakeBackend) Schema(_ context.Context, table string) (query.Schema, error) {
	if f.down {
		return query.Schema{}, fmt.Errorf("connecting: %w", backends.ErrUnavailable)
	}
	s, ok := f.schemas[table]
	if !ok {
		return query.Schema{}, &backends.NoSuchTableError{Table: table, Tables: []string{"clients", "shipments"}}
	}
	return s, nil
}

func (f *fakeBackend) Run(ctx context.Context, spec query.Spec) (*query.Result, error) {
	f.mu.Lock()
	f.specs = append(f.specs, spec)
	gate, down := f.gate, f.down
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if down {
		return nil, fmt.Errorf("connection refused: %w", backends.ErrUnavailable)
	}
	res := &query.Result{Meta: query.Meta{Backend: f.Name(), Request: "SQL " + spec.SQL(), Took: 3 * time.Millisecond, Total: 20000, Complete: true}}
	schema := f.schemas[spec.Table]
	// Rows are made in the computed layout and projected, as the real backends do.
	computed := query.ComputedColumns(spec, schema)
	res.Columns = query.ResultColumns(spec, schema)
	for _, m := range spec.Metrics {
		res.Meta.Approximate = res.Meta.Approximate || m.Approximate()
	}
	n := 1
	switch {
	case spec.IsRaw():
		n = 3
	case len(spec.GroupBy) > 0:
		n = 4
	}
	var rows [][]any
	for i := 0; i < n; i++ {
		var row []any
		for _, c := range computed {
			if c.Role == query.RoleDimension {
				row = append(row, sample(c.Type, i))
				continue
			}
			switch c.Type {
			case query.TypeInt:
				row = append(row, int64(1000*(n-i)))
			case query.TypeTime:
				days := 0
				if strings.HasPrefix(c.Name, "max(") {
					days = 700
				}
				row = append(row, sample(c.Type, days+i))
			default:
				row = append(row, 10.5*float64(i+1))
			}
		}
		rows = append(rows, row)
	}
	res.Rows = query.Project(spec, rows)
	return res, nil
}

func sample(t query.Type, i int) any {
	switch t {
	case query.TypeTime:
		return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)
	case query.TypeInt:
		return int64(i)
	case query.TypeFloat:
		return float64(i) + 0.5
	}
	return []string{"West", "East", "South", "North"}[i%4]
}

func (f *fakeBackend) Explain(_ context.Context, spec query.Spec) (string, error) {
	return "SQL " + spec.SQL(), nil
}

func (f *fakeBackend) Sink(context.Context, string, query.Schema, backends.SinkOptions) (backends.Sink, error) {
	return nil, fmt.Errorf("fake backend: no sink")
}

func (f *fakeBackend) Close() error { return nil }

func (f *fakeBackend) ran() []query.Spec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]query.Spec(nil), f.specs...)
}

// harness drives a Model the way Bubble Tea would, but synchronously: every command's message is
// fed back into Update until nothing is left. Spinner ticks are dropped so nothing sleeps.
//
// It draws the explorer in a frame of w x h cells as a host does: the explorer's area is every
// line but the last, which holds the help bar of its keys, and its header line ends in the
// host's hint. The screens pinned here were drawn so before the shell became the only host.
type harness struct {
	t    *testing.T
	m    *Model
	b    *fakeBackend
	w, h int
}

func newHarness(t *testing.T, opts Options, w, h int) *harness {
	t.Helper()
	b := newFake()
	m := New(common.New(context.Background(), b, true), opts)
	hs := &harness{t: t, m: m, b: b}
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.run(m.Init())
	return hs
}

func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	if size, ok := msg.(tea.WindowSizeMsg); ok {
		h.w, h.h = size.Width, size.Height
		h.m.SetSize(size.Width, size.Height-1)
		return
	}
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

func (h *harness) run(cmd tea.Cmd) {
	h.t.Helper()
	if cmd == nil {
		return
	}
	// Commands that wait (cursor blinks, ticks) are abandoned; backend calls answer at once.
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(100 * time.Millisecond):
		return
	}
	switch msg := msg.(type) {
	case nil, spinner.TickMsg, tea.QuitMsg:
		return
	case tea.BatchMsg:
		for _, c := range msg {
			h.run(c)
		}
		return
	}
	h.send(msg)
}

// keys types each argument: a key name (enter, esc, tab, backspace, ctrl+b…) or literal text.
func (h *harness) keys(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		for _, msg := range keyMsgs(k) {
			h.send(msg)
		}
	}
}

func keyMsgs(k string) []tea.Msg { return testenv.Keys(k) }

// frameKeys end the frame's help bar; frameHint ends its header line.
var (
	frameKeys = []key.Binding{key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit"))}
	frameHint = "? help  q quit "
)

// screen renders the model in its frame with the colours stripped.
func (h *harness) screen() string {
	out := ansi.Strip(h.m.View())
	if h.w < 20 || h.h-1 < 8 { // too small to lay out: the explorer says so in the whole frame
		return common.Block(out, h.w, h.h)
	}
	lines := strings.Split(out, "\n")
	head := strings.TrimRight(lines[0], " ")
	if gap := h.w - ansi.StringWidth(head) - len(frameHint); gap >= 1 {
		lines[0] = head + strings.Repeat(" ", gap) + frameHint
	}
	bar := " " + common.HelpBar(h.m.common.Styles, h.m.ShortHelp(), frameKeys, h.w-1)
	return strings.Join(append(lines, ansi.Strip(bar)), "\n")
}

func (h *harness) wantSQL(want string) {
	h.t.Helper()
	if got := h.m.SQL(); got != want {
		h.t.Fatalf("SQL line\n got: %s\nwant: %s\nstatus: %v %q", got, want, h.m.Err(), h.m.note)
	}
}

func (h *harness) wantScreen(parts ...string) {
	h.t.Helper()
	s := h.screen()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			h.t.Fatalf("screen lacks %q:\n%s", p, s)
		}
	}
}
