package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dora-dev/dora/internal/yamlfile"
	"github.com/dora-dev/dora/pipelines/etl"
	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/load"
)

// pipelineArgs wants PIPELINE.yaml, or none when DORA_PIPELINE holds the pipeline.
func pipelineArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 1 || len(args) == 0 && os.Getenv(etl.PipelineEnv) != "" {
		return nil
	}
	return usageError{fmt.Errorf("%s takes one PIPELINE.yaml (or none, with the pipeline in %s), got %d arguments", cmd.CommandPath(), etl.PipelineEnv, len(args))}
}

// readPipelineArg reads the pipeline file args names, else the pipeline DORA_PIPELINE holds; a
// broken one exits 2.
func readPipelineArg(args []string) (*etl.Pipeline, error) {
	if len(args) == 1 {
		return readPipeline(args[0])
	}
	p, err := etl.ParsePipeline(first(os.Getenv(etl.PipelineFileEnv), etl.PipelineEnv), []byte(os.Getenv(etl.PipelineEnv)))
	var ye yamlfile.Errors
	if errors.As(err, &ye) {
		return nil, usageError{err}
	}
	return p, err
}

func addETLJobFlags(cmd *cobra.Command, job *jobFlags) {
	job.add(cmd.Flags(), jobHelp{
		asJob:   "run the pipeline as a job (see dora jobs), in a container with --runner docker; prints the run id",
		runner:  "the run goes",
		retries: "tries of the run (a run that failed before its commit published nothing; one that failed after it, in its load_to:, publishes again when tried again)",
	}, 1)
}

// runETLJob launches `dora etl run` of p as a job, as `dora jobs run` launches one: it prints
// the run's id (the run object with --json), and with --wait follows it to its end. The run gets
// the pipeline's content, the catalog and warehouse this command resolved, and this
// environment's AWS_* and ELASTICSEARCH_* settings (etl.JobDefinition).
func runETLJob(cmd *cobra.Command, p *etl.Pipeline, cf *catalogFlags, asOf, memory string, asJSON bool, f jobFlags) error {
	cfg, err := cf.config(p)
	if err != nil {
		return err
	}
	o := etl.JobOptions{Pipeline: p, Catalog: cfg, AsOf: asOf, Memory: memory, Runner: f.runner, Image: f.image,
		Retries: f.retryPolicy(), Env: load.LaunchEnv(os.Environ())}
	if err := o.Check(); err != nil {
		return usageError{err}
	}
	if o.Data, err = os.ReadFile(p.File); err != nil {
		return usageError{fmt.Errorf("reading the pipeline: %w", err)}
	}
	if o.File, err = filepath.Abs(p.File); err != nil {
		return err
	}
	if jobs.Local(f.runner) {
		if o.Dora, err = os.Executable(); err != nil {
			return err
		}
	}
	def, env, err := etl.JobDefinition(o)
	if err != nil {
		return usageError{err}
	}
	ctx := cmd.Context()
	d, err := openJobs(ctx)
	if err != nil {
		return err
	}
	defer d.Store.Close()
	r, err := d.Create(ctx, def, env, f.runner)
	if err != nil {
		return err
	}
	return launch(cmd, d, r, f.wait, asJSON)
}
