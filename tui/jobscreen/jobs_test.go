package jobscreen

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/jobs/local"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/screen"
	"github.com/dora-dev/dora/tui/screen/screentest"
)

// The local runner runs real processes; the test binary doubles as its supervisor, as the dora
// binary does.
func TestMain(m *testing.M) {
	local.SuperviseIfAsked()
	os.Exit(m.Run())
}

// harness drives the screen as Bubble Tea would: commands run in goroutines, their messages
// come back through Update, and the test itself ticks the clock.
type harness struct {
	*screentest.Driver
	t   *testing.T
	m   *Model
	dir string
}

func newHarness(t *testing.T, defs map[string]string, opts ...func(*Options)) *harness {
	t.Helper()
	dir := t.TempDir()
	jobsDir := filepath.Join(dir, "jobs")
	os.MkdirAll(jobsDir, 0o755)
	for name, yaml := range defs {
		if err := os.WriteFile(filepath.Join(jobsDir, name+".yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{t: t, dir: dir, Driver: screentest.New(t, screentest.Options{Deadline: 20 * time.Second,
		Drop: func(msg tea.Msg) bool { _, ok := msg.(tickMsg); return ok }, // the test ticks
		Tick: func() tea.Msg { return tickMsg{} }})}
	o := Options{Dir: jobsDir, StorePath: filepath.Join(dir, "runs.db"), StateDir: filepath.Join(dir, "state"), Poll: 20 * time.Millisecond}
	for _, f := range opts {
		f(&o)
	}
	h.m = New(common.New(h.Ctx, nil, true), o)
	h.m.SetSize(100, 28)
	h.Start(h.m)
	h.Until("the definitions to show", func() bool { return len(h.m.Defs()) == len(defs) && h.m.driver != nil })
	return h
}

func (h *harness) runState(i int) jobs.State {
	if runs := h.m.Runs(); i < len(runs) {
		return runs[i].State
	}
	return ""
}

const hello = `name: hello
command: ["/bin/sh", "-c", "echo hi ${WHO}; echo second line"]
env: {WHO: world, API_TOKEN: s3cret}
`

const sleeper = `name: sleeper
command: ["/bin/sh", "-c", "echo started; sleep 30"]
`

const failing = `name: failing
command: ["/bin/sh", "-c", "echo working; echo 'error: the disk is full' >&2; exit 3"]
`

func TestLaunchWithAnOverrideFollowsTheLogToSucceeded(t *testing.T) {
	h := newHarness(t, map[string]string{"hello": hello, "sleeper": sleeper})
	if scr := h.Screen(); !strings.Contains(scr, "hello") || !strings.Contains(scr, "sleeper") {
		t.Fatalf("definitions should be listed:\n%s", scr)
	}
	h.Keys("n")
	if !h.m.InputFocused() {
		t.Fatal("n should open the env form, which takes typing")
	}
	if v := h.m.form.Value(); !strings.Contains(v, "WHO=world") || !strings.Contains(v, "API_TOKEN=****") || strings.Contains(v, "s3cret") {
		t.Fatalf("the form should hold the job's env with secrets masked, has %q", v)
	}
	h.m.form.SetValue("WHO=tui\nAPI_TOKEN=****\nEXTRA=1\n")
	if scr := h.Screen(); !strings.Contains(scr, "~ WHO: world → tui") || !strings.Contains(scr, "+ EXTRA=1") || strings.Contains(scr, "API_TOKEN:") {
		t.Fatalf("the form should show the overrides as a diff:\n%s", scr)
	}
	h.Keys("ctrl+r")
	h.Until("the run to succeed", func() bool { return h.m.Detail() != nil && h.m.Detail().State == jobs.Succeeded })
	r := h.m.Detail()
	if want := map[string]string{"WHO": "tui", "EXTRA": "1"}; len(r.Overrides) != 2 || r.Overrides["WHO"] != "tui" || r.Overrides["EXTRA"] != "1" {
		t.Errorf("overrides %v, want %v (a masked secret left alone is no override)", r.Overrides, want)
	}
	h.Until("the whole log", func() bool { return slices.Contains(h.m.Log(), "second line") })
	if log := h.m.Log(); !slices.Contains(log, "hi tui") {
		t.Errorf("the log should have the overridden env: %q", log)
	}
	if scr := h.Screen(); !strings.Contains(scr, "SUCCEEDED") || !strings.Contains(scr, "hi tui") {
		t.Errorf("the run view should show its state and log:\n%s", scr)
	}
	h.Keys("esc")
	if h.m.Detail() != nil {
		t.Fatal("esc should go back to the runs")
	}
	h.Until("the runs list to show it succeeded", func() bool { return h.runState(0) == jobs.Succeeded })
}

func TestCancelAndRetry(t *testing.T) {
	h := newHarness(t, map[string]string{"sleeper": sleeper})
	h.Keys("n", "ctrl+r")
	h.Until("the run to run", func() bool { return h.m.Detail() != nil && h.m.Detail().State == jobs.Running })
	if h.m.Status() != "1 running" {
		t.Errorf("status %q, want 1 running", h.m.Status())
	}
	h.Keys("c")
	h.Until("the run to be cancelled", func() bool { return h.m.Detail().State == jobs.Cancelled })
	first := h.m.Detail().ID
	h.Keys("R")
	h.Until("a retry to run", func() bool { return h.m.Detail().ID != first && h.m.Detail().State == jobs.Running })
	if h.m.Detail().RetryOf != first {
		t.Errorf("the retry should name the run it retries: %q", h.m.Detail().RetryOf)
	}
	h.Keys("c")
	h.Until("the retry to be cancelled", func() bool { return h.m.Detail().State == jobs.Cancelled })
}

