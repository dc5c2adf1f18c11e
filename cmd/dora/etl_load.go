package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/pipelines/etl"
	"github.com/dora-dev/dora/tui/format"
)

// finishRun prints the run, and the load of the version it published where the pipeline's
// load_to: said, and returns what the command exits with: a stopped run exits 4, a failed
// load_to (*etl.LoadToError) says that the version is published.
func finishRun(cmd *cobra.Command, s *etl.Summary, planOnly, asJSON bool, runErr error) error {
	out := cmd.OutOrStdout()
	if asJSON {
		if err := writeJSON(out, s); err != nil {
			return err
		}
	} else {
		printSummary(out, s, planOnly)
		printLoadTo(out, s.Load)
	}
	var stop *etl.StoppedError
	if errors.As(runErr, &stop) {
		return stoppedExit{runErr}
	}
	return runErr
}

// openLoadTo opens load_to's backend, a URL or a name of the config file, to write.
func openLoadTo(ctx context.Context, name string) (backends.Backend, string, error) {
	url, err := backendURL(name)
	if err != nil {
		return nil, "", err
	}
	b, err := openBackendToWrite(ctx, url)
	return b, url, err
}

// printLoadTo prints a load_to's reconciliation: rows read = loaded + set aside.
func printLoadTo(w io.Writer, lt *etl.LoadResult) {
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
