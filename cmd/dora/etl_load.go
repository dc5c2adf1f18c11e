package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/internal/xdg"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/etl"
	"github.com/dora-dev/dora/pipelines/load"
	"github.com/dora-dev/dora/tui/format"
)

// etlRunJSON is what dora etl run --json prints: the run's summary and, when the pipeline has a
// load_to:, the load of the version it published.
type etlRunJSON struct {
	*etl.Summary
	Load *loadToJSON `json:"load,omitempty"`
}

// loadToJSON is the load of a published version into load_to's backend.
type loadToJSON struct {
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

// finishRun loads a published version where the pipeline's load_to: says, then prints the run
// (and the load) and returns what the command exits with: stopped (nil or a *etl.StoppedError
// from the run) first, then the load's failure, which says that the version is published.
func finishRun(cmd *cobra.Command, p *etl.Pipeline, cat *catalog.Catalog, s *etl.Summary, planOnly, asJSON bool, stopped error) error {
	var lt *loadToJSON
	var loadErr error
	if !planOnly && s.Published && p.LoadTo != nil {
		lt, loadErr = loadTo(cmd.Context(), p.LoadTo, cat, s)
	}
	out := cmd.OutOrStdout()
	if asJSON {
		if err := writeJSON(out, etlRunJSON{s, lt}); err != nil {
			return err
		}
	} else {
		printSummary(out, s, planOnly)
		printLoadTo(out, lt)
	}
	if stopped != nil {
		return stoppedExit{stopped}
	}
	return loadErr
}

// loadTo loads the version s published into to.Backend as to.Table, as dora load
// iceberg:TABLE@SNAPSHOT does.
func loadTo(ctx context.Context, to *etl.LoadTo, cat *catalog.Catalog, s *etl.Summary) (*loadToJSON, error) {
	ref := load.IcebergRef{Table: s.Table, Snapshot: s.SnapshotID}
	lt := &loadToJSON{Backend: backends.Redact(to.Backend), Table: to.Table, Source: ref.String()}
	failed := func(err error) (*loadToJSON, error) {
		lt.Error = err.Error()
		return lt, fmt.Errorf("%s version %d IS published, but loading it into %s as %s failed: %w\n(load it again with: dora load %s --table %s --backend %s)",
			s.Table, s.SnapshotID, lt.Backend, to.Table, err, ref, to.Table, lt.Backend)
	}
	url, err := backendURL(to.Backend)
	if err != nil {
		return failed(err)
	}
	lt.Backend = backends.Redact(url)
	b, err := openBackendToWrite(ctx, url)
	if err != nil {
		return failed(err)
	}
	defer b.Close()
	sum, err := load.RunIceberg(ctx, b, cat, load.Options{Source: ref.String(), Table: to.Table,
		DeadLetter: filepath.Join(xdg.StateDir(), "etl", "dead-letter", to.Table+".ndjson")})
	lt.RowsRead, lt.RowsLoaded, lt.DeadLettered, lt.DeadLetter, lt.Index, lt.Published = sum.RowsRead, sum.Indexed, sum.DeadLettered, sum.DeadLetter, sum.Index, sum.Published
	if err != nil {
		return failed(err)
	}
	return lt, nil
}

// printLoadTo prints a load_to's reconciliation: rows read = loaded + set aside.
func printLoadTo(w io.Writer, lt *loadToJSON) {
	if lt == nil || lt.Error != "" && lt.RowsRead == 0 {
		return // a failed load says why on stderr
	}
	fmt.Fprintf(w, "  %-9s %s -> %s as %s: %s rows read, %s loaded, %s set aside",
		"load_to", lt.Source, lt.Backend, lt.Table, format.Int(lt.RowsRead), format.Int(lt.RowsLoaded), format.Int(lt.DeadLettered))
	if lt.Published {
		fmt.Fprintf(w, " (%s, published as %s)", lt.Index, lt.Table)
	}
	fmt.Fprintln(w)
	if lt.DeadLetter != "" {
		fmt.Fprintf(w, "  %-9s rows set aside, with reasons: %s\n", "", lt.DeadLetter)
	}
}
