package etl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/internal/proc"
	"github.com/dora-dev/dora/internal/yamlfile"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/query/sqlquote"
)

// Options steer a run.
type Options struct {
	AsOf          time.Time // the journal's clock; zero for now
	RunID         string    // "" for a new one
	WorkDir       string    // scratch space (DuckDB's spill, Parquet files); "" for the system's
	Memory        string    // DuckDB's memory limit, as in "2GB"; "" for DuckDB's default
	QuarantineDir string    // where a run's quarantined rows are written; "" for nowhere
	Attempts      int       // commits tried when other runs win the race; 0 for 5
	// BeforeCommit, when set, is called with the files about to be committed (for tests that
	// kill a run between its data files and its commit).
	BeforeCommit func(files []string)
	// OpenBackend opens load_to's backend after a publish; OpenBackend (the function) when nil.
	OpenBackend func(ctx context.Context, name string) (b backends.Backend, url string, err error)
	// DeadLetterDir holds the rows a load_to sets aside, TABLE.ndjson; the state folder's
	// etl/dead-letter when "".
	DeadLetterDir string
}

// Summary is what a run or a plan did, as `dora etl run --json` prints it.
type Summary struct {
	RunID          string           `json:"run_id"`
	Pipeline       string           `json:"pipeline"`
	Table          string           `json:"table"`
	Catalog        string           `json:"catalog"`
	AsOf           time.Time        `json:"as_of"`
	RowsIn         int64            `json:"rows_in"`
	CleansedAway   int64            `json:"cleansed_away"`
	CastFailures   map[string]int64 `json:"cast_failures,omitempty"` // values a cast turned into NULL, by column
	Quarantined    int64            `json:"quarantined"`
	TopReasons     []ReasonCount    `json:"top_reasons,omitempty"`
	QuarantineFile string           `json:"quarantine_file,omitempty"`
	RowsOut        int64            `json:"rows_out"`   // rows that passed cleanse and validate
	TableRows      int64            `json:"table_rows"` // rows of the version written (the whole journal when there is one)
	Modules        []ModuleCount    `json:"modules"`
	Journal        *JournalDiff     `json:"journal"`
	Metrics        []Metric         `json:"metrics,omitempty"`
	Checks         []CheckOutcome   `json:"checks"`
	BaseSnapshot   int64            `json:"base_snapshot_id,omitempty"` // the version the run built on
	SnapshotID     int64            `json:"snapshot_id,omitempty"`
	Published      bool             `json:"published"`
	Unchanged      bool             `json:"unchanged,omitempty"` // a journal run with nothing new: no version added
	Stopped        string           `json:"stopped,omitempty"`   // why nothing was published
	Attempts       int              `json:"attempts"`            // commits tried
	Took           time.Duration    `json:"took_ns"`
	Load           *LoadResult      `json:"load,omitempty"` // load_to's load of the version published
}

// ModuleCount is the rows into and out of one module.
type ModuleCount struct {
	Module      string `json:"module"`
	In          int64  `json:"rows_in"`
	Out         int64  `json:"rows_out"`
	Quarantined int64  `json:"quarantined"` // rows this module set aside
}

// StoppedError is a run that a failed error-level check, a validation failure or a broken
// journal stopped before it published anything.
type StoppedError struct{ Reason string }

func (e *StoppedError) Error() string { return "nothing published: " + e.Reason }

// Snapshot summary properties that dora writes, so that versions explain themselves.
const (
	PropRunID    = catalog.PropRunID
	PropPipeline = "dora.pipeline"
	PropAsOf     = "dora.as-of"
	PropChecks   = "dora.checks"
	PropMetrics  = "dora.metrics"
	PropJournal  = "dora.journal"
	PropRowsIn   = "dora.rows-in"
	PropQuar     = "dora.quarantined"
)

// QualityTable is the name, within a table's namespace, of the table of metrics per run.
const QualityTable = "_dora_quality"

type run struct {
	p    *Pipeline
	cat  *catalog.Catalog
	opts Options
	d    *duck
	work string
	s    *Summary
	// hasPrev is whether readBase found journal rows (the table "prev").
	hasPrev bool
	// journalRows is how many rows the journal has after this run (the view "result").
	journalRows int64
}

// Plan does everything a run does but the commit: it reads, cleanses, validates, measures,
// checks and journalizes, and says what a run would publish.
func Plan(ctx context.Context, p *Pipeline, cat *catalog.Catalog, opts Options) (*Summary, error) {
	return execute(ctx, p, cat, opts, false)
}

