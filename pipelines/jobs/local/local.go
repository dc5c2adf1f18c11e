// Package local is the runner that runs a job's command as a process of this machine, in its own
// process group, under a small supervisor (dora itself, as `dora jobs _supervise`) that writes
// the exit code to a file: the output goes to a file too, so both outlive the dora process that
// started the task, and a later dora process can still learn how it ended.
package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dora-dev/dora/internal/proc"
	"github.com/dora-dev/dora/pipelines/jobs"
)

// Name is the runner's name.
const Name = "local"

func init() { jobs.Register(Name, Open) }

// SuperviseArgs are the arguments that make the dora binary a supervisor: it is run as
// Self SuperviseArgs... DIR -- ARGV...; cmd/dora hands them to Supervise.
var SuperviseArgs = []string{"jobs", "_supervise"}

// Runner runs tasks as local processes.
type Runner struct {
	dir  string // each task's files live in dir/<run>.<attempt>: log, pid, exit
	self string
	// Grace is how long Stop waits after SIGTERM before it kills the group.
	Grace time.Duration

	mu       sync.Mutex
	children map[string]chan struct{} // supervisors started here: closed once reaped
}

var (
	_ jobs.Runner = (*Runner)(nil)
	_ jobs.Finder = (*Runner)(nil)
)

