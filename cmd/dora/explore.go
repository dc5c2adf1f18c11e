package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/backends/session"
	"github.com/dora-dev/dora/tui"
	"github.com/dora-dev/dora/tui/dashscreen"
	"github.com/dora-dev/dora/tui/etlscreen"
	"github.com/dora-dev/dora/tui/explorer"
	"github.com/dora-dev/dora/views"
)

// runExplorer opens the TUI explorer on the chosen backend: on a table, a SQL line or a saved
// view (on the backend it was saved against, unless --backend says otherwise).
func runExplorer(cmd *cobra.Command, backend, table, sql, view, pipelines string) error {
	opts := explorer.Options{Table: table, SQL: sql, ViewsPath: views.DefaultPath()}
	if view != "" {
		if table != "" || sql != "" {
			return usageError{fmt.Errorf("--view opens a saved view: give it without --table or --sql")}
		}
		v, err := findView(view)
		if err != nil {
			return err
		}
		opts.View, backend = v, viewBackend(backend, v)
	}
	if !isTerminal(stdinFile()) || !isTerminal(stdoutFile()) {
		return usageError{fmt.Errorf("the explorer needs a terminal; in scripts use dora query, dora tables or dora schema")}
	}
	return openWorkbench(cmd, backend, tui.Options{Explorer: opts, ETL: etlscreen.Options{Dir: pipelines}})
}

// openWorkbench opens the workbench with w's screens on the backend chosen (--backend, else
// DORA_BACKEND, else the config's default, else the demo warehouse) and blocks until the user
// quits. The explorer names that backend in the views it saves, the Loads and ETL screens use the
// config's catalog, the Jobs screen the runs of this machine, and screen 5 the demo dashboard
// when w has none and the backend is the demo warehouse (whose tables its panels ask).
func openWorkbench(cmd *cobra.Command, backend string, w tui.Options) error {
	ctx := cmd.Context()
	c, err := loadConfig()
	if err != nil {
		return err
	}
	if choice := backendChoice(backend, c); choice != "demo" {
		w.Explorer.Backend = backends.Redact(choice) // saved with views, as the user named it
	}
	url, err := backendURL(backend)
	if err != nil {
		return err
	}
	b, err := workbenchBackend(ctx, url, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	defer b.Close()
	w.ETL.Catalog, w.ETL.OpenBackend = c.catalog(), openLoadTo
	w.Loads.Catalog = c.catalog()
	w.Jobs.Resume = startWatcher
	if w.Dash.Dashboard == nil && url == "duckdb:"+duckdb.DemoPath() {
		if d, err := loadDashboard(nil); err == nil {
			w.Dash = dashscreen.Options{Dashboard: d, Range: d.Range, Where: d.Where, WhereText: d.WhereText}
		}
	}
	return tui.Run(ctx, b, w)
}

// workbenchBackend is the workbench's session on the backend at url. The workbench opens
// whatever the backend's state: one that does not answer is tried again while the screens that
// do not need it work, and a DuckDB file that is not there yet is created, with its folder, after
// a line saying so (the demo warehouse is built first, as for every command).
func workbenchBackend(ctx context.Context, url string, stderr io.Writer) (*session.Session, error) {
	if url == "duckdb:"+duckdb.DemoPath() {
		if err := duckdb.EnsureDemo(ctx, duckdb.DemoPath(), stderr); err != nil {
			return nil, err
		}
	} else if path, ok := duckdb.PathOf(url); ok {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(stderr, "dora: %s does not exist: creating a new DuckDB workspace there\n", path)
			b, err := duckdb.OpenToWrite(ctx, path)
			if err != nil {
				return nil, err
			}
			if _, err := b.Tables(ctx); err != nil { // the first touch creates the file
				return nil, fmt.Errorf("creating %s: %w", path, err)
			}
			b.Close()
		}
	}
	s := session.New(url, func(ctx context.Context) (backends.Backend, error) { return backends.Open(ctx, url) })
	first, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s.Backend(first) // opened now if it answers; else the workbench says so and tries again
	return s, nil
}
