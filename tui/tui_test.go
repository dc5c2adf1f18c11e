package tui

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/etlscreen"
	"github.com/dora-dev/dora/tui/jobscreen"
	"github.com/dora-dev/dora/tui/loads"
	"github.com/dora-dev/dora/tui/screen"
)

// stubBackend lists one table and answers nothing: the shell's tests look at routing only.
type stubBackend struct{ backends.Backend }

func (stubBackend) Name() string { return "stub" }
func (stubBackend) Tables(context.Context) ([]backends.Table, error) {
	return []backends.Table{{Name: "shipments"}}, nil
}
func (stubBackend) Schema(context.Context, string) (query.Schema, error) {
	return query.Schema{}, errors.New("no schema")
}

func newShell(t *testing.T) *Model {
	t.Helper()
	m := New(t.Context(), stubBackend{}, Options{NoColor: true, Jobs: testJobs(t), Loads: testLoads(t), ETL: etlscreen.Options{Dir: t.TempDir(), StateDir: t.TempDir()}})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	return m
}

func press(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		for _, msg := range testenv.Keys(k) {
			_, cmd = m.Update(msg)
		}
	}
	return cmd
}

// testJobs keeps the Jobs screen's definitions and runs in the test's folders.
func testJobs(t *testing.T) jobscreen.Options {
	return jobscreen.Options{Dir: t.TempDir(), StorePath: filepath.Join(t.TempDir(), "runs.db"), StateDir: t.TempDir()}
}

func screenText(m *Model) string { return ansi.Strip(m.View().Content) }

func TestDigitsSwitchScreensAndTheHeaderShowsWhich(t *testing.T) {
	m := newShell(t)
	scr := screenText(m)
	for _, tab := range []string{"1 Explore", "2 Loads", "3 ETL", "4 Jobs", "5 Dashboards"} {
		if !strings.Contains(strings.SplitN(scr, "\n", 2)[0], tab) {
			t.Errorf("header lacks %q:\n%s", tab, scr)
		}
	}
	for i, want := range []string{"location: ", "pipelines · ", "no jobs: write NAME.yaml", "No dashboard is open"} {
		press(m, string(rune('2'+i)))
		if m.Current() != i+1 {
			t.Fatalf("after %d: screen %d", i+2, m.Current()+1)
		}
		if scr := screenText(m); !strings.Contains(scr, want) {
			t.Errorf("screen %d should show %q:\n%s", i+2, want, scr)
		}
	}
	press(m, "1")
	if m.Current() != 0 {
		t.Fatalf("1 should go back to the explorer, is on %d", m.Current()+1)
	}
}

func TestDigitsGoToATextInputThatHasFocus(t *testing.T) {
	m := newShell(t)
	press(m, ":") // the explorer's SQL line takes typing
	if !m.Screen(0).InputFocused() {
		t.Fatal("the SQL line should have focus")
	}
	press(m, "4", "q", "?")
	if m.Current() != 0 || m.quitting || m.showHelp {
		t.Fatalf("typing should stay in the SQL line: screen %d, quitting %v, help %v", m.Current()+1, m.quitting, m.showHelp)
	}
	if !m.Screen(0).InputFocused() {
		t.Error("the SQL line should still be open")
	}
	press(m, "esc")
	press(m, "4")
	if m.Current() != 3 {
		t.Fatalf("with the SQL line closed, 4 should switch to Jobs; on %d", m.Current()+1)
	}
}

func TestTheHelpBarIsTheGlobalKeysAndTheCurrentScreens(t *testing.T) {
	m := newShell(t)
	bar := func() string { lines := strings.Split(screenText(m), "\n"); return lines[len(lines)-1] }
	if b := bar(); !strings.Contains(b, "? help") || !strings.Contains(b, "g group") {
		t.Errorf("explorer help bar: %q", b)
	}
	press(m, "4")
	if b := bar(); !strings.Contains(b, "? help") || strings.Contains(b, "g group") || !strings.Contains(b, "launch") {
		t.Errorf("jobs help bar should have the jobs keys and not the explorer's: %q", b)
	}
	press(m, "?")
	if scr := screenText(m); !strings.Contains(scr, "keys · Jobs") {
		t.Errorf("? should show the jobs keys:\n%s", scr)
	}
	press(m, "?")
	if m.showHelp {
		t.Error("? again should close the help")
	}
}

func TestQuitKeys(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		m := newShell(t)
		cmd := press(m, k)
		if cmd == nil {
			t.Fatalf("%s: no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok || !m.quitting {
			t.Errorf("%s should quit", k)
		}
	}
}

