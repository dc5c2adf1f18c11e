package explorer

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/internal/golden"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
)

// focusOn presses tab until the wanted panel has focus.
func (h *harness) focusOn(f focus) {
	h.t.Helper()
	for i := 0; i < 8 && h.m.focus != f; i++ {
		h.keys("tab")
	}
	if h.m.focus != f {
		h.t.Fatalf("could not focus panel %d", f)
	}
}

func TestBuildAViewByKeys(t *testing.T) {
	h := newHarness(t, Options{}, 100, 30)
	h.wantScreen("clients", "shipments", "20k")
	if h.m.focus != focusTables {
		t.Fatalf("focus %d, want the tables list", h.m.focus)
	}
	h.keys("down", "enter")
	h.wantSQL("SELECT * FROM shipments LIMIT 100")
	h.wantScreen("shipped_at", "✓ 3 rows")

	h.keys("g", "category", "enter")
	h.wantSQL("SELECT category, count(*) FROM shipments GROUP BY category ORDER BY count(*) DESC LIMIT 10")
	h.keys("m", "avg", "enter", "price", "enter")
	h.wantSQL("SELECT category, count(*), avg(price) FROM shipments GROUP BY category ORDER BY count(*) DESC LIMIT 10")
	h.wantScreen("count(*) by category", "avg(price)")

	// The filter's value picker offers the column's top values, fetched with a grouped query.
	h.keys("f", "region", "enter", "=", "enter")
	if p := h.m.Picker(); p == nil || len(p.Items()) != 4 {
		t.Fatalf("value picker should offer 4 top values, has %v", p)
	}
	top := h.b.ran()[len(h.b.ran())-1]
	if got, want := top.SQL(), "SELECT region, count(*) FROM shipments GROUP BY region ORDER BY count(*) DESC LIMIT 20"; got != want {
		t.Errorf("top values query %q, want %q", got, want)
	}
	h.keys("West", "enter")
	h.wantSQL("SELECT category, count(*), avg(price) FROM shipments WHERE region = 'West' GROUP BY category ORDER BY count(*) DESC LIMIT 10")

	h.keys("o", "count", "enter", "enter") // order by count(*), descending
	h.keys("l", "10", "enter")
	h.wantSQL("SELECT category, count(*), avg(price) FROM shipments WHERE region = 'West' GROUP BY category ORDER BY count(*) DESC LIMIT 10")

	// A typed filter value is read as the field's type.
	h.keys("f", "price", "enter", ">=", "enter", "49.5", "enter")
	h.wantSQL("SELECT category, count(*), avg(price) FROM shipments WHERE region = 'West' AND price >= 49.5 GROUP BY category ORDER BY count(*) DESC LIMIT 10")

	// Remove the first filter from the view list, then undo it.
	h.focusOn(focusView)
	for i := 0; i < 3; i++ {
		h.keys("down")
	}
	h.keys("x")
	h.wantSQL("SELECT category, count(*), avg(price) FROM shipments WHERE price >= 49.5 GROUP BY category ORDER BY count(*) DESC LIMIT 10")
	h.keys("u")
	h.wantSQL("SELECT category, count(*), avg(price) FROM shipments WHERE region = 'West' AND price >= 49.5 GROUP BY category ORDER BY count(*) DESC LIMIT 10")

	// The last query run is the view on screen.
	runs := h.b.ran()
	if got := runs[len(runs)-1].SQL(); got != h.m.SQL() {
		t.Errorf("last run %q, SQL line %q", got, h.m.SQL())
	}
}

