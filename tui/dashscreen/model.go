// Package dashscreen is the dashboard screen, the workbench's screen 5: a grid of panels that
// refresh by themselves under one time range and one filter, steered by keys, with a panel zoomed
// into the explorer on enter and left again with esc. The dashboards themselves (files, ranges,
// the runner) are the dash package at the top.
package dashscreen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/dash"
	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/explorer"
	"github.com/dora-dev/dora/tui/screen"
	"github.com/dora-dev/dora/tui/styles"
)

// Options say what the screen shows and how it starts.
type Options struct {
	// Dashboard is the dashboard shown; nil shows how to open one.
	Dashboard *dash.Dashboard
	Range     dash.Range // the range to start with (the file's, or --from/--to)
	Where     query.Expr // the filter to start with
	WhereText string
	Wall      bool             // no header: only the panels (the shell's Wall sets it and leaves out its own)
	Now       func() time.Time // the clock; time.Now when nil (tests pin it)
}

// noDashboard is what the screen says with no dashboard open.
const noDashboard = "No dashboard is open: dora dash FILE.yaml opens one (dora dash alone opens the demo warehouse's)."

// Messages that carry answers back to Update.
type (
	answerMsg struct {
		panel, seq int
		answer     dash.Answer
	}
	clockMsg time.Time
	zoomMsg  struct {
		backend backends.Backend
		sql     string
		err     error
	}
)

// panel is one panel's state on screen.
type panel struct {
	answer  *dash.Answer
	seq     int // bumped by every run; an answer to an older one is dropped
	running bool
	paused  bool
	cancel  context.CancelFunc
	body    string // the drawn answer, for bodyKey
	bodyKey bodyKey
}

type bodyKey struct {
	answer *dash.Answer
	w, h   int
	styles *styles.Styles
	dark   bool // the styles are changed in place for the background
}

type editing int

const (
	editNone editing = iota
	editRange
	editFilter
)

// Model is the dashboard screen.
type Model struct {
	common *common.Common
	ctx    context.Context
	runner *dash.Runner
	d      *dash.Dashboard
	opts   Options
	styles *styles.Styles
	keys   KeyMap
	hint   *screen.Placeholder // drawn when there is no dashboard

	spinner spinner.Model
	ticking bool
	focused bool // the screen is the one shown
	started bool // the panels have been run and the clock started
	input   textinput.Model
	editing editing

	rng       dash.Range
	where     query.Expr
	whereText string
	panels    []panel
	focus     int
	scroll    int
	width     int
	height    int
	lastCycle time.Time
	note      string
	noteBad   bool
	zoom      *explorer.Model
	zooming   bool
}

// New builds the screen on c, whose dashboard runner answers the panels. It does no I/O: the
// panels first run when the screen is first shown.
func New(c *common.Common, opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	in := textinput.New()
	in.Prompt = ""
	m := &Model{
		common: c, ctx: c.Ctx, runner: c.Dash, d: opts.Dashboard, opts: opts,
		styles:  c.Styles,
		keys:    DefaultKeyMap(),
		hint:    screen.NewPlaceholder(c.Styles, "Dashboards", noDashboard),
		spinner: spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		input:   in,
		rng:     opts.Range, where: opts.Where, whereText: opts.WhereText,
	}
	if m.d != nil {
		m.panels = make([]panel, len(m.d.Panels))
	}
	return m
}

// Init does nothing: the panels wait until the screen is first shown (screen.ShownMsg), so a
// dashboard nobody looks at asks the backend nothing.
func (m *Model) Init() tea.Cmd { return nil }

// start runs every panel and starts the clock, the first time only.
func (m *Model) start() tea.Cmd {
	if m.started || m.d == nil {
		return nil
	}
	m.started = true
	return tea.Batch(m.refreshAll(refreshDue), m.tick())
}

// Started reports whether the panels have been run.
func (m *Model) Started() bool { return m.started }

func (m *Model) tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return clockMsg(t) })
}

// now is the clock, to the second: every panel of one refresh sees the same range.
func (m *Model) now() time.Time { return m.opts.Now().UTC().Truncate(time.Second) }

// How a refresh treats panels that are paused or still waiting for an answer.
type refreshMode int

const (
	refreshDue    refreshMode = iota // the clock: panels still waiting keep waiting
	refreshChange                    // the range or filter changed: waiting panels start over
	refreshKey                       // r: as a change, and the focused panel even if paused
)

