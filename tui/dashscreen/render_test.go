package dashscreen

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/backends/session"
	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/dash"
	"github.com/dora-dev/dora/internal/golden"
	"github.com/dora-dev/dora/tui/styles"
)

// answers runs every panel of d on the test warehouse at now.
func answers(t *testing.T, d *dash.Dashboard, r dash.Range, where string) ([]dash.Answer, Snapshot) {
	t.Helper()
	runner := dash.NewRunner(session.New("", opener(warehouse)), dash.Parallel)
	defer runner.Close()
	var filter = d.Where
	if where != "" {
		var err error
		if filter, err = dash.ParseWhere(where); err != nil {
			t.Fatal(err)
		}
	}
	as := runner.RunAll(context.Background(), d, d.Scope(r, filter, now), d.Previous(r, filter, now))
	return as, Snapshot{Dashboard: d, Range: r, WhereText: where, Now: now, Answers: as}
}

// fits strips colour and checks the text is exactly w x h cells.
func fits(t *testing.T, out string, w, h int) string {
	t.Helper()
	plain := ansi.Strip(out)
	lines := strings.Split(plain, "\n")
	if h > 0 && len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw != w {
			t.Errorf("line %d is %d wide, want %d: %q", i, lw, w, l)
		}
	}
	return plain
}

// TestGoldenPanels draws each chart kind of the demo dashboard, answered by the test warehouse,
// without colour: what a NO_COLOR terminal and a --once snapshot show.
func TestGoldenPanels(t *testing.T) {
	d := demoDashboard(t)
	as, _ := answers(t, d, d.Range, "")
	s := styles.Default(true, true)
	seen := map[string]bool{}
	for i, p := range d.Panels {
		if as[i].Err != nil {
			t.Fatalf("%s: %v", p.Title, as[i].Err)
		}
		seen[p.Chart.Dashboard()] = true
		name := fmt.Sprintf("panel_%d_%s", i+1, p.Chart.Dashboard())
		t.Run(name, func(t *testing.T) {
			golden.Check(t, name, fits(t, Body(s, p, &as[i], 56, 12), 56, 12))
		})
	}
	for _, c := range charts.DashboardNames() {
		if !seen[c] {
			t.Errorf("the demo dashboard has no %s panel, so it has no golden render", c)
		}
	}
}

// TestGoldenGrid draws the demo dashboard whole: stacked at 80x24, three columns at 160x48.
func TestGoldenGrid(t *testing.T) {
	d := demoDashboard(t)
	_, snap := answers(t, d, d.Range, "")
	s := styles.Default(true, true)
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		w, h := size[0], size[1]
		name := fmt.Sprintf("grid_%dx%d", w, h)
		t.Run(name, func(t *testing.T) {
			out := fits(t, snap.Render(s, w, h), w, 0)
			lines := strings.Split(out, "\n")
			if len(lines) != h {
				t.Errorf("at %dx%d the grid is %d lines", w, h, len(lines))
			}
			if w == 80 {
				// Stacked, one panel a row, shrunk to snapMinRowH: those that do not fit are
				// left out whole and named on the last line.
				got := 0
				for _, l := range lines {
					if strings.HasPrefix(l, "╭─ ") {
						got++
					}
				}
				cut := len(d.Panels) - got
				if want := fmt.Sprintf("… %d of %d panels not shown in 24 lines", cut, len(d.Panels)); cut == 0 || !strings.HasPrefix(strings.TrimSpace(lines[h-1]), want) {
					t.Errorf("at 80x24 %d frames show; the last line should say %q: %q", got, want, lines[h-1])
				}
			}
			golden.Check(t, name, out)
		})
	}
}

