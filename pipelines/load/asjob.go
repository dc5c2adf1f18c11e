package load

import (
	"fmt"
	"strconv"
	"strings"
	"time"

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
	// Image is the image of docker and ecs runs; its entrypoint is dora (make image builds
	// dora:dev so).
	Image string
	// Dora is the binary local runs start; container runs start the image's entrypoint.
	Dora    string
	Mapping string // a --mapping file, for the local runner only
	Retries jobs.Retries
	// Env reaches every step unchanged, over the definitions' env (secrets are only redacted
	// where the run is shown).
	Env map[string]string
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

// JobGroup is the group of runs that loads o.Load.Source into o.Load.Table. The version is
// o.Load.Version, or a new one when that is empty.
func JobGroup(o JobOptions) (jobs.Group, error) {
	l := o.Load
	if l.Source == "" || l.Table == "" || o.Backend == "" {
		return jobs.Group{}, fmt.Errorf("a load job needs a source, a table and a backend")
	}
	if o.Shards < 1 {
		return jobs.Group{}, fmt.Errorf("a load job needs at least one shard, not %d", o.Shards)
	}
	local := o.Runner == "" || o.Runner == jobs.DefaultRunner
	if !local && strings.HasPrefix(o.Backend, "duckdb:") {
		return jobs.Group{}, fmt.Errorf("a load in a container cannot reach the DuckDB file %s: load into Elasticsearch, or use --runner local", strings.TrimPrefix(o.Backend, "duckdb:"))
	}
	if !local && o.Mapping != "" {
		return jobs.Group{}, fmt.Errorf("--mapping names a file of this machine, which a container does not have: use --runner local, or let the mapping be inferred")
	}
	if !local && o.Image == "" {
		return jobs.Group{}, fmt.Errorf("a load on the %s runner needs an image whose entrypoint is dora (make image builds dora:dev)", o.Runner)
	}
	version := l.Version
	if version == "" {
		version = NewVersion(time.Now())
	}
	// Container images start dora as their entrypoint; the local runner starts the binary.
	prog := []string{}
	if local {
		if o.Dora == "" {
			return jobs.Group{}, fmt.Errorf("a local load job needs the dora binary")
		}
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
