package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/testenv"
)

// faultServer is a server of the fault tests' own, started and stopped by one of the project's
// scripts with an environment that gives it its own port and folders, and ended by its pid file,
// so a test may freeze or kill it without touching the servers other tests share.
type faultServer struct {
	t      *testing.T
	script string // under scripts/
	env    []string
	pid    string // the pid file the script keeps
}

// begin starts the server, or finds it running; one this test started is stopped at its end.
func (s *faultServer) begin() string {
	s.t.Helper()
	if _, err := s.run("status"); err != nil {
		s.t.Cleanup(func() { s.run("stop") })
	}
	return s.start()
}

// start starts the server, or finds it running, and returns what the script printed.
func (s *faultServer) start() string {
	s.t.Helper()
	out, err := s.run("start")
	if err != nil {
		testenv.Unavailable(s.t, fmt.Sprintf("scripts/%s start (a private server for the fault tests): %v", s.script, err))
	}
	return out
}

func (s *faultServer) run(verb string) (string, error) {
	cmd := exec.Command("bash", filepath.Join(testenv.Root(), "scripts", s.script), verb)
	cmd.Env = s.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%w\n%s", err, errb.String())
	}
	return out.String(), err
}

// signal sends sig to the server's process and returns when it did; SIGKILL then waits until
// the process is gone (a zombie may wait a moment for its reaper).
func (s *faultServer) signal(sig syscall.Signal) time.Time {
	s.t.Helper()
	data, err := os.ReadFile(s.pid)
	if err != nil {
		s.t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if pid <= 0 {
		s.t.Fatalf("%s holds %q", s.pid, data)
	}
	sent := time.Now()
	if err := syscall.Kill(pid, sig); err != nil {
		s.t.Fatal(err)
	}
	for sig == syscall.SIGKILL && syscall.Kill(pid, 0) == nil {
		time.Sleep(10 * time.Millisecond)
	}
	return sent
}

// faultCache is where the scripts keep their servers' folders and pid files.
func faultCache(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(cache, "dora")
}

// tail is the last n bytes of s.
func tail(s string, n int) string { return s[max(0, len(s)-n):] }

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// statusLine is the first line of scr holding word, trimmed.
func statusLine(scr, word string) string {
	for _, line := range strings.Split(scr, "\n") {
		if strings.Contains(line, word) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