// An ETL run started on screen 3 goes on while the explorer is shown: the header says so, and
// its answer reaches the ETL screen.
func TestAnETLRunGoesOnBehindAnotherScreen(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "movies.parquet")
	if _, err := db.Exec(fmt.Sprintf("COPY (SELECT * FROM range(5) t(movie_id)) TO '%s' (FORMAT parquet)", src)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	pipes := filepath.Join(dir, "pipelines")
	os.MkdirAll(pipes, 0o755)
	os.WriteFile(filepath.Join(pipes, "movies.yaml"), []byte("table: film.movies\nsource: "+src+"\n"), 0o644)
	opts := Options{NoColor: true, Jobs: testJobs(t), ETL: etlscreen.Options{Dir: pipes, StateDir: dir, WorkDir: dir,
		Catalog: catalog.Config{Catalog: "sqlite:" + filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")}}}
	m := New(t.Context(), stubBackend{}, opts)
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	screen := m.Screen(2).(*etlscreen.Model)
	m.Update(screen.Init()().(tea.BatchMsg)[0]()) // the listing
	if len(screen.Pipelines()) != 1 {
		t.Fatalf("pipelines: %v", screen.Pipelines())
	}
	press(m, "3")
	run := press(m, "p")
	press(m, "1")
	if header := strings.SplitN(screenText(m), "\n", 2)[0]; m.Current() != 0 || !strings.Contains(header, "running film.movies") {
		t.Fatalf("the header should show the run behind the explorer: %q", header)
	}
	m.Update(run()) // the run's answer, while the explorer is shown
	if r := screen.Running(); r != nil {
		t.Errorf("the run's answer did not reach the ETL screen")
	}
	if note, bad := screen.Note(); bad || !strings.Contains(note, "film.movies: published version") {
		t.Errorf("note %q", note)
	}
	if header := strings.SplitN(screenText(m), "\n", 2)[0]; strings.Contains(header, "running") {
		t.Errorf("the header still shows a run: %q", header)
	}
}

// testLoads keeps the Loads screen's history in the test's folder.
func testLoads(t *testing.T) loads.Options {
	return loads.Options{Start: t.TempDir(), History: filepath.Join(t.TempDir(), "history.ndjson"), DeadLetterDir: t.TempDir()}
}

// busyScreen is a screen with work running, as a load in flight would be.
type busyScreen struct {
	*screen.Placeholder
	busy string
}

func (b *busyScreen) Update(tea.Msg) (screen.Screen, tea.Cmd) { return b, nil }
func (b *busyScreen) Busy() string                            { return b.busy }

func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func TestQuittingWhileAScreenIsBusyAsksFirst(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		m := newShell(t)
		load := &busyScreen{Placeholder: screen.NewPlaceholder(m.common.Styles, "Loads", "loading"), busy: "a load of orders"}
		m.screens[1] = load
		const question = "A load of orders is still running. Quit anyway? (y/n)"
		if quits(press(m, k)) || m.Asking() != question {
			t.Fatalf("%s with a load running should ask %q, asks %q", k, question, m.Asking())
		}
		if lines := strings.Split(screenText(m), "\n"); !strings.Contains(lines[len(lines)-1], question) {
			t.Errorf("the question should be on the bottom line:\n%s", screenText(m))
		}
		if quits(press(m, "4")) || m.Asking() != "" || m.Current() != 0 || m.quitting {
			t.Fatalf("%s then another key should go back without doing it: asking %q, screen %d", k, m.Asking(), m.Current()+1)
		}
		press(m, k)
		if !quits(press(m, "y")) || !m.quitting {
			t.Errorf("%s then y should quit", k)
		}
	}

	m := newShell(t)
	m.screens[1] = &busyScreen{Placeholder: screen.NewPlaceholder(m.common.Styles, "Loads", ""), busy: "a load of orders"}
	m.screens[2] = &busyScreen{Placeholder: screen.NewPlaceholder(m.common.Styles, "ETL", ""), busy: "an ETL run of daily_sales"}
	press(m, "q")
	if want := "A load of orders and an ETL run of daily_sales are still running. Quit anyway? (y/n)"; m.Asking() != want {
		t.Errorf("two busy screens: %q, want %q", m.Asking(), want)
	}
	m.screens[1].(*busyScreen).busy, m.screens[2].(*busyScreen).busy = "", ""
	press(m, "esc")
	if !quits(press(m, "q")) {
		t.Error("with the work done, q should quit at once")
	}
}

func TestTheJobsScreenIsNeverBusy(t *testing.T) {
	m := newShell(t)
	b, ok := m.Screen(3).(screen.Busy)
	if !ok || b.Busy() != "" {
		t.Errorf("the Jobs screen says it is busy: %q", b.Busy())
	}
}

// A background-colour answer changes the styles in one place, the shell's: every screen built on
// them (Explore, Loads, ETL, Jobs, Dashboards) draws in the light theme's colours after it without
// a handler of its own.
func TestALightBackgroundRestylesEveryScreen(t *testing.T) {
	m := New(t.Context(), stubBackend{}, Options{Jobs: testJobs(t), Loads: testLoads(t), ETL: etlscreen.Options{Dir: t.TempDir(), StateDir: t.TempDir()}})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	views := func() []string {
		var out []string
		for i := range 5 {
			press(m, string(rune('1'+i)))
			out = append(out, m.View().Content)
		}
		return out
	}
	dark := views()
	m.Update(tea.BackgroundColorMsg{Color: color.White})
	light := views()
	for i := range dark {
		if dark[i] == light[i] {
			t.Errorf("screen %d draws the same on a light background as on a dark one", i+1)
		}
		if ansi.Strip(dark[i]) != ansi.Strip(light[i]) {
			t.Errorf("screen %d: only the colours should change:\n%s\n---\n%s", i+1, ansi.Strip(dark[i]), ansi.Strip(light[i]))
		}
	}
}
