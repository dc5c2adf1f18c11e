package tui_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dora-dev/dora/internal/testenv"
)

// TestJobsScreenEndToEnd drives the real binary inside tmux: from the explorer, 4 opens the
// Jobs screen, n launches a job with an env override, its log follows to SUCCEEDED, and 1 goes
// back to the explorer.
func TestJobsScreenEndToEnd(t *testing.T) {
	dir := t.TempDir()
	bin := testenv.BuildDora(t, dir)
	config, state := filepath.Join(dir, "config"), filepath.Join(dir, "state")
	jobsDir := filepath.Join(config, "dora", "jobs")
	if err := os.MkdirAll(jobsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	job := "name: greet\ncommand: [\"/bin/sh\", \"-c\", \"echo hello ${WHO}\"]\nenv: {WHO: world}\n"
	if err := os.WriteFile(filepath.Join(jobsDir, "greet.yaml"), []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("cd %q && env TERM=xterm-256color XDG_CONFIG_HOME=%q XDG_STATE_HOME=%q %q; echo \"dora exited $?\"; sleep 120",
		dir, config, state, bin)
	s := testenv.StartTmux(t, "dora-jobs-e2e", script, 100, 30)

	s.WaitText("1 Explore", "4 Jobs", "tables")
	s.Keys("4")
	s.WaitText("greet", "no runs yet")
	s.Keys("n")
	s.WaitText("launch greet", "WHO=world")
	s.Keys("C-u") // the form: replace the job's env line by an override
	for range 12 {
		s.Keys("BSpace")
	}
	s.Text("WHO=tmux")
	s.WaitText("~ WHO: world → tmux")
	s.Keys("C-s")
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
