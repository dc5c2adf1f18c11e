package local_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/proc"
	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/jobs/local"
)

// The test binary is its own supervisor, as the dora binary is in production.
func TestMain(m *testing.M) {
	local.SuperviseIfAsked()
	os.Exit(m.Run())
}

func open(t *testing.T, dir string) *local.Runner {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, err := local.Open(context.Background(), jobs.RunnerConfig{StateDir: dir, Self: self})
	if err != nil {
		t.Fatal(err)
	}
	return r.(*local.Runner)
}

func task(argv ...string) jobs.Task {
	return jobs.Task{RunID: "r" + strconv.FormatInt(time.Now().UnixNano(), 36), Attempt: 1, Command: argv, Env: map[string]string{"GREETING": "hi"}}
}

// A second runner, as in a dora process started later, learns everything from the task's files.
func TestAnotherProcessSeesTheTaskThrough(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first := open(t, dir)
	tk := task("sh", "-c", `echo "$GREETING from $$"; sleep 0.5; echo bye >&2; exit 4`)
	h, err := first.Start(ctx, tk)
	if err != nil {
		t.Fatal(err)
	}
	later := open(t, dir)
	if st, err := later.Inspect(ctx, h); err != nil || !st.Running {
		t.Fatalf("inspect while it runs: %+v %v", st, err)
	}
	if found, ok, err := later.Find(ctx, tk.RunID, 1); err != nil || !ok || found != h {
		t.Errorf("find: %v %v %v", found, ok, err)
	}
	var log strings.Builder
	if err := later.Logs(ctx, h, true, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(log.String(), "hi from ") || !strings.HasSuffix(log.String(), "bye\n") {
		t.Errorf("followed log %q", log.String())
	}
	if e, err := later.Wait(ctx, h); err != nil || e.Code != 4 || e.Infra {
		t.Errorf("wait: %+v %v", e, err)
	}
	if st, _ := later.Inspect(ctx, h); !st.Exited || st.Exit.Code != 4 {
		t.Errorf("inspect after the end: %+v", st)
	}
	if err := later.Remove(ctx, h); err != nil {
		t.Fatal(err)
	}
	if st, _ := later.Inspect(ctx, h); !st.Gone {
		t.Errorf("inspect after remove: %+v", st)
	}
	first.Wait(ctx, h)
}

func TestStopKillsAGroupThatIgnoresTERM(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	r := open(t, dir)
	r.Grace = 300 * time.Millisecond
	pids := filepath.Join(dir, "pgid")
	h, err := r.Start(ctx, task("sh", "-c", `trap "" TERM; cut -d" " -f5 /proc/$$/stat > `+pids+`; sleep 60 & sleep 60`))
	if err != nil {
		t.Fatal(err)
	}
	var pgid int
	for deadline := time.Now().Add(10 * time.Second); pgid == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		data, _ := os.ReadFile(pids)
		pgid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	if pgid == 0 || !local.GroupAlive(pgid) {
		t.Fatalf("no process group (%d)", pgid)
	}
	start := time.Now()
	if err := r.Stop(ctx, h); err != nil {
		t.Fatal(err)
	}
	if local.GroupAlive(pgid) || time.Since(start) < r.Grace {
		t.Errorf("group %d alive %v after %s", pgid, local.GroupAlive(pgid), time.Since(start))
	}
	if e, err := r.Wait(ctx, h); err != nil || !e.Infra {
		t.Errorf("a supervisor killed with its group: %+v %v", e, err)
	}
}

func TestNothingOutlivesTheCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	r := open(t, dir)
	h, err := r.Start(ctx, task("sh", "-c", `sleep 60 & echo $!`))
	if err != nil {
		t.Fatal(err)
	}
	if e, err := r.Wait(ctx, h); err != nil || e.Code != 0 {
		t.Fatalf("%+v %v", e, err)
	}
	var log strings.Builder
	r.Logs(ctx, h, false, &log)
	pid, _ := strconv.Atoi(strings.TrimSpace(log.String()))
	deadline := time.Now().Add(5 * time.Second)
	for proc.Alive(pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if pid == 0 || proc.Alive(pid) {
		t.Errorf("the background sleep %d outlived its command", pid)
	}
}

func TestAMissingProgramIsAnInfraFailure(t *testing.T) {
	r := open(t, t.TempDir())
	for _, argv := range [][]string{{"/no/such/program"}, {"no-such-program-on-the-path"}} {
		if _, err := r.Start(context.Background(), task(argv...)); !errors.Is(err, jobs.ErrInfra) {
			t.Errorf("%v: %v", argv, err)
		}
	}
	if _, err := r.Start(context.Background(), task()); err == nil || errors.Is(err, jobs.ErrInfra) {
		t.Errorf("no command: %v", err)
	}
}
