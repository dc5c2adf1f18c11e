package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/internal/xdg"
	"github.com/dora-dev/dora/internal/yamlfile"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/etl"
	"github.com/dora-dev/dora/tui/format"
)

// exitStopped is the exit code of an ETL run that a check or a validation failure stopped
// before it published anything.
const exitStopped = 4

// stoppedExit makes a stopped run exit 4 after its summary was printed.
type stoppedExit struct{ err error }

func (e stoppedExit) Error() string { return e.err.Error() }
func (e stoppedExit) Unwrap() error { return e.err }

// catalogFlags are --catalog and --warehouse, over the pipeline file, DORA_CATALOG and
// DORA_WAREHOUSE, and the config file's catalog: and warehouse:.
type catalogFlags struct{ catalog, warehouse string }

func (f *catalogFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.catalog, "catalog", "", "the Iceberg catalog: sqlite:PATH, postgres://..., or a REST catalog URL (default: DORA_CATALOG, else the config file's catalog:, else sqlite under "+xdg.DataDir()+")")
	cmd.Flags().StringVar(&f.warehouse, "warehouse", "", "where table files go: a folder or s3://bucket/root (default: DORA_WAREHOUSE, else the config file's warehouse:, else a folder beside the catalog)")
}

// open opens the catalog config names.
func (f *catalogFlags) open(ctx context.Context, p *etl.Pipeline) (*catalog.Catalog, error) {
	cfg, err := f.config(p)
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// "removed 5 files of an interrupted write to hr.people (pid 4242 on host1, run ...)": the
	// intent it comes from is read from the warehouse, so it is shown through termsafe.
	cat.SetNotify(func(msg string) { fmt.Fprintln(os.Stderr, "dora: "+termsafe.String(msg)) })
	return cat, nil
}

// config is the catalog and warehouse: the flags, else the pipeline file's settings, else the
// environment, else the config file, else the embedded default.
func (f *catalogFlags) config(p *etl.Pipeline) (catalog.Config, error) {
	cfg := catalog.Config{Catalog: f.catalog, Warehouse: f.warehouse}
	if p != nil {
		cfg.Catalog = first(cfg.Catalog, p.Catalog)
		cfg.Warehouse = first(cfg.Warehouse, p.Warehouse)
	}
	c, err := loadConfig()
	if err != nil {
		return catalog.Config{}, err
	}
	def := c.catalog()
	cfg.Catalog = first(cfg.Catalog, def.Catalog)
	cfg.Warehouse = first(cfg.Warehouse, def.Warehouse)
	return cfg.Resolve(), nil
}

// catalog is the catalog and warehouse below the flags and the pipeline file: DORA_CATALOG and
// DORA_WAREHOUSE, else the config file's catalog: and warehouse: ("" where none is set).
func (c config) catalog() catalog.Config {
	return catalog.Config{Catalog: first(os.Getenv("DORA_CATALOG"), c.Catalog), Warehouse: first(os.Getenv("DORA_WAREHOUSE"), c.Warehouse)}
}

func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func etlCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "etl",
		Short: "Write warehouse tables from pipeline files: cleanse, validate, check, journalize, publish as Iceberg",
		Long: "A pipeline file names a table and its source and what to do to the rows on the way in.\n" +
			"dora etl run publishes one Apache Iceberg snapshot, or nothing when a check fails (exit 4).\n" +
			"Tables live in the catalog DORA_CATALOG names (sqlite:PATH by default) over DORA_WAREHOUSE.",
		Example: `  dora etl plan movies.yaml
  dora etl run movies.yaml --json
  dora etl versions film.movies
  dora etl quality film.movies
  dora etl rollback film.movies --to 1234567890`,
	}
	cmd.AddCommand(etlRunCmd(false), etlRunCmd(true), etlTablesCmd(), etlVersionsCmd(), etlQualityCmd(), etlRollbackCmd())
	return cmd
}

// readPipeline reads a pipeline file; a broken one exits 2.
func readPipeline(path string) (*etl.Pipeline, error) {
	p, err := etl.ReadPipeline(path)
	var ye yamlfile.Errors
	if errors.As(err, &ye) || errors.Is(err, os.ErrNotExist) {
		return nil, usageError{err}
	}
	return p, err
}

// parseAsOf reads --as-of: an RFC 3339 time, a date (midnight UTC) or a time without zone (UTC).
func parseAsOf(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError{fmt.Errorf("--as-of %q is not a time: give 2024-01-02, 2024-01-02T06:00:00 (UTC) or 2024-01-02T06:00:00+01:00", s)}
}

