package docker

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/jobs/docker/dockertest"
)

// The test images: testdata/task as the ENTRYPOINT, and the same program with none.
const (
	taskImage = "dora-test-task:latest"
	bareImage = "dora-test-bare:latest"
)

// runner returns a docker runner on the test engine, with the test images built FROM scratch
// around testdata/task.
func runner(t *testing.T) *Runner {
	t.Helper()
	dockertest.ProgramImage(t, taskImage, "./pipelines/jobs/docker/testdata/task", false)
	dockertest.ProgramImage(t, bareImage, "./pipelines/jobs/docker/testdata/task", true)
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	r.StopGrace = 2 * time.Second
	t.Cleanup(func() { r.Close() })
	return r
}

// task is an attempt of a fresh run of the test image with args as its steps.
func task(args ...string) jobs.Task {
	b := make([]byte, 4)
	rand.Read(b)
	return jobs.Task{RunID: "r" + hex.EncodeToString(b), Attempt: 1, Job: "test-task", Image: taskImage, Command: args}
}

// run starts t, waits for it, reads its log and removes it.
func run(t *testing.T, r *Runner, tk jobs.Task) (jobs.Exit, string) {
	t.Helper()
	ctx := t.Context()
	h, err := r.Start(ctx, tk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Remove(ctx, h) })
	exit, err := r.Wait(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if err := r.Logs(ctx, h, false, &log); err != nil {
		t.Fatal(err)
	}
	if err := r.Remove(ctx, h); err != nil {
		t.Fatal(err)
	}
	return exit, log.String()
}

