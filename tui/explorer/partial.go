package explorer

import (
	"context"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/chart"
)

// extentMsg is the time span of the rows of the view numbered seq, for its partial buckets.
type extentMsg struct {
	seq    int
	extent chart.Extent
}

// askExtent asks for the first and last time of the view's calendar bucket column, under its
// filter, when the view buckets by a calendar unit: its first and last buckets may hold only
// part of their time (data that starts on the 6th of a month).
func (m *Model) askExtent(spec query.Spec) tea.Cmd {
	q, _, ok := query.ExtentSpec(spec)
	if !ok {
		return nil
	}
	b, ctx, schema, seq := m.common.Backend, m.common.Ctx, m.schema, m.seq
	return func() tea.Msg {
		q, err := query.Validate(q, schema)
		if err != nil {
			return nil
		}
		ctx, cancel := context.WithTimeout(ctx, queryTimeout)
		defer cancel()
		res, err := b.Run(ctx, q)
		if err != nil || len(res.Rows) == 0 || len(res.Rows[0]) < 2 {
			return nil // no extent: nothing is marked partial
		}
		lo, _ := res.Rows[0][0].(time.Time)
		hi, _ := res.Rows[0][1].(time.Time)
		return extentMsg{seq: seq, extent: chart.Extent{From: lo, To: hi}}
	}
}

// extentArrived marks the partial buckets of the answer shown, if it is still the one asked about.
func (m *Model) extentArrived(msg extentMsg) {
	if msg.seq != m.seq || m.res == nil {
		return
	}
	m.chart.SetExtent(msg.extent)
	m.results.SetPartial(m.chart.Partial())
}

// togglePartial counts partial buckets in the last and change figures, or leaves them out again,
// and says which.
func (m *Model) togglePartial() {
	m.countPartial = !m.countPartial
	m.chart.SetCountPartial(m.countPartial)
	m.results.SetCountPartial(m.countPartial)
	switch p := m.chart.Partial(); {
	case !p.First && !p.Last:
		m.setNote("no partial time bucket in this answer; P applies to the next that has one", false)
	case m.countPartial:
		m.setNote("last and change now count the partial buckets (P leaves them out)", false)
	default:
		m.setNote("last and change leave the partial buckets out (P counts them)", false)
	}
}

// partialKey is P as the help bar shows it: only when the answer has a partial bucket, saying
// what pressing it does.
func (m *Model) partialKey() (key.Binding, bool) {
	if p := m.chart.Partial(); !p.First && !p.Last {
		return key.Binding{}, false
	}
	k := m.keys.Partial
	if m.countPartial {
		k.SetHelp("P", "leave out partial buckets")
	}
	return k, true
}
