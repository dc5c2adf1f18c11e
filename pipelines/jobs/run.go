package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Driver takes runs through their states, once for every runner: it starts each attempt,
// watches it (the timeout, a cancel asked for by another process, its heartbeat), stores its
// log and exit, retries as the definition says, and reconciles runs whose watcher is gone.
type Driver struct {
	Store  *Store
	Config RunnerConfig
	// Resume hands a run whose watcher is gone, and whose task still runs, to a new watcher and
	// returns that watcher's pid; the CLI starts a detached `dora jobs _watch RUN`. Nil drives
	// it in a goroutine of this process.
	Resume func(ctx context.Context, id string) (pid int, err error)
	// Poll is how often a watcher writes its heartbeat and looks for a cancel (500ms when 0).
	Poll time.Duration

	mu      sync.Mutex
	runners map[string]Runner
}

// StaleAfter is how long a watcher may go without a heartbeat before another process takes
// its runs over (at once, on the same machine, when its pid is gone).
const StaleAfter = 30 * time.Second

// errLost stops a watcher whose run another process has taken over.
var errLost = errors.New("another dora process has taken the run over")

func (d *Driver) poll() time.Duration {
	if d.Poll > 0 {
		return d.Poll
	}
	return 500 * time.Millisecond
}

func (d *Driver) runner(ctx context.Context, name string) (Runner, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r := d.runners[name]; r != nil {
		return r, nil
	}
	c := d.Config
	if c.StateDir == "" {
		c.StateDir = StateDir()
	}
	if c.Self == "" {
		c.Self, _ = os.Executable()
	}
	r, err := Open(ctx, name, c)
	if err != nil {
		return nil, err
	}
	if d.runners == nil {
		d.runners = map[string]Runner{}
	}
	d.runners[name] = r
	return r, nil
}

// Create records a run of def, QUEUED, with overrides over its env; runner "" is the
// definition's. Drive runs it.
func (d *Driver) Create(ctx context.Context, def *Definition, overrides map[string]string, runner string) (*Run, error) {
	return d.Store.Create(ctx, NewRun{Definition: def, Overrides: overrides, Runner: runner}, Self())
}

// Retry records a new run with the same definition and env as an ended one, linked to it.
func (d *Driver) Retry(ctx context.Context, id string) (*Run, error) {
	old, err := d.Store.Find(ctx, id)
	if err != nil {
		return nil, err
	}
	if !old.State.Ended() {
		return nil, fmt.Errorf("run %s is still %s: wait for it, or cancel it first", old.ID, old.State)
	}
	if old.Role == RoleGroup {
		g := Group{Job: old.Job, Runner: old.Definition.Runner, Env: old.Overrides, Publish: old.Publish}
		for _, c := range old.Children {
			if c.Role == RoleChild {
				g.Children = append(g.Children, &c.Definition)
			}
		}
		return d.createGroup(ctx, g, old.ID)
	}
	return d.Store.Create(ctx, NewRun{Definition: &old.Definition, Overrides: old.Overrides, Runner: old.Runner, RetryOf: old.ID}, Self())
}

