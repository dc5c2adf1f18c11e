package explorer

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/format"
)

// wideScreen is the width from which the side lists show without asking.
const wideScreen = 100

// geometry is where everything goes on the screen; layout computes it from the window size.
type geometry struct {
	sqlH, bodyH             int
	side                    bool
	sideW                   int
	tablesH, fieldsH, viewH int
	mainW                   int
	chartShown              bool
	sideBySide              bool // chart and table side by side on large screens
	chartW, chartH          int
	tableW, tableH          int
	overlayW, overlayH      int
	inspectW, inspectH      int
}

func (m *Model) sideVisible() bool {
	w := m.common.Width
	if m.hist.Spec().Table == "" {
		return true // nothing open: the tables list is the way in
	}
	if w >= wideScreen {
		return !m.sideHide
	}
	return m.sideShown
}

func (m *Model) toggleSide() {
	if m.common.Width >= wideScreen {
		m.sideHide = !m.sideHide
	} else {
		m.sideShown = !m.sideShown
	}
	if m.sideVisible() {
		if m.focus == focusChart || m.focus == focusResults {
			m.focus = focusFields
		}
	} else if m.focus <= focusView {
		m.focus = focusResults
	}
	m.layout()
}

// focusOrder lists the panels that can take focus now.
func (m *Model) focusOrder() []focus {
	var out []focus
	if m.sideVisible() {
		out = append(out, focusTables, focusFields, focusView)
	}
	if m.geo().chartShown {
		out = append(out, focusChart)
	}
	return append(out, focusResults)
}

func (m *Model) cycleFocus(d int) {
	order := m.focusOrder()
	i := 0
	for j, f := range order {
		if f == m.focus {
			i = j
		}
	}
	m.focus = order[(i+d+len(order))%len(order)]
	m.layout()
}

// geo computes the geometry for the current size and state.
func (m *Model) geo() geometry {
	w, h := m.common.Width, m.common.Height
	var g geometry
	// The SQL line wraps onto as many rows as it needs, up to 1, 2 or 3 by screen height.
	maxSQL := 1
	switch {
	case h >= 40:
		maxSQL = 3
	case h >= 20:
		maxSQL = 2
	}
	g.sqlH = min(maxSQL, m.bar.Lines(w))
	if m.bar.Editing() { // the editor grows with its text, up to a third of the screen
		g.sqlH = min(m.bar.Lines(w), max(maxSQL, h/3))
	}
	g.bodyH = max(0, h-m.chromeH()-g.sqlH)
	g.side = m.sideVisible() && w >= 40
	if g.side {
		if w >= wideScreen {
			g.sideW = min(max(w/5, 26), 36)
		} else {
			g.sideW = min(28, w/2)
		}
		nTables := len(m.tables.Tables())
		g.tablesH = min(max(3, nTables+2), max(3, g.bodyH/4+2))
		g.viewH = min(max(3, len(m.view.Items())+2), max(3, g.bodyH/3))
		g.fieldsH = max(0, g.bodyH-g.tablesH-g.viewH)
		if g.fieldsH < 3 { // very short screens: fields before the view list
			g.viewH = max(0, g.bodyH-g.tablesH-3)
			g.fieldsH = g.bodyH - g.tablesH - g.viewH
		}
	}
	g.mainW = w - g.sideW
	spec := m.hist.Spec()
	g.chartShown = m.res != nil && !spec.IsRaw() && m.chart.Kind() != charts.None && g.bodyH >= 8
	switch {
	case !g.chartShown:
		g.tableW, g.tableH = g.mainW, g.bodyH
	case g.mainW >= 150:
		g.sideBySide = true
		g.chartW = g.mainW * 55 / 100
		g.chartH = g.bodyH
		g.tableW, g.tableH = g.mainW-g.chartW, g.bodyH
	default:
		g.chartW = g.mainW
		g.chartH = m.chart.Height(g.bodyH)
		g.tableW, g.tableH = g.mainW, g.bodyH-g.chartH
	}
	g.overlayW = min(64, max(20, w-4))
	g.overlayH = min(max(8, g.bodyH), 22)
	g.inspectW = min(110, max(20, w-4))
	g.inspectH = max(6, g.bodyH)
	return g
}

