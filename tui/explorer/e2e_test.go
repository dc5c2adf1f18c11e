package explorer_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends/duckdb/demo"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/tui/format"
)

// buildWarehouse writes a small demo warehouse with the demo generator.
func buildWarehouse(t *testing.T, path string, rows int) {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := demo.Build(context.Background(), db, rows); err != nil {
		t.Fatal(err)
	}
}

type group struct {
	count int64
	avg   float64
}

// expected answers a grouped question with plain SQL, straight through DuckDB.
func expected(t *testing.T, path, sqlText string) map[string]group {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(sqlText)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]group{}
	for rows.Next() {
		var k string
		var g group
		if err := rows.Scan(&k, &g.count, &g.avg); err != nil {
			t.Fatal(err)
		}
		out[k] = g
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExplorerEndToEnd drives the real binary on a real DuckDB warehouse inside tmux: open a
// table, build a group-by with keys, check labels and numbers against plain SQL, type a SQL
// line, shrink to 80x24, quit and check the terminal is back to normal.
func TestExplorerEndToEnd(t *testing.T) {
	dir := t.TempDir()
	bin := testenv.BuildDora(t, dir)
	wh := filepath.Join(dir, "test.duckdb")
	buildWarehouse(t, wh, 20000)
	byCategory := expected(t, wh, "SELECT category, count(*), avg(price) FROM shipments GROUP BY category")
	byRegion := expected(t, wh, "SELECT region, count(*), 0.0 FROM shipments GROUP BY region")

	// The workbench opens the run store under XDG_STATE_HOME at start; the warehouse is the
	// test's, so XDG_DATA_HOME (the demo's) is a folder of the test's too.
	script := fmt.Sprintf("cd %q && env TERM=xterm-256color XDG_CONFIG_HOME=%q XDG_STATE_HOME=%q XDG_DATA_HOME=%q %q --backend duckdb:%s; echo \"dora exited $?\"; sleep 120",
		dir, t.TempDir(), t.TempDir(), t.TempDir(), bin, wh)
	s := testenv.StartTmux(t, "dora-e2e", script, 100, 30)

	// Open shipments: move down the tables list to it and press enter.
	scr := s.WaitText("tables", "shipments", "clients")
	if size := s.Display("#{pane_width}x#{pane_height}"); size != "100x30" {
		t.Errorf("pane is %s, want 100x30", size)
	}
	if on := s.Display("#{alternate_on}"); on != "1" {
		t.Errorf("the explorer should use the alternate screen (alternate_on=%s)", on)
	}
	var names []string
	for _, l := range strings.Split(scr, "\n") {
		if m := regexp.MustCompile(`▦ (\w+)`).FindStringSubmatch(l); m != nil {
			names = append(names, m[1])
		}
	}
	pos := -1
	for i, n := range names {
		if n == "shipments" {
			pos = i
		}
	}
	if pos < 0 {
		t.Fatalf("shipments not listed: %v", names)
	}
	for i := 0; i < pos; i++ {
		s.Keys("Down")
	}
	s.Keys("Enter")
	s.WaitText("SELECT * FROM shipments LIMIT 100", "✓ 100 rows")

	// Group by category, then add avg(price), by keys alone.
	s.Keys("g")
	s.WaitText("group by: which field?")
	s.Text("category")
	s.Keys("Enter")
	s.WaitText("SELECT category, count(*) FROM shipments GROUP BY category ORDER BY count(*) DESC LIMIT 10", "✓ 10 rows")
	s.Keys("m")
	s.WaitText("metric: which function?")
	s.Text("avg")
	s.Keys("Enter")
	s.WaitText("avg of which field?")
	s.Text("price")
	s.Keys("Enter")
	scr = s.WaitText("SELECT category, count(*), avg(price) FROM shipments GROUP BY category ORDER BY count(*) DESC", "LIMIT 10", "✓ 10 rows", "exact", "cut by limit")

	// Every category row on screen carries the numbers plain SQL gives, and the chart labels
	// its bars with the categories and their counts in short form.
	checked := 0
	for cat, g := range byCategory {
		row := regexp.MustCompile(regexp.QuoteMeta(cat) + `\s+` + regexp.QuoteMeta(format.Int(g.count)) + `\s+` + regexp.QuoteMeta(format.Float(g.avg)) + `\s`)
		bar := regexp.MustCompile(regexp.QuoteMeta(cat) + `\s+[█▏▎▍▌▋▊▉]+\s+` + regexp.QuoteMeta(format.Human(float64(g.count))) + `\s`)
		inTable, inChart := row.MatchString(scr), bar.MatchString(scr)
		if inTable {
			checked++
		}
		if strings.Contains(scr, cat+" ") && !inTable && !inChart {
			t.Errorf("%s is on screen without its numbers (count %s, avg %s)", cat, format.Int(g.count), format.Float(g.avg))
		}
	}
	t.Logf("%d of %d category rows checked against plain SQL", checked, len(byCategory))
	if checked < 6 {
		t.Errorf("only %d of %d category rows were found with the right numbers:\n%s", checked, len(byCategory), scr)
	}

	// Type a SQL line.
	s.Keys(":")
	s.Keys("C-u")
	s.Text("SELECT region, count(*) FROM shipments GROUP BY region ORDER BY count(*) DESC")
	s.Keys("Enter")
	scr = s.WaitText("GROUP BY region ORDER BY count(*) DESC", fmt.Sprintf("✓ %d rows", len(byRegion)))
	for reg, g := range byRegion {
		if !regexp.MustCompile(regexp.QuoteMeta(reg) + `\s+` + regexp.QuoteMeta(format.Int(g.count)) + `\s`).MatchString(scr) {
			t.Errorf("region %s should show %s:\n%s", reg, format.Int(g.count), scr)
		}
	}

	// Shrink to 80x24: the screen redraws, and nothing is wider than 80 columns.
	s.Resize(80, 24)
	scr = s.WaitFor("a redraw at 80x24", func(scr string) bool {
		lines := strings.Split(strings.TrimRight(scr, "\n"), "\n")
		return len(lines) == 24 && strings.Contains(scr, "SELECT region") && strings.Contains(scr, "? help") &&
			!strings.Contains(scr, "╭─ tables") // the side lists fold away at 80 columns
	})
	for i, l := range strings.Split(strings.TrimRight(scr, "\n"), "\n") {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line %d is %d wide at 80x24: %q", i, w, l)
		}
	}
	t.Logf("at 80x24:\n%s", scr)
	for reg := range byRegion {
		if !strings.Contains(scr, reg) {
			t.Errorf("region %s is gone at 80x24:\n%s", reg, scr)
		}
	}

	// Quit: the view built is not saved, so q asks first; n goes back to work, and q then y
	// quits: the process exits 0 and the terminal leaves the alternate screen.
	s.Keys("q")
	s.WaitText("The view on shipments is not saved (S saves it). Quit anyway? (y/n)")
	s.Keys("n")
	s.WaitText("g group")
	s.Keys("q")
	s.WaitText("Quit anyway? (y/n)")
	s.Keys("y")
	s.WaitText("dora exited 0")
	if on := s.Display("#{alternate_on}"); on != "0" {
		t.Errorf("the terminal is still on the alternate screen after quitting")
	}
	if scr := s.Screen(); strings.Contains(scr, "╭─") {
		t.Errorf("the explorer's frame is still on screen after quitting:\n%s", scr)
	}
	if cur := s.Display("#{cursor_flag}"); cur != "1" {
		t.Errorf("the cursor should be visible again after quitting (cursor_flag=%s)", cur)
	}
}