// refreshAll runs every panel that is not paused, as mode says.
func (m *Model) refreshAll(mode refreshMode) tea.Cmd {
	m.lastCycle = m.opts.Now()
	var cmds []tea.Cmd
	for i := range m.panels {
		p := &m.panels[i]
		if p.paused && !(mode == refreshKey && i == m.focus) || p.running && mode == refreshDue {
			continue
		}
		cmds = append(cmds, m.run(i))
	}
	return tea.Batch(cmds...)
}

// run queries panel i in the background under the current range and filter.
func (m *Model) run(i int) tea.Cmd {
	p := &m.panels[i]
	if p.cancel != nil {
		p.cancel()
	}
	ctx, cancel := context.WithCancel(m.ctx)
	p.seq++
	p.running, p.cancel = true, cancel
	seq, pan, runner := p.seq, m.d.Panels[i], m.runner
	now := m.now()
	sc := m.d.Scope(m.rng, m.where, now)
	var prev *dash.Scope
	if pan.Chart == charts.Number {
		prev = m.d.Previous(m.rng, m.where, now)
	}
	return tea.Batch(func() tea.Msg {
		return answerMsg{panel: i, seq: seq, answer: runner.Run(ctx, pan, sc, prev)}
	}, m.startSpinner())
}

func (m *Model) startSpinner() tea.Cmd {
	if m.ticking {
		return nil
	}
	m.ticking = true
	return m.spinner.Tick
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case answerMsg:
		return m.answered(msg)
	case clockMsg:
		cmds := []tea.Cmd{m.tick()}
		if r := m.d.Refresh; r > 0 && time.Time(msg).Sub(m.lastCycle) >= r {
			cmds = append(cmds, m.refreshAll(refreshDue))
		}
		return tea.Batch(cmds...)
	case spinner.TickMsg:
		var cmds []tea.Cmd
		if m.anyRunning() {
			var cmd tea.Cmd
			m.spinner, cmd = m.spinner.Update(msg)
			cmds = append(cmds, cmd)
		} else {
			m.ticking = false
		}
		return tea.Batch(append(cmds, m.toZoom(msg))...)
	case zoomMsg:
		m.zooming = false
		if msg.err != nil {
			m.setNote("cannot open the explorer: "+Describe(msg.err), true)
			return nil
		}
		c := *m.common
		c.Backend = msg.backend
		m.zoom = explorer.New(&c, explorer.Options{SQL: msg.sql})
		m.zoom.SetSize(m.width, m.height)
		return m.zoom.Init()
	case tea.KeyPressMsg:
		if m.zoom != nil && key.Matches(msg, m.keys.Cancel) && !m.zoom.Closes() {
			m.zoom.Stop() // esc with nothing to close in the explorer: back to the grid
			m.zoom = nil
			return nil
		}
		if m.zoom != nil {
			return m.toZoom(msg)
		}
		return m.key(msg)
	}
	return m.toZoom(msg)
}

// toZoom hands a message to the zoomed explorer, if there is one.
func (m *Model) toZoom(msg tea.Msg) tea.Cmd {
	if m.zoom == nil {
		return nil
	}
	_, cmd := m.zoom.Update(msg)
	return cmd
}

func (m *Model) anyRunning() bool {
	for _, p := range m.panels {
		if p.running {
			return true
		}
	}
	return false
}

func (m *Model) answered(msg answerMsg) tea.Cmd {
	p := &m.panels[msg.panel]
	if msg.seq != p.seq {
		return nil // a newer run superseded this one
	}
	p.running = false
	if p.cancel != nil { // release the run's context: a wall screen refreshes for days
		p.cancel()
		p.cancel = nil
	}
	if errors.Is(msg.answer.Err, context.Canceled) && m.ctx.Err() != nil {
		return nil
	}
	a := msg.answer
	p.answer = &a
	return nil
}