func TestEnvReachesTheContainer(t *testing.T) {
	t.Parallel()
	r := runner(t)
	tk := task("env")
	tk.Env = map[string]string{"DAY": "2026-12-01", "MODEL": "v3", "API_SECRET": "s3cr=t value", "DORA_RUN_ID": tk.RunID}
	exit, log := run(t, r, tk)
	if exit.Code != 0 || exit.Infra {
		t.Fatalf("exit %+v, log:\n%s", exit, log)
	}
	for k, v := range tk.Env {
		if !strings.Contains("\n"+log, "\n"+k+"="+v+"\n") {
			t.Errorf("%s=%s not in the container's env:\n%s", k, v, log)
		}
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	r := runner(t)
	for _, code := range []int{0, 1, 3, 75, 255} {
		exit, log := run(t, r, task("exit", fmt.Sprint(code)))
		if exit.Code != code || exit.Infra {
			t.Errorf("exit %d: got %+v (log %q)", code, exit, log)
		}
		if exit.Reason != "" {
			t.Errorf("exit %d: reason %q, want none beside the code", code, exit.Reason)
		}
	}
}

func TestStopEndsTheTaskAndRemoveLeavesNothing(t *testing.T) {
	t.Parallel()
	r := runner(t)
	ctx := t.Context()
	h, err := r.Start(ctx, task("print", "1", "sleep", "1h"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Remove(ctx, h)
	if st, err := r.Inspect(ctx, h); err != nil || !st.Running {
		t.Fatalf("inspect right after start: %+v, %v", st, err)
	}
	waited := make(chan jobs.Exit, 1)
	go func() {
		exit, err := r.Wait(ctx, h)
		if err != nil {
			t.Error(err)
		}
		waited <- exit
	}()
	start := time.Now()
	if err := r.Stop(ctx, h); err != nil {
		t.Fatal(err)
	}
	select {
	case exit := <-waited:
		// A Go program as PID 1 ends itself with code 2 on SIGTERM.
		if exit.Code != 2 || exit.Infra {
			t.Errorf("exit after stop: %+v", exit)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Wait did not return after Stop")
	}
	if d := time.Since(start); d > r.StopGrace+5*time.Second {
		t.Errorf("stop took %v", d)
	}
	if st, err := r.Inspect(ctx, h); err != nil || !st.Exited || st.Exit.Code != 2 {
		t.Fatalf("inspect after stop: %+v, %v", st, err)
	}
	if err := r.Remove(ctx, h); err != nil {
		t.Fatal(err)
	}
	if st, err := r.Inspect(ctx, h); err != nil || !st.Gone {
		t.Fatalf("inspect after remove: %+v, %v", st, err)
	}
	if _, err := r.c.ContainerInspect(ctx, h.ID, client.ContainerInspectOptions{}); err == nil {
		t.Fatal("the container is still on the engine after Remove")
	}
	// Stop, Remove and Wait on a gone container: no errors, and Wait says it is gone.
	if err := r.Stop(ctx, h); err != nil {
		t.Error(err)
	}
	if err := r.Remove(ctx, h); err != nil {
		t.Error(err)
	}
	if exit, err := r.Wait(ctx, h); err != nil || !exit.Infra {
		t.Errorf("wait on a gone container: %+v, %v", exit, err)
	}
}

func TestMissingImageIsAnInfraFailure(t *testing.T) {
	t.Parallel()
	r := runner(t)
	tk := task("exit", "0")
	tk.Image = "dora-test-no-such-image:1"
	_, err := r.Start(t.Context(), tk)
	if !errors.Is(err, jobs.ErrInfra) {
		t.Fatalf("start with a missing image: %v, want an error wrapping jobs.ErrInfra", err)
	}
	if !strings.Contains(err.Error(), "dora-test-no-such-image:1") {
		t.Errorf("the error does not name the image: %v", err)
	}
	leftovers(t, r, tk)
}

func TestCommandIsTheArgvOfAnImageWithoutEntrypoint(t *testing.T) {
	t.Parallel()
	r := runner(t)
	tk := task("/program", "print", "1", "exit", "4")
	tk.Image = bareImage
	exit, log := run(t, r, tk)
	if exit.Code != 4 || log != "line 1\n" {
		t.Errorf("exit %+v, log %q", exit, log)
	}
	tk = task("/no-such-program")
	tk.Image = bareImage
	_, err := r.Start(t.Context(), tk)
	if !errors.Is(err, jobs.ErrInfra) || !strings.Contains(err.Error(), "no-such-program") {
		t.Fatalf("start of a program the image does not have: %v, want an infra failure naming it", err)
	}
	leftovers(t, r, tk)
}

// leftovers fails the test when the engine still holds a container of tk's run.
func leftovers(t *testing.T, r *Runner, tk jobs.Task) {
	t.Helper()
	res, err := r.c.ContainerList(t.Context(), client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", "dora.run="+tk.RunID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) > 0 {
		t.Errorf("%d containers left of run %s", len(res.Items), tk.RunID)
	}
}

func TestLogIsCompleteAndOrdered(t *testing.T) {
	t.Parallel()
	r := runner(t)
	ctx := t.Context()
	const n = 20000
	h, err := r.Start(ctx, task("sleep", "300ms", "print", fmt.Sprint(n)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Remove(ctx, h)
	// Followed from the start, as `dora jobs logs -f` does, and read again after the exit, as the
	// run store does before Remove.
	var followed bytes.Buffer
	if err := r.Logs(ctx, h, true, &followed); err != nil {
		t.Fatal(err)
	}
	if exit, err := r.Wait(ctx, h); err != nil || exit.Code != 0 {
		t.Fatalf("%+v %v", exit, err)
	}
	var after bytes.Buffer
	if err := r.Logs(ctx, h, false, &after); err != nil {
		t.Fatal(err)
	}
	for name, log := range map[string]string{"followed": followed.String(), "after the exit": after.String()} {
		lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
		if len(lines) != n {
			t.Errorf("log %s: %d lines, want %d", name, len(lines), n)
			continue
		}
		// stdout and stderr are two streams; each keeps its own order.
		seen := map[int]bool{}
		lastOdd, lastEven := 0, 0
		for _, l := range lines {
			var i int
			if _, err := fmt.Sscanf(l, "line %d", &i); err != nil || seen[i] {
				t.Fatalf("log %s: bad or repeated line %q", name, l)
			}
			seen[i] = true
			if i%2 == 1 && i < lastOdd || i%2 == 0 && i < lastEven {
				t.Fatalf("log %s: line %d out of order", name, i)
			}
			if i%2 == 1 {
				lastOdd = i
			} else {
				lastEven = i
			}
		}
	}
	if err := r.Remove(ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := r.Logs(ctx, h, false, io.Discard); err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("logs of a removed container: %v, want it said to be gone", err)
	}
}

func TestLabelsFindTheContainer(t *testing.T) {
	t.Parallel()
	r := runner(t)
	ctx := t.Context()
	tk := task("exit", "0")
	tk.Attempt = 2
	tk.Labels = map[string]string{"dora.tag.team": "styling"}
	h, err := r.Start(ctx, tk)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Remove(ctx, h)
	res, err := r.c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", "dora.run="+tk.RunID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 || res.Items[0].ID != h.ID {
		t.Fatalf("containers labelled dora.run=%s: %+v, want just %s", tk.RunID, res.Items, h.ID)
	}
	in, err := r.c.ContainerInspect(ctx, h.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"dora.run": tk.RunID, "dora.job": "test-task", "dora.attempt": "2", "dora.tag.team": "styling"}
	for k, v := range want {
		if got := in.Container.Config.Labels[k]; got != v {
			t.Errorf("label %s = %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(in.Container.Name, tk.RunID) {
		t.Errorf("container name %q does not name the run", in.Container.Name)
	}
	// The same attempt again conflicts rather than running twice.
	if _, err := r.Start(ctx, tk); err == nil || errors.Is(err, jobs.ErrInfra) {
		t.Errorf("second start of the same attempt: %v, want a conflict that is not an infra failure", err)
	}
}

func TestCPUAndMemoryLimits(t *testing.T) {
	t.Parallel()
	r := runner(t)
	ctx := t.Context()
	tk := task("limits")
	tk.CPU = 0.5
	tk.Memory = 64 << 20
	h, err := r.Start(ctx, tk)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Remove(ctx, h)
	in, err := r.c.ContainerInspect(ctx, h.ID, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc := in.Container.HostConfig
	if hc.NanoCPUs != 5e8 || hc.Memory != 64<<20 || hc.NetworkMode != "host" {
		t.Errorf("host config: NanoCPUs %d, Memory %d, NetworkMode %s; want 500000000, %d, host", hc.NanoCPUs, hc.Memory, hc.NetworkMode, 64<<20)
	}
	if _, err := r.Wait(ctx, h); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if err := r.Logs(ctx, h, false, &log); err != nil {
		t.Fatal(err)
	}
	// The kernel's view from inside: the cgroup's limit and a quota of half the period.
	if got, want := strings.TrimSpace(log.String()), fmt.Sprintf("memory=%d cpu=50000/100000", 64<<20); got != want {
		t.Errorf("limits seen in the container: %q, want %q", got, want)
	}
}

func TestOutOfMemoryIsAnInfraFailure(t *testing.T) {
	t.Parallel()
	r := runner(t)
	tk := task("alloc", "256")
	tk.Memory = 32 << 20
	exit, log := run(t, r, tk)
	if !exit.Infra || !strings.Contains(exit.Reason, "out of memory") {
		t.Fatalf("exit %+v, want an infra failure for memory; log %q", exit, log)
	}
}

func TestHostNetworkReachesTheLauncher(t *testing.T) {
	t.Parallel()
	r := runner(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		b, _ := io.ReadAll(c)
		c.Close()
		got <- string(b)
	}()
	exit, log := run(t, r, task("dial", ln.Addr().String()))
	if exit.Code != 0 {
		t.Fatalf("exit %+v: %s", exit, log)
	}
	select {
	case s := <-got:
		if s != "hello" {
			t.Errorf("got %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing reached 127.0.0.1 from the container")
	}
}
