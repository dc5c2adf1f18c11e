package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dora-dev/dora/internal/yamlfile"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/etl"
	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/load"
)

// A pipeline run as a job has no file of its own (a container has none of this machine's): the
// file's content reaches it in DORA_PIPELINE, and its name, for messages and the snapshot's
// summary, in DORA_PIPELINE_FILE. `dora etl run` without PIPELINE.yaml reads them.
const (
	pipelineEnv     = "DORA_PIPELINE"
	pipelineFileEnv = "DORA_PIPELINE_FILE"
)

// pipelineArgs wants PIPELINE.yaml, or none when DORA_PIPELINE holds the pipeline.
func pipelineArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 1 || len(args) == 0 && os.Getenv(pipelineEnv) != "" {
		return nil
	}
	return usageError{fmt.Errorf("%s takes one PIPELINE.yaml (or none, with the pipeline in %s), got %d arguments", cmd.CommandPath(), pipelineEnv, len(args))}
}

// readPipelineArg reads the pipeline file args names, else the pipeline DORA_PIPELINE holds; a
// broken one exits 2.
func readPipelineArg(args []string) (*etl.Pipeline, error) {
	if len(args) == 1 {
		return readPipeline(args[0])
	}
	p, err := etl.ParsePipeline(first(os.Getenv(pipelineFileEnv), pipelineEnv), []byte(os.Getenv(pipelineEnv)))
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
// the pipeline's content, the catalog and warehouse this command resolved (DORA_CATALOG,
// DORA_WAREHOUSE; a postgres password in PGPASSWORD, so the run record redacts it), and this
// environment's AWS_* and ELASTICSEARCH_* settings.
func runETLJob(cmd *cobra.Command, p *etl.Pipeline, cf *catalogFlags, asOf, memory string, asJSON bool, f jobFlags) error {
	ctx := cmd.Context()
	cfg, err := cf.config(p)
	if err != nil {
		return err
	}
	local := f.runner == jobs.DefaultRunner
	if !local {
		if err := reachableFromContainer(p, cfg, f); err != nil {
			return usageError{err}
		}
	}
	data, err := os.ReadFile(p.File)
	if err != nil {
		return usageError{fmt.Errorf("reading the pipeline: %w", err)}
	}
	file, err := filepath.Abs(p.File)
	if err != nil {
		return err
	}
	env := load.LaunchEnv(os.Environ())
	env[pipelineEnv], env[pipelineFileEnv] = string(data), file
	catalogEnv(cfg, env)
	// Container images start dora as their entrypoint; the local runner starts this binary.
	var argv []string
	if local {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		argv = append(argv, self)
	}
	argv = append(argv, "etl", "run")
	if asOf != "" {
		argv = append(argv, "--as-of", asOf)
	}
	if memory != "" {
		argv = append(argv, "--memory", memory)
	}
	def := &jobs.Definition{Name: "etl " + p.Table, Image: f.image, Command: argv, Runner: f.runner,
		Retries: f.retryPolicy(), Tags: map[string]string{"etl": p.Table}}
	if local {
		def.Image = ""
	}
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

// reachableFromContainer refuses what a container cannot reach: this machine's files, as the
// source, the catalog, the warehouse or load_to's DuckDB file.
func reachableFromContainer(p *etl.Pipeline, cfg catalog.Config, f jobFlags) error {
	where := fmt.Sprintf("a pipeline on the %s runner", f.runner)
	switch {
	case f.image == "":
		return fmt.Errorf("%s needs an image whose entrypoint is dora (make image builds dora:dev)", where)
	case strings.HasPrefix(cfg.Catalog, "sqlite:"):
		return fmt.Errorf("%s cannot reach the catalog %s, a file of this machine: share a postgres:// catalog (DORA_CATALOG or --catalog), or use --runner local", where, cfg.Catalog)
	case !strings.HasPrefix(cfg.Warehouse, "s3://"):
		return fmt.Errorf("%s cannot reach the warehouse %s, a folder of this machine: use an s3:// warehouse (DORA_WAREHOUSE or --warehouse), or --runner local", where, cfg.Warehouse)
	case !strings.HasPrefix(p.Source, "s3://"):
		return fmt.Errorf("%s cannot read the source %s, a file of this machine: point source: at s3://, or use --runner local", where, p.Source)
	case p.LoadTo != nil && strings.HasPrefix(p.LoadTo.Backend, "duckdb:"):
		return fmt.Errorf("%s cannot load into the DuckDB file %s of this machine (load_to:): load into Elasticsearch, or use --runner local", where, strings.TrimPrefix(p.LoadTo.Backend, "duckdb:"))
	}
	return nil
}

// catalogEnv sets DORA_CATALOG and DORA_WAREHOUSE for a run. A postgres catalog's password
// goes into PGPASSWORD, which the driver reads when the URL has none and which the run record
// shows as **** (its name ends in PASSWORD), where the URL would show it.
func catalogEnv(cfg catalog.Config, env map[string]string) {
	env["DORA_WAREHOUSE"] = cfg.Warehouse
	u, err := url.Parse(cfg.Catalog)
	if err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env["PGPASSWORD"] = pw
			u.User = url.User(u.User.Username())
			cfg.Catalog = u.String()
		}
	}
	env["DORA_CATALOG"] = cfg.Catalog
}
