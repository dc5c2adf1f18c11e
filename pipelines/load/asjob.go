package load

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/decode"
	"github.com/dora-dev/dora/pipelines/jobs"
)

// JobOptions say how a load runs as a job: Shards children, each `dora load --shard I/N` into
// one version, then `dora load --publish` of that version, all children of one parent run.
type JobOptions struct {
	Load    Options // Source, Table, Format, IDColumns, Types, Workers, BatchBytes, DeadLetter, Keep; Version
	Backend string  // the backend's URL, as the children reach it
	Shards  int
	Runner  string
	// Image is the image of docker, ecs and kubernetes runs; its entrypoint is dora (make image builds
	// dora:dev so).
	Image string
	// Dora is the binary local runs start; container runs start the image's entrypoint.
	Dora    string
	Mapping string // a --mapping file, for the local runner only
	Retries jobs.Retries
	// Env reaches every step unchanged, over the definitions' env (secrets are only redacted
	// where the run is shown).
	Env map[string]string
	// Catalog is where an iceberg: source is found (PlanJob pins it and hands it to the runs).
	Catalog catalog.Config
}

// Check refuses a load job that cannot run: no source, table, backend or shard, or what the
// runner's runs cannot reach (jobs.Reach).
func (o JobOptions) Check() error {
	l := o.Load
	if l.Source == "" || l.Table == "" || o.Backend == "" {
		return fmt.Errorf("a load job needs a source, a table and a backend")
	}
	if o.Shards < 1 {
		return fmt.Errorf("a load job needs at least one shard, not %d", o.Shards)
	}
	if jobs.Local(o.Runner) && o.Dora == "" {
		return fmt.Errorf("a local load job needs the dora binary")
	}
	r := jobs.Reach{Who: "a load", Runner: o.Runner, Image: o.Image, Backend: o.Backend,
		Files: []jobs.File{{Flag: "--mapping", Path: o.Mapping, Instead: "let the mapping be inferred"}}}
	if IsIceberg(l.Source) {
		if _, err := ParseIceberg(l.Source); err != nil {
			return err
		}
		cfg := o.Catalog.Resolve()
		r.Catalog, r.Warehouse = cfg.Catalog, cfg.Warehouse
	}
	return r.Check()
}

// PlanJob is the group of runs a load as a job launches, for dora load --as-job and any screen
// that launches one: it checks the options, pins an iceberg: source to its current snapshot so
// every shard reads the same version, and hands the runs the catalog it is found in.
func PlanJob(ctx context.Context, o JobOptions) (jobs.Group, error) {
	if err := o.Check(); err != nil {
		return jobs.Group{}, err
	}
	if IsIceberg(o.Load.Source) {
		ref, _ := ParseIceberg(o.Load.Source) // Check parsed it
		cfg := o.Catalog.Resolve()
		cat, err := catalog.Open(ctx, cfg)
		if err != nil {
			return jobs.Group{}, err
		}
		defer cat.Close()
		if ref, err = PinIceberg(ctx, cat, ref); err != nil {
			return jobs.Group{}, err
		}
		o.Load.Source = ref.String()
		o.Env = maps.Clone(o.Env)
		if o.Env == nil {
			o.Env = map[string]string{}
		}
		cfg.Env(o.Env)
	}
	return JobGroup(o)
}

// LaunchEnv is the part of environ a load's children need to reach what the launcher reaches:
// the AWS_* settings (S3: endpoint, region, credentials) and the ELASTICSEARCH_* ones.
func LaunchEnv(environ []string) map[string]string {
	env := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "ELASTICSEARCH_") {
			env[k] = v
		}
	}
	return env
}

// JobGroup is the group of runs that loads o.Load.Source into o.Load.Table, built from the
// options alone (PlanJob pins an iceberg: source first). The version is o.Load.Version, or a
// new one when that is empty.
func JobGroup(o JobOptions) (jobs.Group, error) {
	if err := o.Check(); err != nil {
		return jobs.Group{}, err
	}
	l, local := o.Load, jobs.Local(o.Runner)
	version := l.Version
	if version == "" {
		version = NewVersion(time.Now())
	}
	// Container images start dora as their entrypoint; the local runner starts the binary.
	prog := []string{}
	if local {
		prog = []string{o.Dora}
	}
	common := []string{"--table", l.Table, "--version", version, "--backend", o.Backend}
	shardArgs := append([]string{"load", l.Source}, common...)
	if l.Format != "" && l.Format != decode.FormatAuto {
		shardArgs = append(shardArgs, "--format", l.Format)
	}
	if len(l.IDColumns) > 0 {
		shardArgs = append(shardArgs, "--id", strings.Join(l.IDColumns, ","))
	}
	if len(l.Types) > 0 {
		shardArgs = append(shardArgs, "--type", FormatTypes(l.Types))
	}
	if l.Workers > 0 {
		shardArgs = append(shardArgs, "--workers", strconv.Itoa(l.Workers))
	}
	if l.BatchBytes > 0 {
		shardArgs = append(shardArgs, "--batch-bytes", strconv.Itoa(l.BatchBytes))
	}
	if l.DeadLetter != "" {
		shardArgs = append(shardArgs, "--dead-letter", l.DeadLetter)
	}
	if o.Mapping != "" {
		shardArgs = append(shardArgs, "--mapping", o.Mapping)
	}
	step := func(name string, args []string) *jobs.Definition {
		return &jobs.Definition{Name: name, Image: o.Image, Command: append(append([]string{}, prog...), args...),
			Retries: o.Retries, Runner: o.Runner, Tags: map[string]string{"load": l.Table, "version": version}}
	}
	g := jobs.Group{Job: "load " + l.Table, Runner: o.Runner, Env: o.Env}
	for i := range o.Shards {
		shard := fmt.Sprintf("%d/%d", i, o.Shards)
		g.Children = append(g.Children, step(fmt.Sprintf("load %s shard %s", l.Table, shard),
			append(append([]string{}, shardArgs...), "--shard", shard)))
	}
	publish := append([]string{"load"}, append(common, "--publish")...)
	if l.Keep > 0 {
		publish = append(publish, "--keep", strconv.Itoa(l.Keep))
	}
	g.Publish = step("load "+l.Table+" publish", publish)
	return g, nil
}
