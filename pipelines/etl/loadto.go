package etl

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/internal/xdg"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/load"
)

// LoadResult is the load of a published version into load_to's backend, as dora etl run --json
// prints it under "load".
type LoadResult struct {
	Backend      string `json:"backend"`
	Table        string `json:"table"`
	Source       string `json:"source"` // iceberg:NAMESPACE.TABLE@SNAPSHOT, the version loaded
	RowsRead     int64  `json:"rows_read"`
	RowsLoaded   int64  `json:"rows_loaded"`
	DeadLettered int64  `json:"dead_lettered"`
	DeadLetter   string `json:"dead_letter_file,omitempty"`
	Index        string `json:"index,omitempty"`
	Published    bool   `json:"published"` // the load's own publish: the backend's table shows it
	Error        string `json:"error,omitempty"`
}

// LoadToError is a load_to that failed after its run published: the version is in the
// catalog, only the backend's copy is missing. It says how to load it again.
type LoadToError struct{ Err error }

func (e *LoadToError) Error() string { return e.Err.Error() }
func (e *LoadToError) Unwrap() error { return e.Err }

// OpenBackend opens load_to's backend name to write, a URL, and returns the URL too: a DuckDB
// file that does not exist yet is created. It is Options.OpenBackend when that is nil; the CLI
// and the workbench pass theirs, which also know the config file's backend names.
func OpenBackend(ctx context.Context, name string) (backends.Backend, string, error) {
	if path, ok := duckdb.PathOf(name); ok {
		b, err := duckdb.OpenToWrite(ctx, path)
		return b, name, err
	}
	b, err := backends.Open(ctx, name)
	return b, name, err
}

// loadTo loads the version s published into to.Backend as to.Table, as dora load
// iceberg:TABLE@SNAPSHOT does, and records it in s.Load.
func loadTo(ctx context.Context, to *LoadTo, cat *catalog.Catalog, s *Summary, opts Options) error {
	ref := load.IcebergRef{Table: s.Table, Snapshot: s.SnapshotID}
	lt := &LoadResult{Backend: backends.Redact(to.Backend), Table: to.Table, Source: ref.String()}
	s.Load = lt
	failed := func(err error) error {
		lt.Error = err.Error()
		return &LoadToError{fmt.Errorf("%s version %d IS published, but loading it into %s as %s failed: %w\n(load it again with: dora load %s --table %s --backend %s)",
			s.Table, s.SnapshotID, lt.Backend, to.Table, err, ref, to.Table, lt.Backend)}
	}
	open := opts.OpenBackend
	if open == nil {
		open = OpenBackend
	}
	b, url, err := open(ctx, to.Backend)
	if url != "" {
		lt.Backend = backends.Redact(url)
	}
	if err != nil {
		return failed(err)
	}
	defer b.Close()
	dir := opts.DeadLetterDir
	if dir == "" {
		dir = filepath.Join(xdg.StateDir(), "etl", "dead-letter")
	}
	sum, err := load.RunIceberg(ctx, b, cat, load.Options{Source: ref.String(), Table: to.Table,
		DeadLetter: filepath.Join(dir, to.Table+".ndjson")})
	lt.RowsRead, lt.RowsLoaded, lt.DeadLettered, lt.DeadLetter, lt.Index, lt.Published = sum.RowsRead, sum.Indexed, sum.DeadLettered, sum.DeadLetter, sum.Index, sum.Published
	if err != nil {
		return failed(err)
	}
	return nil
}