// TestBodyWords checks what a panel says when it has no chart to draw.
func TestBodyWords(t *testing.T) {
	d, err := dash.Parse("t.yaml", []byte(`time: {column: shipped_at, from: 2025-06-01, to: 2025-07-01}
where: region = 'West'
panels:
  - {title: Missing, sql: "SELECT count(*) FROM nothing_here"}
  - {title: Clients, sql: "SELECT plan, count(*) FROM clients GROUP BY plan", chart: bars}
  - {title: Bad column, sql: "SELECT count(*) FROM shipments WHERE colour = 'red'"}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	as, snap := answers(t, d, d.Range, "")
	s := styles.Default(true, true)
	missing := ansi.Strip(Body(s, d.Panels[0], &as[0], 40, 5))
	if !strings.Contains(missing, "✗ no table") || !strings.Contains(missing, "nothing_here") {
		t.Errorf("a missing table should be said in words:\n%s", missing)
	}
	clients := ansi.Strip(Body(s, d.Panels[1], &as[1], 70, 8))
	if !strings.Contains(clients, "ignores the time range: clients has no column shipped_at") {
		t.Errorf("the clients panel should say it ignored the range:\n%s", clients)
	}
	if len(as[1].Applied.Notes) != 1 || as[1].Applied.Spec.Where == nil {
		t.Errorf("clients has a region column, so the filter applies: %+v", as[1].Applied)
	}
	bad := ansi.Strip(Body(s, d.Panels[2], &as[2], 60, 4))
	if !strings.Contains(bad, `unknown column "colour"`) {
		t.Errorf("a bad column should be said in words:\n%s", bad)
	}
	failed := snap.Failed()
	if len(failed) != 2 || !strings.HasPrefix(failed[0], "Missing: no table") || !strings.HasPrefix(failed[1], `Bad column: unknown column "colour"`) {
		t.Errorf("failed panels: %q", failed)
	}
}

// TestPartialBucketsOnAPanel: a lines panel's answer carries the first time under its range
// (DuckDB asked the same on its own) and the range's end; a range that starts at 06:00 and ends
// at noon makes its first and last days partial and the panel says so, while the whole days
// between are not named.
func TestPartialBucketsOnAPanel(t *testing.T) {
	d := demoDashboard(t)
	r, err := dash.ParseRange("2025-12-10T06:00:00Z..2025-12-20T12:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	as, _ := answers(t, d, r, "")
	i := slices.IndexFunc(d.Panels, func(p dash.Panel) bool { return p.Chart == charts.Lines })
	a := as[i]
	if a.Err != nil {
		t.Fatal(a.Err)
	}
	db, err := sql.Open("duckdb", warehouse+"?access_mode=READ_ONLY")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var first time.Time
	if err := db.QueryRow("SELECT min(shipped_at) FROM shipments WHERE shipped_at >= TIMESTAMP '2025-12-10 06:00:00' AND shipped_at < TIMESTAMP '2025-12-20 12:00:00'").Scan(&first); err != nil {
		t.Fatal(err)
	}
	// The first row is on the range's first day: the data starts with the range.
	if first.Format(time.DateOnly) != "2025-12-10" || !a.From.Equal(time.Date(2025, 12, 10, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("From = %v, want the range's start (DuckDB's first time under it is %v)", a.From, first)
	}
	if want := time.Date(2025, 12, 20, 11, 59, 59, 0, time.UTC); !a.To.Equal(want) {
		t.Errorf("To = %v, want the range's end less a second, %v", a.To, want)
	}
	out := ansi.Strip(Body(styles.Default(true, true), d.Panels[i], &a, 100, 14))
	if !strings.Contains(out, "◌ partial: first day 2025-12-10, last day 2025-12-20") {
		t.Errorf("the panel should name its partial days:\n%s", out)
	}
	// A range that starts years before the data: the data starts where DuckDB says it does.
	r, _ = dash.ParseRange("2000-01-01T00:00:00Z..2025-12-20T00:00:00Z")
	as, _ = answers(t, d, r, "")
	if err := db.QueryRow("SELECT min(shipped_at) FROM shipments").Scan(&first); err != nil {
		t.Fatal(err)
	}
	if !as[i].From.Equal(first) {
		t.Errorf("From = %v, DuckDB says the data starts at %v", as[i].From, first)
	}
	// Whole days: from midnight to midnight nothing is partial.
	r, _ = dash.ParseRange("2025-12-10T00:00:00Z..2025-12-20T00:00:00Z")
	as, _ = answers(t, d, r, "")
	if out := ansi.Strip(Body(styles.Default(true, true), d.Panels[i], &as[i], 100, 14)); strings.Contains(out, "partial") {
		t.Errorf("whole days are not partial:\n%s", out)
	}
}
