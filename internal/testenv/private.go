package testenv

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
)

// Private is a server of a test's own (the fault tests'), started and stopped by one of the
// project's scripts with an environment that gives it its own port and folders, and signalled by
// its pid file, so a test may freeze or kill it without touching the servers other tests share.
type Private struct {
	T       testing.TB
	Script  string   // under scripts/
	Env     []string // the script's whole environment
	PidFile string   // the pid file the script keeps
}

// Begin starts the server, or finds it running; one this test started is stopped at its end.
// It returns what the script printed.
func (s *Private) Begin() string {
	s.T.Helper()
	if _, err := s.Run("status"); err != nil {
		s.T.Cleanup(func() { s.Run("stop") })
	}
	return s.Start()
}

// Start starts the server, or finds it running, and returns what the script printed; a server
// that cannot start makes the service unavailable (a failure under CI).
func (s *Private) Start() string {
	s.T.Helper()
	out, err := s.Run("start")
	if err != nil {
		Unavailable(s.T, fmt.Sprintf("scripts/%s start (a private server for the fault tests): %v", s.Script, err))
	}
	return out
}

// Run runs the script with verb and returns its standard output; an error carries its stderr.
func (s *Private) Run(verb string) (string, error) {
	cmd := exec.Command("bash", filepath.Join(Root(), "scripts", s.Script), verb)
	cmd.Env = s.Env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%w\n%s", err, errb.String())
	}
	return out.String(), err
}

// Signal sends sig to the server's process and returns when it did; SIGKILL then waits until
// the process is gone (a zombie may wait a moment for its reaper).
func (s *Private) Signal(sig syscall.Signal) time.Time {
	s.T.Helper()
	data, err := os.ReadFile(s.PidFile)
	if err != nil {
		s.T.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if pid <= 0 {
		s.T.Fatalf("%s holds %q", s.PidFile, data)
	}
	sent := time.Now()
	if err := syscall.Kill(pid, sig); err != nil {
		s.T.Fatal(err)
	}
	for sig == syscall.SIGKILL && syscall.Kill(pid, 0) == nil {
		time.Sleep(10 * time.Millisecond)
	}
	return sent
}

// CacheDir is where the scripts keep their servers' folders and pid files:
// $XDG_CACHE_HOME/dora (~/.cache/dora).
func CacheDir(t testing.TB) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(cache, "dora")
}
