package dashscreen

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/tui/format"
)

const e2eDashboard = `title: Wall
time: {column: shipped_at, from: 2025-12-01, to: 2026-01-01}
refresh: 1h
layout: {columns: 2}
panels:
  - {title: Shipments, chart: stat, sql: "SELECT count(*) FROM shipments"}
  - {title: Regions, chart: bars, sql: "SELECT region, count(*) FROM shipments GROUP BY region ORDER BY count(*) DESC"}
  - {title: Days, chart: lines, sql: "SELECT date_trunc('day', shipped_at) AS day, count(*) FROM shipments GROUP BY day"}
  - {title: Brands, chart: table, sql: "SELECT brand, count(*) AS n FROM shipments GROUP BY brand ORDER BY n DESC LIMIT 5"}
`

// TestDashEndToEnd drives `dora dash` inside tmux on a real warehouse: the workbench opens on the
// dashboard; move the focus, zoom into
// the explorer and back, shift the range, pause a panel through a range change, stack at 80x24,
// quit. The numbers on screen are held to plain SQL.
func TestDashEndToEnd(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "dora")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/dora-dev/dora/cmd/dora").CombinedOutput(); err != nil {
		t.Fatalf("building dora: %v\n%s", err, out)
	}
	file := filepath.Join(dir, "wall.yaml")
	if err := os.WriteFile(file, []byte(e2eDashboard), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", warehouse+"?access_mode=READ_ONLY")
	if err != nil {
		t.Fatal(err)
	}
	month := func(from, to string) (total int64, regions map[string]int64) {
		regions = map[string]int64{}
		for _, r := range testenv.Rows(t, db, "SELECT region, count(*) FROM shipments WHERE shipped_at >= CAST(? AS TIMESTAMP) AND shipped_at < CAST(? AS TIMESTAMP) GROUP BY region", from, to) {
			regions[r[0].(string)] = r[1].(int64)
			total += r[1].(int64)
		}
		return total, regions
	}
	dec, decRegions := month("2025-12-01", "2026-01-01")
	nov, novRegions := month("2025-11-01", "2025-12-01")
	db.Close()
	bars := func(scr string, regions map[string]int64) bool {
		for reg, n := range regions {
			if !regexp.MustCompile(regexp.QuoteMeta(reg) + `\s+[█▏▎▍▌▋▊▉]+\s+` + regexp.QuoteMeta(format.Human(float64(n))) + `\s`).MatchString(scr) {
				return false
			}
		}
		return true
	}

	// The test's own folders for config, state (dora's run store) and data (the demo warehouse,
	// not used: the warehouse is the test's).
	script := fmt.Sprintf("env TERM=xterm-256color XDG_CONFIG_HOME=%q XDG_STATE_HOME=%q XDG_DATA_HOME=%q %q dash %q --backend duckdb:%s; echo \"dora exited $?\"; sleep 120",
		t.TempDir(), t.TempDir(), t.TempDir(), bin, file, warehouse)
	s := testenv.StartTmux(t, "dora-dash-e2e", script, 120, 40)
	s.WaitText("Wall · shipped_at 2025-12-01..2026-01-01", "▸ Shipments", format.Int(dec))
	// It is the workbench, on its Dashboards screen: the other screens are a key away.
	s.WaitText(" dora  1 Explore  2 Loads  3 ETL  4 Jobs  5 Dashboards")
	s.WaitFor("December's bars", func(scr string) bool { return bars(scr, decRegions) })
	if on := s.Display("#{alternate_on}"); on != "1" {
		t.Errorf("the dashboard should use the alternate screen")
	}

	// Move: right to the regions, down to the brands, left to the days, up to the stat.
	for _, step := range []struct{ key, want string }{{"l", "▸ Regions"}, {"j", "▸ Brands"}, {"h", "▸ Days"}, {"k", "▸ Shipments"}, {"l", "▸ Regions"}} {
		s.Keys(step.key)
		s.WaitText(step.want)
	}

	// Zoom into the explorer with the range applied; its answer is the panel's; esc comes back.
	s.Keys("Enter")
	scr := s.WaitText("SELECT region, count(*) FROM shipments WHERE shipped_at >= TIMESTAMP '2025-12-01 00:00:00' AND shipped_at < TIMESTAMP",
		fmt.Sprintf("✓ %d rows", len(decRegions)))
	for reg, n := range decRegions {
		if !regexp.MustCompile(regexp.QuoteMeta(reg) + `\s+` + regexp.QuoteMeta(format.Int(n)) + `\s`).MatchString(scr) {
			t.Errorf("the explorer should show %s with %s:\n%s", reg, format.Int(n), scr)
		}
	}
	s.Keys("Escape")
	s.WaitText("Wall · shipped_at 2025-12-01..2026-01-01", "▸ Regions")

	// Shift the range back a month: every panel follows.
	s.Keys("[")
	s.WaitText("shipped_at 2025-11-01..2025-12-01", format.Int(nov))
	s.WaitFor("November's bars", func(scr string) bool { return bars(scr, novRegions) })

	// Pause the stat, shift forward: the stat keeps November, the bars move to December.
	s.Keys("h", "p")
	s.WaitText("▸ Shipments · ", "paused")
	s.Keys("]")
	s.WaitFor("December's bars beside a paused November stat", func(scr string) bool {
		return strings.Contains(scr, "2025-12-01..2026-01-01") && bars(scr, decRegions) && strings.Contains(scr, format.Int(nov)) && !strings.Contains(scr, format.Int(dec))
	})
	s.Keys("p")
	s.WaitFor("the stat resumed on December", func(scr string) bool {
		return strings.Contains(scr, format.Int(dec)) && !strings.Contains(scr, "paused")
	})

	// At 80x24 the panels stack: one frame a line, none wider than the screen.
	s.Resize(80, 24)
	scr = s.WaitFor("a stacked redraw at 80x24", func(scr string) bool {
		lines := strings.Split(strings.TrimRight(scr, "\n"), "\n")
		return len(lines) == 24 && strings.Contains(scr, "▸ Shipments") && !strings.Contains(scr, "╮╭")
	})
	for i, l := range strings.Split(strings.TrimRight(scr, "\n"), "\n") {
		if w := len([]rune(l)); w > 80 {
			t.Errorf("line %d is %d wide at 80x24: %q", i, w, l)
		}
	}
	s.Keys("q")
	s.WaitText("dora exited 0")
}
