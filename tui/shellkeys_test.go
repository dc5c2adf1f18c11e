package tui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/assets/dashboards"
	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/dash"
	"github.com/dora-dev/dora/tui/dashscreen"
	"github.com/dora-dev/dora/tui/etlscreen"
	"github.com/dora-dev/dora/tui/explorer"
)

// The shell owns ? and q for every screen, a dashboard and the explorer a panel is zoomed into
// among them: these tests were the dashboard's and the explorer's own while each could run
// without the shell.

// dashWorkshop is the workbench on a demo warehouse of its own, opened on the demo dashboard
// (screen 5) with every panel answered.
func dashWorkshop(t *testing.T, wall bool) (*workshop, *dashscreen.Model) {
	t.Helper()
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "demo.duckdb")
	if err := duckdb.BuildDemoAt(t.Context(), path, 2000, day); err != nil {
		t.Fatal(err)
	}
	b, err := backends.Open(t.Context(), "duckdb:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	d, err := dash.Parse(dashboards.DemoName, dashboards.Demo, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := day.Add(9*time.Hour + 30*time.Minute)
	w := newWorkshop(t, b, Options{NoColor: true, Screen: 5, Wall: wall, Jobs: testJobs(t), Loads: testLoads(t),
		ETL:  etlscreen.Options{Dir: t.TempDir(), StateDir: t.TempDir()},
		Dash: dashscreen.Options{Dashboard: d, Range: d.Range, Where: d.Where, WhereText: d.WhereText, Now: func() time.Time { return now }}})
	ds := w.m.Screen(4).(*dashscreen.Model)
	w.Until("every panel's answer", func() bool {
		for i := range d.Panels {
			if ds.Answer(i) == nil {
				return false
			}
		}
		return ds.Status() == ""
	})
	return w, ds
}

// pressQuits presses k on the shell and says whether the shell quit.
func pressQuits(m *Model, k string) bool {
	_, cmd := m.Update(tea.KeyPressMsg(tea.Key{Code: rune(k[0]), Text: k}))
	return quits(cmd)
}

// On the dashboard ? shows every key; any key closes it.
func TestDashboardHelp(t *testing.T) {
	w, _ := dashWorkshop(t, false)
	w.Keys("?")
	if scr := w.Screen(); !strings.Contains(scr, "╭─ keys") || !strings.Contains(scr, "widen/narrow") || !strings.Contains(scr, "pause panel") {
		t.Fatalf("? should show the keys:\n%s", scr)
	}
	w.Keys("?")
	if scr := w.Screen(); strings.Contains(scr, "╭─ keys") || !strings.Contains(scr, "▸ Shipments") {
		t.Errorf("? again should close the help:\n%s", scr)
	}
}

// esc with nothing to close in the explorer a panel is zoomed into comes back to the grid; q
// there, with its view changed and not saved, asks first (y quits, another key goes back to it).
func TestQuitInAZoomedChangedViewAsks(t *testing.T) {
	w, ds := dashWorkshop(t, false)
	zoom := func() *explorer.Model {
		w.Keys("enter")
		w.Until("the zoomed explorer's answer", func() bool {
			z := ds.Zoomed()
			return z != nil && !z.Running() && z.Result() != nil
		})
		return ds.Zoomed()
	}
	w.Keys("l", "l", "j") // the stylists
	z := zoom()
	if u := z.Unsaved(); u != "" {
		t.Fatalf("a zoomed view not changed has nothing to lose, says %q", u)
	}
	w.Keys("esc")
	if ds.Zoomed() != nil || !strings.Contains(w.Screen(), "▸ Top stylists by rating") {
		t.Errorf("esc should come back to the dashboard, on the same panel:\n%s", w.Screen())
	}
	z = zoom()
	changed := "SELECT stylist, count(*) FROM shipments GROUP BY stylist"
	w.Keys(":", "ctrl+u", changed, "enter")
	w.Until("the changed view's answer", func() bool { return z.SQL() == changed && !z.Running() && z.Result() != nil })
	if u := z.Unsaved(); u == "" {
		t.Fatalf("a view changed by its SQL line should be unsaved:\n%s", w.Screen())
	}
	if pressQuits(w.m, "q") {
		t.Fatal("q on a changed view should ask, not quit")
	}
	if scr := w.Screen(); !strings.Contains(scr, "Quit anyway? (y/n)") {
		t.Errorf("the question should show:\n%s", scr)
	}
	if pressQuits(w.m, "n") || ds.Zoomed() == nil {
		t.Fatal("n should go back to the view")
	}
	if strings.Contains(w.Screen(), "Quit anyway?") {
		t.Error("the question should be gone after n")
	}
	if u := ds.Unsaved(); !strings.Contains(u, "shipments") {
		t.Errorf("the screen should name the zoomed view unsaved, says %q", u)
	}
	if pressQuits(w.m, "q"); !pressQuits(w.m, "y") {
		t.Fatal("y after q should quit")
	}
}

// On the explorer ? shows its keys and q on a view changed and not saved asks first; y quits.
func TestTheShellAsksBeforeQuittingAnUnsavedView(t *testing.T) {
	dir := t.TempDir()
	db := baseWarehouse(t, dir)
	b, err := backends.Open(t.Context(), "duckdb:"+db)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorkshop(t, b, Options{NoColor: true, Jobs: testJobs(t), Loads: testLoads(t),
		ETL:      etlscreen.Options{Dir: t.TempDir(), StateDir: t.TempDir()},
		Explorer: explorer.Options{SQL: "SELECT region, count(*) FROM shipments GROUP BY region ORDER BY region", ViewsPath: filepath.Join(dir, "views.yaml")}})
	w.settled("the explorer's first view", db)
	w.Keys("?")
	if scr := w.Screen(); !strings.Contains(scr, "keys · Explore") || !strings.Contains(scr, ":  SQL") || !strings.Contains(scr, "next metric") {
		t.Fatalf("? should show the explorer's keys:\n%s", scr)
	}
	changed := "SELECT region, count(*) FROM shipments GROUP BY region ORDER BY region DESC"
	w.Keys("esc", ":", "ctrl+u", changed, "enter")
	w.Until("the changed SQL line", func() bool { return w.explorer().SQL() == changed })
	w.settled("the changed view", db)
	if pressQuits(w.m, "q") {
		t.Fatal("q on a view changed and not saved should ask, not quit")
	}
	if want := "The view on shipments is not saved (S saves it). Quit anyway? (y/n)"; w.m.Asking() != want {
		t.Errorf("the shell asks %q, want %q", w.m.Asking(), want)
	}
	if !pressQuits(w.m, "y") {
		t.Fatal("y should quit")
	}
}

// A wall screen is the dashboard's panels, first line to last: neither the shell's header and
// help bar nor the dashboard's header; q still quits.
func TestWallIsOnlyThePanels(t *testing.T) {
	w, _ := dashWorkshop(t, true)
	lines := strings.Split(w.Screen(), "\n")
	if len(lines) != 40 || !strings.HasPrefix(lines[0], "╭─ ▸ Shipments") || !strings.HasPrefix(lines[39], "╰") {
		t.Errorf("a wall screen is all panels, first line to last:\n%s", w.Screen())
	}
	if scr := w.Screen(); strings.Contains(scr, "1 Explore") || strings.Contains(scr, "shift range") || strings.Contains(scr, "refresh 30s") {
		t.Errorf("the wall screen shows chrome:\n%s", scr)
	}
	if !pressQuits(w.m, "q") {
		t.Error("q should quit a wall screen")
	}
}
