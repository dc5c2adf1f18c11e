package dashscreen

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/backends/session"
	"github.com/dora-dev/dora/dash"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/screen"

	_ "github.com/duckdb/duckdb-go/v2"
)

// harness drives the screen as Bubble Tea would, but in step: every command runs and its
// message goes back into Update until the screen is idle (no panel waiting, no explorer query).
// Clock ticks and spinner frames are dropped, so nothing waits on time.
type harness struct {
	t    *testing.T
	m    *Model
	msgs chan tea.Msg
}

func newHarness(t *testing.T, d *dash.Dashboard, path string, w, h int) *harness {
	t.Helper()
	return newHarnessWith(t, d, path, w, h, Options{})
}

func newHarnessWith(t *testing.T, d *dash.Dashboard, path string, w, h int, opts Options) *harness {
	t.Helper()
	r := dash.NewRunner(session.New("", opener(path)), dash.Parallel)
	t.Cleanup(func() { r.Close() })
	opts.Range, opts.Where, opts.WhereText = d.Range, d.Where, d.WhereText
	opts.Now = func() time.Time { return now }
	m := newScreen(r, d, opts)
	hs := &harness{t: t, m: m, msgs: make(chan tea.Msg, 64)}
	m.SetSize(w, h)
	hs.run(m.Init())
	m.Focus() // shown, as the shell does: the panels start
	hs.send(screen.ShownMsg{})
	hs.settle()
	return hs
}

// newScreen is the screen showing d over r, on a Common as the shell builds it (no colours).
func newScreen(r *dash.Runner, d *dash.Dashboard, opts Options) *Model {
	c := common.New(context.Background(), nil, true)
	c.Dash = r
	opts.Dashboard = d
	return New(c, opts)
}

func (h *harness) run(cmd tea.Cmd) {
	if cmd != nil {
		go func() { h.msgs <- cmd() }()
	}
}

func (h *harness) send(msg tea.Msg) {
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

// idle says nothing the screen waits for is in flight.
func (h *harness) idle() bool {
	z := h.m.Zoomed()
	return !h.m.anyRunning() && !h.m.zooming && (z == nil || !z.Running())
}

// settle feeds answers back until the screen is idle.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if h.idle() {
			// let commands that answer at once (the explorer's table list) come in
			select {
			case msg := <-h.msgs:
				h.deliver(msg)
				continue
			case <-time.After(50 * time.Millisecond):
				if h.idle() {
					return
				}
			}
		}
		select {
		case msg := <-h.msgs:
			h.deliver(msg)
		case <-deadline:
			h.t.Fatalf("the screen never settled:\n%s", h.screen())
		}
	}
}

func (h *harness) deliver(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil, clockMsg, spinner.TickMsg, tea.QuitMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			h.run(c)
		}
	default:
		h.send(msg)
	}
}

// press sends keys (enter, esc, or literal text) and waits for what they start.
func (h *harness) press(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		switch k {
		case "enter":
			h.send(tea.KeyPressMsg(tea.Key{Code: tea.KeyEnter}))
		case "esc":
			h.send(tea.KeyPressMsg(tea.Key{Code: tea.KeyEscape}))
		case "ctrl+u":
			h.send(tea.KeyPressMsg(tea.Key{Code: 'u', Mod: tea.ModCtrl}))
		default:
			for _, r := range k {
				h.send(tea.KeyPressMsg(tea.Key{Code: r, Text: string(r)}))
			}
		}
	}
	h.settle()
}

func (h *harness) screen() string { return ansi.Strip(h.m.View()) }

// stat returns the exact value a stat panel shows.
func (h *harness) stat(i int) any {
	h.t.Helper()
	a := h.m.Answer(i)
	if a == nil || a.Err != nil || len(a.Result.Rows) == 0 {
		h.t.Fatalf("panel %d has no answer: %+v", i, a)
	}
	return a.Result.Rows[0][0]
}

