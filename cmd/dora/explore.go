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
	"github.com/dora-dev/dora/tui/jobscreen"
	"github.com/dora-dev/dora/views"
)

// runExplorer opens the TUI explorer on the chosen backend: on a table, a SQL line or a saved
// view (on the backend it was saved against, unless --backend says otherwise).
func runExplorer(cmd *cobra.Command, backend, table, sql, view, pipelines string) error {
	ctx := cmd.Context()
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
	c, err := loadConfig()
	if err != nil {
		return err
	}
	if choice := backendChoice(backend, c); choice != "demo" {
		opts.Backend = backends.Redact(choice) // saved with views, as the user named it
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
	w := workbench(opts, url == "duckdb:"+duckdb.DemoPath())
	w.ETL = etlscreen.Options{Dir: pipelines, Catalog: c.catalog(), OpenBackend: openLoadTo}
	w.Loads.Catalog = c.catalog()
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

// workbench is what the workbench opens besides the explorer: the jobs of this machine on screen
// 4 and, on the demo warehouse (whose tables its panels ask), the demo dashboard on screen 5.
func workbench(opts explorer.Options, demo bool) tui.Options {
	w := tui.Options{Explorer: opts, Jobs: jobscreen.Options{Resume: startWatcher}}
	if !demo {
		return w
	}
	if d, err := loadDashboard(nil); err == nil {
		w.Dashboard, w.Dash = d, dashscreen.Options{Range: d.Range, Where: d.Where, WhereText: d.WhereText}
	}
	return w
}
