package etl

import (
	"maps"

	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/jobs"
)

// A pipeline run as a job has no file of its own (a container has none of this machine's): the
// file's content reaches it in PipelineEnv, and its name, for messages and the snapshot's
// summary, in PipelineFileEnv. `dora etl run` without PIPELINE.yaml reads them.
const (
	PipelineEnv     = "DORA_PIPELINE"
	PipelineFileEnv = "DORA_PIPELINE_FILE"
)

// JobOptions say how a pipeline runs as a job: one `dora etl run` on Runner, beside the load
// as a job (load.JobOptions).
type JobOptions struct {
	Pipeline *Pipeline
	Data     []byte         // the pipeline file's content, handed to the run in PipelineEnv
	File     string         // its absolute path, in PipelineFileEnv
	Catalog  catalog.Config // resolved: the catalog and warehouse the run opens
	AsOf     string         // --as-of, passed on as given; "" for none
	Memory   string         // --memory, passed on; "" for none
	Runner   string
	Image    string // the image of docker and ecs runs, whose entrypoint is dora
	Dora     string // the binary local runs start
	Retries  jobs.Retries
	// Env is the launching environment's part the run needs (load.LaunchEnv): AWS_* and
	// ELASTICSEARCH_* settings.
	Env map[string]string
}

// Check refuses what the run cannot reach (jobs.Reach): this machine's files, as the source,
// the catalog, the warehouse or load_to's DuckDB file.
func (o JobOptions) Check() error {
	r := jobs.Reach{Who: "a pipeline", Runner: o.Runner, Image: o.Image, Catalog: o.Catalog.Catalog,
		Warehouse: o.Catalog.Warehouse, Source: o.Pipeline.Source}
	if o.Pipeline.LoadTo != nil {
		r.Backend, r.BackendKey = o.Pipeline.LoadTo.Backend, "load_to:"
	}
	return r.Check()
}

// JobDefinition is the definition of the run and the environment it is launched with: the
// pipeline's content, the catalog (catalog.Config.Env: a postgres password in PGPASSWORD, which
// the run record redacts) and o.Env.
func JobDefinition(o JobOptions) (*jobs.Definition, map[string]string, error) {
	if err := o.Check(); err != nil {
		return nil, nil, err
	}
	env := maps.Clone(o.Env)
	if env == nil {
		env = map[string]string{}
	}
	env[PipelineEnv], env[PipelineFileEnv] = string(o.Data), o.File
	o.Catalog.Env(env)
	// Container images start dora as their entrypoint; the local runner starts the binary.
	var argv []string
	local := jobs.Local(o.Runner)
	if local {
		argv = append(argv, o.Dora)
	}
	argv = append(argv, "etl", "run")
	if o.AsOf != "" {
		argv = append(argv, "--as-of", o.AsOf)
	}
	if o.Memory != "" {
		argv = append(argv, "--memory", o.Memory)
	}
	def := &jobs.Definition{Name: "etl " + o.Pipeline.Table, Image: o.Image, Command: argv, Runner: o.Runner,
		Retries: o.Retries, Tags: map[string]string{"etl": o.Pipeline.Table}}
	if local {
		def.Image = ""
	}
	return def, env, nil
}
