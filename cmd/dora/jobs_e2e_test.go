package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/jobs/local"
)

// jobsHome is a config and a state folder of their own, with job files in it; the same env for
// every dora command a test runs, so they share one run store as processes on a machine do.
type jobsHome struct {
	t   *testing.T
	dir string
	env []string
}

func newJobsHome(t *testing.T, files map[string]string) *jobsHome {
	t.Helper()
	dir := t.TempDir()
	h := &jobsHome{t: t, dir: dir, env: []string{"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_STATE_HOME=" + filepath.Join(dir, "state")}}
	jobsDir := filepath.Join(dir, "config", "dora", "jobs")
	if err := os.MkdirAll(jobsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(jobsDir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(h.cancelAll)
	return h
}

func (h *jobsHome) dora(args ...string) run {
	h.t.Helper()
	return dora(h.t, "", h.env, args...)
}

// cancelAll leaves no task of a failed test running.
func (h *jobsHome) cancelAll() {
	for _, r := range h.runs() {
		if !r.Status.Ended() {
			h.dora("jobs", "cancel", r.ID)
		}
	}
}

// start starts a dora command without waiting for it.
func (h *jobsHome) start(args ...string) (*exec.Cmd, *lockedBuffer) {
	h.t.Helper()
	cmd := exec.Command(doraBin, args...)
	cmd.Env = append(os.Environ(), h.env...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	return cmd, out
}

// waitFor waits until the output of a process started with start holds text.
func (h *jobsHome) waitFor(out *lockedBuffer, text string) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), text) {
		if time.Now().After(deadline) {
			h.t.Fatalf("no %q in the output: %s", text, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedBuffer is read by the test while the process it is the output of writes to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runJSON is a run as dora jobs show --json prints it.
type runJSON = jobs.RunJSON

func (h *jobsHome) show(id string) runJSON {
	h.t.Helper()
	r := h.dora("jobs", "show", id, "--json")
	if r.code != 0 {
		h.t.Fatalf("dora jobs show: %d %s", r.code, r.stderr)
	}
	var out runJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		h.t.Fatalf("%v: %s", err, r.stdout)
	}
	return out
}

func (h *jobsHome) runs() []runJSON {
	h.t.Helper()
	r := h.dora("jobs", "runs", "--json", "--limit", "0")
	var out []runJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		h.t.Fatalf("%v: %s %s", err, r.stdout, r.stderr)
	}
	return out
}

// await polls dora jobs show until cond holds.
func (h *jobsHome) await(id, what string, cond func(runJSON) bool) runJSON {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := h.show(id)
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("run %s never got %s: %+v\n%s", id, what, r, h.dora("jobs", "logs", id).stdout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ended(r runJSON) bool { return r.Status.Ended() }

func wantRun(t *testing.T, r runJSON, state jobs.State, code int) {
	t.Helper()
	if r.Status != state {
		t.Fatalf("run %s is %s (%s), want %s", r.ID, r.Status, r.Reason, state)
	}
	switch {
	case code < 0 && r.ExitCode != nil:
		t.Errorf("exit code %d, want none", *r.ExitCode)
	case code >= 0 && (r.ExitCode == nil || *r.ExitCode != code):
		t.Errorf("exit code %v, want %d", r.ExitCode, code)
	}
}

func firstLine(s string) string { return strings.TrimSpace(strings.SplitN(s, "\n", 2)[0]) }

func TestJobsRunWait(t *testing.T) {
	h := newJobsHome(t, map[string]string{"hello.yaml": `
name: hello
command: [sh, -c, 'echo "hello $WHO from $DORA_JOB"; exit $CODE']
env: {WHO: world, CODE: "0"}
`})
	r := h.dora("jobs", "run", "hello", "--wait", "--env", "WHO=you")
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	id := firstLine(r.stdout)
	if !strings.Contains(r.stdout, "\nhello you from hello\n") || !strings.Contains(r.stdout, "dora: run SUCCEEDED") {
		t.Errorf("--wait did not follow the log:\n%s", r.stdout)
	}
	got := h.show(id)
	wantRun(t, got, jobs.Succeeded, 0)
	if got.Job != "hello" || got.Attempts != 1 || got.Runner != "local" || got.RunnerID == "" || got.Env["WHO"] != "you" ||
		got.Env["DORA_RUN_ID"] != id || got.CreatedAt == nil || got.StartedAt == nil || got.FinishedAt == nil {
		t.Errorf("%+v", got)
	}

	r = h.dora("jobs", "run", "hello", "--wait", "--json", "--env", "CODE=3")
	if r.code != 1 || !strings.Contains(r.stderr, "FAILED: exited with code 3") {
		t.Errorf("a failed run: exit %d, stderr %s", r.code, r.stderr)
	}
	var failed map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &failed); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	for _, k := range []string{"id", "job", "status", "exit_code", "reason", "attempts", "runner", "runner_id", "env", "created_at", "started_at", "finished_at"} {
		if _, ok := failed[k]; !ok {
			t.Errorf("the run's JSON has no %s: %s", k, r.stdout)
		}
	}
	if failed["status"] != "FAILED" || failed["exit_code"] != 3.0 {
		t.Errorf("%s", r.stdout)
	}
}

func TestJobsRunDetachedReachesItsEnd(t *testing.T) {
	h := newJobsHome(t, map[string]string{"tick.yaml": `{command: [sh, -c, 'for i in 1 2 3; do echo tick $i; sleep 0.3; done']}`})
	r := h.dora("jobs", "run", "tick")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	logs := h.dora("jobs", "logs", id, "-f") // follows the detached watcher's run to its end
	if !strings.Contains(logs.stdout, "tick 1\ntick 2\ntick 3\n") || !strings.HasSuffix(logs.stdout, "dora: run SUCCEEDED\n") {
		t.Errorf("logs -f:\n%s", logs.stdout)
	}
	wantRun(t, h.show(id), jobs.Succeeded, 0)
	if again := h.dora("jobs", "logs", id); again.stdout != logs.stdout {
		t.Errorf("the stored log differs from the followed one:\n%s", again.stdout)
	}
}

func TestJobsCancelFromAnotherProcess(t *testing.T) {
	h := newJobsHome(t, nil)
	pids := filepath.Join(h.dir, "pids")
	os.WriteFile(filepath.Join(h.dir, "config", "dora", "jobs", "sleeper.yaml"), []byte(fmt.Sprintf(
		`{command: [sh, -c, 'sleep 60 & echo $(cut -d" " -f5 /proc/$$/stat) > %s; wait']}`, pids)), 0o600)
	cancel := func(id string) {
		t.Helper()
		h.await(id, "its pid file", func(runJSON) bool { _, err := os.Stat(pids); return err == nil })
		data, _ := os.ReadFile(pids)
		os.Remove(pids)
		var pgid int
		fmt.Sscan(string(data), &pgid)
		c := h.dora("jobs", "cancel", id)
		if c.code != 0 || !strings.Contains(c.stdout, "CANCELLED: cancelled by dora jobs cancel (dora pid") {
			t.Errorf("cancel: %d %s %s", c.code, c.stdout, c.stderr)
		}
		wantRun(t, h.show(id), jobs.Cancelled, -1)
		if pgid == 0 || local.GroupAlive(pgid) {
			t.Errorf("the process group %d of run %s is still there", pgid, id)
		}
	}
	// One run is watched by a detached watcher, the other by a dora jobs run --wait.
	id := strings.TrimSpace(h.dora("jobs", "run", "sleeper").stdout)
	cancel(id)
	waiting, out := h.start("jobs", "run", "sleeper", "--wait")
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "\n") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel(firstLine(out.String()))
	err := waiting.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(out.String(), "CANCELLED") {
		t.Errorf("dora jobs run --wait of a cancelled run: %v\n%s", err, out)
	}
	if c := h.dora("jobs", "cancel", id); c.code != 1 || !strings.Contains(c.stderr, "already ended: CANCELLED") {
		t.Errorf("cancelling it again: %d %s", c.code, c.stderr)
	}
}

// SIGKILL of the watching dora mid-run: the task runs on, and the next dora command finds the
// run's true end, whether the task is still running then or has ended meanwhile.
func TestJobsKilledWatcherIsReconciled(t *testing.T) {
	h := newJobsHome(t, map[string]string{"slow.yaml": `{command: [sh, -c, 'echo before; sleep 2; echo after; exit 3']}`})
	for _, late := range []bool{false, true} {
		t.Run(fmt.Sprintf("looked at after the end %v", late), func(t *testing.T) {
			cmd, out := h.start("jobs", "run", "slow", "--wait")
			h.waitFor(out, "\nbefore\n")
			id := firstLine(out.String())
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			if late {
				time.Sleep(3 * time.Second) // the task has ended: one look records how
				got := h.runs()
				if len(got) == 0 || got[0].ID != id {
					t.Fatalf("runs: %+v", got)
				}
				wantRun(t, got[0], jobs.Failed, 3)
			}
			got := h.await(id, "an end", ended)
			wantRun(t, got, jobs.Failed, 3)
			log := h.dora("jobs", "logs", id).stdout
			if !strings.Contains(log, "\nbefore\n") || !strings.Contains(log, "\nafter\n") || !strings.Contains(log, "dora: run FAILED: exited with code 3") {
				t.Errorf("the log:\n%s", log)
			}
		})
	}
}

func TestJobsConcurrentLaunchesLoseNoRun(t *testing.T) {
	h := newJobsHome(t, map[string]string{"quick.yaml": `{command: ["true"]}`})
	const n = 6
	var cmds []*exec.Cmd
	var outs []*lockedBuffer
	for range n {
		c, out := h.start("jobs", "run", "quick")
		cmds, outs = append(cmds, c), append(outs, out)
	}
	ids := map[string]bool{}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("launch %d: %v %s", i, err, outs[i])
		}
		ids[strings.TrimSpace(outs[i].String())] = true
	}
	if len(ids) != n {
		t.Fatalf("%d distinct ids from %d launches: %v", len(ids), n, ids)
	}
	for id := range ids {
		wantRun(t, h.await(id, "an end", ended), jobs.Succeeded, 0)
	}
	if runs := h.runs(); len(runs) != n {
		t.Errorf("%d runs stored, want %d", len(runs), n)
	}
}

