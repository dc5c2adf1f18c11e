package jobs

import (
	"fmt"
	"strings"
)

// Local reports whether runner starts its runs on this machine, where they reach its files.
func Local(runner string) bool { return runner == "" || runner == DefaultRunner }

// Reach is what a run of dora needs to reach besides its image: the rule of what a container
// can reach, written once for loads and pipelines run as jobs. A run on this machine reaches
// everything; one in a container reaches only what is on the network, never a file of this
// machine.
type Reach struct {
	Who       string // the messages' subject: "a load", "a pipeline"
	Runner    string
	Image     string // needed by every runner but the local one
	Catalog   string // an Iceberg catalog the run opens; "" for none
	Warehouse string // the catalog's warehouse
	Source    string // files the run reads, checked when not ""
	Backend   string // the backend the run writes, checked when not ""
	// BackendKey names where Backend comes from in messages ("load_to:"), "" for a flag.
	BackendKey string
	Files      []File // other files of this machine the run would be handed
}

// File is a file of this machine a run would be handed by a flag.
type File struct {
	Flag, Path string
	Instead    string // what to do instead, besides the local runner
}

// Check says what a run on r.Runner cannot reach, in words that say what to do; nil when it
// reaches all of it.
func (r Reach) Check() error {
	if Local(r.Runner) {
		return nil
	}
	who := fmt.Sprintf("%s on the %s runner", r.Who, r.Runner)
	if r.Image == "" {
		return fmt.Errorf("%s needs an image whose entrypoint is dora (make image builds dora:dev)", who)
	}
	if r.Catalog != "" {
		if strings.HasPrefix(r.Catalog, "sqlite:") {
			return fmt.Errorf("%s cannot reach the catalog %s, a file of this machine: share a postgres:// catalog (DORA_CATALOG or --catalog), or use --runner local", who, r.Catalog)
		}
		if !strings.HasPrefix(r.Warehouse, "s3://") {
			return fmt.Errorf("%s cannot reach the warehouse %s, a folder of this machine: use an s3:// warehouse (DORA_WAREHOUSE or --warehouse), or --runner local", who, r.Warehouse)
		}
	}
	if r.Source != "" && !strings.HasPrefix(r.Source, "s3://") {
		return fmt.Errorf("%s cannot read the source %s, a file of this machine: point source: at s3://, or use --runner local", who, r.Source)
	}
	if path, ok := strings.CutPrefix(r.Backend, "duckdb:"); ok {
		from := ""
		if r.BackendKey != "" {
			from = " (" + r.BackendKey + ")"
		}
		return fmt.Errorf("%s cannot reach the DuckDB file %s of this machine%s: load into Elasticsearch, or use --runner local", who, path, from)
	}
	for _, f := range r.Files {
		if f.Path != "" {
			return fmt.Errorf("%s names a file of this machine, which a container does not have: use --runner local, or %s", f.Flag, f.Instead)
		}
	}
	return nil
}
