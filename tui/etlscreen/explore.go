package etlscreen

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/load"
	"github.com/dora-dev/dora/tui/screen"
)

// The quarantine (an NDJSON file) and a version (an Iceberg snapshot's Parquet files) are not
// tables a backend can open, so each is loaded once, through the loader as `dora load` does,
// into a DuckDB file of its own under the state folder, which the explorer then opens. A file
// per export means the explorer never holds a file another load writes into.

var unsafe = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// tableName is a DuckDB table name made of parts: film.movies + journal -> film_movies_journal.
func tableName(parts ...string) string {
	var s string
	for i, p := range parts {
		if i > 0 {
			s += "_"
		}
		s += unsafe.ReplaceAllString(p, "_")
	}
	return s
}

// exportDir is where the explorable DuckDB files go.
func (m *Model) exportDir() string { return filepath.Join(m.opts.StateDir, "etl", "explore") }

// exportTo loads source into table of a new DuckDB file at path and opens it in the explorer; a
// file already there holds the same rows and is opened as it is.
func exportTo(ctx context.Context, source, format, path, table string) tea.Msg {
	open := screen.Open{BackendURL: "duckdb:" + path, Table: table}
	if _, err := os.Stat(path); err == nil {
		return exploreMsg{open: open}
	}
	b, err := duckdb.OpenToWrite(ctx, path+".part")
	if err != nil {
		return exploreMsg{err: err}
	}
	_, err = load.Run(ctx, b, load.Options{Source: source, Table: table, Format: format, Workers: 2,
		DeadLetter: path + ".dead-letter.ndjson", Checkpoint: path + ".checkpoint.json", NoHistory: true})
	b.Close()
	os.Remove(path + ".checkpoint.json")
	if err == nil {
		err = os.Rename(path+".part", path)
	}
	if err != nil {
		os.Remove(path + ".part")
		return exploreMsg{err: fmt.Errorf("loading %s for the explorer: %w", source, err)}
	}
	return exploreMsg{open: open}
}

// exploreQuarantine opens the quarantine of the plan or run shown.
func (m *Model) exploreQuarantine() tea.Cmd {
	r := m.detail
	if r == nil || r.Summary == nil || r.Summary.QuarantineFile == "" {
		m.setNote("no quarantine to open: enter plans the pipeline, and a plan that quarantines rows keeps them", true)
		return nil
	}
	s := r.Summary
	table := tableName(s.Table, "quarantine")
	path := filepath.Join(m.exportDir(), tableName(s.Table, s.RunID, "quarantine")+".duckdb")
	m.exporting = table
	ctx, file := m.ctx, s.QuarantineFile
	return func() tea.Msg { return exportTo(ctx, file, "ndjson", path, table) }
}

// exploreVersion opens a version of the selected table: its journal when it keeps one.
func (m *Model) exploreVersion() tea.Cmd {
	p, v := m.selected(), m.selectedVersion()
	if p == nil || p.P == nil || v == nil {
		m.setNote("no version to open: p publishes one", true)
		return nil
	}
	what := "rows"
	if p.P.Journal != nil {
		what = "journal"
	}
	table := tableName(p.P.Table, what)
	path := filepath.Join(m.exportDir(), tableName(p.P.Table, fmt.Sprint(v.ID))+".duckdb")
	m.exporting = table
	ctx, cfg, name, id, dir := m.ctx, p.Config, p.P.Table, v.ID, m.exportDir()
	return func() tea.Msg {
		if _, err := os.Stat(path); err == nil {
			return exploreMsg{open: screen.Open{BackendURL: "duckdb:" + path, Table: table}}
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return exploreMsg{err: err}
		}
		files, err := os.MkdirTemp(dir, "files-")
		if err != nil {
			return exploreMsg{err: err}
		}
		defer os.RemoveAll(files)
		var paths []string
		err = withCatalog(ctx, cfg, func(cat *catalog.Catalog) error {
			t, err := cat.Load(ctx, name)
			if err != nil {
				return err
			}
			paths, err = t.Files(ctx, id, files)
			return err
		})
		if err == nil && len(paths) == 0 {
			err = fmt.Errorf("version %d of %s holds no rows", id, name)
		}
		if err != nil {
			return exploreMsg{err: err}
		}
		for i, f := range paths { // the warehouse's own files when it is local: linked, not copied
			if filepath.Dir(f) != files {
				if err := os.Symlink(f, filepath.Join(files, fmt.Sprintf("part-%05d.parquet", i))); err != nil {
					return exploreMsg{err: err}
				}
			}
		}
		return exportTo(ctx, files, "parquet", path, table)
	}
}
