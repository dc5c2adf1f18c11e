// Package results is the panel that shows the current result as a table: scroll rows and
// columns, sort by a column, raw rows for the discover view, and for time buckets a series layout
// with a sparkline column.
package results

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/chart"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/format"
	"github.com/dora-dev/dora/tui/styles"
)

// SortMsg asks the root to order the view by a column; the root turns it into ORDER BY so the
// SQL line stays the truth of what is shown.
type SortMsg struct {
	Column    string
	DescFirst bool
}

// CellAction is what to do with the cell under the cursor.
type CellAction int

// The cell actions, as Kibana Discover's +/- and VisiData's frequency sheet.
const (
	CellKeep    CellAction = iota // filter to rows with this value
	CellExclude                   // filter out rows with this value
	CellGroup                     // group by this column
)

// CellMsg asks the root to act on the cell under the cursor: Column is the result's column
// (-1 in the series layout, which has none) and Value the cell's raw value.
type CellMsg struct {
	Action CellAction
	Column int
	Value  any
}

// KeyMap is the panel's bindings.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Left, Right                             key.Binding
	Sort                                    key.Binding
	Series                                  key.Binding
	Keep, Exclude, GroupCol                 key.Binding
}

// DefaultKeyMap returns the panel's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d", "space"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "first row")),
		Bottom:   key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "last row")),
		Left:     key.NewBinding(key.WithKeys("left"), key.WithHelp("←", "column left")),
		Right:    key.NewBinding(key.WithKeys("right"), key.WithHelp("→", "column right")),
		Sort:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		Series:   key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "rows/series")),
		Keep:     key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "keep value")),
		Exclude:  key.NewBinding(key.WithKeys("-"), key.WithHelp("-", "drop value")),
		GroupCol: key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "group column")),
	}
}

// Model is the result table panel.
type Model struct {
	common   *common.Common
	keys     KeyMap
	spec     query.Spec
	res      *query.Result
	table    grid // what is drawn: the result rows or the series layout
	row      int
	rowOff   int
	col      int
	colOff   int
	width    int
	height   int
	focused  bool
	series   bool // show one row per series with a sparkline
	canPivot bool
	partial  chart.Partial // the first or last time bucket holds part of its time
	counts   bool          // last and change count partial buckets in (the explorer's P)
}

// SetCountPartial says whether the series layout's last and change figures count partial
// buckets in; by default they leave them out.
func (m *Model) SetCountPartial(on bool) {
	if on != m.counts {
		m.counts = on
		m.rebuild()
	}
}

// SetPartial says which ends of the time buckets are partial: the series layout's last and
// change figures leave them out.
func (m *Model) SetPartial(p chart.Partial) {
	if p != m.partial {
		m.partial = p
		m.rebuild()
	}
}

// grid is a table ready to draw: header, cells as text, and which columns are numbers. Result
// cells are formatted when drawn, so a result of many thousand rows costs only what is seen.
type grid struct {
	header  []string
	names   []string // the output column each grid column sorts by ("" when it cannot)
	rows    int
	cell    func(r, c int) string
	numeric []bool
	widths  []int
	spark   int         // index of the sparkline column, -1 when none
	series  [][]float64 // per row: the values its sparkline draws
	drawn   map[int]string
	drawnW  int            // the width the drawn sparklines were made for
	drawnS  *styles.Styles // and the styles
}

// New returns an empty result table.
func New(c *common.Common) *Model {
	return &Model{common: c, keys: DefaultKeyMap()}
}

// SetResult shows a new result.
func (m *Model) SetResult(spec query.Spec, res *query.Result) {
	m.spec, m.res = spec, res
	m.partial = chart.Partial{}
	m.canPivot = timeDim(spec, res) >= 0
	if !m.canPivot {
		m.series = false
	}
	m.rebuild()
}

// Series reports whether the series layout is shown.
func (m *Model) Series() bool { return m.series }

// Rows is the number of rows drawn.
func (m *Model) Rows() int { return m.table.rows }

func (m *Model) rebuild() {
	if m.series {
		m.table = seriesGrid(m.spec, m.res, m.partial, m.counts)
	} else {
		m.table = rowsGrid(m.spec, m.res)
	}
	m.row = min(m.row, max(0, m.table.rows-1))
	m.col = min(m.col, max(0, len(m.table.header)-1))
	m.scroll()
}

// timeDim returns the result column of the first time dimension, or -1.
func timeDim(spec query.Spec, res *query.Result) int {
	if res == nil || spec.IsRaw() {
		return -1
	}
	for i, c := range res.Columns {
		if c.Role == query.RoleDimension && c.Type.Temporal() {
			return i
		}
		if d, ok := spec.OutputDimension(i); ok && d.IsTime() {
			return i
		}
	}
	return -1
}

