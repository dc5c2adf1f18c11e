package tui_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends/duckdb/demo"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/tui/format"
)

// tmuxSession runs one program in a detached tmux server of its own, so the test never touches
// the user's sessions.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
}

func needTmux(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("tmux")
	if err != nil {
		testenv.Unavailable(t, "tmux is not installed, so the TUI end-to-end test cannot run (scripts/deps installs it)")
	}
	return path
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *tmuxSession) screen() string { return s.tmux("capture-pane", "-p", "-t", s.name) }

// keys sends tmux key names (Enter, Escape, C-u) or, with literal set, text.
func (s *tmuxSession) keys(keys ...string) {
	s.tmux(append([]string{"send-keys", "-t", s.name}, keys...)...)
}
func (s *tmuxSession) text(text string) { s.tmux("send-keys", "-t", s.name, "-l", text) }

// waitFor polls the screen until ok says yes, failing with the last screen after a deadline.
func (s *tmuxSession) waitFor(what string, ok func(string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var scr string
	for time.Now().Before(deadline) {
		scr = s.screen()
		if ok(scr) {
			return scr
		}
		if strings.Contains(scr, "dora exited") { // it died: no point waiting
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("timed out waiting for %s; the screen was:\n%s", what, scr)
	return ""
}

func (s *tmuxSession) waitText(parts ...string) string {
	s.t.Helper()
	return s.waitFor(fmt.Sprintf("%q", parts), func(scr string) bool {
		for _, p := range parts {
			if !strings.Contains(scr, p) {
				return false
			}
		}
		return true
	})
}

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
	needTmux(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "dora")
	build := exec.Command("go", "build", "-o", bin, "github.com/dora-dev/dora/cmd/dora")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building dora: %v\n%s", err, out)
	}
	wh := filepath.Join(dir, "test.duckdb")
	buildWarehouse(t, wh, 20000)
	byCategory := expected(t, wh, "SELECT category, count(*), avg(price) FROM shipments GROUP BY category")
	byRegion := expected(t, wh, "SELECT region, count(*), 0.0 FROM shipments GROUP BY region")

	s := &tmuxSession{t: t, socket: fmt.Sprintf("dora-e2e-%d", os.Getpid()), name: "dora"}
	script := fmt.Sprintf("cd %q && env TERM=xterm-256color XDG_CONFIG_HOME=%q %q --backend duckdb:%s; echo \"dora exited $?\"; sleep 120",
		dir, t.TempDir(), bin, wh)
	s.tmux("new-session", "-d", "-s", s.name, "-x", "100", "-y", "30", "sh", "-c", script)
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	s.tmux("set-option", "-t", s.name, "status", "off") // the program gets all 100x30 cells

	// Open shipments: move down the tables list to it and press enter.
	scr := s.waitText("tables", "shipments", "clients")
	if size := strings.TrimSpace(s.tmux("display", "-p", "-t", s.name, "#{pane_width}x#{pane_height}")); size != "100x30" {
		t.Errorf("pane is %s, want 100x30", size)
	}
	if on := strings.TrimSpace(s.tmux("display", "-p", "-t", s.name, "#{alternate_on}")); on != "1" {
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
		s.keys("Down")
	}
	s.keys("Enter")
	s.waitText("SELECT * FROM shipments LIMIT 100", "✓ 100 rows")

	// Group by category, then add avg(price), by keys alone.
	s.keys("g")
	s.waitText("group by: which field?")
	s.text("category")
	s.keys("Enter")
	s.waitText("SELECT category, count(*) FROM shipments GROUP BY category ORDER BY count(*) DESC LIMIT 10", "✓ 10 rows")
	s.keys("m")
	s.waitText("metric: which function?")
	s.text("avg")
	s.keys("Enter")
	s.waitText("avg of which field?")
	s.text("price")
	s.keys("Enter")
	scr = s.waitText("SELECT category, count(*), avg(price) FROM shipments GROUP BY category ORDER BY count(*) DESC", "LIMIT 10", "✓ 10 rows", "exact", "cut by limit")

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
	s.keys(":")
	s.keys("C-u")
	s.text("SELECT region, count(*) FROM shipments GROUP BY region ORDER BY count(*) DESC")
	s.keys("Enter")
	scr = s.waitText("GROUP BY region ORDER BY count(*) DESC", fmt.Sprintf("✓ %d rows", len(byRegion)))
	for reg, g := range byRegion {
		if !regexp.MustCompile(regexp.QuoteMeta(reg) + `\s+` + regexp.QuoteMeta(format.Int(g.count)) + `\s`).MatchString(scr) {
			t.Errorf("region %s should show %s:\n%s", reg, format.Int(g.count), scr)
		}
	}

	// Shrink to 80x24: the screen redraws, and nothing is wider than 80 columns.
	s.tmux("resize-window", "-t", s.name, "-x", "80", "-y", "24")
	scr = s.waitFor("a redraw at 80x24", func(scr string) bool {
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

	// Quit: the process exits 0 and the terminal leaves the alternate screen.
	s.keys("q")
	s.waitText("dora exited 0")
	if on := strings.TrimSpace(s.tmux("display", "-p", "-t", s.name, "#{alternate_on}")); on != "0" {
		t.Errorf("the terminal is still on the alternate screen after quitting")
	}
	if scr := s.screen(); strings.Contains(scr, "╭─") {
		t.Errorf("the explorer's frame is still on screen after quitting:\n%s", scr)
	}
	if cur := strings.TrimSpace(s.tmux("display", "-p", "-t", s.name, "#{cursor_flag}")); cur != "1" {
		t.Errorf("the cursor should be visible again after quitting (cursor_flag=%s)", cur)
	}
}