func etlRunCmd(planOnly bool) *cobra.Command {
	var cf catalogFlags
	var asOf, memory string
	var asJSON bool
	var job jobFlags
	use, short := "run PIPELINE.yaml", "Run a pipeline and publish one new version of its table (exit 4 when a check stopped it)"
	if planOnly {
		use, short = "plan PIPELINE.yaml", "Everything a run does but the commit: module counts, quarantine, checks and the journal diff"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  pipelineArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := readPipelineArg(args)
			if err != nil {
				return err
			}
			at, err := parseAsOf(asOf)
			if err != nil {
				return err
			}
			if err := job.check(cmd); err != nil {
				return err
			} else if job.asJob {
				return runETLJob(cmd, p, &cf, asOf, memory, asJSON, job)
			}
			return runPipeline(cmd, p, &cf, etl.Options{AsOf: at, Memory: memory}, planOnly, asJSON)
		},
	}
	cf.add(cmd)
	cmd.Flags().StringVar(&asOf, "as-of", "", "the time the journal records the changes at (default: now)")
	cmd.Flags().StringVar(&memory, "memory", os.Getenv("DORA_ETL_MEMORY"), "DuckDB's memory limit for the run, as in 2GB (beyond it DuckDB spills to disk)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the run's summary as one JSON object")
	if !planOnly {
		addETLJobFlags(cmd, &job)
	}
	return cmd
}

// runPipeline plans or runs p here (etl.Run, with its load_to:) and prints what it did.
func runPipeline(cmd *cobra.Command, p *etl.Pipeline, cf *catalogFlags, opts etl.Options, planOnly, asJSON bool) error {
	cat, err := cf.open(cmd.Context(), p)
	if err != nil {
		return err
	}
	defer cat.Close()
	opts.QuarantineDir, opts.OpenBackend = filepath.Join(xdg.StateDir(), "etl", "quarantine"), openLoadTo
	if path := os.Getenv(pauseBeforeCommitEnv); path != "" && !planOnly {
		opts.BeforeCommit = pauseBeforeCommit(path)
	}
	do := etl.Run // and load_to:, after a publish
	if planOnly {
		do = etl.Plan
	}
	s, err := do(cmd.Context(), p, cat, opts)
	var stop *etl.StoppedError
	var lte *etl.LoadToError
	var ye yamlfile.Errors
	switch {
	case errors.As(err, &ye):
		return usageError{err}
	case err != nil && !errors.As(err, &stop) && !errors.As(err, &lte):
		return err
	}
	return finishRun(cmd, s, planOnly, asJSON, err)
}

// pauseBeforeCommitEnv names a file that, when set, a run writes the data files it is about to
// commit into, and then waits: tests kill it there to see that a crash between the data files
// and the commit leaves the table as it was.
const pauseBeforeCommitEnv = "DORA_ETL_PAUSE_BEFORE_COMMIT"

func pauseBeforeCommit(path string) func([]string) {
	return func(files []string) {
		if err := os.WriteFile(path, []byte(strings.Join(files, "\n")+"\n"), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "dora: %s: %v\n", pauseBeforeCommitEnv, err)
		}
		for {
			time.Sleep(time.Hour)
		}
	}
}

// printSummary prints what a run did for a person.
func printSummary(w io.Writer, s *etl.Summary, plan bool) {
	switch {
	case s.Published:
		fmt.Fprintf(w, "%s: published version %d (run %s, as of %s)\n", s.Table, s.SnapshotID, s.RunID, s.AsOf.Format(time.RFC3339))
	case s.Unchanged:
		fmt.Fprintf(w, "%s: nothing changed since version %d; no new version (run %s)\n", s.Table, s.SnapshotID, s.RunID)
	case s.Stopped != "":
		fmt.Fprintf(w, "%s: NOT published: %s\n", s.Table, s.Stopped)
	case plan:
		base := "a new table"
		if s.BaseSnapshot != 0 {
			base = fmt.Sprintf("version %d", s.BaseSnapshot)
		}
		fmt.Fprintf(w, "%s: plan against %s (nothing written)\n", s.Table, base)
	}
	for _, line := range s.Report(format.Int) {
		fmt.Fprintln(w, "  "+line)
	}
}

func etlTablesCmd() *cobra.Command {
	var cf catalogFlags
	cmd := &cobra.Command{
		Use:   "tables",
		Short: "List the catalog's tables",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := cf.open(cmd.Context(), nil)
			if err != nil {
				return err
			}
			defer cat.Close()
			names, err := cat.Tables(cmd.Context())
			if err != nil {
				return err
			}
			for _, n := range names {
				fmt.Fprintln(cmd.OutOrStdout(), n)
			}
			return nil
		},
	}
	cf.add(cmd)
	return cmd
}

