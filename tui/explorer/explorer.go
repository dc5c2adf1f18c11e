// Package explorer is dora's explorer screen: pick a table, build a question with a few keys, read
// the answer as a chart and a table. Its model only routes between its panels (each in its own
// package under tui/); it is a screen.Screen, which the workbench shell in package tui shows as
// screen 1 and the dashboard screen shows when a panel is zoomed into.
package explorer

import (
	"context"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/builder"
	"github.com/dora-dev/dora/tui/chart"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/fields"
	"github.com/dora-dev/dora/tui/inspect"
	"github.com/dora-dev/dora/tui/picker"
	"github.com/dora-dev/dora/tui/querybar"
	"github.com/dora-dev/dora/tui/results"
	"github.com/dora-dev/dora/tui/tables"
	"github.com/dora-dev/dora/tui/viewlist"
	"github.com/dora-dev/dora/views"
)

// Options say what the explorer shows first.
type Options struct {
	Table string // optional: open this table
	SQL   string // optional: run this SQL line (wins over Table)
	// ExportDir is where exports are written; the working directory when empty.
	ExportDir string
	// View opens a saved view: its SQL line (wins over SQL and Table), drawn with its chart; S
	// then offers its name.
	View views.View
	// ViewsPath is the saved views file; views.DefaultPath() when empty.
	ViewsPath string
	// Backend is what the backend was chosen by (a config name or a URL), saved with a view; ""
	// for the default.
	Backend string
}

// focus is the panel that gets keys.
type focus int

const (
	focusTables focus = iota
	focusFields
	focusView
	focusChart
	focusResults
)

// Model is the explorer's root model.
type Model struct {
	common *common.Common
	opts   Options
	keys   KeyMap

	tables  *tables.Model
	fields  *fields.Model
	view    *viewlist.Model
	bar     *querybar.Model
	chart   *chart.Model
	results *results.Model
	inspect *inspect.Model
	picker  *picker.Model
	spinner spinner.Model

	focus     focus
	sideShown bool // ctrl+b on a narrow screen
	sideHide  bool // ctrl+b on a wide screen
	showInsp  bool
	wiz       wizard
	pickerSeq int
	viewName  string // the saved view the one on screen came from, which S offers to replace
	// edited says the view was changed by hand since a table or a saved view was opened;
	// savedSQL is the SQL line last saved or opened as a saved view (openingView: being opened).
	edited      bool
	savedSQL    string
	openingView bool
	// chartDark is the background the chart was last drawn for: it is drawn again when the
	// shell restyles for the other one.
	chartDark bool

	hist    builder.History
	schema  query.Schema
	res     *query.Result
	resSpec query.Spec
	err     error
	note    string // a passing message: exported, copied
	noteBad bool
	// countPartial says the last and change figures count partial time buckets in (P).
	countPartial bool

	seq int // bumped by every change; answers to older ones are dropped
	// backendSeq numbers the backends opened for screen.Open; frames are the views left for
	// them, the explorer's own first.
	backendSeq int
	frames     []frame
	down       bool // the shell says the backend does not answer
	autoRetry  bool // the last query found the backend unavailable: it runs again by itself
	cancel     context.CancelFunc
	running    bool
	ticking    bool
	started    time.Time
	lastTook   time.Duration
}

// New builds the explorer on a copy of c (it opens other backends and sizes its panels on it,
// the styles staying shared). It does no I/O: Init starts the first commands.
func New(sc *common.Common, opts Options) *Model {
	cc := *sc
	c := &cc
	m := &Model{
		common:  c,
		opts:    opts,
		keys:    DefaultKeyMap(),
		tables:  tables.New(c),
		fields:  fields.New(c),
		view:    viewlist.New(c),
		bar:     querybar.New(c),
		chart:   chart.New(c),
		results: results.New(c),
		inspect: inspect.New(c),
		spinner: spinner.New(spinner.WithSpinner(spinner.MiniDot)),
	}
	m.chartDark = c.Styles.Dark
	m.focus = focusTables
	m.useView(opts.View)
	return m
}

// Init loads the table list and opens what the options ask for.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.loadTables(),
		querybar.LoadHistory(querybar.HistoryPath(backends.Redact(m.common.Backend.Name())))}
	switch {
	case m.opts.SQL != "":
		spec, err := query.Parse(m.opts.SQL)
		if err != nil {
			m.err = err
			break
		}
		cmds = append(cmds, m.openSpec(spec))
	case m.opts.Table != "":
		cmds = append(cmds, m.openSpec(builder.Open(m.opts.Table)))
	}
	return tea.Batch(cmds...)
}

// Spec is the current view.
func (m *Model) Spec() query.Spec { return m.hist.Spec() }

// SQL is the current view's SQL line.
func (m *Model) SQL() string { return m.bar.SQL() }

// Err is the error the status line shows, if any.
func (m *Model) Err() error { return m.err }

// Result is the answer shown.
func (m *Model) Result() *query.Result { return m.res }

// Running reports whether a query is in flight.
func (m *Model) Running() bool { return m.running }

// Picker is the open picker, or nil.
func (m *Model) Picker() *picker.Model { return m.picker }