// unitOf is the calendar unit of the time bucket the i-th output column returns, "" for others.
func unitOf(spec query.Spec, i int) string {
	d, _ := spec.OutputDimension(i)
	switch d.Kind {
	case query.DimDateTrunc:
		return d.Unit
	case query.DimTimeBucket:
		return d.Every.Unit
	}
	return ""
}

// orderName is the name ORDER BY uses for the i-th result column: the dimension or metric behind
// it, or for raw rows its table column.
func orderName(spec query.Spec, res *query.Result, i int) string {
	if ref := spec.OutputRef(i); ref != "" {
		return ref
	}
	return res.Columns[i].Name
}

func rowsGrid(spec query.Spec, res *query.Result) grid {
	g := grid{spark: -1}
	if res == nil {
		return g
	}
	units := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		arrow := ""
		if len(spec.OrderBy) > 0 && spec.OrderBy[0].Name == orderName(spec, res, i) {
			arrow = " ▲"
			if spec.OrderBy[0].Desc {
				arrow = " ▼"
			}
		}
		g.header = append(g.header, termsafe.String(c.Name)+arrow)
		g.names = append(g.names, orderName(spec, res, i))
		g.numeric = append(g.numeric, c.Type.Numeric() || c.Role == query.RoleMetric)
		units[i] = unitOf(spec, i)
	}
	g.rows = len(res.Rows)
	g.cell = func(r, c int) string {
		if row := res.Rows[r]; c < len(row) {
			return format.Value(row[c], units[c])
		}
		return ""
	}
	g.measure()
	return g
}

// seriesGrid lays a time-bucketed result out as one row per series: the other dimensions, a
// sparkline of the first metric over time, and its min, max and last values.
func seriesGrid(spec query.Spec, res *query.Result, partial chart.Partial, counted bool) grid {
	g := grid{spark: -1}
	td := timeDim(spec, res)
	if res == nil || td < 0 {
		return rowsGrid(spec, res)
	}
	var dims []int
	metric := -1
	for i, c := range res.Columns {
		switch {
		case i == td:
		case c.Role == query.RoleDimension:
			dims = append(dims, i)
		case c.Role == query.RoleMetric && metric < 0:
			metric = i
		}
	}
	if metric < 0 {
		return rowsGrid(spec, res)
	}
	type serie struct {
		labels []string
		points map[int64]float64
		last   time.Time
	}
	var order []string
	all := map[string]*serie{}
	var times []int64
	seen := map[int64]bool{}
	for _, row := range res.Rows {
		var labels []string
		for _, d := range dims {
			labels = append(labels, format.Value(row[d], ""))
		}
		k := strings.Join(labels, "\x00")
		s := all[k]
		if s == nil {
			s = &serie{labels: labels, points: map[int64]float64{}}
			all[k] = s
			order = append(order, k)
		}
		t, _ := row[td].(time.Time)
		v, ok := format.Number(row[metric])
		if !ok {
			continue
		}
		s.points[t.UnixNano()] += v
		if !seen[t.UnixNano()] {
			seen[t.UnixNano()] = true
			times = append(times, t.UnixNano())
		}
	}
	sort.Slice(times, func(a, b int) bool { return times[a] < times[b] })
	var cells [][]string
	for _, d := range dims {
		g.header = append(g.header, termsafe.String(res.Columns[d].Name))
		g.names = append(g.names, orderName(spec, res, d))
		g.numeric = append(g.numeric, false)
	}
	mName := termsafe.String(res.Columns[metric].Name)
	g.spark = len(g.header)
	// The last and change figures are of whole buckets: a partial first or last one is left out,
	// unless asked to count them (then "last" says it is partial).
	lastName := "last"
	whole := times
	switch {
	case counted:
		if partial.Last {
			lastName = "last (partial)"
		}
	default:
		if partial.Last && len(whole) > 0 {
			whole, lastName = whole[:len(whole)-1], "last whole"
		}
		if partial.First && len(whole) > 0 {
			whole = whole[1:]
		}
	}
	g.header = append(g.header, "trend of "+mName, "min", "max", lastName, "change")
	g.names = append(g.names, "", "", "", "", "")
	g.numeric = append(g.numeric, false, true, true, true, true)
	for _, k := range order {
		s := all[k]
		vals := make([]float64, 0, len(times))
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, t := range times {
			v, ok := s.points[t]
			if !ok {
				vals = append(vals, 0)
				continue
			}
			vals = append(vals, v)
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		last, prev := math.NaN(), math.NaN()
		if n := len(whole); n > 0 {
			last = s.points[whole[n-1]]
			if n > 1 {
				prev = s.points[whole[n-2]]
			}
		}
		change := ""
		if !math.IsNaN(prev) && prev != 0 && !math.IsNaN(last) {
			change = fmt.Sprintf("%+.1f%%", (last-prev)/math.Abs(prev)*100)
		}
		row := append([]string(nil), s.labels...)
		row = append(row, sparkCell, format.Human(lo), format.Human(hi), format.Human(last), change)
		cells = append(cells, row)
		g.series = append(g.series, vals)
	}
	g.rows = len(cells)
	g.cell = func(r, c int) string { return cells[r][c] }
	g.measure()
	if g.spark >= 0 {
		g.widths[g.spark] = max(ansi.StringWidth(g.header[g.spark]), min(len(times), 32))
	}
	return g
}

// sparkCell marks the cell a sparkline is drawn into at its column's width.
const sparkCell = "\x00spark"

// sparkAt draws row r's sparkline, once per row and width.
func (m *Model) sparkAt(r, width int) string {
	g := &m.table
	if g.drawn == nil || g.drawnW != width || g.drawnS != m.common.Styles {
		g.drawn, g.drawnW, g.drawnS = map[int]string{}, width, m.common.Styles
	}
	if s, ok := g.drawn[r]; ok {
		return s
	}
	s := drawSpark(g.series[r], width, m)
	g.drawn[r] = s
	return s
}

func drawSpark(vs []float64, width int, m *Model) string {
	if width <= 0 || len(vs) == 0 {
		return strings.Repeat(" ", max(0, width))
	}
	return chart.Sparkline(m.common.Styles.Series(0), vs, width, 1)
}

func (g *grid) measure() {
	g.widths = make([]int, len(g.header))
	for i, h := range g.header {
		g.widths[i] = ansi.StringWidth(h)
	}
	for r := 0; r < min(g.rows, 1000); r++ { // the first thousand rows set the widths
		for i := range g.widths {
			if c := g.cell(r, i); c != sparkCell {
				g.widths[i] = max(g.widths[i], ansi.StringWidth(c))
			}
		}
	}
	for i := range g.widths {
		g.widths[i] = min(max(g.widths[i], 3), 40)
	}
}

// SetSize sets the inner size.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = max(0, w), max(0, h)
	m.scroll()
}

