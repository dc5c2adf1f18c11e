package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dora-dev/dora/internal/proc"
)

// Reconcile looks at every run that has not ended and whose watcher is gone (its pid ended on
// this machine, or no heartbeat for StaleAfter), and settles it with its engine: a task that
// still runs gets a new watcher (Resume); one that exited has its exit and log recorded here and
// now, or is retried as its definition says; one the engine no longer knows fails, in words.
// A run its watcher never started fails, or is cancelled when that was asked. Every dora
// process that opens the store calls it, so nothing stays RUNNING for ever after dora is killed.
func (d *Driver) Reconcile(ctx context.Context) error {
	runs, err := d.Store.Active(ctx)
	if err != nil {
		return err
	}
	active := map[string]bool{}
	for _, r := range runs {
		active[r.ID] = true
	}
	me := Self()
	var errs []error
	for _, r := range runs {
		if r.ParentID != "" && active[r.ParentID] {
			continue // its parent's watcher drives it, and takes it over with the parent
		}
		if !watcherGone(r, me, time.Now()) {
			continue
		}
		if ok, err := d.Store.claimFrom(ctx, r, me); err != nil || !ok {
			if err != nil {
				errs = append(errs, err)
			}
			continue // another process got there first
		}
		if err := d.reconcile(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("reconciling run %s: %w", r.ID, err))
		}
	}
	return errors.Join(errs...)
}

func watcherGone(r *Run, me Watcher, now time.Time) bool {
	switch {
	case r.Watcher.PID == 0:
		return true
	case r.Watcher == me:
		return false
	case r.Watcher.Host == me.Host && !proc.Alive(r.Watcher.PID):
		return true
	}
	return now.Sub(r.Heartbeat) > StaleAfter
}

// Finder is a runner that can find a task from its run and attempt alone (by its labels, by its
// files): for a watcher that died after asking the runner to start a task and before recording
// the answer. Runners need not be one.
type Finder interface {
	Find(ctx context.Context, runID string, attempt int) (h Handle, found bool, err error)
}

func (d *Driver) reconcile(ctx context.Context, r *Run) error {
	gone := fmt.Sprintf("its watcher (%s) ended", r.Watcher)
	if r.Role == RoleGroup || r.State == Running && !r.RetryAt.IsZero() {
		return d.Detach(ctx, r.ID)
	}
	if r.RunnerID == "" && r.State != Queued {
		found, err := d.find(ctx, r)
		if err != nil {
			return err
		}
		if found {
			return d.reconcile(ctx, r)
		}
	}
	switch {
	case r.RunnerID != "":
	case r.CancelRequested != "":
		return d.finish(ctx, r, Cancelled, nil, "cancelled by "+r.CancelRequested+" before it started")
	case r.State == Queued:
		return d.finish(ctx, r, Failed, nil, gone+" before it started; nothing ran")
	default:
		return d.finish(ctx, r, Failed, nil, fmt.Sprintf("%s while the %s runner was starting attempt %d, and no task of it was found", gone, r.Runner, r.Attempts))
	}
	rn, err := d.runner(ctx, r.Runner)
	if err != nil {
		return err
	}
	st, err := rn.Inspect(ctx, Handle{Runner: r.Runner, ID: r.RunnerID})
	if err != nil {
		return fmt.Errorf("asking the %s runner about %s: %w", r.Runner, r.RunnerID, err)
	}
	o := outcome{exit: st.Exit}
	if !st.Exited {
		o.exit = Exit{Infra: true}
	}
	if retry, _ := retryable(&r.Definition, o, r.Attempts); st.Running || retry {
		return d.Detach(ctx, r.ID)
	}
	_, err = d.Drive(ctx, r.ID) // it has ended: record how, here and now
	return err
}

// find asks the run's runner for the task of its current attempt, recording it when found.
func (d *Driver) find(ctx context.Context, r *Run) (bool, error) {
	rn, err := d.runner(ctx, r.Runner)
	if err != nil {
		return false, err
	}
	f, ok := rn.(Finder)
	if !ok {
		return false, nil
	}
	h, found, err := f.Find(ctx, r.ID, r.Attempts)
	if err != nil || !found {
		return false, err
	}
	// When it started is not known: its timeout counts from now.
	return true, d.started(ctx, r, h)
}

// Detach hands a run this process watches to a new watcher, through Resume: the CLI's
// `dora jobs run` without --wait ends here, and so does a reconciled run whose task runs on.
func (d *Driver) Detach(ctx context.Context, id string) error {
	if d.Resume == nil {
		go d.Drive(context.WithoutCancel(ctx), id)
		return nil
	}
	pid, err := d.Resume(ctx, id)
	if err != nil {
		return fmt.Errorf("starting a watcher: %w", err)
	}
	// The new watcher claims the run itself; naming it here too keeps another process from
	// taking the run over should this one end before the watcher starts.
	_, err = d.Store.db.ExecContext(ctx, `UPDATE runs SET watcher_pid = ? WHERE id = ? AND watcher_pid = ? AND watcher_host = ?`,
		pid, id, Self().PID, Self().Host)
	return err
}
