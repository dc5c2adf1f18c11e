package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/tui/format"
)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const onceDashboard = `title: E2E
time: {column: shipped_at, from: 2025-06-01, to: 2025-07-01}
layout: {columns: 2}
where: region = 'West'
panels:
  - {title: Shipments, sql: "SELECT count(*) FROM shipments", chart: stat}
  - {title: Revenue, sql: "SELECT sum(price) FROM shipments", chart: stat}
  - {title: By category, chart: bars, width: 2, height: 2,
     sql: "SELECT category, count(*) FROM shipments GROUP BY category ORDER BY count(*) DESC LIMIT 5"}
  - {title: Brands, chart: table, sql: "SELECT brand, count(*) AS n FROM shipments GROUP BY brand ORDER BY n DESC LIMIT 5"}
  - {title: Plans, chart: table, sql: "SELECT plan, count(*) AS n FROM clients GROUP BY plan ORDER BY n DESC"}
`

// TestDashOnce prints a dashboard once and holds every number on it to plain SQL run through
// DuckDB on the same file, under the dashboard's range and filter.
func TestDashOnce(t *testing.T) {
	file := writeFile(t, "e2e.yaml", onceDashboard)
	r := dora(t, "", nil, "dash", file, "--once", "--width", "120")
	if r.code != 0 {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
	if strings.Contains(r.stdout, "\x1b") {
		t.Errorf("output to a pipe must have no ANSI escapes")
	}
	out := r.stdout
	june, july, may := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	scope := " WHERE shipped_at >= ? AND shipped_at < ? AND region = 'West'"
	n := direct(t, "SELECT count(*) FROM shipments"+scope, june, july)[0][0].(int64)
	before := direct(t, "SELECT count(*) FROM shipments"+scope, may, june)[0][0].(int64)
	change := fmt.Sprintf("%.1f%% vs %s before", abs(float64(n-before))/float64(before)*100, format.Int(before))
	for _, want := range []string{"E2E · shipped_at 2025-06-01..2025-07-01 · where region = 'West'", format.Int(n), change} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	sum := direct(t, "SELECT sum(price) FROM shipments"+scope, june, july)[0][0].(float64)
	if !strings.Contains(out, format.Float(sum)) {
		t.Errorf("revenue %s is not shown:\n%s", format.Float(sum), out)
	}
	for _, row := range direct(t, "SELECT category, count(*) FROM shipments"+scope+" GROUP BY category ORDER BY count(*) DESC LIMIT 5", june, july) {
		bar := regexp.MustCompile(regexp.QuoteMeta(row[0].(string)) + `\s+[█▏▎▍▌▋▊▉]+\s+` + regexp.QuoteMeta(format.Human(float64(row[1].(int64)))) + `\s`)
		if !bar.MatchString(out) {
			t.Errorf("no bar for %s with %s:\n%s", row[0], format.Human(float64(row[1].(int64))), out)
		}
	}
	for _, row := range direct(t, "SELECT brand, count(*) AS n FROM shipments"+scope+" GROUP BY brand ORDER BY n DESC LIMIT 5", june, july) {
		if !regexp.MustCompile(regexp.QuoteMeta(fmt.Sprint(row[0])) + `\s+` + regexp.QuoteMeta(format.Int(row[1].(int64))) + `\s`).MatchString(out) {
			t.Errorf("brand %v should show %s:\n%s", row[0], format.Int(row[1].(int64)), out)
		}
	}
	// clients has a region but no shipped_at: the filter applies, the range does not, and it says so.
	if !strings.Contains(out, "ignores the time range: clients has no column shipped_at") {
		t.Errorf("the plans panel should say it ignored the range:\n%s", out)
	}
	for _, row := range direct(t, "SELECT plan, count(*) AS n FROM clients WHERE region = 'West' GROUP BY plan ORDER BY n DESC") {
		if !regexp.MustCompile(regexp.QuoteMeta(row[0].(string)) + `\s+` + regexp.QuoteMeta(format.Int(row[1].(int64))) + `\s`).MatchString(out) {
			t.Errorf("plan %s should show %s:\n%s", row[0], format.Int(row[1].(int64)), out)
		}
	}
	for i, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if w := len([]rune(l)); w != 120 {
			t.Errorf("line %d is %d wide, want 120: %q", i, w, l)
		}
	}

	// --from, --to and --where replace the file's.
	r = dora(t, "", nil, "dash", file, "--once", "--from", "2025-03-01", "--to", "2025-03-15", "--where", "channel = 'web'")
	march := direct(t, "SELECT count(*) FROM shipments WHERE shipped_at >= ? AND shipped_at < ? AND channel = 'web'",
		time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC))[0][0].(int64)
	if r.code != 0 || !strings.Contains(r.stdout, "2025-03-01..2025-03-15 · where channel = 'web'") || !regexp.MustCompile(`\s`+regexp.QuoteMeta(format.Int(march))+`\s`).MatchString(r.stdout) {
		t.Errorf("with --from/--to/--where the count should be %s (exit %d, %s):\n%s", format.Int(march), r.code, r.stderr, r.stdout)
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// TestDashOnceFailures: a panel that fails makes the exit 1 and is named; a broken file is a
// usage error at its line and column; a backend that is down fails every panel in words.
func TestDashOnceFailures(t *testing.T) {
	file := writeFile(t, "f.yaml", `panels:
  - {title: Fine, sql: "SELECT count(*) FROM shipments"}
  - {title: Gone, sql: "SELECT count(*) FROM nope"}
`)
	r := dora(t, "", nil, "dash", file, "--once")
	if r.code != 1 || !strings.Contains(r.stderr, `1 of 2 panels failed: Gone: no table "nope"`) || !strings.Contains(r.stdout, "✗ no table") {
		t.Errorf("exit %d\nstderr: %s\nstdout: %s", r.code, r.stderr, r.stdout)
	}
	bad := writeFile(t, "bad.yaml", "panels:\n  - {title: A, sql: \"SELECT count(*) FROM shipments WHERE\", chrt: bars}\n")
	r = dora(t, "", nil, "dash", bad, "--once")
	if r.code != 2 || !strings.Contains(r.stderr, bad+":2:58: expected a column, found end of query\n") ||
		!strings.Contains(r.stderr, bad+`:2:61: unknown key "chrt" in panel 1; did you mean "chart"?`) || strings.Index(r.stderr, ":2:58:") > strings.Index(r.stderr, ":2:61:") {
		t.Errorf("exit %d\nstderr: %s", r.code, r.stderr)
	}
	r = dora(t, "", []string{"DORA_BACKEND=http://127.0.0.1:1"}, "dash", "--once", "--width", "100")
	if r.code != 1 || !strings.Contains(r.stderr, "8 of 8 panels failed: Shipments, Average rating, ") || !strings.Contains(r.stdout, "cannot reach Elasticsearch") {
		t.Errorf("a backend that is down: exit %d\nstderr: %s\nstdout: %s", r.code, r.stderr, r.stdout)
	}
}

// TestDashDemo: without a file, dash opens the demo warehouse's dashboard.
func TestDashDemo(t *testing.T) {
	r := dora(t, "", nil, "dash", "--once", "--width", "160", "--height", "48", "--from", "2025-12-01", "--to", "2026-01-01")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	n := direct(t, "SELECT count(*) FROM shipments WHERE shipped_at >= DATE '2025-12-01' AND shipped_at < DATE '2026-01-01'")[0][0].(int64)
	for _, want := range []string{"Styling ops", "Top stylists by rating", "Regions by day", format.Int(n)} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the demo dashboard lacks %q:\n%s", want, r.stdout)
		}
	}
	if lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n"); len(lines) != 48 {
		t.Errorf("--height 48 printed %d lines", len(lines))
	}
}

