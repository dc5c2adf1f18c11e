package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/jobs/docker/dockertest"
)

// privateDockerd is a Docker engine of the fault tests' own: scripts/docker with its own data
// root, socket and pid file (DORA_DOCKER_DIR, DORA_DOCKER_RUN), so a test may kill it; the engine
// every other test uses (DOCKER_HOST) is never touched.
type privateDockerd struct {
	testenv.Private
	host string // its DOCKER_HOST
}

func startPrivateDockerd(t *testing.T) *privateDockerd {
	t.Helper()
	root := testenv.CacheDir(t)
	run := filepath.Join(root, "run", "docker-faults")
	d := &privateDockerd{Private: testenv.Private{T: t, Script: "docker", PidFile: filepath.Join(run, "dockerd.pid"),
		Env: append(os.Environ(), "DORA_DOCKER_DIR="+filepath.Join(root, "docker-faults"), "DORA_DOCKER_RUN="+run)},
		host: "unix://" + filepath.Join(run, "docker.sock")}
	if out := d.Begin(); !strings.Contains(out, "DOCKER_HOST="+d.host) {
		t.Fatalf("scripts/docker start printed %q, not DOCKER_HOST=%s", out, d.host)
	}
	return d
}

// TestDockerdKilledWhileAJobRuns: the engine of a docker job dies with SIGKILL while the task
// runs and comes back 3 s later. dora jobs run --wait waits for it, asks it how the task ended
// (the restarted engine ends the containers it finds running), records that exit, stores the
// task's log whole and once, and removes the container.
func TestDockerdKilledWhileAJobRuns(t *testing.T) {
	d := startPrivateDockerd(t)
	c, err := client.New(client.WithHost(d.host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dockertest.ProgramImageOn(t, c, taskImage, "./pipelines/jobs/docker/testdata/task", false)
	const lines = 2000
	h := newJobsHome(t, map[string]string{"slow.yaml": fmt.Sprintf("{name: slow, image: %s, command: [print, '%d', sleep, 60s, print, '3', exit, '3'], runner: docker}", taskImage, lines)})
	h.env = append(h.env, "DOCKER_HOST="+d.host)
	cmd, out := h.start("jobs", "run", "slow", "--wait")
	h.waitFor(out, fmt.Sprintf("\nline %d\n", lines))
	id := firstLine(out.String())

	killedAt := d.Signal(syscall.SIGKILL) // as a crash would: its containers' shims live on
	time.Sleep(3 * time.Second)
	d.Start()
	upAt := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err = <-exited:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("dora jobs run --wait still waits 2 minutes after the engine came back:\n%s", out)
	}
	ended := time.Now()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	got := h.show(id)
	// How the task really ended is the restarted engine's answer: it ended the container, which
	// never got to print line 3 or exit with 3.
	if got.Status != jobs.Failed || got.ExitCode == nil || *got.ExitCode == 3 || !strings.Contains(got.Reason, "while the docker engine was not answering") {
		t.Errorf("run %s: %s, exit %v, %q; want FAILED with the code the engine recorded, saying the engine was away", id, got.Status, got.ExitCode, got.Reason)
	}
	if code != 1 || !strings.Contains(out.String(), "FAILED: exited with code") {
		t.Errorf("dora jobs run --wait exited %d:\n%s", code, tail(out.String(), 600))
	}
	log := h.dora("jobs", "logs", id).stdout
	seen := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^line \d+$`).FindAllString(log, -1) {
		seen[m]++
	}
	for i := 1; i <= lines; i++ {
		if n := seen[fmt.Sprintf("line %d", i)]; n != 1 {
			t.Errorf("line %d is %d times in the stored log", i, n)
			break
		}
	}
	if len(seen) != lines {
		t.Errorf("the stored log holds %d distinct task lines, want %d (line 3 of the second print never ran)", len(seen), lines)
	}
	for _, want := range []string{"dora: the docker engine stopped answering while the task ran", "dora: the docker engine answers again after"} {
		if line := statusLine(log, want); line == "" {
			t.Errorf("the log does not say %q:\n%s", want, tail(log, 800))
		} else {
			t.Logf("the log says: %s", line)
		}
	}
	res, err := c.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", "dora.run="+id)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 0 {
		t.Errorf("run %s left %d containers on the engine", id, len(res.Items))
	}
	t.Logf("dockerd killed, back 3 s later; dora jobs run --wait ended %.1f s after the engine was back (%.1f s after the kill), exit %d: %s; %d of %d task lines stored once each",
		ended.Sub(upAt).Seconds(), ended.Sub(killedAt).Seconds(), code, lastLine(out.String()), len(seen), lines)
}
