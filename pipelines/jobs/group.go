package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Group is a parent run: its children run at once, each with its own retries, and when all of
// them have succeeded the publish step runs. When a child gives up, the others are cancelled,
// nothing is published, and the parent fails saying which child and why. A load fans out this
// way: N shard children, then the publish.
type Group struct {
	Job      string            // the parent's name, as in "load orders"
	Runner   string            // the runner for every step; "" for each definition's own
	Env      map[string]string // given to every step, over the definitions' env
	Children []*Definition
	Publish  *Definition // run once every child succeeded; nil for none
}

// CreateGroup records a group's parent and its children, QUEUED; Drive(parent) runs it, in
// this process or in a detached watcher.
func (d *Driver) CreateGroup(ctx context.Context, g Group) (*Run, error) {
	return d.createGroup(ctx, g, "")
}

// RunGroup creates a group and drives it to its end in this process.
func (d *Driver) RunGroup(ctx context.Context, g Group) (*Run, error) {
	p, err := d.CreateGroup(ctx, g)
	if err != nil {
		return nil, err
	}
	return d.Drive(ctx, p.ID)
}

func (d *Driver) createGroup(ctx context.Context, g Group, retryOf string) (*Run, error) {
	if len(g.Children) == 0 {
		return nil, errors.New("a group needs at least one child")
	}
	me := Self()
	// The steps are checked first, so a bad one leaves no half-made group behind.
	steps := append([]*Definition{}, g.Children...)
	if g.Publish != nil {
		steps = append(steps, g.Publish)
	}
	for _, s := range steps {
		if _, err := ExpandCommand(s.Command, RunEnv(s, g.Env, "-", "-")); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	runner := g.Runner
	if runner == "" {
		runner = g.Children[0].RunnerName()
	}
	parent, err := d.Store.Create(ctx, NewRun{Definition: &Definition{Name: g.Job, Runner: g.Runner, Retries: Retries{Attempts: 1}}, Overrides: g.Env,
		Runner: runner, Role: RoleGroup, Publish: g.Publish, RetryOf: retryOf}, me)
	if err != nil {
		return nil, err
	}
	for _, c := range g.Children {
		if _, err := d.Store.Create(ctx, NewRun{Definition: c, Overrides: g.Env, Runner: g.Runner, Role: RoleChild, ParentID: parent.ID}, me); err != nil {
			d.finish(ctx, parent, Failed, nil, "its children could not be recorded: "+err.Error())
			return nil, err
		}
	}
	return d.Store.Get(ctx, parent.ID)
}

func (d *Driver) driveGroup(ctx context.Context, p *Run, w *watch) error {
	if _, err := d.Store.Advance(ctx, p.ID, Pending); err != nil {
		return err
	}
	if _, err := d.Store.Begin(ctx, p.ID, time.Now()); err != nil {
		return err
	}
	var children []*Run
	var publish *Run
	for _, c := range p.Children {
		if c.Role == RolePublish {
			publish = c
		} else {
			children = append(children, c)
		}
	}
	if publish == nil {
		type ended struct {
			run *Run
			err error
		}
		results := make(chan ended, len(children))
		for _, c := range children {
			go func() {
				r, err := d.Drive(ctx, c.ID)
				results <- ended{r, err}
			}()
		}
		var failed *Run
		var errs []error
		cancelAll := func(by string) {
			for _, c := range children {
				d.Store.RequestCancel(context.WithoutCancel(ctx), c.ID, by)
			}
		}
		cancelSeen := w.cancel
		for left := len(children); left > 0; {
			select {
			case res := <-results:
				left--
				if res.err != nil {
					errs = append(errs, res.err)
					continue
				}
				d.line(ctx, p, fmt.Sprintf("dora: child %s (%s) %s", res.run.ID, res.run.Job, res.run.State))
				if res.run.State != Succeeded && failed == nil {
					failed = res.run
					cancelAll(fmt.Sprintf("its group %s, as child %s %s", p.ID, failed.ID, failed.State))
				}
			case <-cancelSeen:
				cancelSeen = nil
				cancelAll(w.why + ", who cancelled its group " + p.ID)
			case <-w.lost:
				return errLost
			}
		}
		if err := errors.Join(errs...); err != nil {
			return err // ctx ended: the group is left for reconciliation
		}
		switch {
		case w.cancelled():
			return d.finish(ctx, p, Cancelled, nil, "cancelled by "+w.why+"; its children were cancelled and nothing was published")
		case failed != nil:
			why := failed.Reason
			if why == "" {
				why = string(failed.State)
			}
			return d.finish(ctx, p, Failed, nil, fmt.Sprintf("child %s (%s) %s: %s; the other children were cancelled and nothing was published",
				failed.ID, failed.Job, failed.State, why))
		}
		if p.Publish == nil {
			return d.finish(ctx, p, Succeeded, nil, fmt.Sprintf("all %d children succeeded", len(children)))
		}
		if w.cancelled() {
			return d.finish(ctx, p, Cancelled, nil, "cancelled by "+w.why+" before the publish step")
		}
		var err error
		publish, err = d.Store.Create(ctx, NewRun{Definition: p.Publish, Overrides: p.Overrides, Runner: p.Definition.Runner, Role: RolePublish, ParentID: p.ID}, Self())
		if err != nil {
			return d.finish(ctx, p, Failed, nil, "the publish step could not be recorded: "+err.Error())
		}
	}
	r, err := d.Drive(ctx, publish.ID)
	if err != nil {
		return err
	}
	d.line(ctx, p, fmt.Sprintf("dora: publish step %s (%s) %s", r.ID, r.Job, r.State))
	if r.State != Succeeded {
		return d.finish(ctx, p, Failed, nil, fmt.Sprintf("the publish step %s (%s) %s: %s", r.ID, r.Job, r.State, r.Reason))
	}
	return d.finish(ctx, p, Succeeded, nil, fmt.Sprintf("all %d children and the publish step succeeded", len(children)))
}
