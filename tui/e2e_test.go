package tui_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/jobs/docker/dockertest"
	"github.com/dora-dev/dora/tui"
)

// workbench is the real binary under tmux on a small warehouse of its own, with the job files
// given in its config folder; env is what a dora command from a shell beside it needs to share
// its run store.
type workbench struct {
	*testenv.Tmux
	bin string
	env []string
}

// The binary is built once for the package's end-to-end tests.
var built struct {
	once     sync.Once
	dir, bin string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	tui.RemoveBenchFolders()
	os.Exit(code)
}

func doraBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "dora-tui-e2e")
		if err != nil {
			t.Fatal(err)
		}
		built.dir = dir
		built.bin = testenv.BuildDora(t, dir)
	})
	if built.bin == "" {
		t.Fatal("building dora failed in an earlier test")
	}
	return built.bin
}

func startWorkbench(t *testing.T, name string, jobFiles map[string]string, w, h int) *workbench {
	return startOn(t, name, jobFiles, w, h, false)
}

// startOn starts the workbench on a small warehouse of the test's: as the demo warehouse (the
// default backend, in XDG_DATA_HOME) when demo is set, else named by --backend.
func startOn(t *testing.T, name string, jobFiles map[string]string, w, h int, demo bool) *workbench {
	t.Helper()
	dir := t.TempDir()
	bin := doraBinary(t)
	wh, backend := filepath.Join(dir, "test.duckdb"), ""
	if demo {
		wh = filepath.Join(dir, "data", "dora", "demo.duckdb") // built today, so dora leaves it as it is
		os.MkdirAll(filepath.Dir(wh), 0o755)
	} else {
		backend = "--backend duckdb:" + wh
	}
	if err := duckdb.BuildDemoAt(context.Background(), wh, 2000, time.Now()); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config")
	jobsDir := filepath.Join(config, "dora", "jobs")
	if err := os.MkdirAll(jobsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for file, text := range jobFiles {
		if err := os.WriteFile(filepath.Join(jobsDir, file), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Config, state (the run store) and data (the demo warehouse) are the test's own.
	env := []string{"XDG_CONFIG_HOME=" + config, "XDG_STATE_HOME=" + filepath.Join(dir, "state"), "XDG_DATA_HOME=" + filepath.Join(dir, "data")}
	if d := os.Getenv("DOCKER_HOST"); d != "" {
		env = append(env, "DOCKER_HOST="+d)
	}
	var line strings.Builder
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&line, " %s=%q", k, v)
	}
	script := fmt.Sprintf("cd %q && env TERM=xterm-256color%s %q %s; echo \"dora exited $?\"; sleep 120",
		dir, line.String(), bin, backend)
	return &workbench{Tmux: testenv.StartTmux(t, name, script, w, h), bin: bin, env: env}
}

// dora runs a dora command from a shell beside the workbench.
func (w *workbench) dora(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(w.bin, args...)
	cmd.Env = append(os.Environ(), w.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dora %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// launchWithOverride opens the env form of the job under the cursor and replaces its one line,
// WHO=world, by WHO=tmux.
func (w *workbench) launchWithOverride(job string) {
	w.Keys("n")
	w.WaitText("launch "+job, "WHO=world")
	w.Keys("C-u")
	for range 12 {
		w.Keys("BSpace")
	}
	w.Text("WHO=tmux")
	w.WaitText("~ WHO: world → tmux")
	w.Keys("C-r")
}

// TestJobsScreenEndToEnd drives the real binary inside tmux: from the explorer, 4 opens the
// Jobs screen, n launches a job with an env override, its log follows to SUCCEEDED, and 1 goes
// back to the explorer. Off the demo warehouse, 5 says how to open a dashboard.
func TestJobsScreenEndToEnd(t *testing.T) {
	s := startWorkbench(t, "dora-jobs-e2e", map[string]string{
		"greet.yaml": "name: greet\ncommand: [\"/bin/sh\", \"-c\", \"echo hello ${WHO}\"]\nenv: {WHO: world}\n"}, 100, 30)

	s.WaitText("1 Explore", "4 Jobs", "tables", "shipments")
	s.Keys("5")
	s.WaitText("No dashboard is open")
	s.Keys("4")
	s.WaitText("greet", "no runs yet")
	s.launchWithOverride("greet")
	scr := s.WaitText("SUCCEEDED", "hello tmux")
	if !strings.Contains(scr, "greet") {
		t.Errorf("the run view should name the job:\n%s", scr)
	}
	s.Keys("Escape") // back to the lists (waited for: an Escape and a 1 close together are alt+1)
	s.WaitText("jobs · 1", "✓ SUCCEEDED")
	s.Keys("1")
	s.WaitFor("the explorer", func(scr string) bool {
		return strings.Contains(scr, "tables") && !strings.Contains(scr, "SUCCEEDED")
	})
	s.Keys("q")
	s.WaitText("dora exited 0")
}

// TestJobsScreenDockerEndToEnd launches a Docker job (a FROM scratch image on the real engine)
// from the Jobs screen with an override, follows its log to SUCCEEDED and searches it.
func TestJobsScreenDockerEndToEnd(t *testing.T) {
	const image = "dora-test-task:latest" // the docker runner's own test program, as its entrypoint
	dockertest.ProgramImage(t, image, "./pipelines/jobs/docker/testdata/task", false)
	s := startWorkbench(t, "dora-jobs-docker-e2e", map[string]string{"task.yaml": `name: task
image: ` + image + `
command: [getenv, WHO, print, "40"]
env: {WHO: world}
runner: docker
`}, 100, 30)
	s.WaitText("1 Explore", "tables")
	s.Keys("4")
	s.WaitText("task", "no runs yet")
	s.launchWithOverride("task")
	scr := s.WaitText("✓ SUCCEEDED", "· docker", "dora: run SUCCEEDED")
	if !strings.Contains(scr, "overrides: WHO=tmux") {
		t.Errorf("the run view should show the override:\n%s", scr)
	}
	s.Keys("g") // the log's top: what the container saw
	s.WaitText("WHO=tmux", "line 1")
	s.Keys("/")
	s.Text("line 3")
	s.Keys("Enter")
	s.WaitText("match 1 of 11", "›line 3") // line 3 and 30-39
	// The first esc puts the search away, the next goes back; two sent at once would be alt+esc.
	s.Keys("Escape")
	s.WaitFor("the search put away", func(scr string) bool { return !strings.Contains(scr, "next/previous match") })
	s.Keys("Escape")
	s.WaitText("jobs · 1", "✓ SUCCEEDED")
	s.Keys("q")
	s.WaitText("dora exited 0")
}

// TestRunsFromAShellShowOnTheJobsScreen starts a run with dora jobs run beside the workbench:
// it shows on the Jobs screen by itself, and ends there.
func TestRunsFromAShellShowOnTheJobsScreen(t *testing.T) {
	s := startWorkbench(t, "dora-jobs-shell-e2e", map[string]string{
		"greet.yaml": "name: greet\ncommand: [\"/bin/sh\", \"-c\", \"echo hello ${WHO}; sleep 1\"]\nenv: {WHO: world}\n"}, 120, 40)
	s.WaitText("1 Explore", "tables")
	s.Keys("4")
	s.WaitText("greet", "no runs yet")
	id := strings.TrimSpace(s.dora(t, "jobs", "run", "greet", "--env", "WHO=shell"))
	start := time.Now()
	s.WaitText(id)
	t.Logf("run %s showed on the Jobs screen %v after dora jobs run returned", id, time.Since(start).Round(10*time.Millisecond))
	s.WaitFor("the run to succeed", func(scr string) bool {
		for _, l := range strings.Split(scr, "\n") {
			if strings.Contains(l, id) && strings.Contains(l, "✓ SUCCEEDED") {
				return true
			}
		}
		return false
	})
	s.Keys("Tab", "Enter")
	s.WaitText(id, "hello shell", "overrides: WHO=shell")
	s.Keys("q")
	s.WaitText("dora exited 0")
}

// TestDashboardsScreenOnTheDemoWarehouse: on the demo warehouse, 5 shows its dashboard, whose
// panels are first asked when the screen is first shown.
func TestDashboardsScreenOnTheDemoWarehouse(t *testing.T) {
	s := startOn(t, "dora-dash-screen-e2e", nil, 120, 40, true)
	s.WaitText("1 Explore", "tables", "shipments")
	s.Keys("5")
	s.WaitText("Styling ops", "Shipments · just now", "Average rating · just now", "Top brands · just now")
	s.Keys("q")
	s.WaitText("dora exited 0")
}
