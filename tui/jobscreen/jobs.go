// Package jobscreen is the Jobs screen: the job definitions, their runs with live status, launching
// one with its env edited, a run's log followed as it runs, cancel and retry. It drives
// pipelines/jobs (the run store every dora process shares, and its Driver) as the CLI does.
package jobscreen

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"

	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/screen"
	"github.com/dora-dev/dora/tui/styles"
)

// Options say where the screen finds the jobs and how it launches them.
type Options struct {
	Dir       string // the definitions; jobs.JobsDir() when ""
	StorePath string // the run store; jobs.DefaultStorePath() when ""
	StateDir  string // the runners' state; jobs.StateDir() when ""
	Self      string // the binary that supervises local runs; this one when ""
	// Resume hands a launched run to a watcher that outlives the TUI (the CLI's detached
	// `dora jobs _watch`); nil drives it in this process.
	Resume func(ctx context.Context, id string) (pid int, err error)
	Poll   time.Duration    // how often runs and logs are read again; 1s when 0
	Now    func() time.Time // the clock; time.Now when nil
	// MaxLogLines is how many of a log's last lines are kept in memory; DefaultMaxLogLines when 0.
	MaxLogLines int
}

// Messages carrying answers back; each names the read it answers by a sequence number.
type (
	openedMsg struct {
		driver *jobs.Driver
		err    error
	}
	refreshedMsg struct {
		seq  int
		defs []*jobs.Definition
		errs []error
		runs []*jobs.Run
		err  error
	}
	logMsg struct {
		seq  int
		run  *jobs.Run
		data []byte
		pos  int64
		err  error
	}
	doneMsg struct { // a launch, cancel or retry
		note string
		run  *jobs.Run
		err  error
	}
	tickMsg struct{}
)

type pane int

const (
	paneDefs pane = iota
	paneRuns
)

// statusFilters are the states s cycles through; "" is every state.
var statusFilters = append([]jobs.State{""}, jobs.States...)

// Model is the Jobs screen.
type Model struct {
	ctx    context.Context
	opts   Options
	styles *styles.Styles
	keys   KeyMap
	w, h   int

	driver  *jobs.Driver
	openErr error

	defs    []*jobs.Definition
	defErrs []error
	runs    []*jobs.Run // every run read, newest first
	listErr error
	seq     int // bumped by every refresh asked
	applied int // the newest refresh applied; older answers are dropped
	loading bool

	pane      pane
	defAt     int
	runAt     int
	byJob     string
	byStatus  int // index into statusFilters
	note      string
	noteBad   bool
	focused   bool
	launching *jobs.Definition // the env form is open for it
	form      textarea.Model

	detail    *jobs.Run // the run shown with its log
	log       []string  // whole lines
	partial   string    // the last line, until its newline comes
	logPos    int64
	logSeq    int
	logBusy   bool
	scroll    int
	mark      int // the log line e jumped to; -1 for none
	following bool
	dropped   int // the log's first lines let go of, beyond MaxLogLines

	searching bool // the search line takes typing
	searchIn  textinput.Model
	search    *regexp.Regexp // what / found, or nil
	matches   []int          // the log lines it is on
	matchAt   int            // the match shown, into matches
	scanned   int            // the whole lines looked through for it
}

var (
	_ screen.Screen = (*Model)(nil)
	_ screen.Busy   = (*Model)(nil)
)