// chromeH is the lines around the body: the header and the status line (the shell draws the
// help bar).
func (m *Model) chromeH() int {
	return 2 + len(m.caretLines(m.common.Width))
}

// caretLines are the SQL line an error points into and a caret under the spot, as dora query
// prints them under its error; none for an error without a place.
func (m *Model) caretLines(w int) []string {
	var pe *query.ParseError
	if m.err == nil || m.note != "" && m.noteBad || !errors.As(m.err, &pe) || pe.Offset < 0 || m.common.Height < 16 {
		return nil
	}
	lines := strings.Split(pe.SQL, "\n")
	if pe.Line < 1 || pe.Line > len(lines) {
		return nil
	}
	text := []rune(strings.ReplaceAll(strings.TrimRight(lines[pe.Line-1], "\r"), "\t", " "))
	col := max(0, pe.Column-1)
	room := max(1, w-3)
	start := 0
	if len(text) > room { // a window of the line around the spot
		start = max(0, min(col-room/2, len(text)-room))
	}
	shown := text[start:min(len(text), start+room)]
	s := m.common.Styles
	return []string{common.Fit("  "+string(shown), w), common.Fit(s.Status.Error.Render("  "+strings.Repeat(" ", max(0, col-start))+"^"), w)}
}

// layout hands every panel its inner size and focus.
func (m *Model) layout() {
	g := m.geo()
	m.tables.SetSize(g.sideW-2, g.tablesH-2)
	m.fields.SetSize(g.sideW-2, g.fieldsH-2)
	m.view.SetSize(g.sideW-2, g.viewH-2)
	m.bar.SetSize(m.common.Width, g.sqlH)
	m.chart.SetSize(max(0, g.chartW-4), max(0, g.chartH-2)) // a cell of padding each side
	m.results.SetSize(max(0, g.tableW-4), max(0, g.tableH-2))
	if m.picker != nil {
		m.picker.SetSize(g.overlayW, g.overlayH)
	}
	m.inspect.SetSize(g.inspectW, g.inspectH)
	visible := map[focus]bool{}
	for _, f := range m.focusOrder() {
		visible[f] = true
	}
	if !visible[m.focus] {
		m.focus = focusResults
		if g.side && m.hist.Spec().Table == "" {
			m.focus = focusTables
		}
	}
	m.tables.SetFocused(m.focus == focusTables)
	m.fields.SetFocused(m.focus == focusFields)
	m.view.SetFocused(m.focus == focusView)
	m.results.SetFocused(m.focus == focusResults)
}

func (m *Model) render() string {
	w, h := m.common.Width, m.common.Height
	if out, small := common.TooSmall(w, h, false); small {
		return out
	}
	if dark := m.common.Styles.Dark; dark != m.chartDark { // the shell restyled: draw the chart again
		m.chartDark = dark
		m.chart.Invalidate()
	}
	g := m.geo()
	var rows []string
	rows = append(rows, m.header(w))
	rows = append(rows, m.bar.View())
	body := m.body(g)
	// Modals draw over the body.
	switch {
	case m.picker != nil:
		body = overlay(body, m.picker.View(), g.mainW, g.sideW, w, g.bodyH)
	case m.showInsp:
		body = overlay(body, m.inspect.View(), w, 0, w, g.bodyH)
	}
	rows = append(rows, body)
	rows = append(rows, m.statusLine(w))
	rows = append(rows, m.caretLines(w)...)
	out := strings.Join(rows, "\n")
	if g.bodyH+m.chromeH()+g.sqlH != h { // tiny screens: let Block cut what does not fit
		return common.Block(out, w, h)
	}
	return out
}

