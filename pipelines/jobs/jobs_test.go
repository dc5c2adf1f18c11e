package jobs_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/proc"
	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/jobs/local"
)

// The tests drive real processes through the local runner. The test binary doubles as the
// supervisor, as the dora binary does in production.
func TestMain(m *testing.M) {
	local.SuperviseIfAsked()
	os.Exit(m.Run())
}

type env struct {
	t     *testing.T
	dir   string
	store *jobs.Store
	d     *jobs.Driver
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir}
	e.store = e.open()
	e.d = e.driver(e.store)
	return e
}

// open opens another handle on the same store, as another process would.
func (e *env) open() *jobs.Store {
	s, err := jobs.OpenStore(context.Background(), filepath.Join(e.dir, "runs.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { s.Close() })
	return s
}

func (e *env) driver(s *jobs.Store) *jobs.Driver {
	self, err := os.Executable()
	if err != nil {
		e.t.Fatal(err)
	}
	return &jobs.Driver{Store: s, Config: jobs.RunnerConfig{StateDir: e.dir, Self: self}, Poll: 50 * time.Millisecond}
}

func (e *env) def(yaml string) *jobs.Definition {
	e.t.Helper()
	d, err := jobs.ParseDefinition("test.yaml", []byte(yaml))
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// run creates a run and drives it to its end.
func (e *env) run(yaml string, overrides map[string]string) *jobs.Run {
	e.t.Helper()
	r, err := e.d.Create(context.Background(), e.def(yaml), overrides, "")
	if err != nil {
		e.t.Fatal(err)
	}
	r, err = e.d.Drive(context.Background(), r.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) log(id string) string {
	e.t.Helper()
	data, _, err := e.store.Log(context.Background(), id, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(data)
}

// waitFor polls the run until cond holds.
func (e *env) waitFor(id string, what string, cond func(*jobs.Run) bool) *jobs.Run {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := e.store.Get(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("run %s never got %s: %s %q\n%s", id, what, r.State, r.Reason, e.log(id))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func want(t *testing.T, r *jobs.Run, state jobs.State, code int) {
	t.Helper()
	if r.State != state {
		t.Fatalf("run %s is %s (%s), want %s", r.ID, r.State, r.Reason, state)
	}
	switch {
	case code < 0 && r.ExitCode != nil:
		t.Errorf("exit code %d, want none", *r.ExitCode)
	case code >= 0 && (r.ExitCode == nil || *r.ExitCode != code):
		t.Errorf("exit code %v, want %d", r.ExitCode, code)
	}
}

func TestEnvOverridesReachTheProcess(t *testing.T) {
	e := newEnv(t)
	r := e.run(`
name: envs
command: [sh, -c, 'echo "A=$A B=$B C=$C JOB=$DORA_JOB RUN=$DORA_RUN_ID arg=$1"', sh, "${B}-${A}"]
env: {A: from-def, B: from-def, DORA_RUN_ID: not-this}
`, map[string]string{"B": "from-flag", "C": "only-flag"})
	want(t, r, jobs.Succeeded, 0)
	line := fmt.Sprintf("A=from-def B=from-flag C=only-flag JOB=envs RUN=%s arg=from-flag-from-def\n", r.ID)
	if log := e.log(r.ID); !strings.Contains(log, line) {
		t.Errorf("the log lacks %q:\n%s", line, log)
	}
	if r.Env["DORA_RUN_ID"] != r.ID || r.Env["B"] != "from-flag" || r.Attempts != 1 || r.StartedAt.IsZero() || r.FinishedAt.IsZero() {
		t.Errorf("recorded %+v", r)
	}
}

func TestExitCodes(t *testing.T) {
	e := newEnv(t)
	r := e.run(`{name: three, command: [sh, -c, 'echo failing; exit 3']}`, nil)
	want(t, r, jobs.Failed, 3)
	if r.Reason != "exited with code 3" {
		t.Errorf("reason %q", r.Reason)
	}
	r = e.run(`{name: zero, command: ["true"]}`, nil)
	want(t, r, jobs.Succeeded, 0)
	r = e.run(`{name: killed, command: [sh, -c, 'kill -9 $$']}`, nil)
	want(t, r, jobs.Failed, 137)
	if !strings.Contains(r.Reason, "killed by signal") {
		t.Errorf("reason %q", r.Reason)
	}
}

func TestTimeoutEndsTheProcessGroup(t *testing.T) {
	e := newEnv(t)
	pids := filepath.Join(e.dir, "pids")
	start := time.Now()
	r := e.run(fmt.Sprintf(`
name: slow
command: [sh, -c, 'sleep 60 & echo $$ $! $(cut -d" " -f5 /proc/$$/stat) > %s; wait']
timeout: 1s
`, pids), nil)
	want(t, r, jobs.TimedOut, -1)
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the timeout took %s", took)
	}
	if !strings.Contains(r.Reason, "timed out after 1s") {
		t.Errorf("reason %q", r.Reason)
	}
	data, err := os.ReadFile(pids)
	if err != nil {
		t.Fatal(err)
	}
	var sh, sleeper, pgid int
	fmt.Sscan(string(data), &sh, &sleeper, &pgid)
	if pgid == 0 || local.GroupAlive(pgid) || proc.Alive(sh) || proc.Alive(sleeper) {
		t.Errorf("the process group %d is still there (sh %d alive %v, sleep %d alive %v)", pgid, sh, proc.Alive(sh), sleeper, proc.Alive(sleeper))
	}
}

func TestCancelFromAnotherStore(t *testing.T) {
	e := newEnv(t)
	r, err := e.d.Create(context.Background(), e.def(`{name: long, command: [sleep, "60"]}`), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *jobs.Run)
	go func() {
		r, err := e.d.Drive(context.Background(), r.ID)
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	e.waitFor(r.ID, "RUNNING", func(r *jobs.Run) bool { return r.State == jobs.Running })
	other := e.driver(e.open()) // as `dora jobs cancel` in another process
	got, err := other.Cancel(context.Background(), r.ID, "a test", 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want(t, got, jobs.Cancelled, -1)
	if got.Reason != "cancelled by a test" {
		t.Errorf("reason %q", got.Reason)
	}
	select {
	case r := <-done:
		want(t, r, jobs.Cancelled, -1)
	case <-time.After(20 * time.Second):
		t.Fatal("the watcher did not stop")
	}
	if _, err := other.Cancel(context.Background(), r.ID, "a test", time.Second); err == nil || !strings.Contains(err.Error(), "already ended") {
		t.Errorf("cancelling an ended run: %v", err)
	}
}

// counter is a command that counts its attempts in a file and exits with the code given for
// each attempt (the last code for every attempt after).
func counter(file string, codes ...int) string {
	var cases []string
	for i, c := range codes {
		cases = append(cases, fmt.Sprintf("%d) exit %d;;", i+1, c))
	}
	return fmt.Sprintf(`[sh, -c, 'n=$(( $(cat %[1]s 2>/dev/null || echo 0) + 1 )); echo $n > %[1]s; echo attempt $n; case $n in %[2]s *) exit %[3]d;; esac']`,
		file, strings.Join(cases, " "), codes[len(codes)-1])
}

func TestRetries(t *testing.T) {
	e := newEnv(t)
	n := filepath.Join(e.dir, "n1")
	r := e.run(`{name: flaky, command: `+counter(n, 75, 75, 0)+`, retries: {attempts: 3, on_exit_codes: [75], backoff: 10ms}}`, nil)
	want(t, r, jobs.Succeeded, 0)
	if r.Attempts != 3 {
		t.Errorf("%d attempts, want 3", r.Attempts)
	}
	log := e.log(r.ID)
	for _, s := range []string{"attempt 1\n", "attempt 3\n", "attempt 1 of 3: exited with code 75; trying again in 10ms (75 is in retries.on_exit_codes)", "attempt 3 of 3, on the local runner"} {
		if !strings.Contains(log, s) {
			t.Errorf("the log lacks %q:\n%s", s, log)
		}
	}

	n = filepath.Join(e.dir, "n2")
	r = e.run(`{name: broken, command: `+counter(n, 4)+`, retries: {attempts: 3, on_exit_codes: [75]}}`, nil)
	want(t, r, jobs.Failed, 4)
	if r.Attempts != 1 {
		t.Errorf("an exit code not listed was retried: %d attempts", r.Attempts)
	}

	n = filepath.Join(e.dir, "n3")
	r = e.run(`{name: hopeless, command: `+counter(n, 75)+`, retries: {attempts: 2, on_exit_codes: [75]}}`, nil)
	want(t, r, jobs.Failed, 75)
	if r.Attempts != 2 || r.Reason != "exited with code 75 (attempt 2 of 2)" {
		t.Errorf("%d attempts, reason %q", r.Attempts, r.Reason)
	}
}

func TestInfraFailuresAreNotExitCodes(t *testing.T) {
	e := newEnv(t)
	r := e.run(`{name: missing, command: [/no/such/program], retries: {attempts: 2, on_infra_failure: true}}`, nil)
	want(t, r, jobs.Failed, -1)
	if r.Attempts != 2 || !strings.Contains(r.Reason, "the local runner could not start it") || !strings.Contains(r.Reason, "/no/such/program") {
		t.Errorf("%d attempts, reason %q", r.Attempts, r.Reason)
	}
	r = e.run(`{name: missing-once, command: [/no/such/program], retries: {attempts: 2}}`, nil)
	if r.Attempts != 1 {
		t.Errorf("an infra failure was retried without on_infra_failure: %d attempts", r.Attempts)
	}
}

func TestTransitionsMoveForwardOnly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r, err := e.d.Create(ctx, e.def(`{name: fwd, command: ["true"]}`), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	step := func(to jobs.State, want bool) {
		t.Helper()
		ok, err := e.store.Advance(ctx, r.ID, to)
		if err != nil || ok != want {
			t.Errorf("moving to %s: %v, %v; want %v", to, ok, err, want)
		}
	}
	step(jobs.Running, true)
	step(jobs.Pending, false)
	step(jobs.Queued, false)
	step(jobs.Running, false)
	if ok, err := e.store.Finish(ctx, r.ID, jobs.Succeeded, nil, ""); !ok || err != nil {
		t.Errorf("finishing: %v %v", ok, err)
	}
	if ok, _ := e.store.Finish(ctx, r.ID, jobs.Failed, nil, "late"); ok {
		t.Error("an ended run was ended again")
	}
	// Not even a plain UPDATE from another connection can move it back.
	db, err := sql.Open("sqlite", filepath.Join(e.dir, "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{"RUNNING", "FAILED", "QUEUED"} {
		if _, err := db.Exec(`UPDATE runs SET status = ? WHERE id = ?`, s, r.ID); err == nil || !strings.Contains(err.Error(), "forward only") {
			t.Errorf("UPDATE to %s: %v", s, err)
		}
	}
	got, _ := e.store.Get(ctx, r.ID)
	want(t, got, jobs.Succeeded, -1)
}

func TestConcurrentLaunchesLoseNoRun(t *testing.T) {
	e := newEnv(t)
	def := e.def(`{name: many, command: ["true"]}`)
	const writers, each = 6, 25
	var wg sync.WaitGroup
	ids := make(chan string, writers*each)
	for range writers {
		wg.Add(1)
		s := e.open() // a handle of its own, as another process has
		go func() {
			defer wg.Done()
			for range each {
				r, err := s.Create(context.Background(), jobs.NewRun{Definition: def}, jobs.Self())
				if err != nil {
					t.Error(err)
					return
				}
				ids <- r.ID
			}
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	runs, err := e.store.List(context.Background(), jobs.Filter{Job: "many"})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != writers*each || len(runs) != writers*each {
		t.Errorf("%d ids, %d runs stored; want %d", len(seen), len(runs), writers*each)
	}

}

func TestSecretsAreRedactedButReachTheTask(t *testing.T) {
	e := newEnv(t)
	r := e.run(`
name: secretive
command: [sh, -c, 'echo "got $API_TOKEN $1 $DB_PASSWORD"', sh, "${aws_secret}"]
env: {API_TOKEN: tok-123, DB_PASSWORD: pw-456, aws_secret: sec-789, PLAIN: visible}
`, map[string]string{"MY_KEY": "key-000"})
	want(t, r, jobs.Succeeded, 0)
	log := e.log(r.ID)
	if !strings.Contains(log, "got tok-123 sec-789 pw-456\n") {
		t.Errorf("the secrets did not reach the task unchanged:\n%s", log)
	}
	header := log[:strings.Index(log, "\ngot ")]
	for _, s := range []string{"tok-123", "pw-456", "sec-789", "key-000"} {
		if strings.Contains(header, s) {
			t.Errorf("the log header shows a secret %q:\n%s", s, header)
		}
	}
	for _, s := range []string{"API_TOKEN=****", "DB_PASSWORD=****", "MY_KEY=****", "aws_secret=****", "PLAIN=visible", `sh -c "echo \"got $API_TOKEN $1 $DB_PASSWORD\"" sh ****`} {
		if !strings.Contains(header, s) {
			t.Errorf("the log header lacks %q:\n%s", s, header)
		}
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "tok-123") || strings.Contains(string(data), "key-000") || !strings.Contains(string(data), `"API_TOKEN":"****"`) {
		t.Errorf("JSON: %s", data)
	}
	if r.Env["API_TOKEN"] != "tok-123" {
		t.Error("the store did not keep the env as given")
	}
}

func TestLogCapKeepsHeadAndTail(t *testing.T) {
	e := newEnv(t)
	e.store.LogCap = 256 << 10
	r := e.run(`{name: chatty, command: [sh, -c, 'i=0; while [ $i -lt 40000 ]; do echo "line $i of the chatty job"; i=$((i+1)); done']}`, nil)
	want(t, r, jobs.Succeeded, 0)
	log := e.log(r.ID)
	if r.LogSize < 1<<20 {
		t.Fatalf("only %d bytes logged", r.LogSize)
	}
	for _, s := range []string{"line 0 of", "line 39999 of", "dora: run SUCCEEDED", "cut from the middle of this log"} {
		if !strings.Contains(log, s) {
			t.Errorf("the capped log lacks %q", s)
		}
	}
	if strings.Contains(log, "\nline 20000 of") {
		t.Error("the middle was kept")
	}
	if len(log) > 256<<10+3*64<<10 {
		t.Errorf("the stored log is %d bytes, over the cap", len(log))
	}
	m := regexp.MustCompile(`\n\[dora: [^(]*\((\d+) bytes\) cut from the middle of this log[^\n]*\]\n`).FindStringSubmatch(log)
	if m == nil {
		t.Fatal("no line says how much was cut")
	}
	cut, _ := strconv.ParseInt(m[1], 10, 64)
	if kept := int64(len(log) - len(m[0])); cut+kept != r.LogSize {
		t.Errorf("cut %d + kept %d != logged %d", cut, kept, r.LogSize)
	}
}

func TestGroupPublishesWhenAllChildrenSucceed(t *testing.T) {
	e := newEnv(t)
	marks := filepath.Join(e.dir, "marks")
	os.Mkdir(marks, 0o700)
	var children []*jobs.Definition
	for i := range 3 {
		children = append(children, e.def(fmt.Sprintf(`{name: shard-%d, command: [sh, -c, 'touch %s/$DORA_JOB-$SHARD'], env: {SHARD: "%d"}}`, i, marks, i)))
	}
	publish := e.def(fmt.Sprintf(`{name: publish, command: [sh, -c, 'ls %s | wc -l > %s/count']}`, marks, e.dir))
	p, err := e.d.RunGroup(context.Background(), jobs.Group{Job: "load orders", Children: children, Publish: publish, Env: map[string]string{"VERSION": "v1"}})
	if err != nil {
		t.Fatal(err)
	}
	want(t, p, jobs.Succeeded, -1)
	if len(p.Children) != 4 || p.Children[3].Role != jobs.RolePublish {
		t.Fatalf("children: %+v", p.Children)
	}
	for _, c := range p.Children {
		want(t, c, jobs.Succeeded, 0)
		if c.ParentID != p.ID || c.Env["VERSION"] != "v1" || c.Env["DORA_PARENT_RUN_ID"] != p.ID {
			t.Errorf("child %s: parent %q env %v", c.ID, c.ParentID, c.Env)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(e.dir, "count")); strings.TrimSpace(string(data)) != "3" {
		t.Errorf("publish saw %q files, want 3", data)
	}
	data, _ := json.Marshal(p)
	if !strings.Contains(string(data), `"children":[{`) {
		t.Errorf("the parent's JSON has no children: %s", data)
	}
}

func TestGroupFailsInWordsWhenAChildGivesUp(t *testing.T) {
	e := newEnv(t)
	n := filepath.Join(e.dir, "n")
	children := []*jobs.Definition{
		e.def(`{name: shard-0, command: ["true"]}`),
		e.def(`{name: shard-1, command: ` + counter(n, 1) + `, retries: {attempts: 2, on_exit_codes: [1]}}`),
		e.def(`{name: shard-2, command: [sleep, "60"]}`),
	}
	published := filepath.Join(e.dir, "published")
	publish := e.def(fmt.Sprintf(`{name: publish, command: [touch, %s]}`, published))
	start := time.Now()
	p, err := e.d.RunGroup(context.Background(), jobs.Group{Job: "load", Children: children, Publish: publish})
	if err != nil {
		t.Fatal(err)
	}
	want(t, p, jobs.Failed, -1)
	if time.Since(start) > 30*time.Second {
		t.Error("the group waited for the sleeping child")
	}
	failed := p.Children[1]
	wantReason := fmt.Sprintf("child %s (shard-1) FAILED: exited with code 1 (attempt 2 of 2); the other children were cancelled and nothing was published", failed.ID)
	if p.Reason != wantReason {
		t.Errorf("reason\n %q, want\n %q", p.Reason, wantReason)
	}
	want(t, p.Children[0], jobs.Succeeded, 0)
	want(t, failed, jobs.Failed, 1)
	want(t, p.Children[2], jobs.Cancelled, -1)
	if len(p.Children) != 3 {
		t.Errorf("a publish step was recorded: %+v", p.Children[len(p.Children)-1])
	}
	if _, err := os.Stat(published); err == nil {
		t.Error("it published")
	}
}

func TestReconcileTakesOverFromADeadWatcher(t *testing.T) {
	e := newEnv(t)
	ctx, stop := context.WithCancel(context.Background())
	r, err := e.d.Create(ctx, e.def(`{name: orphan, command: [sh, -c, 'echo before; sleep 1; echo after; exit 7']}`), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	go e.d.Drive(ctx, r.ID)
	e.waitFor(r.ID, "its first output", func(r *jobs.Run) bool { return r.AttemptLog > 0 })
	stop() // the watcher goes, the task runs on
	time.Sleep(100 * time.Millisecond)
	db, err := sql.Open("sqlite", filepath.Join(e.dir, "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE runs SET watcher_pid = ? WHERE id = ?`, deadPID(t), r.ID); err != nil {
		t.Fatal(err)
	}
	other := e.driver(e.open())
	if err := other.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := e.waitFor(r.ID, "an end", func(r *jobs.Run) bool { return r.State.Ended() })
	want(t, got, jobs.Failed, 7)
	log := e.log(r.ID)
	if strings.Count(log, "before\n") != 1 || strings.Count(log, "after\n") != 1 || !strings.Contains(log, "watches the run now") {
		t.Errorf("the log after the take-over:\n%s", log)
	}
}

func TestReconcileFailsARunThatNeverStarted(t *testing.T) {
	e := newEnv(t)
	r, err := e.store.Create(context.Background(), jobs.NewRun{Definition: e.def(`{name: never, command: ["true"]}`)}, jobs.Watcher{PID: deadPID(t), Host: jobs.Self().Host})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.d.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := e.store.Get(context.Background(), r.ID)
	want(t, got, jobs.Failed, -1)
	if !strings.Contains(got.Reason, "ended before it started; nothing ran") {
		t.Errorf("reason %q", got.Reason)
	}
}

// deadPID is the pid of a process that has ended.
func deadPID(t *testing.T) int {
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	p.Wait()
	return p.Pid
}

// A watcher that died after the runner started the task, before it recorded the task: the
// local runner finds the task by its run and attempt, and the run goes on to its true end.
func TestReconcileFindsATaskItsWatcherNeverRecorded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r, err := e.d.Create(ctx, e.def(`{name: unrecorded, command: [sh, -c, 'sleep 0.3; exit 5']}`), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	rn, err := local.Open(ctx, jobs.RunnerConfig{StateDir: e.dir, Self: self})
	if err != nil {
		t.Fatal(err)
	}
	task, _ := r.Task(1)
	if _, err := rn.Start(ctx, task); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(e.dir, "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE runs SET status = 'PENDING', attempts = 1, watcher_pid = ? WHERE id = ?`, deadPID(t), r.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	want(t, e.waitFor(r.ID, "an end", func(r *jobs.Run) bool { return r.State.Ended() }), jobs.Failed, 5)
}

// Reading a log on from any byte gives what follows it: from a chunk's start, its middle, its
// end, inside the cut and past the end.
func TestLogReadsOnFromAnyByte(t *testing.T) {
	e := newEnv(t)
	e.store.LogCap = 8 << 10
	ctx := context.Background()
	r, err := e.store.Create(ctx, jobs.NewRun{Definition: e.def(`{name: tail, command: ["true"]}`)}, jobs.Self())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		if err := e.store.AppendLog(ctx, r.ID, []byte(fmt.Sprintf("line %d of a log read in pieces\n", i)), true); err != nil {
			t.Fatal(err)
		}
	}
	all, end, err := e.store.Log(ctx, r.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(all), "cut from the middle") {
		t.Fatal("the log should have been cut")
	}
	// Up to the cut, store positions are positions in the log read; then N bytes are missing.
	mark := regexp.MustCompile(`\n\[dora: [^(]*\((\d+) bytes\)[^\]]*\]\n`)
	cut := mark.FindStringSubmatchIndex(string(all))
	gap, _ := strconv.ParseInt(string(all[cut[2]:cut[3]]), 10, 64)
	head, kept := int64(cut[0]), all[cut[1]:]
	for from := int64(0); from <= end+3; from++ {
		got, at, err := e.store.Log(ctx, r.ID, from)
		if err != nil {
			t.Fatal(err)
		}
		if at != max(end, from) {
			t.Fatalf("from %d: read on to %d, want %d", from, at, max(end, from))
		}
		var want string
		switch {
		case from < head:
			want = string(all[from:])
		case from < head+gap: // inside the cut: a line says what is missing from here
			want = string(mark.Find(got)) + string(kept)
			if !strings.HasPrefix(string(got), "\n[dora: ") {
				t.Fatalf("from %d, inside the cut: %q", from, got)
			}
		case from < end:
			want = string(kept[from-head-gap:])
		}
		if string(got) != want {
			t.Fatalf("from %d: %q, want %q", from, got, want)
		}
	}
}

// TestOpenDriverReconciles: OpenDriver, what dora jobs and the Jobs screen both call, opens
// the store where it is told and reconciles as it opens: a run whose watcher died before it
// started is failed by the time the driver comes back.
func TestOpenDriverReconciles(t *testing.T) {
	e := newEnv(t)
	r, err := e.store.Create(context.Background(), jobs.NewRun{Definition: e.def(`{name: never, command: ["true"]}`)}, jobs.Watcher{PID: deadPID(t), Host: jobs.Self().Host})
	if err != nil {
		t.Fatal(err)
	}
	d, warn, err := jobs.OpenDriver(context.Background(), jobs.OpenOptions{StorePath: filepath.Join(e.dir, "runs.db"), StateDir: e.dir})
	if err != nil || warn != nil {
		t.Fatal(err, warn)
	}
	defer d.Store.Close()
	if self, _ := os.Executable(); d.Config.Self != self || d.Config.StateDir != e.dir {
		t.Errorf("driver config %+v", d.Config)
	}
	got, _ := d.Store.Get(context.Background(), r.ID)
	want(t, got, jobs.Failed, -1)
}