// Cancel asks a run to stop (by says who asked, for the record) and waits up to wait for its
// watcher, in whichever process, to stop it.
func (d *Driver) Cancel(ctx context.Context, id, by string, wait time.Duration) (*Run, error) {
	r, err := d.Store.Find(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.State.Ended() {
		return r, fmt.Errorf("run %s has already ended: %s", r.ID, r.State)
	}
	if err := d.Store.RequestCancel(ctx, r.ID, by); err != nil {
		return nil, err
	}
	if err := d.Reconcile(ctx); err != nil { // a run without a watcher gets one, which cancels it
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for {
		if r, err = d.Store.Get(ctx, r.ID); err != nil || r.State.Ended() {
			return r, err
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("asked run %s to cancel; its watcher (%s) has not stopped it yet", r.ID, r.Watcher)
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// watch is a watcher's view of its run while it drives it.
type watch struct {
	cancel chan struct{} // closed when somebody asks to cancel; why says who
	why    string
	lost   chan struct{} // closed when another process takes the run over
	stop   context.CancelFunc
	lapses int // times the runner's engine stopped answering while this watcher waited
}

func (w *watch) cancelled() bool {
	select {
	case <-w.cancel:
		return true
	default:
		return false
	}
}

// watch writes the run's heartbeat every poll and looks for a cancel, until stopped.
func (d *Driver) watch(ctx context.Context, id string) *watch {
	ctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	w := &watch{cancel: make(chan struct{}), lost: make(chan struct{}), stop: stop}
	me := Self()
	check := func() bool {
		why, held, err := d.Store.beat(ctx, id, me)
		switch {
		case err != nil:
			return true // a busy store: try again at the next beat
		case !held:
			close(w.lost)
			return false
		case why != "" && !w.cancelled():
			w.why = why
			close(w.cancel)
		}
		return true
	}
	if check() {
		go func() {
			t := time.NewTicker(d.poll())
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if !check() {
						return
					}
				}
			}
		}()
	}
	return w
}

// Drive takes a run to its end in this process, which becomes its watcher, and returns it as it
// ended. Should ctx end first (the watcher is stopped), the run is left as it is for another
// process to reconcile.
func (d *Driver) Drive(ctx context.Context, id string) (*Run, error) {
	r, err := d.Store.Get(ctx, id)
	if err != nil || r.State.Ended() {
		return r, err
	}
	if err := d.Store.claim(ctx, id, Self()); err != nil {
		return nil, err
	}
	w := d.watch(ctx, id)
	defer w.stop()
	if r.Role == RoleGroup {
		err = d.driveGroup(ctx, r, w)
	} else {
		err = d.driveRun(ctx, r, w)
	}
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	return d.Store.Get(context.WithoutCancel(ctx), id)
}

// outcome is how one attempt ended.
type outcome struct {
	exit      Exit
	startErr  error  // the runner could not start it
	timedOut  bool   // dora stopped it at the timeout
	cancelled string // dora stopped it because this asked
}

func (d *Driver) driveRun(ctx context.Context, r *Run, w *watch) error {
	rn, err := d.runner(ctx, r.Runner)
	if err != nil {
		return d.finish(ctx, r, Failed, nil, err.Error())
	}
	attempt := r.Attempts
	switch {
	case r.State == Running && !r.RetryAt.IsZero(): // a watcher died during a backoff
		if done, err := d.backoff(ctx, r, time.Until(r.RetryAt), w); done || err != nil {
			return err
		}
	case r.State == Running && r.RunnerID != "": // a watcher died while the task ran
		o, err := d.pickUp(ctx, r, rn, w)
		if err != nil {
			return err
		}
		if done, err := d.settle(ctx, r, rn, attempt, o, w); done || err != nil {
			return err
		}
	}
	for {
		attempt++
		if w.cancelled() {
			return d.finish(ctx, r, Cancelled, nil, "cancelled by "+w.why+" before attempt "+strconv.Itoa(attempt)+" started")
		}
		o, err := d.attempt(ctx, r, rn, attempt, w)
		if err != nil {
			return err
		}
		if done, err := d.settle(ctx, r, rn, attempt, o, w); done || err != nil {
			return err
		}
	}
}

// Task is the task for one attempt of the run.
func (r *Run) Task(attempt int) (Task, error) {
	argv, err := ExpandCommand(r.Definition.Command, r.Env)
	if err != nil {
		return Task{}, err
	}
	return Task{RunID: r.ID, Attempt: attempt, Job: r.Job, Image: r.Definition.Image, Command: argv, Env: r.Env,
		CPU: r.Definition.CPU, Memory: r.Definition.Memory, Tags: r.Definition.Tags, Kubernetes: r.Definition.Kubernetes,
		Timeout: r.Definition.Timeout,
		Labels:  map[string]string{"dora.run": r.ID, "dora.job": r.Job, "dora.attempt": strconv.Itoa(attempt)}}, nil
}

// ShownCommand is the run's command as a person may see it: secrets redacted, quoted where a
// shell would need it.
func (r *Run) ShownCommand() string {
	argv, _ := ExpandCommand(r.Definition.Command, RedactEnv(r.Env))
	parts := make([]string, len(argv))
	for i, a := range argv {
		parts[i] = a
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`|&;<>()") {
			parts[i] = strconv.Quote(a)
		}
	}
	return strings.Join(parts, " ")
}

func (d *Driver) attempt(ctx context.Context, r *Run, rn Runner, n int, w *watch) (outcome, error) {
	if r.State == Queued {
		if _, err := d.Store.Advance(ctx, r.ID, Pending); err != nil {
			return outcome{}, err
		}
		r.State = Pending
	}
	// The last attempt's handle goes: until the runner answers, the run has no task (a watcher
	// dying now leaves reconciliation to find it, when the runner is a Finder).
	if err := d.Store.newAttempt(ctx, r.ID, n); err != nil {
		return outcome{}, err
	}
	r.Attempts, r.RunnerID = n, ""
	task, err := r.Task(n)
	if err != nil {
		return outcome{startErr: err}, nil
	}
	d.line(ctx, r, fmt.Sprintf("dora: run %s of %s, attempt %d of %d, on the %s runner", r.ID, r.Job, n, r.Definition.Retries.attempts(), r.Runner))
	d.line(ctx, r, "dora: command: "+r.ShownCommand())
	d.line(ctx, r, "dora: env: "+EnvLine(r.Env))
	h, err := rn.Start(ctx, task)
	if err != nil {
		return outcome{startErr: err}, nil
	}
	if err := d.started(ctx, r, h); err != nil {
		return outcome{}, err
	}
	return d.await(ctx, r, rn, h, w)
}

// started records the task of the current attempt: RUNNING, with its handle; its timeout
// counts from now.
func (d *Driver) started(ctx context.Context, r *Run, h Handle) error {
	now := time.Now()
	first := r.StartedAt.IsZero()
	if first {
		r.StartedAt = now
	}
	err := d.Store.started(ctx, r.ID, h.ID, now, first, r.State == Running)
	r.State, r.RunnerID, r.AttemptStartedAt, r.AttemptLog = Running, h.ID, now, 0
	return err
}

// pickUp picks up the attempt a watcher that died left running.
func (d *Driver) pickUp(ctx context.Context, r *Run, rn Runner, w *watch) (outcome, error) {
	h := Handle{Runner: r.Runner, ID: r.RunnerID}
	st, err := rn.Inspect(ctx, h)
	if err != nil {
		return outcome{}, fmt.Errorf("asking the %s runner about %s: %w", r.Runner, h.ID, err)
	}
	switch {
	case st.Running:
		d.line(ctx, r, fmt.Sprintf("dora: %s watches the run now; the task still runs", Self()))
		return d.await(ctx, r, rn, h, w)
	case st.Exited:
		return d.ended(ctx, r, rn, h, st), nil
	}
	return outcome{exit: Exit{Infra: true, Reason: fmt.Sprintf("the %s runner no longer knows the task %s, and its watcher ended without recording how it ended", r.Runner, h.ID)}}, nil
}

// ended stores the rest of an exited task's log (what is stored already is skipped) and
// returns its exit.
func (d *Driver) ended(ctx context.Context, r *Run, rn Runner, h Handle, st Status) outcome {
	lw := newLogWriter(d.Store, r.ID, r.AttemptLog)
	err := rn.Logs(ctx, h, false, lw)
	lw.Close()
	if err != nil {
		d.line(ctx, r, "dora: the rest of the task's log could not be read: "+err.Error())
	}
	return outcome{exit: st.Exit}
}

// EngineGrace is how long a watcher waits for a runner's engine that stopped answering while
// a task ran (a dockerd restarted) before it records the attempt as the engine's failure.
const EngineGrace = 5 * time.Minute

// maxLapses bounds the times one watcher goes back to waiting after its engine answered again,
// so a Wait that keeps failing for another reason ends the attempt instead of looping.
const maxLapses = 5

// reattach follows a task after its runner's Wait failed (cause): it asks the engine how the
// task is until the engine answers, then waits on for a task still running, or records how the
// task ended while the engine was away and the log it wrote, so the run ends as the task really
// did and its log loses nothing and repeats nothing.
func (d *Driver) reattach(ctx context.Context, r *Run, rn Runner, h Handle, w *watch, cause error) (outcome, error) {
	w.lapses++
	if w.lapses > maxLapses {
		return outcome{exit: Exit{Infra: true, Reason: "waiting for the task: " + cause.Error()}}, nil
	}
	d.line(ctx, r, fmt.Sprintf("dora: the %s engine stopped answering while the task ran (%v); asking it again for up to %s", r.Runner, cause, EngineGrace))
	since := time.Now()
	var st Status
	for {
		var err error
		if st, err = rn.Inspect(ctx, h); err == nil {
			break
		}
		if time.Since(since) > EngineGrace {
			return outcome{exit: Exit{Infra: true, Reason: fmt.Sprintf("the %s engine stopped answering and had not come back %s later: %v", r.Runner, EngineGrace, err)}}, nil
		}
		select {
		case <-ctx.Done():
			return outcome{}, ctx.Err()
		case <-w.lost:
			return outcome{}, errLost
		case <-time.After(time.Second):
		}
	}
	fresh, err := d.Store.Get(ctx, r.ID)
	if err != nil {
		return outcome{}, err
	}
	r.AttemptLog = fresh.AttemptLog
	away := time.Since(since).Round(100 * time.Millisecond)
	switch {
	case st.Running:
		d.line(ctx, r, fmt.Sprintf("dora: the %s engine answers again after %s; the task still runs", r.Runner, away))
		return d.await(ctx, r, rn, h, w)
	case st.Gone:
		return outcome{exit: Exit{Infra: true, Reason: fmt.Sprintf("the %s engine answers again after %s, but no longer knows the task %s; its exit code is unknown", r.Runner, away, h.ID)}}, nil
	}
	d.line(ctx, r, fmt.Sprintf("dora: the %s engine answers again after %s; the task ended while it was away", r.Runner, away))
	o := d.ended(ctx, r, rn, h, st)
	if o.exit.Reason == "" {
		o.exit.Reason = fmt.Sprintf("it ended while the %s engine was not answering", r.Runner)
	}
	return o, nil
}

// await follows a started attempt to its end, its log into the store, stopping it at the
// timeout or when a cancel is asked for.
func (d *Driver) await(ctx context.Context, r *Run, rn Runner, h Handle, w *watch) (outcome, error) {
	bg := context.WithoutCancel(ctx)
	logCtx, stopLogs := context.WithCancel(bg)
	defer stopLogs()
	lw := newLogWriter(d.Store, r.ID, r.AttemptLog)
	defer lw.Close()
	logsDone := make(chan error, 1)
	go func() { logsDone <- rn.Logs(logCtx, h, true, lw) }()
	if p, ok := rn.(Placer); ok {
		go d.place(logCtx, r, p, h)
	}

	waitCtx, stopWait := context.WithCancel(bg)
	defer stopWait()
	type waited struct {
		exit Exit
		err  error
	}
	exited := make(chan waited, 1)
	go func() {
		e, err := rn.Wait(waitCtx, h)
		exited <- waited{e, err}
	}()
	var timeout <-chan time.Time
	if t := r.Definition.Timeout; t > 0 {
		timer := time.NewTimer(time.Until(r.AttemptStartedAt.Add(t)))
		defer timer.Stop()
		timeout = timer.C
	}
	stop := func() {
		stopCtx, cancel := context.WithTimeout(bg, time.Minute)
		defer cancel()
		if err := rn.Stop(stopCtx, h); err != nil {
			d.line(ctx, r, "dora: stopping the task: "+err.Error())
		}
		select {
		case <-exited:
		case <-stopCtx.Done():
		}
	}
	var o outcome
	select {
	case res := <-exited:
		o.exit = res.exit
		if res.err != nil {
			// The engine may be restarting: ask it again how the task is, with the log so far
			// stored first, so what is read again from the engine is skipped.
			stopLogs()
			<-logsDone
			lw.Close()
			return d.reattach(ctx, r, rn, h, w, res.err)
		}
	case <-timeout:
		o.timedOut = true
		stop()
	case <-w.cancel:
		o.cancelled = w.why
		stop()
	case <-w.lost:
		return o, errLost
	case <-ctx.Done():
		return o, ctx.Err()
	}
	select { // the log follower ends with the task; give it a moment to drain
	case <-logsDone:
	case <-time.After(10 * time.Second):
		stopLogs()
		<-logsDone
	}
	return o, nil
}

// place records where the attempt runs, once its runner knows, asking every poll until then.
func (d *Driver) place(ctx context.Context, r *Run, p Placer, h Handle) {
	t := time.NewTicker(d.poll())
	defer t.Stop()
	last := r.Place
	for {
		where, final, err := p.Place(ctx, h)
		if err == nil && where != "" && where != last {
			if d.Store.placed(ctx, r.ID, where) == nil {
				last = where
			} else {
				final = false
			}
		}
		if final {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (rt Retries) attempts() int { return max(1, rt.Attempts) }

// retryable says whether an attempt's outcome calls for another try, and why.
func retryable(def *Definition, o outcome, attempt int) (bool, string) {
	if o.timedOut || o.cancelled != "" || attempt >= def.Retries.attempts() {
		return false, ""
	}
	switch {
	case o.startErr != nil:
		if errors.Is(o.startErr, ErrInfra) && def.Retries.OnInfraFailure {
			return true, "retries.on_infra_failure is set"
		}
	case o.exit.Infra:
		if def.Retries.OnInfraFailure {
			return true, "retries.on_infra_failure is set"
		}
	case slices.Contains(def.Retries.OnExitCodes, o.exit.Code):
		return true, fmt.Sprintf("%d is in retries.on_exit_codes", o.exit.Code)
	}
	return false, ""
}

// describe says how an attempt ended, in words.
func (o outcome) describe(runner string) string {
	switch {
	case o.startErr != nil && errors.Is(o.startErr, ErrInfra):
		return fmt.Sprintf("the %s runner could not start it: %v", runner, o.startErr)
	case o.startErr != nil:
		return fmt.Sprintf("it could not be started: %v", o.startErr)
	case o.exit.Infra:
		return fmt.Sprintf("the %s runner failed, not the program: %s", runner, o.exit.Reason)
	case o.exit.Reason != "":
		return fmt.Sprintf("exited with code %d (%s)", o.exit.Code, o.exit.Reason)
	}
	return fmt.Sprintf("exited with code %d", o.exit.Code)
}

// settle records how an attempt ended: the run's end, or (done false) a retry after the
// backoff.
func (d *Driver) settle(ctx context.Context, r *Run, rn Runner, attempt int, o outcome, w *watch) (bool, error) {
	if o.startErr == nil && r.RunnerID != "" {
		if err := rn.Remove(context.WithoutCancel(ctx), Handle{Runner: r.Runner, ID: r.RunnerID}); err != nil {
			d.line(ctx, r, "dora: freeing the task in its engine: "+err.Error())
		}
	}
	def := &r.Definition
	switch {
	case o.cancelled != "":
		return true, d.finish(ctx, r, Cancelled, nil, "cancelled by "+o.cancelled)
	case o.timedOut:
		return true, d.finish(ctx, r, TimedOut, nil, fmt.Sprintf("timed out after %s (the job's timeout); the task was stopped", def.Timeout))
	case o.startErr == nil && o.exit.TimedOut:
		return true, d.finish(ctx, r, TimedOut, nil, fmt.Sprintf("timed out after %s (the job's timeout): %s", def.Timeout, o.exit.Reason))
	case o.startErr == nil && !o.exit.Infra && o.exit.Code == 0:
		return true, d.finish(ctx, r, Succeeded, exitCode(o), "")
	}
	if retry, why := retryable(def, o, attempt); retry {
		wait := def.Retries.Backoff << (attempt - 1)
		if wait < 0 || wait > time.Hour {
			wait = time.Hour
		}
		msg := fmt.Sprintf("attempt %d of %d: %s; trying again in %s (%s)", attempt, def.Retries.attempts(), o.describe(r.Runner), wait, why)
		d.line(ctx, r, "dora: "+msg)
		if err := d.Store.willRetry(ctx, r.ID, msg, time.Now().Add(wait), exitCode(o)); err != nil {
			return true, err
		}
		return d.backoff(ctx, r, wait, w)
	}
	reason := o.describe(r.Runner)
	if attempt > 1 {
		reason += fmt.Sprintf(" (attempt %d of %d)", attempt, def.Retries.attempts())
	}
	return true, d.finish(ctx, r, Failed, exitCode(o), reason)
}

// backoff waits before the next attempt; done is true when a cancel ended the run meanwhile.
func (d *Driver) backoff(ctx context.Context, r *Run, wait time.Duration, w *watch) (bool, error) {
	t := time.NewTimer(max(0, wait))
	defer t.Stop()
	select {
	case <-t.C:
		return false, nil
	case <-w.cancel:
		return true, d.finish(ctx, r, Cancelled, nil, "cancelled by "+w.why+" while waiting to try again")
	case <-w.lost:
		return true, errLost
	case <-ctx.Done():
		return true, ctx.Err()
	}
}

func exitCode(o outcome) *int {
	if o.startErr != nil || o.exit.Infra {
		return nil
	}
	c := o.exit.Code
	return &c
}

// finish ends the run (unless another process ended it first) and says so in its log.
func (d *Driver) finish(ctx context.Context, r *Run, to State, code *int, reason string) error {
	ctx = context.WithoutCancel(ctx)
	ok, err := d.Store.Finish(ctx, r.ID, to, code, reason)
	if err != nil || !ok {
		return err
	}
	line := "dora: run " + string(to)
	if reason != "" {
		line += ": " + reason
	}
	d.line(ctx, r, line)
	return nil
}

// line adds a line of dora's to the run's log; a log that cannot be written does not stop the
// run.
func (d *Driver) line(ctx context.Context, r *Run, s string) {
	d.Store.AppendLine(context.WithoutCancel(ctx), r.ID, s)
}

// logWriter stores what a task prints, a few times a second, skipping what is stored already
// (when a watcher takes over a running task, its log is read again from the start).
type logWriter struct {
	store *Store
	id    string
	mu    sync.Mutex
	skip  int64
	buf   []byte
	stop  chan struct{}
	done  chan struct{}
}

func newLogWriter(s *Store, id string, skip int64) *logWriter {
	w := &logWriter{store: s, id: id, skip: skip, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				w.mu.Lock()
				w.flush()
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	if w.skip > 0 {
		k := min(w.skip, int64(len(p)))
		p, w.skip = p[k:], w.skip-k
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) >= logChunk {
		w.flush()
	}
	return n, nil
}

func (w *logWriter) flush() {
	if len(w.buf) == 0 {
		return
	}
	if err := w.store.AppendLog(context.Background(), w.id, w.buf, true); err == nil {
		w.buf = w.buf[:0]
	}
}

// Close stores what is left; it may be called more than once.
func (w *logWriter) Close() error {
	w.mu.Lock()
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	w.mu.Unlock()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flush()
	return nil
}