// overlay centres box over the area [left, left+areaW) of body.
func overlay(body, box string, areaW, left, w, h int) string {
	bw, bh := lipgloss.Width(box), lipgloss.Height(box)
	x := left + max(0, (areaW-bw)/2)
	if x+bw > w {
		x = max(0, w-bw)
	}
	y := max(0, (h-bh)/3)
	c := lipgloss.NewCompositor(lipgloss.NewLayer(body), lipgloss.NewLayer(box).X(x).Y(y).Z(1))
	return c.Render()
}

func (m *Model) header(w int) string {
	s := m.common.Styles
	left := s.Header.Title.Render(" dora")
	if t := m.hist.Spec().Table; t != "" {
		left += s.Header.Backend.Render("  ▸ ") + s.Bold.Render(t)
	}
	if d := m.hist.Depth(); d > 0 {
		left += s.Muted.Render(fmt.Sprintf("  · %d undo", d))
	}
	return common.Fit(left, w)
}

func (m *Model) body(g geometry) string {
	s := m.common.Styles
	var side string
	if g.side {
		table := m.hist.Spec().Table
		ft := "fields"
		if table != "" {
			ft = "fields · " + table
		}
		var parts []string
		for _, p := range []struct {
			title, content string
			h              int
			on             bool
		}{
			{"tables", m.tables.View(), g.tablesH, m.focus == focusTables},
			{ft, m.fields.View(), g.fieldsH, m.focus == focusFields},
			{"view · x removes", m.view.View(), g.viewH, m.focus == focusView},
		} {
			if p.h > 0 {
				parts = append(parts, common.Box(s, p.title, p.content, g.sideW, p.h, p.on))
			}
		}
		side = strings.Join(parts, "\n")
	}
	pad := func(content string, w, h int) string { // panels draw exactly their size already
		lines := strings.Split(content, "\n")
		for i := range lines {
			lines[i] = " " + lines[i] + " "
		}
		return strings.Join(lines, "\n")
	}
	tableBox := common.Box(s, m.results.Title(), pad(m.results.View(), g.tableW, g.tableH), g.tableW, g.tableH, m.focus == focusResults)
	main := tableBox
	if g.chartShown {
		chartBox := common.Box(s, m.chart.Title(), pad(m.chart.View(), g.chartW, g.chartH), g.chartW, g.chartH, m.focus == focusChart)
		if g.sideBySide {
			main = joinH(chartBox, tableBox)
		} else {
			main = chartBox + "\n" + tableBox
		}
	}
	if g.side {
		return joinH(side, main)
	}
	return main
}

// joinH puts blocks of equal height side by side. Every block is drawn to its exact size, so no
// width needs measuring again (that measuring is most of a frame's cost).
func joinH(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var sb strings.Builder
	sb.Grow(len(a) + len(b))
	for i := 0; i < max(len(al), len(bl)); i++ {
		if i > 0 {
			sb.WriteByte('\n')
		}
		if i < len(al) {
			sb.WriteString(al[i])
		}
		if i < len(bl) {
			sb.WriteString(bl[i])
		}
	}
	return sb.String()
}