func (m *Model) setNote(s string, bad bool) { m.note, m.noteBad = s, bad }

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if m.editing != editNone {
		return m.editKey(msg)
	}
	m.note = ""
	switch {
	case key.Matches(msg, k.Up):
		m.move(0, -1)
	case key.Matches(msg, k.Down):
		m.move(0, 1)
	case key.Matches(msg, k.Left):
		m.move(-1, 0)
	case key.Matches(msg, k.Right):
		m.move(1, 0)
	case key.Matches(msg, k.Refresh):
		return m.refreshAll(refreshKey)
	case key.Matches(msg, k.Pause):
		p := &m.panels[m.focus]
		p.paused = !p.paused
		if !p.paused {
			return m.run(m.focus)
		}
	case key.Matches(msg, k.Earlier):
		return m.changeRange(func(r dash.Range) (dash.Range, error) { return r.Shift(-1, m.opts.Now()) })
	case key.Matches(msg, k.Later):
		return m.changeRange(func(r dash.Range) (dash.Range, error) { return r.Shift(1, m.opts.Now()) })
	case key.Matches(msg, k.Wider):
		return m.changeRange(func(r dash.Range) (dash.Range, error) { return r.Resize(true, m.opts.Now()) })
	case key.Matches(msg, k.Narrower):
		return m.changeRange(func(r dash.Range) (dash.Range, error) { return r.Resize(false, m.opts.Now()) })
	case key.Matches(msg, k.Range):
		return m.edit(editRange, m.rng.String())
	case key.Matches(msg, k.Filter):
		return m.edit(editFilter, m.whereText)
	case key.Matches(msg, k.Zoom):
		return m.zoomIn()
	}
	return nil
}

// move focuses the nearest panel in a direction.
func (m *Model) move(dx, dy int) {
	rects, _ := m.grid()
	if len(rects) == 0 {
		return
	}
	m.focus = neighbour(rects, m.focus, dx, dy)
}

func (m *Model) changeRange(op func(dash.Range) (dash.Range, error)) tea.Cmd {
	r, err := op(m.rng)
	if err != nil {
		m.setNote(err.Error(), true)
		return nil
	}
	m.rng = r
	return m.refreshAll(refreshChange)
}

func (m *Model) edit(what editing, value string) tea.Cmd {
	m.editing = what
	m.input.SetValue(value)
	m.input.CursorEnd()
	m.input.SetWidth(max(10, m.width-12))
	return m.input.Focus()
}

func (m *Model) editKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Cancel):
		m.editing = editNone
		m.input.Blur()
		return nil
	case key.Matches(msg, m.keys.Submit):
		text := strings.TrimSpace(m.input.Value())
		switch m.editing {
		case editRange:
			r, err := dash.ParseRange(text)
			if err != nil {
				m.setNote(err.Error(), true)
				return nil
			}
			m.rng = r
		case editFilter:
			var e query.Expr
			if text != "" {
				var err error
				if e, err = dash.ParseWhere(text); err != nil {
					m.setNote(Describe(err), true)
					return nil
				}
			}
			m.where, m.whereText = e, text
		}
		m.editing, m.note = editNone, ""
		m.input.Blur()
		return m.refreshAll(refreshChange)
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return cmd
}

// zoomIn opens the focused panel in the explorer with the range and filter applied; finding the
// backend and the table's schema is I/O, so it is a command.
func (m *Model) zoomIn() tea.Cmd {
	if m.zooming {
		return nil
	}
	m.zooming = true
	pan, runner, ctx := m.d.Panels[m.focus], m.runner, m.ctx
	sc := m.d.Scope(m.rng, m.where, m.now())
	return func() tea.Msg {
		b, err := runner.Backend(ctx)
		if err != nil {
			return zoomMsg{err: err}
		}
		schema, err := runner.Schema(ctx, b, pan.Spec.Table)
		if err != nil {
			return zoomMsg{err: err}
		}
		return zoomMsg{backend: b, sql: dash.Apply(pan, schema, sc).Spec.SQL()}
	}
}

// Panel is the focused panel.
func (m *Model) Panel() int { return m.focus }

// Range is the range shown.
func (m *Model) Range() dash.Range { return m.rng }

// Paused reports whether panel i refreshes by itself.
func (m *Model) Paused(i int) bool { return m.panels[i].paused }

// Answer is panel i's last answer, or nil.
func (m *Model) Answer(i int) *dash.Answer { return m.panels[i].answer }

// Zoomed is the explorer a panel is zoomed into, or nil.
func (m *Model) Zoomed() *explorer.Model { return m.zoom }