// loadTable opens the catalog and a table of it; an unknown table exits 2.
func loadTable(ctx context.Context, cf *catalogFlags, name string) (*catalog.Catalog, *catalog.Table, error) {
	cat, err := cf.open(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	t, err := cat.Load(ctx, name)
	if err != nil {
		cat.Close()
		return nil, nil, err
	}
	return cat, t, nil
}

// versionJSON is one version as dora etl versions --json prints it.
type versionJSON struct {
	SnapshotID int64              `json:"snapshot_id"`
	ParentID   int64              `json:"parent_id,omitempty"`
	At         time.Time          `json:"at"`
	Operation  string             `json:"operation"`
	Rows       int64              `json:"rows"`
	Current    bool               `json:"current"`
	RunID      string             `json:"run_id,omitempty"`
	Checks     []etl.CheckOutcome `json:"checks,omitempty"`
	Journal    *etl.JournalDiff   `json:"journal,omitempty"`
	Summary    map[string]string  `json:"summary"`
}

func versionOf(s catalog.Snapshot) versionJSON {
	v := versionJSON{SnapshotID: s.ID, ParentID: s.ParentID, At: s.At, Operation: s.Operation, Rows: s.Rows, Current: s.Current, RunID: s.Summary[etl.PropRunID], Summary: s.Summary}
	v.Checks, v.Journal = etl.SnapshotChecks(s.Summary)
	return v
}

func etlVersionsCmd() *cobra.Command {
	var cf catalogFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "versions TABLE",
		Short: "List a table's versions (Iceberg snapshots): when, rows, the run and its check outcomes",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, t, err := loadTable(cmd.Context(), &cf, args[0])
			if err != nil {
				return err
			}
			defer cat.Close()
			var out []versionJSON
			for _, s := range t.Snapshots() {
				out = append(out, versionOf(s))
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			tb := newTable("", "snapshot", "at", "operation", "rows", "run", "checks")
			for _, v := range out {
				mark := ""
				if v.Current {
					mark = "*"
				}
				tb.add(mark, strconv.FormatInt(v.SnapshotID, 10), v.At.UTC().Format(time.RFC3339), v.Operation, format.Int(v.Rows), v.RunID, checkCounts(v.Checks))
			}
			return tb.write(cmd.OutOrStdout())
		},
	}
	cf.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the versions as JSON")
	return cmd
}

func checkCounts(cs []etl.CheckOutcome) string {
	n := map[string]int{}
	for _, c := range cs {
		n[c.Outcome]++
	}
	var parts []string
	for _, o := range []string{"pass", "warn", "fail"} {
		if n[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[o], o))
		}
	}
	return strings.Join(parts, ", ")
}

func etlRollbackCmd() *cobra.Command {
	var cf catalogFlags
	var to int64
	cmd := &cobra.Command{
		Use:   "rollback TABLE --to SNAPSHOT",
		Short: "Make an earlier version of a table current again (nothing is rewritten)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == 0 {
				return usageError{fmt.Errorf("rollback needs --to SNAPSHOT (dora etl versions %s lists them)", args[0])}
			}
			cat, t, err := loadTable(cmd.Context(), &cf, args[0])
			if err != nil {
				return err
			}
			defer cat.Close()
			if _, err := t.Snapshot(to); err != nil {
				return usageError{err}
			}
			s, err := cat.Rollback(cmd.Context(), args[0], to)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: version %d (%s rows) is current again\n", args[0], s.ID, format.Int(s.Rows))
			return nil
		},
	}
	cf.add(cmd)
	cmd.Flags().Int64Var(&to, "to", 0, "the snapshot id to make current")
	return cmd
}

func etlQualityCmd() *cobra.Command {
	var cf catalogFlags
	var version int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "quality TABLE",
		Short: "Show a version's data-quality metrics and check outcomes (default: the current version)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, t, err := loadTable(cmd.Context(), &cf, args[0])
			if err != nil {
				return err
			}
			defer cat.Close()
			q, err := etl.ReadQuality(cmd.Context(), cat, t, version)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), q)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s version %d (run %s)\n", args[0], q.SnapshotID, q.RunID)
			tb := newTable("column", "metric", "value")
			for _, m := range q.Metrics {
				v := m.Text
				if m.Value != nil {
					v = strconv.FormatFloat(*m.Value, 'f', -1, 64)
				}
				tb.add(first(m.Column, "(table)"), m.Name, v)
			}
			if err := tb.write(cmd.OutOrStdout()); err != nil {
				return err
			}
			for _, c := range q.Checks {
				fmt.Fprintf(cmd.OutOrStdout(), "%-4s  %s  (%s, %s)\n", c.Outcome, c.Check, c.Level, c.Detail)
			}
			return nil
		},
	}
	cf.add(cmd)
	cmd.Flags().Int64Var(&version, "version", 0, "the snapshot id (default: the current version)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