// count answers a filtered count straight through DuckDB, the independent answer.
func count(t *testing.T, path, where string, args ...any) int64 {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=READ_ONLY")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow("SELECT count(*) FROM shipments WHERE "+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var (
	rangeFrom = time.Date(2025, 12, 2, 9, 30, 0, 0, time.UTC) // now-30d at now
	rangeTo   = now
)

// TestMoveFocus walks the 160x48 grid: three stats across, a wide line chart and the stylists
// below, three panels at the bottom.
func TestMoveFocus(t *testing.T) {
	h := newHarness(t, demoDashboard(t), warehouse, 160, 48)
	steps := []struct {
		key  string
		want int
	}{{"l", 1}, {"l", 2}, {"l", 2}, {"j", 4}, {"h", 3}, {"j", 5}, {"l", 6}, {"l", 7}, {"k", 4}, {"k", 2}, {"h", 1}, {"h", 0}, {"h", 0}}
	for _, s := range steps {
		h.press(s.key)
		if h.m.Panel() != s.want {
			t.Fatalf("after %s focus is on panel %d, want %d", s.key, h.m.Panel(), s.want)
		}
	}
	h.press("j", "l")
	if scr := h.screen(); !strings.Contains(scr, "▸ Top stylists by rating") {
		t.Errorf("the focused panel's title should be marked:\n%s", scr)
	}
}

// TestRangeKeys shifts, widens, narrows and types the range, and checks what the shipments stat
// counts against plain SQL over the same times.
func TestRangeKeys(t *testing.T) {
	h := newHarness(t, demoDashboard(t), warehouse, 160, 48)
	between := "shipped_at >= ? AND shipped_at < ?"
	if got, want := h.stat(0), count(t, warehouse, between, rangeFrom, rangeTo); got != want {
		t.Fatalf("shipments over the last 30 days: %v, plain SQL says %d", got, want)
	}
	before := rangeFrom.AddDate(0, 0, -30)
	h.press("[")
	if r := h.m.Range().String(); r != "now-60d..now-30d" {
		t.Fatalf("[ gives %s", r)
	}
	if got, want := h.stat(0), count(t, warehouse, between, before, rangeFrom); got != want {
		t.Errorf("shipments over the 30 days before: %v, plain SQL says %d", got, want)
	}
	if sql := h.m.Answer(3).Applied.Spec.SQL(); !strings.Contains(sql, "shipped_at >= TIMESTAMP '2025-11-02 09:30:00' AND shipped_at < TIMESTAMP '2025-12-02 09:30:00'") {
		t.Errorf("every panel follows the range: %s", sql)
	}
	for _, s := range []struct{ key, want string }{{"]", "now-30d..now"}, {"+", "now-60d..now"}, {"-", "now-30d..now"}, {"-", "now-15d..now"}} {
		h.press(s.key)
		if r := h.m.Range().String(); r != s.want {
			t.Fatalf("%s gives %s, want %s", s.key, r, s.want)
		}
	}
	h.press("t", "ctrl+u", "2025-06-01..2025-07-01", "enter")
	june := []any{time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)}
	if got, want := h.stat(0), count(t, warehouse, between, june...); got != want {
		t.Errorf("June: %v, plain SQL says %d", got, want)
	}
	if scr := h.screen(); !strings.Contains(scr, "shipped_at 2025-06-01..2025-07-01") {
		t.Errorf("the header should show the typed range:\n%s", scr)
	}
	// The stat's change is against May, the month before.
	may := count(t, warehouse, between, time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), june[0])
	if prev := h.m.Answer(0).Previous; prev == nil || prev.Rows[0][0] != may {
		t.Errorf("the period before June should be May (%d): %+v", may, prev)
	}
	h.press("t", "ctrl+u", "last tuesday", "enter")
	if scr := h.screen(); !strings.Contains(scr, `cannot read "last tuesday"`) {
		t.Errorf("a bad range should be said:\n%s", scr)
	}
	h.press("esc")
	if r := h.m.Range().String(); r != "2025-06-01..2025-07-01" {
		t.Errorf("a refused range keeps the one before: %s", r)
	}
}

