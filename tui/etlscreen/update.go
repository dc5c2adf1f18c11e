package etlscreen

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/tui/format"
	"github.com/dora-dev/dora/tui/screen"
)

// Update handles a message; answers to reads started before a newer one are dropped.
func (m *Model) Update(msg tea.Msg) (screen.Screen, tea.Cmd) {
	return m, m.update(msg)
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case listedMsg:
		return m.applyList(msg)
	case qualityMsg:
		if msg.seq != m.qualitySeq {
			return nil
		}
		m.quality, m.qualityErr, m.qualityBusy = msg.quality, msg.err, false
	case resultMsg:
		return m.result(msg)
	case rolledMsg:
		if msg.err != nil {
			m.setNote(fmt.Sprintf("rolling %s back: %v", msg.table, msg.err), true)
		} else {
			m.setNote(fmt.Sprintf("%s: version %d (%s rows) is current again", msg.table, msg.snap.ID, format.Int(msg.snap.Rows)), false)
			table := msg.table
			return tea.Batch(m.list(), func() tea.Msg { return screen.Changed{What: "a rollback of " + table} })
		}
		return m.list()
	case screen.Changed:
		if m.listed == m.listSeq { // no listing in flight
			return m.list()
		}
	case exploreMsg:
		m.exporting = ""
		if msg.err != nil {
			m.setNote(msg.err.Error(), true)
			return nil
		}
		open := msg.open
		return func() tea.Msg { return open }
	case tickMsg:
		cmd := m.tick()
		if m.focused && m.listed == m.listSeq { // no listing in flight
			return tea.Batch(m.list(), cmd)
		}
		return cmd
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return nil
}

func (m *Model) applyList(msg listedMsg) tea.Cmd {
	if msg.seq <= m.listed {
		return nil
	}
	m.listed, m.loaded, m.listErr = msg.seq, true, msg.err
	if msg.err != nil {
		return nil
	}
	var table string
	var before []catalog.Snapshot
	if p := m.selected(); p != nil {
		table, before = p.Path, p.Versions
	}
	m.pipelines = msg.pipelines
	m.at = max(0, min(m.at, len(m.pipelines)-1))
	for i, p := range m.pipelines { // the cursor stays on its pipeline
		if p.Path == table {
			m.at = i
		}
	}
	m.versionAt = max(0, min(m.versionAt, len(m.versions())-1))
	if p := m.selected(); p != nil && p.Path == table && m.quality != nil && sameVersions(before, p.Versions) {
		return nil // the metrics read stand
	}
	return m.readQuality()
}

// sameVersions says two listings of a table's versions agree, current one included.
func sameVersions(a, b []catalog.Snapshot) bool {
	return slices.EqualFunc(a, b, func(x, y catalog.Snapshot) bool { return x.ID == y.ID && x.Current == y.Current })
}

func (m *Model) result(msg resultMsg) tea.Cmd {
	r := msg.result
	if r.Run {
		if msg.seq != m.runSeq {
			return nil
		}
		m.running = nil
		note := r.Outcome()
		if r.Changed {
			note += " · the pipeline file changed since the plan shown: this ran it as it is now"
		}
		for _, n := range r.Notes {
			note += " · " + n
		}
		m.setNote(note, r.Err != nil || r.Summary == nil || !r.Summary.Published && !r.Summary.Unchanged)
		if m.detailFor == r.Path { // the run replaces the plan shown
			m.detail, m.planning = r, false
		}
		m.versionAt = 0 // the newest, which is the run's when it published
		if r.Summary != nil && r.Summary.Published {
			table := r.Table
			return tea.Batch(m.list(), func() tea.Msg { return screen.Changed{What: "a version of " + table} })
		}
		return m.list()
	}
	if msg.seq != m.planSeq {
		return nil
	}
	m.planning = false
	m.detail = r
	return nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if m.confirming != nil {
		switch {
		case key.Matches(msg, k.Yes):
			c := m.confirming
			m.confirming = nil
			m.setNote(fmt.Sprintf("rolling %s back to version %d…", c.p.P.Table, c.to.ID), false)
			return m.rollback(c)
		case key.Matches(msg, k.No):
			m.confirming = nil
			m.setNote("rollback cancelled", false)
		}
		return nil
	}
	m.note = ""
	switch {
	case key.Matches(msg, k.Refresh):
		return m.list()
	case key.Matches(msg, k.Publish):
		return m.publish()
	case key.Matches(msg, k.Quarantine):
		return m.exploreQuarantine()
	}
	if m.detail != nil || m.planning {
		if key.Matches(msg, k.Back) {
			m.detail, m.planning, m.detailFor = nil, false, ""
			m.planSeq++ // a plan in flight is for a view no longer shown
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Switch):
		m.pane = 1 - m.pane
	case key.Matches(msg, k.Up):
		return m.move(-1)
	case key.Matches(msg, k.Down):
		return m.move(1)
	case key.Matches(msg, k.Plan):
		return m.plan()
	case key.Matches(msg, k.Rollback):
		return m.askRollback()
	case key.Matches(msg, k.Journal):
		return m.exploreVersion()
	}
	return nil
}