// New builds the screen on c. It does no I/O: Init opens the run store.
func New(c *common.Common, opts Options) *Model {
	if opts.Dir == "" {
		opts.Dir = jobs.JobsDir()
	}
	if opts.StorePath == "" {
		opts.StorePath = jobs.DefaultStorePath()
	}
	if opts.StateDir == "" {
		opts.StateDir = jobs.StateDir()
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxLogLines <= 0 {
		opts.MaxLogLines = DefaultMaxLogLines
	}
	search := textinput.New()
	search.Prompt = "/"
	form := textarea.New()
	form.ShowLineNumbers = false
	form.Prompt = ""
	return &Model{ctx: c.Ctx, opts: opts, styles: c.Styles, keys: DefaultKeyMap(), form: form, searchIn: search, pane: paneDefs}
}

// Init opens the run store and reconciles the runs whose watcher is gone, as every dora
// process that opens it does.
func (m *Model) Init() tea.Cmd {
	ctx, opts := m.ctx, m.opts
	return func() tea.Msg {
		// a failed reconciliation leaves those runs to the next dora; the list still reads
		d, _, err := jobs.OpenDriver(ctx, jobs.OpenOptions{StorePath: opts.StorePath, StateDir: opts.StateDir, Self: opts.Self, Resume: opts.Resume})
		if err != nil {
			return openedMsg{err: err}
		}
		go func() { <-ctx.Done(); d.Store.Close() }()
		return openedMsg{driver: d}
	}
}

func (m *Model) tick() tea.Cmd {
	return tea.Tick(m.opts.Poll, func(time.Time) tea.Msg { return tickMsg{} })
}

// refresh reads the definitions and the runs again, unless a read is still in flight.
func (m *Model) refresh() tea.Cmd {
	if m.driver == nil || m.loading {
		return nil
	}
	m.loading = true
	m.seq++
	seq, ctx, store, dir := m.seq, m.ctx, m.driver.Store, m.opts.Dir
	return func() tea.Msg {
		defs, errs := jobs.Definitions(dir)
		runs, err := store.List(ctx, jobs.Filter{Limit: 500})
		return refreshedMsg{seq: seq, defs: defs, errs: errs, runs: runs, err: err}
	}
}

// readLog reads the shown run and its log from where the last read stopped.
func (m *Model) readLog() tea.Cmd {
	if m.detail == nil || m.driver == nil || m.logBusy {
		return nil
	}
	m.logBusy = true
	seq, ctx, store, id, from := m.logSeq, m.ctx, m.driver.Store, m.detail.ID, m.logPos
	return func() tea.Msg {
		r, err := store.Get(ctx, id)
		if err != nil {
			return logMsg{seq: seq, err: err}
		}
		data, pos, err := store.Log(ctx, id, from)
		return logMsg{seq: seq, run: r, data: data, pos: pos, err: err}
	}
}

// Update handles a message; answers of reads started before a newer one are dropped.
func (m *Model) Update(msg tea.Msg) (screen.Screen, tea.Cmd) {
	return m, m.update(msg)
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case openedMsg:
		if msg.err != nil {
			m.openErr = msg.err
			return nil
		}
		m.driver = msg.driver
		return tea.Batch(m.refresh(), m.tick())
	case tickMsg:
		return tea.Batch(m.refresh(), m.readLog(), m.tick())
	case screen.Changed: // a load or an ETL run elsewhere may have launched or ended runs
		return tea.Batch(m.refresh(), m.readLog())
	case refreshedMsg:
		m.loading = false
		if msg.seq <= m.applied {
			return nil
		}
		m.applied = msg.seq
		m.defs, m.defErrs, m.listErr = msg.defs, msg.errs, msg.err
		if msg.err == nil {
			m.runs = msg.runs
		}
		m.clampCursors()
	case logMsg:
		return m.logRead(msg)
	case doneMsg:
		if msg.err != nil {
			m.setNote(msg.err.Error(), true)
			return m.refresh()
		}
		m.setNote(msg.note, false)
		if msg.run != nil { // a launch or a retry: follow it
			return tea.Batch(m.refresh(), m.openRun(msg.run))
		}
		return m.refresh()
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		var cmd tea.Cmd
		switch {
		case m.launching != nil:
			m.form, cmd = m.form.Update(msg)
		case m.searching:
			m.searchIn, cmd = m.searchIn.Update(msg)
		}
		return cmd
	}
	return nil
}

