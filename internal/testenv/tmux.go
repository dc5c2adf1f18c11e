package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Tmux runs one program in a detached tmux server of its own, so a test never touches the
// user's sessions. The program's shell line should end with `echo "dora exited $?"` so a crash
// stops the waiting at once.
type Tmux struct {
	t      testing.TB
	socket string
	name   string
}

// StartTmux starts script (a shell line) in a w x h pane with the status line off, and kills the
// server when the test ends. Without tmux the test is skipped, or fails under CI=true.
func StartTmux(t testing.TB, name, script string, w, h int) *Tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		Unavailable(t, "tmux is not installed, so the TUI end-to-end test cannot run (scripts/deps installs it)")
	}
	s := &Tmux{t: t, socket: fmt.Sprintf("%s-%d", name, os.Getpid()), name: name}
	s.Cmd("new-session", "-d", "-s", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), "sh", "-c", script)
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	s.Cmd("set-option", "-t", s.name, "status", "off") // the program gets every cell
	return s
}

// Cmd runs a tmux command on the session's server and returns its output.
func (s *Tmux) Cmd(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Screen is what the pane shows, without colour.
func (s *Tmux) Screen() string { return s.Cmd("capture-pane", "-p", "-t", s.name) }

// Display prints a tmux format (#{pane_width}, #{alternate_on}) for the pane.
func (s *Tmux) Display(format string) string {
	return strings.TrimSpace(s.Cmd("display", "-p", "-t", s.name, format))
}

// Resize changes the window's size.
func (s *Tmux) Resize(w, h int) {
	s.Cmd("resize-window", "-t", s.name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h))
}

// Keys sends tmux key names: Enter, Escape, C-u, Down.
func (s *Tmux) Keys(keys ...string) { s.Cmd(append([]string{"send-keys", "-t", s.name}, keys...)...) }

// Text types text literally.
func (s *Tmux) Text(text string) { s.Cmd("send-keys", "-t", s.name, "-l", text) }

// WaitFor polls the screen until ok says yes, failing with the last screen after a deadline.
func (s *Tmux) WaitFor(what string, ok func(string) bool) string {
	s.t.Helper()
	return s.WaitWithin(20*time.Second, what, ok)
}

// WaitWithin is WaitFor with a deadline of its own: for screens that wait on a server restarting.
func (s *Tmux) WaitWithin(d time.Duration, what string, ok func(string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(d)
	var scr string
	for time.Now().Before(deadline) {
		scr = s.Screen()
		if ok(scr) {
			return scr
		}
		if strings.Contains(scr, "dora exited") { // it died: no point waiting
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("timed out waiting for %s; the screen was:\n%s", what, scr)
	return ""
}

// WaitText waits until the screen holds every part.
func (s *Tmux) WaitText(parts ...string) string {
	s.t.Helper()
	return s.WaitFor(fmt.Sprintf("%q", parts), func(scr string) bool {
		for _, p := range parts {
			if !strings.Contains(scr, p) {
				return false
			}
		}
		return true
	})
}
