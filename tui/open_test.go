package tui

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/tui/explorer"
	"github.com/dora-dev/dora/tui/screen"
)

// pump runs commands as Bubble Tea would and feeds their messages back until ok.
func pump(t *testing.T, m *Model, cmd tea.Cmd, what string, ok func() bool) {
	t.Helper()
	msgs := make(chan tea.Msg, 64)
	run := func(c tea.Cmd) {
		if c != nil {
			go func() { msgs <- c() }()
		}
	}
	run(cmd)
	deadline := time.After(20 * time.Second)
	for !ok() {
		select {
		case msg := <-msgs:
			if batch, isBatch := msg.(tea.BatchMsg); isBatch {
				for _, c := range batch {
					run(c)
				}
				continue
			}
			if msg != nil {
				_, c := m.Update(msg)
				run(c)
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s:\n%s", what, screenText(m))
		}
	}
}

// screen.Open from any screen switches to the explorer and opens the table there, on the
// backend open now or on the one its URL names.
func TestOpenShowsTheTableInTheExplorer(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "a.duckdb"), filepath.Join(dir, "b.duckdb")
	for _, p := range []string{first, second} {
		if err := duckdb.BuildDemo(context.Background(), p, 200); err != nil {
			t.Fatal(err)
		}
	}
	b, err := backends.Open(context.Background(), "duckdb:"+first)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m := New(t.Context(), b, Options{NoColor: true, Jobs: testJobs(t), Loads: testLoads(t)})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	ex := m.Screen(0).(*explorer.Model)

	press(m, "2")
	_, cmd := m.Update(screen.Open{Table: "clients"})
	if m.Current() != 0 {
		t.Fatalf("Open should switch to the explorer, on %d", m.Current())
	}
	pump(t, m, cmd, "clients to open", func() bool { return ex.Spec().Table == "clients" && !ex.Running() })

	_, cmd = m.Update(screen.Open{BackendURL: "duckdb:" + second, Table: "shipments"})
	pump(t, m, cmd, "shipments on the other file", func() bool { return ex.Spec().Table == "shipments" && !ex.Running() })
	if ex.Err() != nil || ex.Result() == nil || len(ex.Result().Rows) == 0 {
		t.Fatalf("shipments: %v %v", ex.Err(), ex.Result())
	}
	if got := ex.Backend().Name(); got != "duckdb:"+second {
		t.Errorf("the explorer is on %s", got)
	}
}