// SetFocused says whether the panel has focus.
func (m *Model) SetFocused(f bool) { m.focused = f }

func (m *Model) pageRows() int { return max(1, m.height-1) }

// scroll keeps the cursor row and column in view.
func (m *Model) scroll() {
	page := m.pageRows()
	if m.row < m.rowOff {
		m.rowOff = m.row
	}
	if m.row >= m.rowOff+page {
		m.rowOff = m.row - page + 1
	}
	m.rowOff = max(0, min(m.rowOff, m.table.rows-page))
	if m.col < m.colOff {
		m.colOff = m.col
	}
	for m.colOff < m.col && m.spanWidth(m.colOff, m.col) > m.width {
		m.colOff++
	}
}

// spanWidth is the width of columns from..to inclusive with their separators.
func (m *Model) spanWidth(from, to int) int {
	w := 0
	for i := from; i <= to && i < len(m.table.widths); i++ {
		w += m.table.widths[i] + 2
	}
	return w
}

// Update handles a key press.
func (m *Model) Update(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Up):
		m.row--
	case key.Matches(msg, k.Down):
		m.row++
	case key.Matches(msg, k.PageUp):
		m.row -= m.pageRows()
	case key.Matches(msg, k.PageDown):
		m.row += m.pageRows()
	case key.Matches(msg, k.Top):
		m.row = 0
	case key.Matches(msg, k.Bottom):
		m.row = m.table.rows - 1
	case key.Matches(msg, k.Left):
		m.col--
	case key.Matches(msg, k.Right):
		m.col++
	case key.Matches(msg, k.Series):
		if m.canPivot {
			m.series = !m.series
			m.col, m.colOff = 0, 0
			m.rebuild()
		}
		return nil
	case key.Matches(msg, k.Keep, k.Exclude, k.GroupCol):
		return m.cellAction(msg)
	case key.Matches(msg, k.Sort):
		if m.col < len(m.table.names) && m.table.names[m.col] != "" {
			name, desc := m.table.names[m.col], m.table.numeric[m.col]
			return func() tea.Msg { return SortMsg{Column: name, DescFirst: desc} }
		}
		return nil
	default:
		return nil
	}
	m.row = max(0, min(m.row, m.table.rows-1))
	m.col = max(0, min(m.col, len(m.table.header)-1))
	m.scroll()
	return nil
}

