// Package etlscreen is the ETL screen: the pipeline files and their tables' versions, a pipeline's
// plan, running and publishing it, each version's quality metrics and check outcomes, rollback,
// and the quarantine and a version's rows opened in the explorer. It drives pipelines/etl and
// pipelines/catalog as `dora etl` does.
package etlscreen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/internal/xdg"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/etl"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/screen"
	"github.com/dora-dev/dora/tui/styles"
)

// Options say where the screen finds the pipelines and the tables.
type Options struct {
	Dir string // the pipeline files; $XDG_CONFIG_HOME/dora/pipelines when ""
	// Catalog is where tables live unless a pipeline file says otherwise: the CLI fills it from
	// DORA_CATALOG, DORA_WAREHOUSE and the config file; what is still empty gets the defaults.
	Catalog  catalog.Config
	StateDir string // quarantine files and the DuckDB files the explorer opens; xdg.StateDir() when ""
	WorkDir  string // a run's scratch space; the system's when ""
	// Poll is how often the shown screen reads the versions again, to see runs made elsewhere
	// (dora etl run in a shell); 5s when 0.
	Poll time.Duration
	// OpenBackend opens a pipeline's load_to: backend after a publish, as dora etl run does;
	// etl.OpenBackend (URLs only) when nil.
	OpenBackend func(ctx context.Context, name string) (backends.Backend, string, error)
}

// PipelinesDir is where the screen looks for pipeline files by default.
func PipelinesDir() string { return filepath.Join(xdg.ConfigDir(), "pipelines") }

// Pipeline is one pipeline file as listed, with its table's versions.
type Pipeline struct {
	Path     string
	P        *etl.Pipeline // nil when the file does not read
	Err      error         // why the file does not read, or the catalog could not be read
	Config   catalog.Config
	Versions []catalog.Snapshot // oldest first, as the catalog lists them
}

// Name is the file's name without its folder and extension.
func (p *Pipeline) Name() string {
	return strings.TrimSuffix(filepath.Base(p.Path), filepath.Ext(p.Path))
}

// Table is the pipeline's table, or "" when its file does not read.
func (p *Pipeline) Table() string {
	if p.P == nil {
		return ""
	}
	return p.P.Table
}

// Current is the current version, or nil.
func (p *Pipeline) Current() *catalog.Snapshot {
	for i := range p.Versions {
		if p.Versions[i].Current {
			return &p.Versions[i]
		}
	}
	return nil
}

// Result is a plan or a run of one pipeline: its summary, or why there is none.
type Result struct {
	Path    string
	Table   string
	Run     bool // a run (it may have published); false for a plan
	Summary *etl.Summary
	Err     error // a stopped run has both a Summary and a *etl.StoppedError
	// Digest is of the pipeline file as it was read for this plan or run; Changed says a run's
	// file was not the one of the plan shown before it.
	Digest  string
	Changed bool
	// Notes is what the write did besides its commit, as the catalog says it (files of an
	// interrupted write removed), for dora etl run's stderr lines.
	Notes []string
}

// Stopped is why a run or plan published nothing because a check or the validation stopped it.
func (r *Result) Stopped() string {
	var stop *etl.StoppedError
	if errors.As(r.Err, &stop) {
		return stop.Reason
	}
	return ""
}

// Outcome says in a line what the run or plan did.
func (r *Result) Outcome() string {
	s := r.Summary
	switch {
	case r.Stopped() != "":
		return fmt.Sprintf("%s: NOT published: %s", r.Table, r.Stopped())
	case r.Err != nil:
		return fmt.Sprintf("%s: %v", r.Table, r.Err)
	case s.Published:
		return fmt.Sprintf("%s: published version %d", r.Table, s.SnapshotID)
	case s.Unchanged:
		return fmt.Sprintf("%s: nothing changed since version %d; no new version", r.Table, s.SnapshotID)
	case s.BaseSnapshot != 0:
		return fmt.Sprintf("%s: plan against version %d (nothing written)", r.Table, s.BaseSnapshot)
	}
	return fmt.Sprintf("%s: plan of a new table (nothing written)", r.Table)
}

// Messages carrying answers back; each names what it answers by a sequence number.
type (
	listedMsg struct {
		seq       int
		pipelines []*Pipeline
		err       error
	}
	qualityMsg struct {
		seq     int
		table   string
		quality map[int64]*etl.Quality
		err     error
	}
	resultMsg struct {
		seq    int
		result *Result
	}
	rolledMsg struct {
		table string
		snap  catalog.Snapshot
		err   error
	}
	tickMsg    struct{}
	exploreMsg struct {
		open screen.Open
		err  error
	}
)

type pane int

const (
	panePipelines pane = iota
	paneVersions
)

// confirm is a rollback waiting for y or n.
type confirm struct {
	p  *Pipeline
	to catalog.Snapshot
}

