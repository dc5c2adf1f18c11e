package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/jobs/docker/dockertest"
)

// The docker runner through dora jobs, on a real dockerd: the test image is the runner's own test
// program (pipelines/jobs/docker/testdata/task) FROM scratch as its entrypoint.
const taskImage = "dora-test-task:latest" // the same image the runner's own tests build

func dockerJobsHome(t *testing.T, files map[string]string) *jobsHome {
	t.Helper()
	dockertest.ProgramImage(t, taskImage, "./pipelines/jobs/docker/testdata/task", false)
	return newJobsHome(t, files)
}

// containersOf counts what the engine still holds of a run.
func containersOf(t *testing.T, id string) int {
	t.Helper()
	res, err := dockertest.Client(t).ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", "dora.run="+id)})
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Items)
}

func TestDockerJobsEnvExitCodesAndLogs(t *testing.T) {
	h := dockerJobsHome(t, map[string]string{"task.yaml": `
name: task
image: ` + taskImage + `
command: [getenv, WHO, getenv, MODEL, getenv, DORA_JOB, print, "3000", exit, "${CODE}"]
env: {WHO: world, MODEL: v3, CODE: "0"}
runner: docker
`})
	r := h.dora("jobs", "run", "task", "--wait", "--env", "WHO=you")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	id := firstLine(r.stdout)
	got := h.show(id)
	wantRun(t, got, jobs.Succeeded, 0)
	if got.Runner != "docker" || len(got.RunnerID) != 64 {
		t.Errorf("runner %s, runner_id %q: want docker and a container id", got.Runner, got.RunnerID)
	}
	// The log is kept whole after the container is gone: the env it saw, every line of both streams.
	if n := containersOf(t, id); n != 0 {
		t.Errorf("run %s left %d containers", id, n)
	}
	log := h.dora("jobs", "logs", id).stdout
	for _, want := range []string{"\nWHO=you\n", "\nMODEL=v3\n", "\nDORA_JOB=task\n", "\nline 1\n", "\nline 2\n", "\nline 3000\n", "dora: run SUCCEEDED"} {
		if !strings.Contains(log, want) {
			t.Errorf("the stored log has no %q", want)
		}
	}
	if n := strings.Count(log, "\nline "); n != 3000 {
		t.Errorf("the stored log has %d of 3000 lines", n)
	}

	for _, code := range []int{1, 3, 75} {
		r := h.dora("jobs", "run", "task", "--wait", "--json", "--env", fmt.Sprintf("CODE=%d", code))
		if r.code != 1 || !strings.Contains(r.stderr, fmt.Sprintf("FAILED: exited with code %d", code)) {
			t.Errorf("exit code %d: dora exited %d, stderr %s", code, r.code, r.stderr)
		}
	}
}

func TestDockerJobsTimeoutAndCancelLeaveNoContainer(t *testing.T) {
	h := dockerJobsHome(t, map[string]string{
		"stuck.yaml":   "{name: stuck, image: " + taskImage + ", command: [sleep, 1h], timeout: 1s, runner: docker}",
		"sleeper.yaml": "{name: sleeper, image: " + taskImage + ", command: [print, '1', sleep, 1h], runner: docker}",
	})
	r := h.dora("jobs", "run", "stuck", "--wait")
	id := firstLine(r.stdout)
	got := h.show(id)
	if r.code != 1 || got.Status != jobs.TimedOut || !strings.Contains(got.Reason, "timed out after 1s") {
		t.Errorf("stuck: exit %d, %+v", r.code, got)
	}
	if n := containersOf(t, id); n != 0 {
		t.Errorf("the timed-out run left %d containers", n)
	}

	id = strings.TrimSpace(h.dora("jobs", "run", "sleeper").stdout)
	h.await(id, "its first line", func(r runJSON) bool {
		return r.Status == jobs.Running && strings.Contains(h.dora("jobs", "logs", id).stdout, "\nline 1\n")
	})
	c := h.dora("jobs", "cancel", id)
	if c.code != 0 || !strings.Contains(c.stdout, "CANCELLED") {
		t.Errorf("cancel: %d %s %s", c.code, c.stdout, c.stderr)
	}
	wantRun(t, h.show(id), jobs.Cancelled, -1)
	if n := containersOf(t, id); n != 0 {
		t.Errorf("the cancelled run left %d containers", n)
	}
}