func TestMetricsAndTimeBuckets(t *testing.T) {
	h := newHarness(t, Options{Table: "shipments"}, 100, 30)
	h.wantSQL("SELECT * FROM shipments LIMIT 100")
	h.keys("t", "month", "enter")
	h.wantSQL("SELECT date_trunc('month', shipped_at), count(*) FROM shipments GROUP BY date_trunc('month', shipped_at)")
	// A new bucket on the same field replaces the old one; auto reads the time range first.
	h.keys("t", "enter")
	h.wantSQL("SELECT date_trunc('week', shipped_at), count(*) FROM shipments GROUP BY date_trunc('week', shipped_at)")
	h.keys("m", "count distinct", "enter", "category", "enter")
	h.keys("m", "percentile", "enter", "price", "enter", "0.95", "enter")
	h.keys("m", "max", "enter", "rating", "enter")
	h.wantSQL("SELECT date_trunc('week', shipped_at), count(*), count(DISTINCT category), percentile(price, 0.95), max(rating) FROM shipments GROUP BY date_trunc('week', shipped_at)")
	h.wantScreen("≈ approximate")
	// A field that cannot take the metric is not offered.
	h.keys("m", "sum", "enter", "region")
	if p := h.m.Picker(); p == nil || len(p.Items()) != 0 {
		t.Errorf("sum should not offer region")
	}
	h.keys("esc")
	if h.m.Picker() != nil {
		t.Fatal("esc should close the picker")
	}
	// A time series with a second group-by draws lines and offers the series table.
	h.keys("g", "region", "enter")
	if k := h.m.chart.Kind().String(); k != "lines" {
		t.Errorf("chart kind %s, want lines", k)
	}
	h.keys("c")
	if k := h.m.chart.Kind().String(); k != "columns" {
		t.Errorf("after c: %s, want columns", k)
	}
	h.focusOn(focusResults)
	h.keys("p")
	h.wantScreen("trend of count(*)")
}

func TestEditSQLLine(t *testing.T) {
	h := newHarness(t, Options{Table: "shipments"}, 100, 30)
	h.keys(":")
	if !h.m.bar.Editing() {
		t.Fatal(": should open the SQL editor")
	}
	h.send(tea.KeyPressMsg(tea.Key{Code: 'u', Mod: tea.ModCtrl})) // clear the line
	h.keys("SELECT region, avg(price) FROM shipments WHERE rating >= 4 GROUP BY region ORDER BY 2 DESC", "enter")
	h.wantSQL("SELECT region, avg(price) FROM shipments WHERE rating >= 4 GROUP BY region ORDER BY avg(price) DESC")
	if h.m.bar.Editing() {
		t.Error("the editor should close after a good line")
	}
	items := h.m.view.Items()
	if len(items) != 4 {
		t.Errorf("view list should follow the typed SQL: %+v", items)
	}
	// A bad line keeps the editor open and shows where it went wrong.
	h.keys(":")
	h.send(tea.KeyPressMsg(tea.Key{Code: 'u', Mod: tea.ModCtrl}))
	h.keys("SELECT region FROM shipments GROUP BY", "enter")
	if !h.m.bar.Editing() {
		t.Error("the editor should stay open on a parse error")
	}
	h.wantScreen("✗ line 1, column")
	// Under the error, as dora query prints it: the line and a caret under the spot.
	var pe *query.ParseError
	if !errors.As(h.m.Err(), &pe) {
		t.Fatalf("not a parse error: %v", h.m.Err())
	}
	lines := strings.Split(h.screen(), "\n")
	for i, l := range lines {
		if !strings.Contains(l, "✗ line 1, column") {
			continue
		}
		if i+2 >= len(lines) || strings.TrimSpace(lines[i+1]) != "SELECT region FROM shipments GROUP BY" ||
			strings.Index(lines[i+2], "^") != 2+pe.Column-1 {
			t.Errorf("no caret under column %d after the error:\n%s", pe.Column, strings.Join(lines[i:], "\n"))
		}
		break
	}
	if n := len(lines); n != 30 {
		t.Errorf("the screen is %d lines with the caret, want 30", n)
	}
	// An unknown column is named, with a suggestion.
	h.send(tea.KeyPressMsg(tea.Key{Code: 'u', Mod: tea.ModCtrl}))
	h.keys("SELECT regoin, count(*) FROM shipments GROUP BY regoin", "enter")
	h.wantScreen(`unknown column "regoin"`)
	h.keys("esc")
	h.wantSQL("SELECT region, avg(price) FROM shipments WHERE rating >= 4 GROUP BY region ORDER BY avg(price) DESC")
	h.wantScreen("✓ 4 rows")
	// Another table's line loads that table's schema first.
	h.keys(":")
	h.send(tea.KeyPressMsg(tea.Key{Code: 'u', Mod: tea.ModCtrl}))
	h.keys("SELECT state, count(*) FROM clients GROUP BY state", "enter")
	h.wantSQL("SELECT state, count(*) FROM clients GROUP BY state")
	h.wantScreen("fields · clients", "client_id")
	// Undo goes back across tables too.
	h.keys("u")
	h.wantSQL("SELECT region, avg(price) FROM shipments WHERE rating >= 4 GROUP BY region ORDER BY avg(price) DESC")
	h.wantScreen("fields · shipments", "✓ 4 rows")
}

