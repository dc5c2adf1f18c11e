package tui

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/golden"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/jobs"
	_ "github.com/dora-dev/dora/pipelines/jobs/local" // the runner the golden jobs name
	"github.com/dora-dev/dora/tui/jobscreen"
)

// goldenNow is the clock the golden screens are drawn at.
var goldenNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// finished is a run the golden store holds: ended ago before goldenNow after running for took.
type finished struct {
	id, job string
	state   jobs.State
	exit    int
	ago     time.Duration
	took    time.Duration
	log     string
}

var goldenJobs = map[string]string{
	"hello.yaml":          "name: hello\ncommand: [\"/bin/sh\", \"-c\", \"echo hello ${WHO}\"]\nenv: {WHO: world}\n",
	"nightly-export.yaml": "name: nightly-export\ncommand: [\"/bin/sh\", \"-c\", \"dora query --format csv 'SELECT 1'\"]\n",
	"train-model.yaml":    "name: train-model\ncommand: [\"/bin/sh\", \"-c\", \"echo training ${MODEL}\"]\nenv: {MODEL: v3}\n",
}

// The runs, oldest first.
var goldenRuns = []finished{
	{"0000000000001", "train-model", jobs.Succeeded, 0, 26 * time.Hour, 4*time.Minute + 30*time.Second, ""},
	{"0000000000002", "nightly-export", jobs.Succeeded, 0, 8 * time.Hour, 35 * time.Second, ""},
	{"0000000000003", "train-model", jobs.Failed, 1, 3 * time.Hour, 2*time.Minute + 10*time.Second,
		"training v3\nepoch 1 loss 0.91\nerror: out of memory\n"},
	{"0000000000004", "train-model", jobs.Succeeded, 0, 40 * time.Minute, 5 * time.Minute, ""},
	{"0000000000005", "hello", jobs.Succeeded, 0, 90 * time.Second, 1200 * time.Millisecond, "hello world\n"},
}

// goldenStore writes the job files and a run store holding goldenRuns, with their ids, times
// and logs pinned, in dir.
func goldenStore(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	if err := os.MkdirAll(filepath.Join(dir, "jobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for file, text := range goldenJobs {
		if err := os.WriteFile(filepath.Join(dir, "jobs", file), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store, err := jobs.OpenStore(ctx, filepath.Join(dir, "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, r := range goldenRuns {
		def, err := jobs.FindDefinition(filepath.Join(dir, "jobs"), r.job)
		if err != nil {
			t.Fatal(err)
		}
		run, err := store.Create(ctx, jobs.NewRun{Definition: def}, jobs.Self())
		if err != nil {
			t.Fatal(err)
		}
		end := goldenNow.Add(-r.ago)
		start := end.Add(-r.took)
		reason := ""
		if r.state == jobs.Failed {
			reason = "exited with code 1"
		}
		// The store draws ids and times itself; the golden screens need them fixed.
		if _, err := db.Exec(`UPDATE runs SET id = ?, status = ?, exit_code = ?, reason = ?, attempts = 1, created_at = ?,
			started_at = ?, finished_at = ?, env = replace(env, ?, ?) WHERE id = ?`,
			r.id, string(r.state), r.exit, reason, start.Add(-time.Second).UnixMilli(), start.UnixMilli(), end.UnixMilli(), run.ID, r.id, run.ID); err != nil {
			t.Fatal(err)
		}
		if r.log != "" {
			if err := store.AppendLog(ctx, r.id, []byte(r.log), true); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestGoldenJobsScreen pins the shell's header and the Jobs screen (no colour) at 80x24 and
// 120x40, on a store of finished runs drawn at a fixed moment.
func TestGoldenJobsScreen(t *testing.T) {
	cases := []struct {
		name string
		keys []string
		w, h int
	}{
		{"jobs_80x24", nil, 80, 24},
		{"jobs_120x40", nil, 120, 40},
		{"jobs_runs_120x40", []string{"tab", "down", "down"}, 120, 40},
		{"jobs_log_80x24", []string{"tab", "down", "down", "enter", "e"}, 80, 24},
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Relative paths, so the store's path on screen is the same wherever the test runs.
			t.Chdir(t.TempDir())
			goldenStore(t, ".")
			m := New(t.Context(), stubBackend{}, Options{NoColor: true, Screen: 4, Jobs: jobscreen.Options{Dir: "jobs", StorePath: "runs.db",
				StateDir: "state", Now: func() time.Time { return goldenNow }, Poll: time.Hour}})
			m.Update(tea.WindowSizeMsg{Width: c.w, Height: c.h})
			js := m.Screen(3)
			settle(t, m, js.Init())
			if got := len(js.(*jobscreen.Model).Runs()); got != len(goldenRuns) {
				t.Fatalf("%d runs read, want %d", got, len(goldenRuns))
			}
			for _, k := range c.keys {
				settle(t, m, press(m, k))
			}
			got := ansi.Strip(m.View().Content)
			testenv.Fits(t, got, c.w, c.h)
			os.Chdir(wd)
			golden.Check(t, c.name, got)
		})
	}
}

// settle runs a command and what it leads to, as Bubble Tea would, but for the clock's ticks.
func settle(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		var msg tea.Msg
		select {
		case msg = <-done:
		case <-time.After(time.Second): // the clock's next tick, an hour away: not waited for
			continue
		}
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}