// cellAction asks the root to act on the cell under the cursor; the series layout has no
// cells of the result, so its message has Column -1.
func (m *Model) cellAction(msg tea.KeyPressMsg) tea.Cmd {
	if m.res == nil || m.row >= len(m.res.Rows) || m.col >= len(m.res.Columns) {
		return nil
	}
	a := CellKeep
	switch {
	case key.Matches(msg, m.keys.Exclude):
		a = CellExclude
	case key.Matches(msg, m.keys.GroupCol):
		a = CellGroup
	}
	if m.series { // Column -1: the root says to go back to the rows
		return func() tea.Msg { return CellMsg{Action: a, Column: -1} }
	}
	c := CellMsg{Action: a, Column: m.col}
	if row := m.res.Rows[m.row]; m.col < len(row) {
		c.Value = row[m.col]
	}
	return func() tea.Msg { return c }
}

// Cursor is the row and column of the cell under the cursor.
func (m *Model) Cursor() (row, col int) { return m.row, m.col }

// Title says what the table holds.
func (m *Model) Title() string {
	if m.res == nil {
		return "rows"
	}
	n := len(m.res.Rows)
	word := "rows"
	if !m.spec.IsRaw() {
		word = "groups"
	}
	if m.series {
		return fmt.Sprintf("%d series · p rows", m.table.rows)
	}
	t := fmt.Sprintf("%s %s", format.Int(int64(n)), word)
	if m.table.rows > 0 {
		t = fmt.Sprintf("%s · row %d", t, m.row+1)
	}
	if m.canPivot {
		t += " · p series"
	}
	return t
}

// View renders exactly width x height cells.
func (m *Model) View() string {
	s := m.common.Styles
	if m.res == nil || len(m.table.header) == 0 {
		return common.Block(s.Muted.Render(" no result"), m.width, m.height)
	}
	cellStyle, nullStyle := common.NewPainter(s.Table.Cell), common.NewPainter(s.Table.Null)
	var lines []string
	// header
	var hb strings.Builder
	used := 0
	last := m.colOff
	for i := m.colOff; i < len(m.table.header) && used < m.width; i++ {
		w := min(m.table.widths[i], m.width-used)
		cell := m.align(m.table.header[i], w, i)
		st := s.Table.Header
		if i == m.col && m.focused {
			st = s.Table.HeaderOn
		}
		hb.WriteString(st.Render(cell))
		hb.WriteString("  ")
		used += w + 2
		last = i
	}
	lines = append(lines, common.Fit(hb.String(), m.width))
	for r := m.rowOff; r < m.table.rows && len(lines) < m.height; r++ {
		var rb strings.Builder
		plainRow := r == m.row && m.focused
		used := 0
		for i := m.colOff; i <= last && used < m.width; i++ {
			w := min(m.table.widths[i], m.width-used)
			c := m.table.cell(r, i)
			var cell string
			switch {
			case c == sparkCell:
				cell = m.sparkAt(r, w)
				if plainRow {
					cell = ansi.Strip(cell)
				}
			case c == "∅":
				cell = m.align(c, w, i)
				if !plainRow {
					cell = nullStyle.Render(cell)
				}
			default:
				cell = m.align(c, w, i)
				if !plainRow {
					cell = cellStyle.Render(cell)
				}
			}
			rb.WriteString(cell)
			rb.WriteString("  ")
			used += w + 2
		}
		line := common.Fit(rb.String(), m.width)
		if plainRow {
			line = s.Table.Selected.Render(line)
		}
		lines = append(lines, line)
	}
	return common.Block(strings.Join(lines, "\n"), m.width, m.height)
}

func (m *Model) align(text string, w, col int) string {
	if m.table.numeric[col] {
		return common.FitLeft(text, w)
	}
	return common.Fit(text, w)
}

// ShortHelp is the help bar.
func (m *Model) ShortHelp() []key.Binding {
	keepDrop := key.NewBinding(key.WithKeys("+", "-"), key.WithHelp("+/-", "keep/drop value"))
	b := []key.Binding{keepDrop, m.keys.GroupCol, m.keys.Sort}
	if m.series {
		b = []key.Binding{m.keys.Sort}
	}
	if m.canPivot {
		b = append(b, m.keys.Series)
	}
	return b
}

// FullHelp is the full help.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Left, k.Right, k.Sort, k.Series},
		{k.Keep, k.Exclude, k.GroupCol}}
}