func TestStaleAnswersAreDropped(t *testing.T) {
	h := newHarness(t, Options{Table: "shipments"}, 100, 30)
	h.keys("g", "region", "enter")
	before := h.m.Result()
	// An answer to an older request changes nothing.
	h.send(resultMsg{seq: h.m.seq - 1, res: &query.Result{}})
	if h.m.Result() != before {
		t.Fatal("a stale result replaced the current one")
	}
	// A newer change cancels the query in flight; its late answer is dropped.
	h.b.gate = make(chan struct{})
	_, slow := h.m.Update(keyMsgs("u")[0]) // undo: runs a query that blocks on the gate
	if !h.m.Running() {
		t.Fatal("the undo should be running")
	}
	h.b.gate = nil
	h.keys("g", "category", "enter") // a newer change, answered at once
	h.wantSQL("SELECT category, count(*) FROM shipments GROUP BY category ORDER BY count(*) DESC LIMIT 10")
	h.run(slow) // the cancelled query returns now
	if cols := h.m.Result().Columns; cols[0].Name != "category" {
		t.Errorf("the cancelled query's answer was shown: %v", cols)
	}
	if h.m.Err() != nil {
		t.Errorf("a cancelled query is not an error: %v", h.m.Err())
	}
}

func TestBackendDownAndRetry(t *testing.T) {
	b := newFake()
	b.down = true
	m := New(common.New(t.Context(), b, true), Options{Table: "shipments"})
	h := &harness{t: t, m: m, b: b}
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.run(m.Init())
	h.wantScreen("the backend is unavailable", "r retries")
	h.keys("j", "k", "?", "esc") // still responsive
	b.down = false
	h.keys("r")
	h.wantSQL("SELECT * FROM shipments LIMIT 100")
	if h.m.Err() != nil {
		t.Fatalf("after retry: %v", h.m.Err())
	}
	// A query that finds the backend down says so, and that it runs again by itself.
	b.down = true
	h.keys("g", "region", "enter")
	h.wantScreen("connection refused", "retrying every 5s, r now")
	h.send(autoRetryMsg{seq: h.m.seq}) // RetryUnavailable later, still down: it says so again
	h.wantScreen("connection refused", "retrying every 5s, r now")
	b.down = false
	h.send(autoRetryMsg{seq: h.m.seq - 1}) // the tick of an older change does nothing
	h.wantScreen("connection refused")
	h.send(autoRetryMsg{seq: h.m.seq}) // back: the answer comes without a key
	h.wantScreen("✓ 4 rows")
	b.down = true
	h.keys("r")
	h.wantScreen("retrying every 5s, r now")
	b.down = false
	h.keys("r") // or at once with r
	h.wantScreen("✓ 4 rows")
}

func TestTablesDownThenRetry(t *testing.T) {
	b := newFake()
	b.down = true
	m := New(common.New(t.Context(), b, true), Options{})
	h := &harness{t: t, m: m, b: b}
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.run(m.Init())
	h.wantScreen("unavailable; r retries", "the backend is unavailable")
	b.down = false
	h.keys("r")
	h.wantScreen("shipments", "20k", "pick a table and press enter")
}