// Open makes a local runner keeping its files under c.StateDir/local.
func Open(ctx context.Context, c jobs.RunnerConfig) (jobs.Runner, error) {
	if c.Self == "" {
		return nil, errors.New("the local runner needs the dora binary to supervise its tasks")
	}
	dir := filepath.Join(c.StateDir, Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Runner{dir: dir, self: c.Self, Grace: 5 * time.Second, children: map[string]chan struct{}{}}, nil
}

// Name is "local".
func (r *Runner) Name() string { return Name }

func (r *Runner) taskDir(h jobs.Handle) (string, error) {
	if h.ID == "" || strings.ContainsAny(h.ID, `/\`) || strings.HasPrefix(h.ID, ".") {
		return "", fmt.Errorf("%q is not a local task", h.ID)
	}
	return filepath.Join(r.dir, h.ID), nil
}

// Start runs the task's command under the supervisor, in a new process group, with this
// process's environment and the task's env over it. Its id is <run>.<attempt>.
func (r *Runner) Start(ctx context.Context, t jobs.Task) (jobs.Handle, error) {
	if t.RunID == "" || t.Attempt < 1 {
		return jobs.Handle{}, errors.New("a task needs its run id and attempt")
	}
	if len(t.Command) == 0 {
		return jobs.Handle{}, errors.New("the local runner runs a command, and the job has none (an image alone needs the docker, ecs or kubernetes runner)")
	}
	env := maps.Clone(t.Env)
	if _, err := lookPath(t.Command[0], env); err != nil {
		return jobs.Handle{}, fmt.Errorf("%w: %v", jobs.ErrInfra, err)
	}
	h := jobs.Handle{Runner: Name, ID: t.RunID + "." + strconv.Itoa(t.Attempt)}
	dir, err := r.taskDir(h)
	if err != nil {
		return jobs.Handle{}, err
	}
	os.RemoveAll(dir) // an attempt that started once before is started again afresh
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return jobs.Handle{}, fmt.Errorf("%w: %v", jobs.ErrInfra, err)
	}
	logf, err := os.OpenFile(filepath.Join(dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return jobs.Handle{}, fmt.Errorf("%w: %v", jobs.ErrInfra, err)
	}
	defer logf.Close()
	args := append(append(slices.Clone(SuperviseArgs), dir, "--"), t.Command...)
	cmd := exec.Command(r.self, args...)
	cmd.Env = os.Environ()
	for _, k := range slices.Sorted(maps.Keys(env)) {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return jobs.Handle{}, fmt.Errorf("%w: starting the supervisor: %v", jobs.ErrInfra, err)
	}
	if err := writeFile(filepath.Join(dir, "pid"), []byte(strconv.Itoa(cmd.Process.Pid))); err != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		return jobs.Handle{}, fmt.Errorf("%w: %v", jobs.ErrInfra, err)
	}
	reaped := make(chan struct{})
	r.mu.Lock()
	r.children[h.ID] = reaped
	r.mu.Unlock()
	go func() {
		cmd.Wait()
		close(reaped)
	}()
	return h, nil
}

// lookPath finds the program as the supervisor will, on the task's PATH when it sets one.
func lookPath(prog string, env map[string]string) (string, error) {
	if strings.Contains(prog, "/") {
		st, err := os.Stat(prog)
		if err != nil {
			return "", fmt.Errorf("no program %s", prog)
		}
		if st.IsDir() || st.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%s is not an executable program", prog)
		}
		return prog, nil
	}
	path, ok := env["PATH"]
	if !ok {
		path = os.Getenv("PATH")
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, prog)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("no program %q on the PATH", prog)
}

// exitRecord is what the supervisor writes when the command ends.
type exitRecord struct {
	Code   int    `json:"code"`
	Signal string `json:"signal,omitempty"`
	Infra  bool   `json:"infra,omitempty"`
	Reason string `json:"reason,omitempty"`
}

func (e exitRecord) exit() jobs.Exit {
	reason := e.Reason
	if e.Signal != "" {
		reason = "killed by signal " + e.Signal
	}
	return jobs.Exit{Code: e.Code, Infra: e.Infra, Reason: reason}
}

func readExit(dir string) (jobs.Exit, bool) {
	data, err := os.ReadFile(filepath.Join(dir, "exit"))
	if err != nil {
		return jobs.Exit{}, false
	}
	var e exitRecord
	if err := json.Unmarshal(data, &e); err != nil {
		return jobs.Exit{Infra: true, Reason: "the supervisor's exit file does not read: " + err.Error()}, true
	}
	return e.exit(), true
}

func readPID(dir string) int {
	data, _ := os.ReadFile(filepath.Join(dir, "pid"))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// running reports whether the task's supervisor still runs.
func (r *Runner) running(h jobs.Handle, dir string) bool {
	r.mu.Lock()
	reaped := r.children[h.ID]
	r.mu.Unlock()
	if reaped != nil {
		select {
		case <-reaped:
			return false
		default:
			return true
		}
	}
	return proc.Alive(readPID(dir))
}

// Wait waits for the supervisor's exit file. A supervisor that ended without one was killed
// (by Stop, or from outside): that is the runner failing, not the program.
func (r *Runner) Wait(ctx context.Context, h jobs.Handle) (jobs.Exit, error) {
	dir, err := r.taskDir(h)
	if err != nil {
		return jobs.Exit{}, err
	}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if e, ok := readExit(dir); ok {
			return e, nil
		}
		if !r.running(h, dir) {
			if e, ok := readExit(dir); ok {
				return e, nil
			}
			killGroup(readPID(dir)) // whatever it left behind
			return jobs.Exit{Infra: true, Reason: "its supervisor ended without recording an exit code (killed?)"}, nil
		}
		select {
		case <-ctx.Done():
			return jobs.Exit{}, ctx.Err()
		case <-t.C:
		}
	}
}

// Stop sends SIGTERM to the task's process group, and SIGKILL after Grace to what is left; it
// returns once the group is gone.
func (r *Runner) Stop(ctx context.Context, h jobs.Handle) error {
	dir, err := r.taskDir(h)
	if err != nil {
		return err
	}
	pgid := readPID(dir)
	if pgid <= 0 {
		return fmt.Errorf("task %s has no process recorded", h.ID)
	}
	syscall.Kill(-pgid, syscall.SIGTERM)
	if waitGone(ctx, pgid, r.Grace) {
		return nil
	}
	killGroup(pgid)
	if waitGone(ctx, pgid, 10*time.Second) {
		return nil
	}
	return fmt.Errorf("process group %d is still there after SIGKILL", pgid)
}

func killGroup(pgid int) {
	if pgid > 0 {
		syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

func waitGone(ctx context.Context, pgid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if !GroupAlive(pgid) {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// GroupAlive reports whether any process of a process group still runs (zombies do not count).
func GroupAlive(pgid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return syscall.Kill(-pgid, 0) == nil
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := proc.ReadStat(pid); ok && st.PGID == pgid && !st.Ended() {
			return true
		}
	}
	return false
}

// Inspect says whether the task still runs or how it ended, from its files, so any dora process
// can ask.
func (r *Runner) Inspect(ctx context.Context, h jobs.Handle) (jobs.Status, error) {
	dir, err := r.taskDir(h)
	if err != nil {
		return jobs.Status{}, err
	}
	if e, ok := readExit(dir); ok {
		return jobs.Status{Exited: true, Exit: e}, nil
	}
	if _, err := os.Stat(dir); err != nil {
		return jobs.Status{Gone: true}, nil
	}
	if r.running(h, dir) {
		return jobs.Status{Running: true}, nil
	}
	if e, ok := readExit(dir); ok {
		return jobs.Status{Exited: true, Exit: e}, nil
	}
	killGroup(readPID(dir))
	return jobs.Status{Exited: true, Exit: jobs.Exit{Infra: true, Reason: "its supervisor ended without recording an exit code (killed?)"}}, nil
}

// Logs copies the task's output (stdout and stderr as they came) to w; with follow it goes on
// until the task ends.
func (r *Runner) Logs(ctx context.Context, h jobs.Handle, follow bool, w io.Writer) error {
	dir, err := r.taskDir(h)
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(dir, "log"))
	if err != nil {
		return fmt.Errorf("reading the log of %s: %w", h.ID, err)
	}
	defer f.Close()
	for {
		// Whether it has ended is asked before reading, so nothing written before the end is
		// missed by the last read.
		ended := !follow || !r.running(h, dir)
		if _, err := io.Copy(w, f); err != nil {
			return err
		}
		if ended {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Find finds an attempt's task by its files, for a watcher that died before it recorded it.
func (r *Runner) Find(ctx context.Context, runID string, attempt int) (jobs.Handle, bool, error) {
	h := jobs.Handle{Runner: Name, ID: runID + "." + strconv.Itoa(attempt)}
	dir, err := r.taskDir(h)
	if err != nil {
		return jobs.Handle{}, false, err
	}
	if readPID(dir) <= 0 {
		return jobs.Handle{}, false, nil
	}
	return h, true, nil
}

// Remove deletes the task's files, once its log and exit are stored.
func (r *Runner) Remove(ctx context.Context, h jobs.Handle) error {
	dir, err := r.taskDir(h)
	if err != nil {
		return err
	}
	r.mu.Lock()
	delete(r.children, h.ID)
	r.mu.Unlock()
	return os.RemoveAll(dir)
}

// writeFile writes a file whole or not at all.
func writeFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