func (m *Model) move(d int) tea.Cmd {
	if m.pane == paneVersions {
		m.versionAt = max(0, min(m.versionAt+d, len(m.versions())-1))
		return nil
	}
	old := m.at
	m.at = max(0, min(m.at+d, len(m.pipelines)-1))
	if m.at == old {
		return nil
	}
	m.versionAt = 0
	m.quality = nil
	return m.readQuality()
}

// runs says p's run is in flight.
func (m *Model) runs(p *Pipeline) bool { return m.running != nil && m.running.Path == p.Path }

// runnable is the selected pipeline if it can be planned or run, else a note why not.
func (m *Model) runnable() *Pipeline {
	p := m.selected()
	switch {
	case p == nil:
		m.setNote("no pipeline: write one NAME.yaml in "+m.opts.Dir, true)
		return nil
	case p.P == nil:
		first, _, _ := strings.Cut(p.Err.Error(), "\n")
		m.setNote(first+" (enter shows where)", true)
		return nil
	}
	return p
}

func (m *Model) plan() tea.Cmd {
	if p := m.selected(); p != nil && p.P == nil { // the file's error, whole, caret and all
		m.detailFor, m.planning = p.Path, false
		m.detail = &Result{Path: p.Path, Table: p.Name(), Err: p.Err}
		return nil
	}
	p := m.runnable()
	if p == nil {
		return nil
	}
	if m.runs(p) {
		m.detailFor, m.detail, m.planning = p.Path, nil, true // the run's summary comes here
		return nil
	}
	m.planSeq++
	m.detailFor, m.detail, m.planning = p.Path, nil, true
	return m.execute(p, false, m.planSeq, "")
}

func (m *Model) publish() tea.Cmd {
	p := m.runnable()
	if m.detail != nil || m.planning { // the pipeline shown, whatever the cursor says
		for _, q := range m.pipelines {
			if q.Path == m.detailFor {
				p = q
			}
		}
	}
	if p == nil {
		return nil
	}
	if p.P == nil {
		first, _, _ := strings.Cut(p.Err.Error(), "\n")
		m.setNote(first, true)
		return nil
	}
	if m.running != nil {
		m.setNote(fmt.Sprintf("%s is running: one run at a time", m.running.P.Table), true)
		return nil
	}
	m.running = p
	m.runSeq++
	planned := ""
	if m.detail != nil && !m.detail.Run && m.detail.Path == p.Path {
		planned = m.detail.Digest
	}
	if m.detailFor == p.Path {
		m.planSeq++ // the run's summary replaces the plan
		m.detail, m.planning = nil, true
	}
	m.setNote("running "+p.P.Table+"…", false)
	return m.execute(p, true, m.runSeq, planned)
}

func (m *Model) askRollback() tea.Cmd {
	p, v := m.selected(), m.selectedVersion()
	switch {
	case p == nil || p.P == nil || v == nil:
		m.setNote("no version to roll back to", true)
	case v.Current:
		m.setNote(fmt.Sprintf("version %d is already current: pick another with tab and ↑↓", v.ID), true)
	case m.runs(p):
		m.setNote(p.P.Table+" is running: roll back when it has finished", true)
	default:
		m.confirming = &confirm{p: p, to: *v}
	}
	return nil
}

// ShortHelp is the bindings of what is in front.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	switch {
	case m.confirming != nil:
		return []key.Binding{k.Yes, k.No}
	case m.detail != nil || m.planning:
		return []key.Binding{k.Publish, k.Quarantine, k.Back}
	case m.pane == paneVersions:
		return []key.Binding{k.Up, k.Switch, k.Rollback, k.Journal, k.Publish}
	}
	return []key.Binding{k.Up, k.Switch, k.Plan, k.Publish, k.Journal, k.Refresh}
}

// FullHelp is every binding, grouped.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		{k.Up, k.Switch, k.Plan, k.Back, k.Refresh},
		{k.Publish, k.Rollback, k.Yes, k.No},
		{k.Quarantine, k.Journal},
	}
}