func TestSortExportCopyInspect(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, Options{SQL: "SELECT region, count(*) FROM shipments GROUP BY region", ExportDir: dir}, 100, 30)
	h.focusOn(focusResults)
	h.keys("right", "s")
	h.wantSQL("SELECT region, count(*) FROM shipments GROUP BY region ORDER BY count(*) DESC")
	h.keys("s")
	h.wantSQL("SELECT region, count(*) FROM shipments GROUP BY region ORDER BY count(*)")
	h.keys("e", "json", "enter")
	if !strings.HasPrefix(h.m.note, "exported 4 rows to "+dir) {
		t.Errorf("status note %q", h.m.note)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "dora-export-*.json"))
	if len(files) != 1 {
		t.Fatalf("export files: %v", files)
	}
	_, cmd := h.m.Update(keyMsgs("y")[0])
	if cmd == nil || !strings.Contains(h.screen(), "copied the SQL line") {
		t.Error("y should copy with OSC 52 and say so")
	}
	h.keys("i")
	h.wantScreen("request sent", "SQL SELECT region, count(*)", "20,000 rows matched")
	h.keys("esc")
	// The view was changed and not saved: the explorer names it, and the shell, which owns ? and
	// q, asks before quitting (TestTheShellAsksBeforeQuittingAnUnsavedView in package tui).
	if u := h.m.Unsaved(); u != "the view on shipments" {
		t.Errorf("Unsaved() = %q for a view changed and not saved", u)
	}
}

// TestSmallScreen checks 80x24: the side lists fold away behind ctrl+b and nothing overflows.
func TestSmallScreen(t *testing.T) {
	h := newHarness(t, Options{SQL: "SELECT category, count(*), avg(price) FROM shipments GROUP BY category"}, 80, 24)
	fits(t, h.screen(), 80, 24)
	if strings.Contains(h.screen(), "tables") {
		t.Error("the side lists should be folded at 80 columns")
	}
	h.keys("ctrl+b")
	h.wantScreen("tables", "fields · shipments")
	fits(t, h.screen(), 80, 24)
	h.keys("g")
	fits(t, h.screen(), 80, 24)
	h.keys("esc", "ctrl+b")
	for _, size := range [][2]int{{60, 16}, {120, 40}, {200, 60}, {30, 10}} {
		h.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		fits(t, h.screen(), size[0], size[1])
	}
}

func fits(t *testing.T, screen string, w, h int) {
	t.Helper()
	testenv.Fits(t, screen, w, h)
}

// TestGoldenScreens pins whole screens (no colour) at fixed sizes.
func TestGoldenScreens(t *testing.T) {
	cases := []struct {
		name string
		sql  string
		keys []string
		w, h int
	}{
		{"discover_100x30", "SELECT * FROM shipments LIMIT 100", nil, 100, 30},
		{"bars_80x24", "SELECT category, count(*), avg(price) FROM shipments GROUP BY category", nil, 80, 24},
		{"lines_120x40", "SELECT date_trunc('day', shipped_at), region, count(*) FROM shipments GROUP BY date_trunc('day', shipped_at), region", nil, 120, 40},
		{"series_160x30", "SELECT date_trunc('day', shipped_at), region, count(*) FROM shipments GROUP BY date_trunc('day', shipped_at), region", []string{"p"}, 160, 30},
		{"picker_80x24", "SELECT category, count(*) FROM shipments GROUP BY category", []string{"m"}, 80, 24},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, Options{SQL: c.sql}, c.w, c.h)
			h.keys(c.keys...)
			got := h.screen()
			fits(t, got, c.w, c.h)
			golden.Check(t, c.name, got)
		})
	}
}