// statusLine says what the screen shows: running, the error in words, or the answer's size, time
// and exactness; the backend's name sits at the right.
func (m *Model) statusLine(w int) string {
	s := m.common.Styles
	var left string
	switch {
	case m.note != "" && m.noteBad:
		left = s.Status.Warn.Render(" ! " + m.note)
	case m.err != nil && m.autoRetry:
		left = s.Status.Error.Render(" ✗ " + describeRetrying(m.err))
	case m.err != nil:
		left = s.Status.Error.Render(" ✗ " + describe(m.err))
	case m.running:
		left = " " + s.Status.Spinner.Render(m.spinner.View()) + s.Status.Info.Render(fmt.Sprintf(" running… %s", format.Duration(m.elapsed().Round(100_000_000))))
	case m.res != nil:
		meta := m.res.Meta
		parts := []string{fmt.Sprintf("%s rows", format.Int(int64(len(m.res.Rows)))), format.Duration(meta.Took)}
		exact := "exact"
		if meta.Approximate {
			exact = "≈ approximate"
		}
		parts = append(parts, exact)
		if meta.Total >= 0 {
			parts = append(parts, format.Human(float64(meta.Total))+" matched")
		}
		if !meta.Complete {
			parts = append(parts, "cut by limit")
		}
		icon := s.Status.OK.Render(" ✓ ")
		text := strings.Join(parts, " · ")
		if meta.Approximate {
			left = icon + s.Status.Warn.Render(text)
		} else {
			left = icon + s.Status.Info.Render(text)
		}
	default:
		left = s.Muted.Render(" pick a table and press enter")
	}
	if m.note != "" && !m.noteBad {
		left += s.Status.OK.Render("  " + m.note)
	}
	right := s.Muted.Render(m.common.Backend.Name() + " ")
	lw, rw := ansi.StringWidth(left), ansi.StringWidth(right)
	if lw+rw+2 > w {
		room := w - lw - 2
		if room < 12 {
			return common.Fit(left, w)
		}
		right = s.Muted.Render(ansi.TruncateLeft(m.common.Backend.Name(), ansi.StringWidth(m.common.Backend.Name())-room+2, "…") + " ")
		rw = ansi.StringWidth(right)
	}
	return common.Fit(left+strings.Repeat(" ", max(1, w-lw-rw))+right, w)
}

// focused is the panel with focus, for its key bindings.
func (m *Model) focused() common.Component {
	switch m.focus {
	case focusTables:
		return m.tables
	case focusFields:
		return m.fields
	case focusView:
		return m.view
	case focusChart:
		return m.chart
	}
	return m.results
}

// shortHelp is the help bar: the modal's bindings, or the focused panel's then the builders.
// In the fields list g and f act on the field under the cursor at once, and say so.
func (m *Model) shortHelp() []key.Binding {
	switch {
	case m.picker != nil:
		return m.picker.ShortHelp()
	case m.bar.Editing():
		return m.bar.ShortHelp()
	case m.showInsp:
		return m.inspect.ShortHelp()
	}
	k := m.keys
	if f, ok := m.preselected(); ok {
		if groupable(f) {
			k.GroupBy.SetHelp("g", "group by "+f.Name)
		}
		k.Filter.SetHelp("f", "filter "+f.Name)
	}
	// The builders and the SQL editor first, then what only the focused panel does, then the rest.
	build := k.build()
	b := append([]key.Binding{}, build[:5]...)
	b = append(b, m.focused().ShortHelp()...)
	if p, ok := m.partialKey(); ok {
		b = append(b, p)
	}
	return append(b, build[5:]...)
}

// navKeys are the help keys of moving in a list, the same in every panel.
var navKeys = map[string]bool{"↑/k": true, "↓/j": true, "pgup": true, "pgdn": true, "home": true, "end": true, "←": true, "→": true}

// helpGroups is every key of the explorer, the focused panel's first.
func (m *Model) helpGroups() [][]key.Binding {
	groups := append(m.focused().FullHelp(), m.keys.FullHelp()...)
	var panels []key.Binding
	for _, p := range []struct {
		name string
		c    common.Component
	}{{"tables", m.tables}, {"fields", m.fields}, {"rows", m.results}, {"chart", m.chart}} {
		if p.c == m.focused() {
			continue
		}
		for _, g := range p.c.FullHelp() {
			for _, b := range g {
				h := b.Help()
				if h.Key == "" || navKeys[h.Key] {
					continue // moving is the same everywhere
				}
				b.SetHelp(h.Key, h.Desc+" ("+p.name+")")
				panels = append(panels, b)
			}
		}
	}
	return append(groups, panels)
}
