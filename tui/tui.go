// Package tui is dora's workbench: a shell of screens (1 Explore, 2 Loads, 3 ETL, 4 Jobs,
// 5 Dashboards), each its own package behind screen.Screen, built the same way from one
// common.Common. The shell only routes: it owns the screens, the header with their tabs, the
// global keys, the help bar and the styles, which it rebuilds when the terminal says its
// background.
package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/session"
	"github.com/dora-dev/dora/dash"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/screen"
)

// Run opens the workbench on b (a *session.Session for a backend that may not answer yet) and
// blocks until the user quits.
func Run(ctx context.Context, b backends.Backend, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts.NoColor = opts.NoColor || os.Getenv("NO_COLOR") != ""
	p := tea.NewProgram(New(ctx, b, opts), tea.WithContext(ctx))
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("workbench: %w", err)
	}
	return nil
}

// Model is the shell.
type Model struct {
	common   *common.Common // handed to every screen
	opts     Options
	keys     KeyMap
	screens  []screen.Screen
	current  int
	width    int
	height   int
	showHelp bool
	quitting bool
	asking   string // the question before quitting while work runs; "" when not asking

	session  *session.Session
	stamp    string // the backend's tables as last watched; "" before the first look
	down     error  // why the backend does not answer, nil while it does
	watching bool
}

// Watch is how often the shell looks whether the backend answers and whether its tables changed.
var Watch = time.Second

// watchMsg is one look at the backend.
type watchMsg struct {
	stamp string
	err   error
}

// New builds the shell and its screens on one session of b: one Common, handed to every screen's
// constructor. It does no I/O: Init starts every screen's commands and the watch of the backend.
func New(ctx context.Context, b backends.Backend, opts Options) *Model {
	sess := session.Of(b)
	c := common.New(ctx, sess, opts.NoColor)
	c.Dash = dash.NewRunner(sess, dash.Parallel)
	m := &Model{common: c, opts: opts, keys: DefaultKeyMap(len(screens)), session: sess}
	for _, newScreen := range screens {
		m.screens = append(m.screens, newScreen(c, &opts))
	}
	m.current = min(max(opts.Screen, 1), len(m.screens)) - 1
	m.screens[m.current].Focus()
	return m
}

// Init starts every screen: work on one goes on while another is shown.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, func() tea.Msg { return screen.ShownMsg{} }, m.watch(0)}
	for _, s := range m.screens {
		cmds = append(cmds, s.Init())
	}
	return tea.Batch(cmds...)
}

// Current is the screen shown, from 0.
func (m *Model) Current() int { return m.current }

// Screen is screen i, from 0.
func (m *Model) Screen(i int) screen.Screen { return m.screens[i] }

// Update routes: the window size to every screen as its area, keys (and pastes and the mouse)
// to the current screen after the global keys, and everything else to every screen.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		for _, s := range m.screens {
			s.SetSize(msg.Width, max(0, msg.Height-m.chromeH()))
		}
		return m, nil
	case tea.BackgroundColorMsg:
		// The one place styles change: in place, so every screen and panel that reads them
		// draws in the new ones.
		m.common.Styles.SetDark(msg.IsDark())
		return m, nil
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case screen.ShownMsg:
		return m, m.toCurrent(msg)
	case tea.KeyReleaseMsg, tea.PasteMsg, tea.MouseMsg:
		return m, m.toCurrent(msg)
	case watchMsg:
		return m, m.watched(msg)
	case screen.Open: // a screen asks for a table in the explorer, screen 1
		m.switchTo(0)
		var cmd tea.Cmd
		m.screens[0], cmd = m.screens[0].Update(msg)
		return m, cmd
	}
	return m, m.toAll(msg)
}

// watch looks at the backend after d: whether it answers, and a stamp of its tables.
func (m *Model) watch(d time.Duration) tea.Cmd {
	if m.watching {
		return nil
	}
	m.watching = true
	ctx, sess := m.common.Ctx, m.session
	look := func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		stamp, err := sess.Stamp(ctx)
		return watchMsg{stamp: stamp, err: err}
	}
	if d == 0 {
		return look
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return look() })
}