func TestDockerJobsRetries(t *testing.T) {
	// The task asks the test, over the host network, which code to exit with: 75 the first time,
	// then 0.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var asked atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			code := 0
			if asked.Add(1) == 1 {
				code = 75
			}
			fmt.Fprintln(c, code)
			c.Close()
		}
	}()
	h := dockerJobsHome(t, map[string]string{
		"flaky.yaml": fmt.Sprintf("{name: flaky, image: %s, command: [ask, %q], runner: docker, retries: {attempts: 3, on_exit_codes: [75], backoff: 50ms}}",
			taskImage, ln.Addr().String()),
		"noimage.yaml": "{name: noimage, image: dora-e2e-no-such-image:1, command: [x], runner: docker, retries: {attempts: 2, on_infra_failure: true, backoff: 50ms}}",
	})
	r := h.dora("jobs", "run", "flaky", "--wait")
	got := h.show(firstLine(r.stdout))
	wantRun(t, got, jobs.Succeeded, 0)
	if got.Attempts != 2 || asked.Load() != 2 {
		t.Errorf("flaky: %d attempts, asked %d times", got.Attempts, asked.Load())
	}
	if log := h.dora("jobs", "logs", got.ID).stdout; !strings.Contains(log, "told to exit 75") || !strings.Contains(log, "told to exit 0") {
		t.Errorf("the log does not hold both attempts:\n%s", log)
	}

	r = h.dora("jobs", "run", "noimage", "--wait")
	got = h.show(firstLine(r.stdout))
	wantRun(t, got, jobs.Failed, -1)
	if got.Attempts != 2 || !strings.Contains(got.Reason, "not on the Docker host") {
		t.Errorf("missing image: %d attempts, %q", got.Attempts, got.Reason)
	}
}

// SIGKILL of the dora jobs run --wait that watches a container: the container runs on, and the
// next dora command finds how it really ended, then removes it.
func TestDockerJobsKilledWatcherIsReconciled(t *testing.T) {
	h := dockerJobsHome(t, map[string]string{"slow.yaml": "{name: slow, image: " + taskImage + ", command: [print, '1', sleep, 2s, print, '3', exit, '3'], runner: docker}"})
	cmd, out := h.start("jobs", "run", "slow", "--wait")
	h.waitFor(out, "\nline 1\n")
	id := firstLine(out.String())
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	got := h.await(id, "an end", ended)
	wantRun(t, got, jobs.Failed, 3)
	log := h.dora("jobs", "logs", id).stdout
	if !strings.Contains(log, "\nline 1\n") || !strings.Contains(log, "\nline 3\n") || !strings.Contains(log, "dora: run FAILED: exited with code 3") {
		t.Errorf("the log:\n%s", log)
	}
	deadline := time.Now().Add(10 * time.Second)
	for containersOf(t, id) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("run %s ended but its container is still there", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDockerJobsConcurrentLaunchesLoseNoRun(t *testing.T) {
	h := dockerJobsHome(t, map[string]string{"quick.yaml": "{name: quick, image: " + taskImage + ", command: [exit, '0'], runner: docker}"})
	const n = 4
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := h.dora("jobs", "run", "quick", "--wait")
			if r.code != 0 {
				t.Errorf("launch %d: exit %d: %s", i, r.code, r.stderr)
			}
			ids[i] = firstLine(r.stdout)
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
		wantRun(t, h.show(id), jobs.Succeeded, 0)
	}
	if len(seen) != n {
		t.Errorf("%d distinct runs from %d launches: %v", len(seen), n, ids)
	}
}