func TestJobsSecretsAreRedactedEverywhere(t *testing.T) {
	h := newJobsHome(t, nil)
	seen := filepath.Join(h.dir, "seen")
	os.WriteFile(filepath.Join(h.dir, "config", "dora", "jobs", "secret.yaml"), []byte(fmt.Sprintf(`
name: secret
command: [sh, -c, 'echo "$API_TOKEN $DB_PASSWORD $1" > %s; echo done', sh, "${S3_SECRET}"]
env: {API_TOKEN: tok-123, S3_SECRET: sec-456, REGION: west}
`, seen)), 0o600)
	r := h.dora("jobs", "run", "secret", "--wait", "--env", "DB_PASSWORD=pw-789")
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	id := firstLine(r.stdout)
	if data, _ := os.ReadFile(seen); string(data) != "tok-123 pw-789 sec-456\n" {
		t.Errorf("the task saw %q", data)
	}
	for _, args := range [][]string{{"jobs", "ls"}, {"jobs", "ls", "--json"}, {"jobs", "runs"}, {"jobs", "runs", "--json"},
		{"jobs", "show", id}, {"jobs", "show", id, "--json"}, {"jobs", "logs", id}, {"jobs", "run", "secret", "--wait", "--json"}} {
		out := h.dora(args...)
		all := out.stdout + out.stderr + r.stdout
		for _, s := range []string{"tok-123", "sec-456", "pw-789"} {
			if strings.Contains(all, s) {
				t.Errorf("dora %s shows the secret %q:\n%s", strings.Join(args, " "), s, all)
			}
		}
		if strings.Contains(strings.Join(args, " "), "runs") && !strings.Contains(strings.Join(args, " "), "json") {
			continue // the table has no env
		}
		if !strings.Contains(out.stdout, "****") || !strings.Contains(out.stdout, "west") {
			t.Errorf("dora %s does not show the env redacted:\n%s", strings.Join(args, " "), out.stdout)
		}
	}
}