// watched tells every screen when the backend stops or starts answering, or its tables
// changed, and looks again a moment later.
func (m *Model) watched(msg watchMsg) tea.Cmd {
	m.watching = false
	var cmds []tea.Cmd
	if (msg.err == nil) != (m.down == nil) || msg.err != nil && m.down != nil && msg.err.Error() != m.down.Error() {
		m.down = msg.err
		cmds = append(cmds, m.toAll(screen.BackendState{Err: msg.err}))
	}
	if msg.err == nil {
		if m.stamp != "" && msg.stamp != m.stamp {
			cmds = append(cmds, m.toAll(screen.Changed{What: "the backend's tables"}))
		}
		m.stamp = msg.stamp
	}
	return tea.Batch(append(cmds, m.watch(Watch))...)
}

// Down is why the backend does not answer, or nil.
func (m *Model) Down() error { return m.down }

func (m *Model) toCurrent(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	m.screens[m.current], cmd = m.screens[m.current].Update(msg)
	return cmd
}

func (m *Model) toAll(msg tea.Msg) tea.Cmd {
	cmds := make([]tea.Cmd, len(m.screens))
	for i, s := range m.screens {
		m.screens[i], cmds[i] = s.Update(msg)
	}
	return tea.Batch(cmds...)
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if m.asking != "" { // y quits; any other key goes back to work
		m.asking = ""
		if key.Matches(msg, k.Yes) {
			return m.quit()
		}
		return nil
	}
	if key.Matches(msg, k.ForceQuit) {
		return m.askToQuit()
	}
	if m.showHelp { // any key closes the help; the closing keys do nothing else
		m.showHelp = false
		if key.Matches(msg, k.Help, k.Close, k.Quit) {
			return nil
		}
	}
	if !m.screens[m.current].InputFocused() {
		switch {
		case key.Matches(msg, k.Quit):
			return m.askToQuit()
		case key.Matches(msg, k.Help):
			m.showHelp = true
			return nil
		case key.Matches(msg, k.Screens):
			return m.switchTo(int(msg.String()[0] - '1'))
		}
	}
	return m.toCurrent(msg)
}

// switchTo shows screen i.
func (m *Model) switchTo(i int) tea.Cmd {
	if i == m.current || i < 0 || i >= len(m.screens) {
		return nil
	}
	m.screens[m.current].Blur()
	m.current = i
	m.screens[i].Focus()
	return m.toCurrent(screen.ShownMsg{})
}

// askToQuit quits, or first asks when a screen has work running, or a change unsaved, that
// quitting would lose.
func (m *Model) askToQuit() tea.Cmd {
	var busy, unsaved []string
	for _, s := range m.screens {
		if b, ok := s.(screen.Busy); ok && b.Busy() != "" {
			busy = append(busy, b.Busy())
		}
		if u, ok := s.(screen.Unsaved); ok && u.Unsaved() != "" {
			unsaved = append(unsaved, u.Unsaved())
		}
	}
	if len(busy) == 0 && len(unsaved) == 0 {
		return m.quit()
	}
	var parts []string
	if len(busy) > 0 {
		verb := "is"
		if len(busy) > 1 {
			verb = "are"
		}
		parts = append(parts, joinAnd(busy)+" "+verb+" still running")
	}
	if len(unsaved) > 0 {
		parts = append(parts, joinAnd(unsaved)+" is not saved (S saves it)")
	}
	q := strings.Join(parts, "; ")
	m.asking = strings.ToUpper(q[:1]) + q[1:] + ". Quit anyway? (y/n)"
	return nil
}

// joinAnd joins "a", "b" and "c" as "a, b and c".
func joinAnd(xs []string) string {
	if n := len(xs); n > 1 {
		return strings.Join(xs[:n-1], ", ") + " and " + xs[n-1]
	}
	return xs[0]
}