// TestFilterKey types a global filter and checks the stat against plain SQL.
func TestFilterKey(t *testing.T) {
	h := newHarness(t, demoDashboard(t), warehouse, 160, 48)
	h.press("w", "region = 'West' AND items_kept > 0", "enter")
	want := count(t, warehouse, "shipped_at >= ? AND shipped_at < ? AND region = 'West' AND items_kept > 0", rangeFrom, rangeTo)
	if got := h.stat(0); got != want {
		t.Errorf("filtered shipments: %v, plain SQL says %d", got, want)
	}
	if scr := h.screen(); !strings.Contains(scr, "where region = 'West' AND items_kept > 0") {
		t.Errorf("the header should show the filter:\n%s", scr)
	}
	h.press("w", "ctrl+u", "region = ", "enter")
	if scr := h.screen(); !strings.Contains(scr, "expected a value") {
		t.Errorf("a filter that does not parse should be said:\n%s", scr)
	}
	h.press("esc", "w", "ctrl+u", "enter")
	if got, all := h.stat(0), count(t, warehouse, "shipped_at >= ? AND shipped_at < ?", rangeFrom, rangeTo); got != all {
		t.Errorf("an empty filter is none: %v, want %d", got, all)
	}
}

// TestPause keeps a paused panel on its answer while the others follow the range.
func TestPause(t *testing.T) {
	h := newHarness(t, demoDashboard(t), warehouse, 160, 48)
	h.press("l", "p")
	if !h.m.Paused(1) || !strings.Contains(h.screen(), "Average rating · ") || !strings.Contains(h.screen(), "paused") {
		t.Fatalf("p should pause the focused panel:\n%s", h.screen())
	}
	old := h.m.Answer(1)
	h.press("h", "[")
	if h.m.Answer(1) != old {
		t.Errorf("a paused panel was refreshed")
	}
	if sql := h.m.Answer(0).Applied.Spec.SQL(); !strings.Contains(sql, "'2025-11-02 09:30:00'") {
		t.Errorf("the other panels follow the range: %s", sql)
	}
	seq := h.m.panels[1].seq
	h.send(clockMsg(now.Add(time.Minute))) // the refresh is due
	h.settle()
	if h.m.panels[1].seq != seq || h.m.panels[0].seq == 0 {
		t.Errorf("the automatic refresh ran the paused panel")
	}
	h.press("l", "p")
	if h.m.Paused(1) || h.m.Answer(1) == old || !strings.Contains(h.m.Answer(1).Applied.Spec.SQL(), "'2025-11-02 09:30:00'") {
		t.Errorf("p again resumes the panel and runs it on the range shown")
	}
}

// TestStaleAnswerDropped: an answer to an older run of a panel never replaces a newer one.
func TestStaleAnswerDropped(t *testing.T) {
	h := newHarness(t, demoDashboard(t), warehouse, 160, 48)
	cur := h.m.Answer(0)
	h.send(answerMsg{panel: 0, seq: h.m.panels[0].seq - 1, answer: dash.Answer{Err: errors.New("old")}})
	if h.m.Answer(0) != cur {
		t.Errorf("a stale answer replaced the panel's")
	}
}