func TestJobsRetryKeepsTheEnvAndLinks(t *testing.T) {
	h := newJobsHome(t, map[string]string{"once.yaml": `{command: [sh, -c, 'exit $CODE'], env: {CODE: "0"}}`})
	r := h.dora("jobs", "run", "once", "--env", "CODE=4", "--wait")
	if r.code != 1 {
		t.Fatalf("exit %d", r.code)
	}
	old := firstLine(r.stdout)
	r = h.dora("jobs", "retry", old[:8], "--wait", "--json")
	var again runJSON
	if err := json.Unmarshal([]byte(r.stdout), &again); err != nil {
		t.Fatalf("%v: %s %s", err, r.stdout, r.stderr)
	}
	wantRun(t, again, jobs.Failed, 4)
	if again.ID == old || again.RetryOf != old || again.Env["CODE"] != "4" || again.Env["DORA_RUN_ID"] != again.ID {
		t.Errorf("the retry: %+v", again)
	}
	if r := h.dora("jobs", "show", again.ID); !strings.Contains(r.stdout, "retry of   "+old) {
		t.Errorf("show does not link it:\n%s", r.stdout)
	}
}

func TestJobsRetriesAndTimeoutThroughTheCLI(t *testing.T) {
	h := newJobsHome(t, nil)
	n := filepath.Join(h.dir, "n")
	os.WriteFile(filepath.Join(h.dir, "config", "dora", "jobs", "flaky.yaml"), []byte(fmt.Sprintf(
		`{command: [sh, -c, 'n=$(( $(cat %[1]s 2>/dev/null || echo 0) + 1 )); echo $n > %[1]s; [ $n -ge 2 ] || exit 75'], retries: {attempts: 3, on_exit_codes: [75], backoff: 50ms}}`, n)), 0o600)
	os.WriteFile(filepath.Join(h.dir, "config", "dora", "jobs", "stuck.yaml"), []byte(`{command: [sleep, "60"], timeout: 500ms}`), 0o600)
	r := h.dora("jobs", "run", "flaky", "--wait", "--json")
	var got runJSON
	json.Unmarshal([]byte(r.stdout), &got)
	if r.code != 0 || got.Attempts != 2 {
		t.Errorf("flaky: exit %d, %+v\n%s", r.code, got, r.stderr)
	}
	r = h.dora("jobs", "run", "stuck", "--wait", "--json")
	json.Unmarshal([]byte(r.stdout), &got)
	if r.code != 1 || got.Status != jobs.TimedOut || !strings.Contains(got.Reason, "timed out after 500ms") {
		t.Errorf("stuck: exit %d, %+v", r.code, got)
	}
}

