package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/load"
)

// jobFlags are the flags of a command that can run as a job instead (dora load, dora etl run).
type jobFlags struct {
	asJob, wait   bool
	runner, image string
	retries       int
}

// jobHelp is what a command's job flags say: what --as-job launches, what --runner runs, what
// --retries tries.
type jobHelp struct{ asJob, runner, retries string }

func (f *jobFlags) add(fs *pflag.FlagSet, h jobHelp, retries int) {
	fs.BoolVar(&f.asJob, "as-job", false, h.asJob)
	fs.StringVar(&f.runner, "runner", jobs.DefaultRunner, "with --as-job: where "+h.runner+" (local, docker, ecs, kubernetes)")
	fs.StringVar(&f.image, "image", "dora:dev", "with --as-job on docker, ecs or kubernetes: the image, whose entrypoint is dora (make image builds dora:dev)")
	fs.IntVar(&f.retries, "retries", retries, "with --as-job: "+h.retries)
	fs.BoolVar(&f.wait, "wait", false, "with --as-job: follow the job until it ends; exit 0 when it succeeded, 1 otherwise")
}

// check refuses job flags (and more, the command's own) without --as-job.
func (f *jobFlags) check(cmd *cobra.Command, more ...string) error {
	if !f.asJob {
		for _, name := range append([]string{"runner", "image", "retries", "wait"}, more...) {
			if cmd.Flags().Changed(name) {
				return usageError{fmt.Errorf("--%s needs --as-job", name)}
			}
		}
		return nil
	}
	if f.retries < 1 {
		return usageError{fmt.Errorf("--retries wants 1 or more")}
	}
	return nil
}

// retryPolicy retries a dora command that exited 1 (it failed) or 3 (a service was
// unavailable), and one that did not start; 2 (bad input) is not worth another try.
func (f *jobFlags) retryPolicy() jobs.Retries {
	return jobs.Retries{Attempts: f.retries, OnExitCodes: []int{exitFailure, exitUnavailable}, OnInfraFailure: true, Backoff: 2 * time.Second}
}

// loadJobFlags are dora load's flags for running the load as a job.
type loadJobFlags struct {
	jobFlags
	shards int
}

func (f *loadJobFlags) add(fs *pflag.FlagSet) {
	f.jobFlags.add(fs, jobHelp{
		asJob:   "run the load as a job: --shards runs of dora load --shard, then the publish, children of one run whose id is printed",
		runner:  "the shards run",
		retries: "tries of each shard and of the publish (a failed or unreachable one is tried again; its rows' ids keep a retry from adding copies)",
	}, 3)
	fs.IntVar(&f.shards, "shards", 1, "with --as-job: how many runs share the source files")
}

// check refuses job flags without --as-job, and flags --as-job decides itself.
func (f *loadJobFlags) check(cmd *cobra.Command) error {
	if err := f.jobFlags.check(cmd, "shards"); err != nil || !f.asJob {
		return err
	}
	for _, name := range []string{"shard", "publish", "resume"} {
		if cmd.Flags().Changed(name) {
			return usageError{fmt.Errorf("--%s and --as-job do not go together: the job runs the shards and the publish itself", name)}
		}
	}
	if f.shards < 1 {
		return usageError{fmt.Errorf("--shards wants 1 or more")}
	}
	return nil
}

// runLoadJob launches the load as a group of runs, as `dora jobs run` launches a job: it prints
// the parent's id (the run object with --json), and with --wait follows it to its end. Each
// shard gets the launching environment's AWS_* and ELASTICSEARCH_* settings.
func runLoadJob(cmd *cobra.Command, backendFlag string, opts load.Options, mapping string, asJSON bool, f loadJobFlags, cf *catalogFlags) error {
	ctx := cmd.Context()
	url, err := backendURL(backendFlag)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if mapping != "" {
		if mapping, err = filepath.Abs(mapping); err != nil {
			return err
		}
	}
	if opts.DeadLetter != "" && f.runner == jobs.DefaultRunner {
		if opts.DeadLetter, err = filepath.Abs(opts.DeadLetter); err != nil {
			return err
		}
	}
	o := load.JobOptions{Load: opts, Backend: url, Shards: f.shards, Runner: f.runner, Image: f.image,
		Dora: self, Mapping: mapping, Env: load.LaunchEnv(os.Environ()), Retries: f.retryPolicy()}
	if load.IsIceberg(opts.Source) {
		if o.Catalog, err = cf.config(nil); err != nil {
			return err
		}
	}
	if err := o.Check(); err != nil {
		return usageError{err}
	}
	g, err := load.PlanJob(ctx, o)
	if err != nil {
		return err
	}
	d, err := openJobs(ctx)
	if err != nil {
		return err
	}
	defer d.Store.Close()
	p, err := d.CreateGroup(ctx, g)
	if err != nil {
		return err
	}
	return launch(cmd, d, p, f.wait, asJSON)
}