// chromeH is the lines the header and the bottom line (a prompt or a note) take; the shell
// draws the help bar.
func (m *Model) chromeH() int {
	switch {
	case m.opts.Wall:
		return 0
	case m.editing == editNone && m.note == "":
		return 1
	}
	return 2
}

// grid places the panels on the screen and returns their places and the grid's height.
func (m *Model) grid() ([]Rect, int) {
	return Grid(m.d.Panels, Columns(m.d.Columns, m.width), m.width, m.height-m.chromeH())
}

func (m *Model) render() string {
	w, h := m.width, m.height
	if out, small := common.TooSmall(w, h, false); small {
		return out
	}
	s := m.styles
	bodyH := h - m.chromeH()
	titles := make([]string, len(m.panels))
	for i := range m.panels {
		titles[i] = m.title(i)
	}
	grid, rects := drawGrid(s, m.d, titles, m.focus, w, bodyH, m.body)
	lines := strings.Split(grid, "\n")
	if r := rects[m.focus]; r.Y < m.scroll { // keep the focused panel in view
		m.scroll = r.Y
	} else if r.Y+r.H > m.scroll+bodyH {
		m.scroll = r.Y + r.H - bodyH
	}
	m.scroll = max(0, min(m.scroll, len(lines)-bodyH))
	body := common.Block(strings.Join(lines[m.scroll:min(len(lines), m.scroll+bodyH)], "\n"), w, bodyH)
	switch m.chromeH() {
	case 0:
		return body
	case 1:
		return m.header() + "\n" + body
	}
	return m.header() + "\n" + body + "\n" + m.footer()
}

// body draws panel i's answer, again only when the answer or its size changed.
func (m *Model) body(i, w, h int) string {
	p := &m.panels[i]
	k := bodyKey{answer: p.answer, w: w, h: h, styles: m.styles, dark: m.styles.Dark}
	if k != p.bodyKey || p.body == "" {
		p.body, p.bodyKey = Body(m.styles, m.d.Panels[i], p.answer, w, h), k
	}
	return p.body
}

// title is a panel's frame title: its name, then a spinner while it runs, else its age.
func (m *Model) title(i int) string {
	p := m.panels[i]
	t := m.d.Panels[i].Title
	var status []string
	switch {
	case p.running:
		status = append(status, m.styles.Status.Spinner.Render(m.spinner.View()))
	case p.answer != nil:
		age := Age(m.opts.Now().Sub(p.answer.At))
		if p.answer.Err != nil {
			age = "✗ " + age
			if m.d.Refresh > 0 && !p.paused {
				age += ", retrying"
			}
		}
		status = append(status, age)
	}
	if p.paused {
		status = append(status, "paused")
	}
	if len(status) > 0 {
		t += " · " + strings.Join(status, " · ")
	}
	return t
}

// shortDuration prints a refresh interval without its zero parts: 30s, 5m, 1h, 1h30m.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Age prints how long ago an answer came: "just now", "12s ago", "3m ago", "2h ago".
func Age(d time.Duration) string {
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh ago", int(d.Hours()))
}

func (m *Model) header() string {
	s := m.styles
	if m.editing != editNone && m.note != "" { // the prompt is on the bottom line: say why above
		return common.Fit(s.Status.Error.Render(" ✗ "+termsafe.String(m.note)), m.width)
	}
	refresh := "refresh off"
	if m.d.Refresh > 0 {
		refresh = "refresh " + shortDuration(m.d.Refresh)
	}
	left := s.Header.Title.Render(" dora ") + s.Bold.Render(m.d.Title) + s.Muted.Render(" · "+scopeText(m.d, m.rng, m.whereText, m.opts.Now())+" · "+refresh)
	return common.Fit(left, m.width)
}

func (m *Model) footer() string {
	s := m.styles
	switch {
	case m.editing == editRange:
		return common.Fit(s.Query.Prompt.Render(" range (now-7d, 2024-01-01..2024-02-01, all): ")+m.input.View(), m.width)
	case m.editing == editFilter:
		return common.Fit(s.Query.Prompt.Render(" filter (WHERE …, empty for none): ")+m.input.View(), m.width)
	case m.note != "" && m.noteBad:
		return common.Fit(s.Status.Error.Render(" "+termsafe.String(m.note)), m.width)
	case m.note != "":
		return common.Fit(s.Status.Info.Render(" "+m.note), m.width)
	}
	return common.Fit("", m.width)
}