func TestFiltersDurationsSparklineAndFirstError(t *testing.T) {
	h := newHarness(t, map[string]string{"hello": hello, "failing": failing})
	// Runs started elsewhere, as dora jobs run does, show up by the tick.
	s, err := jobs.OpenStore(context.Background(), h.m.opts.StorePath)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	self, _ := os.Executable()
	d := &jobs.Driver{Store: s, Config: jobs.RunnerConfig{StateDir: h.m.opts.StateDir, Self: self}, Poll: 20 * time.Millisecond}
	for _, name := range []string{"hello", "failing", "hello"} {
		def, err := jobs.FindDefinition(h.m.opts.Dir, name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := d.Create(context.Background(), def, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Drive(context.Background(), r.ID); err != nil {
			t.Fatal(err)
		}
	}
	h.Until("the shell's runs", func() bool { return len(h.m.Runs()) == 3 })
	if scr := h.Screen(); !strings.Contains(scr, "✓ SUCCEEDED") || !strings.Contains(scr, "✗ FAILED") {
		t.Errorf("runs should show their states:\n%s", scr)
	}
	if got := len([]rune(Sparkline(h.m.recent("hello", 10)))); got != 2 {
		t.Errorf("hello's sparkline should have its 2 runs, has %d", got)
	}
	h.Keys("s", "s", "s", "s", "s") // "", QUEUED, PENDING, RUNNING, SUCCEEDED, FAILED
	if runs := h.m.Runs(); len(runs) != 1 || runs[0].Job != "failing" {
		t.Fatalf("status FAILED should show the one failed run: %v", runs)
	}
	h.Keys("esc")
	h.Keys("f") // the job under the cursor: failing, the first definition
	if runs := h.m.Runs(); len(runs) != 1 || runs[0].Job != "failing" {
		t.Fatalf("f should show the runs of failing: %d", len(runs))
	}
	h.Keys("esc", "tab")
	if n := len(h.m.Runs()); n != 3 {
		t.Fatalf("esc should show every run again, shows %d", n)
	}
	h.Keys("down", "enter") // the failing run
	h.Until("its log", func() bool { return len(h.m.Log()) >= 2 })
	h.Keys("e")
	if h.m.mark < 0 || !strings.Contains(h.m.Log()[h.m.mark], "error: the disk is full") {
		t.Errorf("e should jump to the first error line, is on %d of %q", h.m.mark, h.m.Log())
	}
	if scr := h.Screen(); !strings.Contains(scr, "›error: the disk is full") {
		t.Errorf("the error line should be marked:\n%s", scr)
	}
	if scr := h.Screen(); !strings.Contains(scr, "exit 3") {
		t.Errorf("the run view should show the exit code:\n%s", scr)
	}
}

func TestAStoreThatDoesNotOpenIsSaidInWords(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "runs.db"), []byte("not a database"), 0o600)
	m := New(common.New(context.Background(), nil, true), Options{Dir: dir, StorePath: filepath.Join(dir, "runs.db")})
	m.SetSize(80, 22)
	m.Update(m.Init()())
	if scr := ansi.Strip(m.View()); !strings.Contains(scr, "cannot open the run store") {
		t.Errorf("the screen should say the store does not open:\n%s", scr)
	}
}

// With no clock ticking, the lists are read again only when asked: by another screen's news
// (screen.Changed, sent when a load or an ETL run publishes) or by r.
func TestChangedElsewhereAndRReadTheListsAgain(t *testing.T) {
	dir := t.TempDir()
	jobsDir := filepath.Join(dir, "jobs")
	os.MkdirAll(jobsDir, 0o755)
	write := func(name, yaml string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(jobsDir, name+".yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("hello", hello)
	d := screentest.New(t, screentest.Options{Deadline: 20 * time.Second,
		Drop: func(msg tea.Msg) bool { _, ok := msg.(tickMsg); return ok }}) // and no Tick: the clock stands still
	m := New(common.New(d.Ctx, nil, true), Options{Dir: jobsDir, StorePath: filepath.Join(dir, "runs.db"), StateDir: filepath.Join(dir, "state")})
	m.SetSize(100, 28)
	d.Start(m)
	d.Until("the definitions to show", func() bool { return len(m.Defs()) == 1 && !m.loading })

	write("sleeper", sleeper)
	d.Run(func() tea.Msg { return screen.Changed{What: "a load of orders"} })
	d.Until("the new definition after screen.Changed", func() bool { return len(m.Defs()) == 2 })

	write("failing", failing)
	d.Until("the read to end", func() bool { return !m.loading })
	d.Keys("r")
	d.Until("the new definition after r", func() bool { return len(m.Defs()) == 3 })
	if scr := d.Screen(); !strings.Contains(scr, "failing") {
		t.Errorf("the screen should list the job read again:\n%s", scr)
	}
}