// TestDashSavedView: a panel names a saved view and draws its SQL with its chart and metric
// under the dashboard's range; an unknown name is an error at its place, naming the nearest.
func TestDashSavedView(t *testing.T) {
	config := t.TempDir()
	if err := os.MkdirAll(filepath.Join(config, "dora"), 0o755); err != nil {
		t.Fatal(err)
	}
	views := "views:\n  - {name: kept-by-region, sql: \"SELECT region, sum(items_kept), count(*) FROM shipments GROUP BY region ORDER BY region\", chart: bars, metric: count(*)}\n"
	if err := os.WriteFile(filepath.Join(config, "dora", "views.yaml"), []byte(views), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"XDG_CONFIG_HOME=" + config}
	file := writeFile(t, "v.yaml", "time: {column: shipped_at, from: 2025-06-01, to: 2025-07-01}\npanels:\n  - {title: Kept, view: kept-by-region}\n")
	r := dora(t, "", env, "dash", file, "--once", "--width", "100")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, row := range direct(t, "SELECT region, count(*) FROM shipments WHERE shipped_at >= DATE '2025-06-01' AND shipped_at < DATE '2025-07-01' GROUP BY region") {
		bar := regexp.MustCompile(regexp.QuoteMeta(row[0].(string)) + `\s+[█▏▎▍▌▋▊▉]+\s+` + regexp.QuoteMeta(format.Human(float64(row[1].(int64)))) + `\s`)
		if !bar.MatchString(r.stdout) {
			t.Errorf("the view's count(*) bar for %s should read %s:\n%s", row[0], format.Human(float64(row[1].(int64))), r.stdout)
		}
	}
	typo := writeFile(t, "typo.yaml", "panels:\n  - {title: Kept, view: kept-by-regoin}\n")
	r = dora(t, "", env, "dash", typo, "--once")
	if r.code != 2 || !strings.Contains(r.stderr, typo+`:2:25: no saved view named "kept-by-regoin"`) || !strings.Contains(r.stderr, `did you mean "kept-by-region"?`) {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
}

// TestDashOnceHonoursHeight: --once prints exactly --height lines, none wider than --width;
// panels shrink to fit, and when even that is too tall, the last line names the panels left out
// instead of the output running on (80x24 once printed 57 lines, 120x20 printed 22).
func TestDashOnceHonoursHeight(t *testing.T) {
	file := writeFile(t, "e2e.yaml", onceDashboard)
	for _, c := range []struct {
		w, h int
		cut  bool // some panels do not fit and are named
	}{{80, 24, true}, {120, 20, false}, {120, 40, false}, {200, 60, false}, {100, 12, true}, {60, 6, true}} {
		r := dora(t, "", nil, "dash", file, "--once", "--width", fmt.Sprint(c.w), "--height", fmt.Sprint(c.h))
		if r.code != 0 {
			t.Fatalf("%dx%d: exit %d: %s", c.w, c.h, r.code, r.stderr)
		}
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != c.h {
			t.Errorf("%dx%d printed %d lines:\n%s", c.w, c.h, len(lines), r.stdout)
		}
		for i, l := range lines {
			if n := len([]rune(l)); n > c.w {
				t.Errorf("%dx%d: line %d is %d wide", c.w, c.h, i+1, n)
			}
		}
		last := lines[len(lines)-1]
		if named := strings.Contains(last, "panels not shown in"); named != c.cut {
			t.Errorf("%dx%d: the last line %q should name the panels left out: %v", c.w, c.h, last, c.cut)
		}
		if !c.cut && !strings.Contains(r.stdout, "Plans") {
			t.Errorf("%dx%d: every panel should show:\n%s", c.w, c.h, r.stdout)
		}
	}
}