func TestLightBackgroundSwitchesTheme(t *testing.T) {
	b := newFake()
	m := New(common.New(t.Context(), b, false), Options{Table: "shipments"})
	h := &harness{t: t, m: m, b: b}
	h.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	h.run(m.Init())
	dark := m.common.Styles.Text.GetForeground()
	m.common.Styles.SetDark(false) // as the shell does on a light background
	if m.common.Styles.Dark || m.common.Styles.Text.GetForeground() == dark {
		t.Fatal("a light background should switch to the light theme")
	}
	h.wantScreen("shipped_at") // and everything still draws
}

// Typed SQL keeps its SELECT list on screen: aliases name the columns, a hidden group key is not
// shown, and sorting by an aliased column orders by what it returns.
func TestTypedSelectListOnScreen(t *testing.T) {
	h := newHarness(t, Options{SQL: "SELECT count(*) AS n, region AS r FROM shipments GROUP BY region, category"}, 100, 30)
	h.wantSQL("SELECT count(*) AS n, region AS r FROM shipments GROUP BY r, category")
	cols := h.m.Result().Columns
	if len(cols) != 2 || cols[0].Name != "n" || cols[1].Name != "r" {
		t.Fatalf("columns %+v, want n, r", cols)
	}
	h.focusOn(focusResults)
	h.keys("s") // the first column, n: a metric starts descending
	h.wantSQL("SELECT count(*) AS n, region AS r FROM shipments GROUP BY r, category ORDER BY n DESC")
	h.keys("right", "s")
	h.wantSQL("SELECT count(*) AS n, region AS r FROM shipments GROUP BY r, category ORDER BY r")
	h.wantScreen("r ▲")
}

func TestWideSQLKeepsChartAndTable(t *testing.T) {
	sql := "SELECT CASE WHEN price < 50.0 THEN 'cheap' ELSE 'dear' END AS band, round(100.0 * count(*) FILTER (WHERE price > 20.0) / count(*), 1) AS pct, stddev(price) AS sd FROM shipments GROUP BY band ORDER BY pct DESC NULLS LAST LIMIT 3 OFFSET 1"
	h := newHarness(t, Options{SQL: sql}, 100, 30)
	h.wantSQL(sql)
	cols := h.m.Result().Columns
	if len(cols) != 3 || cols[0].Name != "band" || cols[1].Name != "pct" || cols[2].Name != "sd" {
		t.Fatalf("columns %+v, want band, pct, sd", cols)
	}
	h.wantScreen("pct by band", "sd", "✓ 4 rows")
}

func TestRatioAndRangesByKeys(t *testing.T) {
	h := newHarness(t, Options{SQL: "SELECT region, count(*), sum(price) FROM shipments GROUP BY region"}, 120, 30)
	h.wantSQL("SELECT region, count(*), sum(price) FROM shipments GROUP BY region")
	h.keys("m", "percentage", "enter", "sum(price)", "enter", "count(*)", "enter")
	h.wantSQL("SELECT region, count(*), sum(price), 100.0 * sum(price) / count(*) AS pct FROM shipments GROUP BY region")
	h.keys("m", "ratio", "enter", "count(*)", "enter", "sum(price)", "enter")
	h.wantSQL("SELECT region, count(*), sum(price), 100.0 * sum(price) / count(*) AS pct, count(*) / sum(price) AS ratio FROM shipments GROUP BY region")
	h.keys("g", "price", "enter", "10, 100", "enter")
	h.wantSQL("SELECT region, CASE WHEN price IS NULL THEN NULL WHEN price < 10.0 THEN '< 10' WHEN price < 100.0 THEN '10 to 100' ELSE '>= 100' END, count(*), sum(price), 100.0 * sum(price) / count(*) AS pct, count(*) / sum(price) AS ratio FROM shipments GROUP BY region, CASE WHEN price IS NULL THEN NULL WHEN price < 10.0 THEN '< 10' WHEN price < 100.0 THEN '10 to 100' ELSE '>= 100' END")
	h.keys("g", "price", "enter", "10, x", "enter")
	h.wantScreen("edges as numbers")
}