// Model is the ETL screen.
type Model struct {
	ctx    context.Context
	opts   Options
	styles *styles.Styles
	keys   KeyMap
	w, h   int

	pipelines []*Pipeline
	listErr   error
	listSeq   int
	listed    int // the newest listing applied
	loaded    bool

	quality     map[int64]*etl.Quality
	qualityErr  error
	qualitySeq  int
	qualityBusy bool

	pane      pane
	at        int // the pipeline under the cursor
	versionAt int // the version under the cursor, newest first

	detail    *Result // the plan or run shown; nil for the lists
	detailFor string  // the path whose plan or run is shown or coming
	planning  bool
	planSeq   int

	running *Pipeline // the run in flight, one at a time
	runSeq  int

	confirming *confirm
	exporting  string
	note       string
	noteBad    bool
	focused    bool
}

var _ screen.Screen = (*Model)(nil)

// New builds the screen on c. It does no I/O: Init lists the pipelines.
func New(c *common.Common, opts Options) *Model {
	if opts.Dir == "" {
		opts.Dir = PipelinesDir()
	}
	if opts.StateDir == "" {
		opts.StateDir = xdg.StateDir()
	}
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	return &Model{ctx: c.Ctx, opts: opts, styles: c.Styles, keys: DefaultKeyMap()}
}

// Init lists the pipelines and their tables' versions, and starts the clock that reads them
// again while the screen is shown.
func (m *Model) Init() tea.Cmd { return tea.Batch(m.list(), m.tick()) }

func (m *Model) tick() tea.Cmd {
	return tea.Tick(m.opts.Poll, func(time.Time) tea.Msg { return tickMsg{} })
}

// configFor is where a pipeline's table lives: its file's catalog: and warehouse:, else the
// screen's, else the defaults.
func (m *Model) configFor(p *etl.Pipeline) catalog.Config {
	cfg := m.opts.Catalog
	if p.Catalog != "" {
		cfg.Catalog = p.Catalog
	}
	if p.Warehouse != "" {
		cfg.Warehouse = p.Warehouse
	}
	return cfg.Resolve()
}

// withCatalog opens the catalog, hands it to fn and closes it.
func withCatalog(ctx context.Context, cfg catalog.Config, fn func(*catalog.Catalog) error) error {
	cat, err := catalog.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer cat.Close()
	return fn(cat)
}

// list reads the pipeline files and each table's versions.
func (m *Model) list() tea.Cmd {
	m.listSeq++
	seq, ctx, dir := m.listSeq, m.ctx, m.opts.Dir
	configFor := m.configFor
	return func() tea.Msg {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			return listedMsg{seq: seq}
		}
		if err != nil {
			return listedMsg{seq: seq, err: err}
		}
		var out []*Pipeline
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); e.IsDir() || ext != ".yaml" && ext != ".yml" {
				continue
			}
			pl := &Pipeline{Path: filepath.Join(dir, e.Name())}
			if pl.P, pl.Err = etl.ReadPipeline(pl.Path); pl.Err == nil {
				pl.Config = configFor(pl.P)
				pl.Err = withCatalog(ctx, pl.Config, func(cat *catalog.Catalog) error {
					t, err := cat.Load(ctx, pl.P.Table)
					if errors.Is(err, catalog.ErrNoSuchTable) {
						return nil // not published yet
					}
					if err != nil {
						return err
					}
					pl.Versions = t.Snapshots()
					return nil
				})
			}
			out = append(out, pl)
		}
		return listedMsg{seq: seq, pipelines: out}
	}
}

// qualityLimit is how many of a table's newest versions have their metrics read.
const qualityLimit = 12

// readQuality reads the metrics of the selected table's newest versions.
func (m *Model) readQuality() tea.Cmd {
	p := m.selected()
	if p == nil || p.P == nil || len(p.Versions) == 0 {
		m.quality, m.qualityErr, m.qualityBusy = nil, nil, false
		return nil
	}
	m.qualitySeq++
	m.qualityBusy = true
	seq, ctx, cfg, table := m.qualitySeq, m.ctx, p.Config, p.P.Table
	versions := p.Versions[max(0, len(p.Versions)-qualityLimit):]
	return func() tea.Msg {
		out := map[int64]*etl.Quality{}
		err := withCatalog(ctx, cfg, func(cat *catalog.Catalog) error {
			t, err := cat.Load(ctx, table)
			if err != nil {
				return err
			}
			for _, v := range versions {
				if q, err := etl.ReadQuality(ctx, cat, t, v.ID); err == nil {
					out[v.ID] = q
				} // a version dora did not write has no metrics: it shows without
			}
			return nil
		})
		return qualityMsg{seq: seq, table: table, quality: out, err: err}
	}
}