func TestJobsBadInput(t *testing.T) {
	h := newJobsHome(t, map[string]string{"bad.yaml": "name: bad\ncomand: [x]\n", "ok.yaml": "command: [\"true\"]\n", "vars.yaml": "command: [echo, '${DAY}']\n"})
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"jobs", "run", "bad"}, 2, `bad.yaml:2:1: unknown key "comand" in the job; did you mean "command"?`},
		{[]string{"jobs", "run", filepath.Join(h.dir, "config", "dora", "jobs", "bad.yaml")}, 2, "  2 | comand: [x]"},
		{[]string{"jobs", "run", "nosuch"}, 2, `no such job: "nosuch"`},
		{[]string{"jobs", "run", "ok", "--env", "not a pair"}, 2, "want NAME=VALUE"},
		{[]string{"jobs", "run", "ok", "--runner", "nomad"}, 2, `unknown runner "nomad"`},
		{[]string{"jobs", "run", "vars"}, 2, "--env DAY=VALUE"},
		{[]string{"jobs", "show", "nosuchrun"}, 2, "no such run"},
		{[]string{"jobs", "runs", "--status", "DONE"}, 2, `unknown status "DONE"`},
		{[]string{"jobs", "ls"}, 2, "bad.yaml:2:1"},
		{[]string{"jobs", "logs"}, 2, "takes 1 argument"},
	}
	for _, c := range cases {
		r := h.dora(c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("dora %s: exit %d, stderr %q; want %d and %q", strings.Join(c.args, " "), r.code, r.stderr, c.code, c.want)
		}
	}
	if r := h.dora("jobs", "ls"); !strings.Contains(r.stdout, "ok ") || !strings.Contains(r.stdout, "vars ") {
		t.Errorf("ls lists the good files beside the bad one:\n%s", r.stdout)
	}
}