func (m *Model) logRead(msg logMsg) tea.Cmd {
	if msg.seq != m.logSeq || m.detail == nil {
		return nil // another run is shown now
	}
	m.logBusy = false
	if msg.err != nil {
		m.setNote(msg.err.Error(), true)
		return nil
	}
	m.detail = msg.run
	m.logPos = msg.pos
	if len(msg.data) > 0 { // a chunk may end mid-line: the rest comes with the next
		m.addLog(msg.data)
	}
	if m.following {
		m.scroll = max(0, len(m.log)-m.logH())
	}
	return nil
}

func (m *Model) setNote(s string, bad bool) { m.note, m.noteBad = s, bad }

// shown is the runs the filters let through.
func (m *Model) shown() []*jobs.Run {
	st := statusFilters[m.byStatus]
	var out []*jobs.Run
	for _, r := range m.runs {
		if r.Role == jobs.RoleChild || r.Role == jobs.RolePublish {
			continue // a group's steps show in its run
		}
		if (m.byJob == "" || r.Job == m.byJob) && (st == "" || r.State == st) {
			out = append(out, r)
		}
	}
	return out
}

func (m *Model) clampCursors() {
	m.defAt = max(0, min(m.defAt, len(m.defs)-1))
	m.runAt = max(0, min(m.runAt, len(m.shown())-1))
}

func (m *Model) selectedDef() *jobs.Definition {
	if m.defAt < len(m.defs) {
		return m.defs[m.defAt]
	}
	return nil
}

func (m *Model) selectedRun() *jobs.Run {
	if m.detail != nil {
		return m.detail
	}
	if runs := m.shown(); m.runAt < len(runs) {
		return runs[m.runAt]
	}
	return nil
}

// Defs is the definitions read.
func (m *Model) Defs() []*jobs.Definition { return m.defs }

// Runs is the runs the filters show, newest first.
func (m *Model) Runs() []*jobs.Run { return m.shown() }

// Detail is the run shown with its log, or nil.
func (m *Model) Detail() *jobs.Run { return m.detail }

// Log is the shown run's log lines read so far.
func (m *Model) Log() []string {
	if m.partial != "" {
		return append(slices.Clip(m.log), m.partial)
	}
	return m.log
}

// Err is why the run store could not be opened or read, if it could not.
func (m *Model) Err() error {
	if m.openErr != nil {
		return m.openErr
	}
	return m.listErr
}

// Note is the passing message shown, and whether it is bad news.
func (m *Model) Note() (string, bool) { return m.note, m.noteBad }

// Title is the tab's name.
func (m *Model) Title() string { return "Jobs" }

// InputFocused is true while the env form or the log's search line takes typing.
func (m *Model) InputFocused() bool { return m.launching != nil || m.searching }

// Focus marks the screen shown.
func (m *Model) Focus() { m.focused = true }

// Blur marks it hidden; its runs go on being read.
func (m *Model) Blur() { m.focused = false }

// SetSize gives the screen its area.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	m.form.SetWidth(max(10, w-6))
	m.form.SetHeight(max(3, h/2-4))
}

// Busy is always "": quitting loses no run, as a run launched here is handed to a watcher that
// outlives the workbench (dora jobs _watch), and any dora command picks up one whose watcher died.
func (m *Model) Busy() string { return "" }

// Status counts the runs that have not ended.
func (m *Model) Status() string {
	n := 0
	for _, r := range m.runs {
		if !r.State.Ended() && r.Role != jobs.RoleChild && r.Role != jobs.RolePublish {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d running", n)
}

// duration is how long a run ran, or has run so far.
func (m *Model) duration(r *jobs.Run) time.Duration {
	switch {
	case r.StartedAt.IsZero():
		return 0
	case r.FinishedAt.IsZero():
		return m.opts.Now().Sub(r.StartedAt)
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

// recent is a job's last ended runs' durations, oldest first.
func (m *Model) recent(job string, n int) []time.Duration {
	var out []time.Duration
	for _, r := range m.runs {
		if r.Job == job && r.State.Ended() && !r.StartedAt.IsZero() && r.Role != jobs.RoleChild && r.Role != jobs.RolePublish {
			out = append(out, m.duration(r))
			if len(out) == n {
				break
			}
		}
	}
	slices.Reverse(out)
	return out
}