// Run plans and commits one new version of the pipeline's table, or nothing: a *StoppedError
// when a check or the validation stopped it. A run that loses the race to another run on the
// same table re-plans on the new version and tries again. After a publish, the pipeline's
// load_to: loads the version into its backend (Summary.Load; a *LoadToError when that fails,
// the version staying published). It is the one entry point of a run, for dora etl run and the
// ETL screen alike.
func Run(ctx context.Context, p *Pipeline, cat *catalog.Catalog, opts Options) (*Summary, error) {
	s, err := execute(ctx, p, cat, opts, true)
	if err != nil || !s.Published || p.LoadTo == nil {
		return s, err
	}
	return s, loadTo(ctx, p.LoadTo, cat, s, opts)
}

// NewRunID is a sortable, unique run id.
func NewRunID(now time.Time) string {
	b := make([]byte, 3)
	rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

func execute(ctx context.Context, p *Pipeline, cat *catalog.Catalog, opts Options, commit bool) (*Summary, error) {
	start := time.Now()
	if opts.AsOf.IsZero() {
		opts.AsOf = start
	}
	opts.AsOf = opts.AsOf.UTC().Truncate(time.Microsecond)
	if opts.RunID == "" {
		opts.RunID = NewRunID(start)
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 5
	}
	removeAbandoned(opts.WorkDir)
	work, err := os.MkdirTemp(opts.WorkDir, fmt.Sprintf("dora-etl-%d-", os.Getpid()))
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	d, err := openDuck(ctx, filepath.Join(work, "spill"), opts.Memory)
	if err != nil {
		return nil, err
	}
	defer d.close()
	r := &run{p: p, cat: cat, opts: opts, d: d, work: work, s: &Summary{
		RunID: opts.RunID, Pipeline: p.File, Table: p.Table, Catalog: cat.Config().String(), AsOf: opts.AsOf,
		CastFailures: map[string]int64{}, Checks: []CheckOutcome{},
	}}
	err = r.execute(ctx, commit)
	r.s.Took = time.Since(start)
	var stop *StoppedError
	if errors.As(err, &stop) {
		r.s.Stopped = stop.Reason
	}
	return r.s, err
}

func (r *run) execute(ctx context.Context, commit bool) error {
	if err := r.createQuarantine(ctx); err != nil {
		return err
	}
	n, err := r.readSource(ctx)
	if err != nil {
		return err
	}
	r.s.RowsIn = n
	cleanse := r.cleanse
	if n == 0 {
		skip, err := r.emptyBatch(ctx)
		if err != nil {
			return err
		}
		if skip {
			cleanse = func(context.Context) error { return nil }
		}
	}
	if err := r.module(ctx, "cleanse", cleanse); err != nil {
		return err
	}
	if err := r.module(ctx, "validate", r.validate); err != nil {
		return err
	}
	if err := r.quarantineSummary(ctx); err != nil {
		return err
	}
	if err := r.quarantineLimits(); err != nil {
		return err
	}
	metrics, err := r.measure(ctx)
	if err != nil {
		return err
	}
	r.s.Metrics = metrics
	r.s.RowsOut = int64(*metrics[0].Value)
	for attempt := 1; ; attempt++ {
		r.s.Attempts = attempt
		base, prevMetrics, err := r.readBase(ctx)
		if err != nil {
			return err
		}
		r.s.BaseSnapshot = base
		result := "batch"
		if r.p.Journal != nil {
			diff, err := r.journalize(ctx, r.hasPrev)
			if err != nil {
				return err
			}
			r.s.Journal = diff
			result = "result"
		}
		if r.s.Journal != nil {
			r.s.TableRows = r.journalRows
		} else if r.s.TableRows, err = r.d.count(ctx, "SELECT count(*) FROM "+result); err != nil {
			return err
		}
		r.setModule(ModuleCount{Module: "journal", In: r.s.RowsOut, Out: r.s.TableRows})
		if r.s.Checks, err = r.runChecks(ctx, metrics, prevMetrics); err != nil {
			return err
		}
		for _, c := range r.s.Checks {
			if c.Outcome == "fail" {
				return &StoppedError{Reason: fmt.Sprintf("check %q failed (%s)", c.Check, c.Detail)}
			}
		}
		if r.p.Journal != nil {
			if err := r.checkJournal(ctx); err != nil {
				return err
			}
		}
		if !commit {
			r.s.Attempts = 0
			return nil
		}
		if j := r.s.Journal; j != nil && r.hasPrev && j.Inserted+j.Changed+j.Closed+j.Reopened == 0 {
			// The same rows again: the current version already says it all.
			r.s.SnapshotID, r.s.Unchanged = base, true
			return nil
		}
		snap, err := r.commit(ctx, result, base, attempt)
		if errors.Is(err, catalog.ErrConflict) && attempt < r.opts.Attempts {
			continue
		}
		if errors.Is(err, catalog.ErrConflict) {
			return fmt.Errorf("%w; gave up after %d attempts, as other runs kept committing to %s first", err, attempt, r.p.Table)
		}
		if err != nil {
			return err
		}
		r.s.SnapshotID, r.s.Published = snap.ID, true
		if err := r.writeQuality(ctx, snap.ID); err != nil {
			return fmt.Errorf("version %d of %s is published, but its metrics were not stored: %w", snap.ID, r.p.Table, err)
		}
		return nil
	}
}

// module runs one module on batch and records the rows into and out of it.
func (r *run) module(ctx context.Context, name string, fn func(context.Context) error) error {
	counts := func() (rows, quarantined int64, err error) {
		if rows, err = r.d.count(ctx, "SELECT count(*) FROM batch"); err != nil {
			return
		}
		quarantined, err = r.d.count(ctx, "SELECT count(*) FROM quarantine")
		return
	}
	in, qin, err := counts()
	if err != nil {
		return err
	}
	if err := fn(ctx); err != nil {
		return err
	}
	out, qout, err := counts()
	if err != nil {
		return err
	}
	r.setModule(ModuleCount{name, in, out, qout - qin})
	return nil
}

func (r *run) setModule(m ModuleCount) {
	for i, old := range r.s.Modules {
		if old.Module == m.Module {
			r.s.Modules[i] = m
			return
		}
	}
	r.s.Modules = append(r.s.Modules, m)
}

// quarantineLimits stops a run whose validation says fail, or that quarantined more rows than
// max_quarantined allows.
func (r *run) quarantineLimits() error {
	v, q := r.p.Validate, r.s.Quarantined
	if q > 0 && v.OnFail == "fail" {
		return &StoppedError{Reason: fmt.Sprintf("%d rows failed validation and on_fail is fail%s", q, r.topReason())}
	}
	limit := v.MaxQuarantined
	if v.MaxFraction {
		limit *= float64(r.s.RowsIn)
	}
	if v.HasMax && float64(q) > limit {
		return &StoppedError{Reason: fmt.Sprintf("%d rows were quarantined, above max_quarantined (%s)%s", q, strconv.FormatFloat(limit, 'f', -1, 64), r.topReason())}
	}
	return nil
}

func (r *run) topReason() string {
	if len(r.s.TopReasons) == 0 {
		return ""
	}
	return "; most often: " + r.s.TopReasons[0].Reason
}

// readBase reads the table's current version: its id, its metrics, and (for a journal) its rows
// into "prev".
func (r *run) readBase(ctx context.Context) (int64, []Metric, error) {
	r.hasPrev = false
	t, err := r.cat.Load(ctx, r.p.Table)
	if errors.Is(err, catalog.ErrNoSuchTable) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	cur := t.Current()
	if cur == nil {
		return 0, nil, nil
	}
	var prev []Metric
	if m := cur.Summary[PropMetrics]; m != "" {
		if err := json.Unmarshal([]byte(m), &prev); err != nil {
			prev = nil
		}
	}
	if r.p.Journal == nil {
		return cur.ID, prev, nil
	}
	dir := filepath.Join(r.work, fmt.Sprintf("base-%d", cur.ID))
	files, err := t.Files(ctx, cur.ID, dir)
	if err != nil {
		return 0, nil, fmt.Errorf("reading version %d of %s: %w", cur.ID, r.p.Table, err)
	}
	if len(files) == 0 {
		return cur.ID, prev, nil
	}
	list := make([]string, len(files))
	for i, f := range files {
		list[i] = sqlquote.String(f)
	}
	if err := r.d.exec(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE prev AS SELECT * FROM read_parquet([%s], union_by_name = true, hive_partitioning = false)", strings.Join(list, ", "))); err != nil {
		return 0, nil, fmt.Errorf("reading version %d of %s: %w", cur.ID, r.p.Table, err)
	}
	for _, c := range []string{validFrom, validTo, isCurrent} {
		pcols, _ := r.d.columns(ctx, "prev", true)
		if _, ok := find(pcols, c); !ok {
			return 0, nil, fmt.Errorf("%s has no %s column: it is not a journal (a pipeline with journal: writes into its own table)", r.p.Table, c)
		}
	}
	r.hasPrev = true
	return cur.ID, prev, nil
}

// commit writes result to Parquet and commits it as one new version on top of base.
func (r *run) commit(ctx context.Context, result string, base int64, attempt int) (catalog.Snapshot, error) {
	cols, err := r.d.columns(ctx, result, false)
	if err != nil {
		return catalog.Snapshot{}, err
	}
	order := ""
	if r.p.Journal != nil {
		order = " ORDER BY " + qis(r.p.Journal.Key) + ", valid_from"
	}
	// Timestamps without zone are UTC instants to dora (the session's zone is UTC): written as
	// timestamptz, the file can become the table's data file as it is.
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = sqlquote.Ident(c.Name)
		switch c.Type {
		case "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS":
			sel[i] = fmt.Sprintf("%[1]s::TIMESTAMPTZ AS %[1]s", sqlquote.Ident(c.Name))
		}
	}
	file := filepath.Join(r.work, fmt.Sprintf("out-%d.parquet", attempt))
	res, err := r.d.conn.ExecContext(ctx, fmt.Sprintf("COPY (SELECT %s FROM %s%s) TO %s (FORMAT parquet, COMPRESSION zstd)", strings.Join(sel, ", "), sqlquote.Ident(result), order, sqlquote.String(file)))
	if err != nil {
		return catalog.Snapshot{}, fmt.Errorf("writing the new version: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n != r.s.TableRows {
		return catalog.Snapshot{}, fmt.Errorf("writing the new version: %d rows written, but the journal counts %d; nothing was published", n, r.s.TableRows)
	}
	if r.opts.BeforeCommit != nil {
		r.opts.BeforeCommit([]string{file})
	}
	checks, _ := json.Marshal(r.s.Checks)
	metrics, _ := json.Marshal(r.s.Metrics)
	props := map[string]string{
		PropRunID: r.s.RunID, PropPipeline: r.p.File, PropAsOf: r.opts.AsOf.Format(time.RFC3339Nano),
		PropChecks: string(checks), PropMetrics: string(metrics),
		PropRowsIn: strconv.FormatInt(r.s.RowsIn, 10), PropQuar: strconv.FormatInt(r.s.Quarantined, 10),
	}
	if r.s.Journal != nil {
		j, _ := json.Marshal(r.s.Journal)
		props[PropJournal] = string(j)
	}
	return r.cat.Overwrite(ctx, r.p.Table, []string{file}, catalog.WriteOptions{Base: base, PartitionBy: r.p.Write.PartitionBy, Properties: props, Adopt: true})
}

// writeQuality appends this run's metrics to the namespace's quality table.
func (r *run) writeQuality(ctx context.Context, snapshot int64) error {
	if err := r.d.exec(ctx, `CREATE OR REPLACE TEMP TABLE quality (run_id VARCHAR, table_name VARCHAR, snapshot_id BIGINT, column_name VARCHAR, metric VARCHAR, value DOUBLE, text VARCHAR, as_of TIMESTAMPTZ)`); err != nil {
		return err
	}
	for _, m := range r.s.Metrics {
		var v any
		if m.Value != nil {
			v = *m.Value
		}
		if err := r.d.exec(ctx, "INSERT INTO quality VALUES (?, ?, ?, ?, ?, ?, ?, ?)", r.s.RunID, r.p.Table, snapshot, m.Column, m.Name, v, nullable(m.Text), r.opts.AsOf); err != nil {
			return err
		}
	}
	file := filepath.Join(r.work, "quality.parquet")
	if err := r.d.exec(ctx, fmt.Sprintf("COPY quality TO %s (FORMAT parquet)", sqlquote.String(file))); err != nil {
		return err
	}
	ns, _, _ := strings.Cut(r.p.Table, ".")
	_, err := r.cat.Append(ctx, ns+"."+QualityTable, []string{file}, catalog.WriteOptions{Properties: map[string]string{PropRunID: r.s.RunID}})
	return err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// posError is a problem found at run time at a place in the pipeline file.
func (r *run) posError(at Pos, format string, args ...any) error {
	e := &yamlfile.Error{File: r.p.File, Line: at.Line, Column: at.Column, Msg: fmt.Sprintf(format, args...)}
	if at.Line > 0 && at.Line <= len(r.p.lines) {
		e.Source = strings.TrimRight(r.p.lines[at.Line-1], "\r")
	}
	return yamlfile.Errors{e}
}

func mkdirFor(path string) error { return os.MkdirAll(filepath.Dir(path), 0o700) }

// removeAbandoned removes the scratch folders of runs whose process is gone (killed runs leave
// theirs behind).
func removeAbandoned(dir string) {
	if dir == "" {
		dir = os.TempDir()
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "dora-etl-*-*"))
	for _, m := range matches {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(m), "dora-etl-%d-", &pid); err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if !proc.Alive(pid) {
			os.RemoveAll(m)
		}
	}
}