// Asking is the question asked before quitting, or "".
func (m *Model) Asking() string { return m.asking }

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	return tea.Quit
}

// View draws the header, the current screen and the help bar.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "dora · " + m.screens[m.current].Title()
	return v
}

// chromeH is the lines the shell draws around the current screen: the header and the help bar,
// none on a wall screen.
func (m *Model) chromeH() int {
	if m.opts.Wall {
		return 0
	}
	return 2
}

func (m *Model) render() string {
	w, h := m.width, m.height
	if out, small := common.TooSmall(w, h, m.quitting); small {
		return out
	}
	bodyH := h - m.chromeH()
	body := m.screens[m.current].View()
	if m.showHelp {
		body = m.fullHelp(w, bodyH)
	}
	bar := " " + m.shortHelpView(w-1)
	if m.asking != "" {
		bar = m.common.Styles.Status.Warn.Render(" ! " + m.asking)
	}
	if m.opts.Wall { // only the screen; the question before quitting over its last line
		lines := strings.Split(common.Block(body, w, h), "\n")
		if m.asking != "" {
			lines[h-1] = common.Fit(bar, w)
		}
		return strings.Join(lines, "\n")
	}
	return m.header() + "\n" + common.Block(body, w, bodyH) + "\n" + common.Fit(bar, w)
}

// header is the screens' tabs, the current one highlighted, each with its status.
func (m *Model) header() string {
	s := m.common.Styles
	var b strings.Builder
	b.WriteString(s.Header.Title.Render(" dora "))
	for i, sc := range m.screens {
		tab := fmt.Sprintf(" %d %s ", i+1, sc.Title())
		style := s.Header.Tab
		if i == m.current {
			style = s.Header.TabOn
		}
		b.WriteString(style.Render(tab))
		if st := sc.Status(); st != "" {
			b.WriteString(s.Status.Info.Render("· " + st + " "))
		}
	}
	if m.down != nil {
		down := " ✗ " + m.session.Name() + " unreachable · retrying "
		if common.Width(b.String())+common.Width(down) > m.width {
			down = " ✗ backend down "
		}
		b.WriteString(s.Status.Error.Render(down))
	}
	return common.Fit(b.String(), m.width)
}

// shortHelp is the current screen's keys, most important first, then the global ones, each
// key once.
func (m *Model) shortHelp() []key.Binding {
	if m.showHelp {
		return []key.Binding{m.keys.Close}
	}
	return dedupe(append(m.screens[m.current].ShortHelp(), m.keys.Quit, m.keys.Screens))
}

// shortHelpView is the help bar in w cells: what does not fit is left out whole, and ? help
// always shows.
func (m *Model) shortHelpView(w int) string {
	last := []key.Binding{m.keys.Help}
	if m.showHelp {
		last = nil
	}
	return common.HelpBar(m.common.Styles, m.shortHelp(), last, w)
}

// dedupe drops the bindings whose key a binding before them already shows.
func dedupe(bs []key.Binding) []key.Binding {
	seen := map[string]bool{}
	var out []key.Binding
	for _, b := range bs {
		if k := b.Help().Key; !seen[k] {
			seen[k] = true
			out = append(out, b)
		}
	}
	return out
}

// fullHelp is the ? screen: the global keys and every binding of the current screen.
func (m *Model) fullHelp(w, h int) string {
	sc := m.screens[m.current]
	groups := [][]key.Binding{{m.keys.Screens, m.keys.Help, m.keys.Quit, m.keys.ForceQuit}}
	if f, ok := sc.(screen.FullHelper); ok {
		groups = append(groups, f.FullHelp()...)
	} else if b := sc.ShortHelp(); len(b) > 0 {
		groups = append(groups, b)
	}
	text := strings.Join(common.HelpColumns(m.common.Styles, groups, w-2, h-3), "\n")
	return common.Box(m.common.Styles, "keys · "+sc.Title()+" · any key closes", "\n"+text, w, h, true)
}
