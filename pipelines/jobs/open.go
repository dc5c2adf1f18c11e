package jobs

import (
	"context"
	"fmt"
	"os"
)

// OpenOptions say where a driver keeps its runs; every field has a default.
type OpenOptions struct {
	StorePath string // the run store; DefaultStorePath() when ""
	StateDir  string // the runners' state; StateDir() when ""
	Self      string // the dora binary local runs and watchers start; os.Executable() when ""
	// Resume is the driver's Resume: how a run whose watcher is gone gets a new one.
	Resume func(ctx context.Context, id string) (pid int, err error)
}

// OpenDriver opens the run store, builds the driver over it and reconciles the active runs whose
// watcher is gone, as every dora process that opens the store does (dora jobs and the Jobs
// screen alike). A failed reconciliation leaves those runs to the next dora and the driver
// works: it comes back as warn, beside the driver. The caller closes d.Store.
func OpenDriver(ctx context.Context, o OpenOptions) (d *Driver, warn, err error) {
	if o.StorePath == "" {
		o.StorePath = DefaultStorePath()
	}
	if o.StateDir == "" {
		o.StateDir = StateDir()
	}
	if o.Self == "" {
		if o.Self, err = os.Executable(); err != nil {
			return nil, nil, fmt.Errorf("finding the dora binary: %w", err)
		}
	}
	s, err := OpenStore(ctx, o.StorePath)
	if err != nil {
		return nil, nil, err
	}
	d = &Driver{Store: s, Config: RunnerConfig{StateDir: o.StateDir, Self: o.Self}, Resume: o.Resume}
	return d, d.Reconcile(ctx), nil
}