// TestBackendDownThenUp starts with no warehouse: every panel says why, the screen stays up, and
// the next refresh after the warehouse appears answers them all.
func TestBackendDownThenUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.duckdb")
	h := newHarness(t, demoDashboard(t), path, 160, 48)
	for i := range h.m.panels {
		if a := h.m.Answer(i); a == nil || !errors.Is(a.Err, backends.ErrUnavailable) {
			t.Fatalf("panel %d should say the backend is unavailable: %+v", i, a)
		}
	}
	if scr := h.screen(); !strings.Contains(scr, "no DuckDB file at") || !strings.Contains(scr, "✗ just now, retrying") {
		t.Errorf("the panels should say what is wrong:\n%s", scr)
	}
	if err := duckdb.BuildDemoAt(context.Background(), path, 2000, day); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // past the runner's memory of the failed open
	h.send(clockMsg(now.Add(time.Hour)))
	h.settle()
	for i := range h.m.panels {
		if a := h.m.Answer(i); a == nil || a.Err != nil {
			t.Fatalf("panel %d did not recover: %+v", i, a)
		}
	}
	if got, want := h.stat(0), count(t, path, "shipped_at >= ? AND shipped_at < ?", rangeFrom, rangeTo); got != want {
		t.Errorf("after recovering: %v, plain SQL says %d", got, want)
	}
}

// TestZoom opens the focused panel in the explorer with the range applied, and comes back.
func TestZoom(t *testing.T) {
	h := newHarness(t, demoDashboard(t), warehouse, 160, 48)
	h.press("w", "channel = 'web'", "enter")
	h.press("l", "l", "j", "enter") // the stylists
	z := h.m.Zoomed()
	if z == nil {
		t.Fatalf("enter should zoom into the explorer:\n%s", h.screen())
	}
	want := "SELECT stylist, avg(rating) FROM shipments WHERE shipped_at >= TIMESTAMP '2025-12-02 09:30:00' AND shipped_at < TIMESTAMP '2026-01-01 09:30:00' AND channel = 'web' GROUP BY stylist ORDER BY avg(rating) DESC LIMIT 8"
	if z.SQL() != want {
		t.Errorf("zoomed SQL\n got: %s\nwant: %s", z.SQL(), want)
	}
	if z.Result() == nil || len(z.Result().Rows) != 8 {
		t.Errorf("the explorer should run it: %v %v", z.Result(), z.Err())
	}
	if scr := h.screen(); !strings.Contains(scr, "avg(rating) by stylist") {
		t.Errorf("the explorer should be on screen:\n%s", scr)
	}
	if _, err := query.Parse(z.SQL()); err != nil {
		t.Errorf("the zoomed SQL is one line dora query accepts: %v", err)
	}
	h.press("esc")
	if h.m.Zoomed() != nil || !strings.Contains(h.screen(), "▸ Top stylists by rating") {
		t.Errorf("esc should come back to the dashboard, on the same panel:\n%s", h.screen())
	}
}

func TestShortDurationAndAge(t *testing.T) {
	for d, want := range map[time.Duration]string{30 * time.Second: "30s", time.Minute: "1m", 90 * time.Second: "1m30s",
		time.Hour: "1h", 90 * time.Minute: "1h30m", 2*time.Hour + 5*time.Second: "2h0m5s"} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %s, want %s", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{0: "just now", 12 * time.Second: "12s ago", 3 * time.Minute: "3m ago", 5 * time.Hour: "5h ago"} {
		if got := Age(d); got != want {
			t.Errorf("Age(%v) = %s, want %s", d, got, want)
		}
	}
}

// TestWall: --wall leaves out the header and the help bar; the panels take every line.
func TestWall(t *testing.T) {
	h := newHarnessWith(t, demoDashboard(t), warehouse, 160, 48, Options{Wall: true})
	lines := strings.Split(h.screen(), "\n")
	if len(lines) != 48 || !strings.HasPrefix(lines[0], "╭─ ▸ Shipments") || !strings.HasPrefix(lines[47], "╰") {
		t.Errorf("a wall screen is all panels, first line to last:\n%s", h.screen())
	}
	if scr := h.screen(); strings.Contains(scr, "shift range") || strings.Contains(scr, "refresh 30s") {
		t.Errorf("the wall screen shows chrome:\n%s", scr)
	}
}