// execute plans the pipeline (run false) or runs and publishes it, as dora etl plan|run do,
// with the file as it is on disk now: the listing's copy may be older. A run after a plan says
// when the file changed in between (planned is the plan's file digest, "" for none).
func (m *Model) execute(p *Pipeline, run bool, seq int, planned string) tea.Cmd {
	ctx, path, configFor := m.ctx, p.Path, m.configFor
	opts := etl.Options{WorkDir: m.opts.WorkDir, QuarantineDir: filepath.Join(m.opts.StateDir, "etl", "quarantine"),
		DeadLetterDir: filepath.Join(m.opts.StateDir, "etl", "dead-letter"), OpenBackend: m.opts.OpenBackend}
	do := etl.Plan
	if run {
		do = etl.Run
	}
	return func() tea.Msg {
		r := &Result{Path: path, Table: p.Table(), Run: run}
		data, err := os.ReadFile(path)
		if err != nil {
			r.Err = err
			return resultMsg{seq: seq, result: r}
		}
		r.Digest = digest(data)
		r.Changed = planned != "" && planned != r.Digest
		pipe, err := etl.ReadPipeline(path)
		if err != nil {
			r.Err = err
			return resultMsg{seq: seq, result: r}
		}
		r.Table = pipe.Table
		r.Err = withCatalog(ctx, configFor(pipe), func(cat *catalog.Catalog) error {
			var err error
			cat.SetNotify(func(msg string) { r.Notes = append(r.Notes, msg) })
			r.Summary, err = do(ctx, pipe, cat, opts)
			return err
		})
		if r.Summary == nil && r.Err == nil {
			r.Err = errors.New("no summary")
		}
		return resultMsg{seq: seq, result: r}
	}
}

// digest tells two versions of a pipeline file apart.
func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// rollback makes an earlier version current, as dora etl rollback does.
func (m *Model) rollback(c *confirm) tea.Cmd {
	ctx, cfg, table, to := m.ctx, c.p.Config, c.p.P.Table, c.to.ID
	return func() tea.Msg {
		var snap catalog.Snapshot
		err := withCatalog(ctx, cfg, func(cat *catalog.Catalog) error {
			var err error
			snap, err = cat.Rollback(ctx, table, to)
			return err
		})
		return rolledMsg{table: table, snap: snap, err: err}
	}
}

func (m *Model) selected() *Pipeline {
	if m.at < len(m.pipelines) {
		return m.pipelines[m.at]
	}
	return nil
}

// versions is the selected pipeline's versions, newest first.
func (m *Model) versions() []catalog.Snapshot {
	p := m.selected()
	if p == nil {
		return nil
	}
	out := slices.Clone(p.Versions)
	slices.Reverse(out)
	return out
}

func (m *Model) selectedVersion() *catalog.Snapshot {
	if vs := m.versions(); m.versionAt < len(vs) {
		return &vs[m.versionAt]
	}
	return nil
}

func (m *Model) setNote(s string, bad bool) { m.note, m.noteBad = s, bad }

// Pipelines is the pipeline files listed, in name order.
func (m *Model) Pipelines() []*Pipeline { return m.pipelines }

// Selected is the pipeline under the cursor, or nil.
func (m *Model) Selected() *Pipeline { return m.selected() }

// Detail is the plan or run shown, or nil.
func (m *Model) Detail() *Result { return m.detail }

// Quality is the metrics read for the selected table's versions, by snapshot id.
func (m *Model) Quality() map[int64]*etl.Quality { return m.quality }

// Running is the pipeline whose run is in flight, or nil.
func (m *Model) Running() *Pipeline { return m.running }

// Busy names the run in flight, for the shell to ask before quitting; "" when idle.
func (m *Model) Busy() string {
	if m.running == nil {
		return ""
	}
	return "a run of " + m.running.P.Table
}

// Confirming says a rollback waits for y or n.
func (m *Model) Confirming() bool { return m.confirming != nil }

// Note is the passing message shown, and whether it is bad news.
func (m *Model) Note() (string, bool) { return m.note, m.noteBad }

// Err is why the pipelines folder could not be read, if it could not.
func (m *Model) Err() error { return m.listErr }

// Title is the tab's name.
func (m *Model) Title() string { return "ETL" }

// InputFocused is false: the screen has no text input.
func (m *Model) InputFocused() bool { return false }

// Focus marks the screen shown.
func (m *Model) Focus() { m.focused = true }

// Blur marks it hidden; a run goes on.
func (m *Model) Blur() { m.focused = false }

// SetSize gives the screen its area.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// Status is the run in flight, or the export being loaded.
func (m *Model) Status() string {
	switch {
	case m.running != nil:
		return "running " + m.running.P.Table
	case m.exporting != "":
		return "loading " + m.exporting
	}
	return ""
}
