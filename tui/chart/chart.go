// Package chart is the panel that draws the current result with ntcharts: bars for categories,
// lines for time buckets, stacked bars for two group-bys, a heatmap; a key cycles the kind.
package chart

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
)

// KeyMap is the panel's bindings.
type KeyMap struct {
	Cycle      key.Binding
	NextMetric key.Binding
}

// DefaultKeyMap returns the panel's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Cycle:      key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "chart type")),
		NextMetric: key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next metric")),
	}
}

// Model is the chart panel. It caches its drawing: a chart is redrawn only when the result, the
// size, the kind or the theme changes.
type Model struct {
	common *common.Common
	keys   KeyMap
	spec   query.Spec
	res    *query.Result
	kinds  []charts.Kind
	kind   int
	metric int
	width  int
	height int
	cache  string
	dirty  bool
	pivots pivotCache // the result's rows pivoted, kept across redraws of the same result
	want   *wanted    // a saved view's chart, for the next result
	extent Extent     // the time the result's rows span, when known
	counts bool       // the figures beside the chart count partial buckets in
}

// SetCountPartial says whether the figures beside the chart (the series layout's last and
// change) count partial buckets in; the line naming them says which.
func (m *Model) SetCountPartial(on bool) {
	if on != m.counts {
		m.counts, m.dirty = on, true
	}
}

// Partial says which ends of the result's time buckets are partial, by the extent given.
func (m *Model) Partial() Partial {
	sh := shapeOf(m.spec, m.res)
	if m.res == nil || len(sh.metrics) == 0 || len(sh.dims) == 0 {
		return Partial{}
	}
	return partialOf(m.pivots.pivot(sh, m.res, sh.metrics[0], 0), m.extent)
}

// SetExtent gives the time the result's rows span, which marks partial first and last buckets.
func (m *Model) SetExtent(e Extent) {
	if e != m.extent {
		m.extent, m.dirty = e, true
	}
}

type wanted struct {
	kind   charts.Kind
	metric string
}

// New returns an empty chart panel.
func New(c *common.Common) *Model {
	return &Model{common: c, keys: DefaultKeyMap(), kinds: []charts.Kind{charts.None}, dirty: true}
}

// SetResult shows a new result. The chosen kind is kept when it still suits the result.
func (m *Model) SetResult(spec query.Spec, res *query.Result) {
	prev, prevDefault := m.Kind(), m.kinds[0]
	m.spec, m.res = spec, res
	m.pivots = pivotCache{}
	m.extent = Extent{} // the next answer's is asked for anew
	m.kinds = Kinds(spec, res)
	m.kind = 0
	if m.kinds[0] == prevDefault { // same shape of answer: keep the kind the user cycled to
		for i, k := range m.kinds {
			if k == prev {
				m.kind = i
			}
		}
	}
	if m.res == nil || m.metric >= len(shapeOf(spec, res).metrics) {
		m.metric = 0
	}
	if w := m.want; w != nil && res != nil {
		m.want = nil
		for i, k := range m.kinds {
			if k == w.kind {
				m.kind = i
			}
		}
		for i, c := range shapeOf(spec, res).metrics {
			if w.metric != "" && res.Columns[c].Name == w.metric {
				m.metric = i
			}
		}
	}
	m.dirty = true
}

// Want asks for a kind and a metric (by its column name; "" for the first) when the next result
// arrives, as a saved view says. What does not suit that result is left at the default.
func (m *Model) Want(k charts.Kind, metric string) {
	m.want = &wanted{kind: k, metric: metric}
	m.metric = 0
}

// Metric names the metric the chart draws when one other than the first was picked (n); ""
// when it draws the first.
func (m *Model) Metric() string {
	sh := shapeOf(m.spec, m.res)
	if m.metric == 0 || m.metric >= len(sh.metrics) {
		return ""
	}
	return m.res.Columns[sh.metrics[m.metric]].Name
}

// Kind is the kind drawn now.
func (m *Model) Kind() charts.Kind { return m.kinds[m.kind] }

// Kinds lists the kinds the result can be drawn as.
func (m *Model) Kinds() []charts.Kind { return m.kinds }

// Cycle moves to the next chart kind.
func (m *Model) Cycle() {
	m.kind = (m.kind + 1) % len(m.kinds)
	m.dirty = true
}

// Title names what the chart shows.
func (m *Model) Title() string {
	if m.res == nil {
		return "chart"
	}
	return Title(m.spec, m.res, m.Kind(), m.metric)
}

// Height is how many of avail rows the chart wants when it shares them with the table above
// it: a time series needs height to be read, and a chart of a few rows leaves the room to the
// table.
func (m *Model) Height(avail int) int {
	h := max(5, avail*45/100)
	switch m.Kind() {
	case charts.Lines, charts.Columns, charts.Heatmap:
		h = max(5, avail*55/100)
	case charts.Number:
		h = min(h, 2+len(m.spec.Metrics))
	case charts.Bars:
		if m.res != nil {
			h = min(h, max(5, 2+len(m.res.Rows)))
		}
	}
	return h
}

// Invalidate forces a redraw (the theme changed).
func (m *Model) Invalidate() { m.dirty = true }

// SetSize sets the inner size.
func (m *Model) SetSize(w, h int) {
	if w != m.width || h != m.height {
		m.width, m.height = w, h
		m.dirty = true
	}
}

// Update handles a key press.
func (m *Model) Update(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Cycle):
		m.Cycle()
	case key.Matches(msg, m.keys.NextMetric):
		if n := len(shapeOf(m.spec, m.res).metrics); n > 0 {
			m.metric = (m.metric + 1) % n
			m.dirty = true
		}
	}
	return nil
}

// View draws the chart.
func (m *Model) View() string {
	if m.dirty {
		m.cache = RenderWith(m.common.Styles, m.Kind(), m.spec, m.res, Options{Metric: m.metric, Extent: m.extent, Figures: true, CountPartial: m.counts, pivots: &m.pivots}, m.width, m.height)
		m.dirty = false
	}
	return m.cache
}

// ShortHelp is the help bar.
func (m *Model) ShortHelp() []key.Binding { return []key.Binding{m.keys.Cycle, m.keys.NextMetric} }

// FullHelp is the full help.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{{m.keys.Cycle, m.keys.NextMetric}} }
