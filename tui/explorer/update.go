package explorer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/builder"
	"github.com/dora-dev/dora/tui/fields"
	"github.com/dora-dev/dora/tui/inspect"
	"github.com/dora-dev/dora/tui/picker"
	"github.com/dora-dev/dora/tui/querybar"
	"github.com/dora-dev/dora/tui/results"
	"github.com/dora-dev/dora/tui/screen"
	"github.com/dora-dev/dora/tui/tables"
	"github.com/dora-dev/dora/tui/viewlist"
)

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if !m.running {
			m.ticking = false
			return nil
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return cmd
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		switch {
		case m.picker != nil:
			return m.picker.Update(msg)
		case m.bar.Editing():
			return m.bar.Update(msg)
		}
		return nil

	case screen.Open:
		return m.openFor(msg)
	case backendMsg:
		return m.backendOpened(msg)
	case screen.Changed:
		return m.loadTables()
	case screen.BackendState:
		wasDown := m.down
		m.down = msg.Err != nil
		if wasDown && !m.down && len(m.frames) == 0 { // back: what failed is tried again
			return m.retry()
		}
		return nil
	case tablesMsg:
		return m.tablesListed(msg)
	case schemaMsg:
		return m.schemaLoaded(msg)
	case resultMsg:
		return m.resultArrived(msg)
	case autoRetryMsg:
		return m.autoRetried(msg)
	case extentMsg:
		m.extentArrived(msg)
		return nil
	case topValuesMsg:
		return m.topValuesArrived(msg)
	case timeRangeMsg:
		return m.timeRangeArrived(msg)
	case exportMsg:
		if msg.err != nil {
			m.setNote(describe(msg.err), true)
		} else {
			m.setNote(fmt.Sprintf("exported %d rows to %s", msg.rows, msg.path), false)
		}
		return nil
	case savedListMsg:
		return m.savedListed(msg)
	case viewSavedMsg:
		return m.viewSaved(msg)
	case explainMsg:
		if msg.err == nil && m.showInsp && m.shownResult() == nil {
			m.inspect.SetContent(m.hist.Spec(), nil, msg.text)
		}
		return nil

	case tables.OpenMsg:
		return m.openTable(msg.Table)
	case fields.GroupByMsg:
		if groupable(msg.Field) {
			return m.groupField(msg.Field)
		}
		m.setNote(msg.Field.Name+" is full text: it cannot be grouped; press f to match words in it", true)
		return nil
	case viewlist.RemoveMsg:
		return m.change(func(s query.Spec) (query.Spec, error) { return builder.Remove(s, msg.Item), nil })
	case results.CellMsg:
		return m.cellAction(msg)
	case results.SortMsg:
		return m.change(func(s query.Spec) (query.Spec, error) {
			return builder.ToggleSort(s, msg.Column, msg.DescFirst), nil
		})
	case picker.ChosenMsg:
		return m.chosen(msg)
	case picker.CancelMsg:
		if m.picker != nil && m.picker.ID() == msg.ID {
			m.closePicker()
		}
		return nil
	case querybar.SubmitMsg:
		return m.submitSQL(msg.SQL)
	case querybar.HistoryMsg:
		m.bar.SetHistory(msg)
		return nil
	case querybar.CancelMsg:
		if m.shownResult() != nil {
			m.err = nil // the typed line's error goes with it; the view on screen is fine
		}
		return nil
	case inspect.CloseMsg:
		m.showInsp = false
		return nil
	}
	return nil
}

// key handles a key press.
func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	// Modals in front take every key.
	switch {
	case m.picker != nil:
		return m.picker.Update(msg)
	case m.bar.Editing():
		return m.bar.Update(msg)
	case m.showInsp:
		return m.inspect.Update(msg)
	}
	m.note = ""
	switch {
	case key.Matches(msg, k.Back) && len(m.frames) > 0:
		cmd, _ := m.leave(true)
		return cmd
	case key.Matches(msg, k.NextPanel):
		m.cycleFocus(1)
	case key.Matches(msg, k.PrevPanel):
		m.cycleFocus(-1)
	case key.Matches(msg, k.ToggleSide):
		m.toggleSide()
	case key.Matches(msg, k.EditSQL):
		cmd := m.bar.Edit()
		m.layout()
		return cmd
	case key.Matches(msg, k.GroupBy):
		return m.startGroupBy()
	case key.Matches(msg, k.Metric):
		return m.startMetric()
	case key.Matches(msg, k.Filter):
		return m.startFilter()
	case key.Matches(msg, k.Time):
		return m.startTime()
	case key.Matches(msg, k.Order):
		return m.startOrder()
	case key.Matches(msg, k.Limit):
		return m.startLimit()
	case key.Matches(msg, k.Undo):
		return m.undo()
	case key.Matches(msg, k.Chart):
		m.chart.Cycle()
	case key.Matches(msg, k.Partial):
		m.togglePartial()
	case key.Matches(msg, k.Inspect):
		return m.openInspect()
	case key.Matches(msg, k.Export):
		return m.startExport()
	case key.Matches(msg, k.Copy):
		return m.copySQL()
	case key.Matches(msg, k.Retry):
		return m.retry()
	case key.Matches(msg, k.SaveView):
		return m.startSaveView()
	case key.Matches(msg, k.OpenView):
		return m.startOpenView()
	default:
		return m.panelKey(msg)
	}
	return nil
}

// panelKey hands a key to the focused panel.
func (m *Model) panelKey(msg tea.KeyPressMsg) tea.Cmd {
	switch m.focus {
	case focusTables:
		return m.tables.Update(msg)
	case focusFields:
		return m.fields.Update(msg)
	case focusView:
		return m.view.Update(msg)
	case focusChart:
		return m.chart.Update(msg)
	case focusResults:
		return m.results.Update(msg)
	}
	return nil
}

// setNote shows a passing message in the status line until the next key.
func (m *Model) setNote(s string, bad bool) { m.note, m.noteBad = s, bad }

// openTable opens a table's discover view.
func (m *Model) openTable(name string) tea.Cmd {
	m.tables.Select(name)
	m.viewName = "" // another table's view is no longer the saved one
	m.edited, m.openingView = false, false
	return m.openSpec(builder.Open(name))
}

// schemaLoaded validates the view waiting for a schema and runs it.
func (m *Model) schemaLoaded(msg schemaMsg) tea.Cmd {
	if msg.seq != m.seq {
		return nil
	}
	m.running = false
	if msg.err != nil {
		m.err = fmt.Errorf("opening %s: %w", msg.spec.Table, msg.err)
		return nil
	}
	spec, err := query.Validate(msg.spec, msg.schema)
	if err != nil {
		m.err = err
		return nil
	}
	newTable := msg.schema.Table != m.schema.Table || m.hist.Spec().Table == ""
	m.schema = msg.schema
	m.fields.SetSchema(msg.schema)
	m.completions()
	if !msg.undo {
		m.hist.Push(spec) // opening another table is a step undo can take back
	}
	if newTable {
		m.show(spec, nil)
		if m.focus == focusTables {
			m.focus = focusResults
			if !spec.IsRaw() {
				m.focus = focusChart
			}
		}
	}
	m.tables.Select(spec.Table)
	if m.openingView { // the saved view as saved: nothing to lose yet
		m.openingView, m.edited, m.savedSQL = false, false, spec.SQL()
	}
	m.specChanged()
	return m.runQuery()
}

// change applies an edit to the view: it is validated against the schema first, and an edit
// that does not validate is refused with the reason in the status line.
func (m *Model) change(edit func(query.Spec) (query.Spec, error)) tea.Cmd {
	spec, err := edit(m.hist.Spec())
	if err == nil {
		spec, err = query.Validate(spec, m.schema)
	}
	if err != nil {
		m.setNote(describe(err), true)
		return nil
	}
	m.hist.Push(spec)
	m.edited = true
	m.specChanged()
	return m.runQuery()
}

// specChanged makes the panels follow the current view.
func (m *Model) specChanged() {
	spec := m.hist.Spec()
	m.bar.SetSQL(spec.SQL())
	m.view.SetSpec(spec)
	m.layout()
}

func (m *Model) undo() tea.Cmd {
	if m.hist.Depth() == 0 && len(m.frames) > 0 { // the hand-over's first view: back to where it came from
		cmd, _ := m.leave(true)
		return cmd
	}
	if !m.hist.Undo() {
		m.setNote("nothing to undo", true)
		return nil
	}
	if spec := m.hist.Spec(); spec.Table != m.schema.Table { // back to another table
		m.specChanged()
		return m.loadSchema(spec, true)
	}
	m.specChanged()
	return m.runQuery()
}

func (m *Model) retry() tea.Cmd {
	spec := m.hist.Spec()
	if spec.Table == "" {
		return tea.Batch(m.loadTables(), m.reopen())
	}
	if len(m.schema.Fields) == 0 || m.schema.Table != spec.Table {
		return m.openSpec(spec)
	}
	return tea.Batch(m.loadTables(), m.runQuery())
}

// reopen retries what the options asked for when nothing opened.
func (m *Model) reopen() tea.Cmd {
	switch {
	case m.opts.SQL != "":
		if spec, err := query.Parse(m.opts.SQL); err == nil {
			return m.openSpec(spec)
		}
	case m.opts.Table != "":
		return m.openSpec(builder.Open(m.opts.Table))
	}
	m.err = nil
	return nil
}

// submitSQL runs a typed SQL line: parse errors keep the editor open with a caret under the
// place and the message in the status line; a line for another table loads that table's schema
// first. A line that parses goes into the backend's history.
func (m *Model) submitSQL(sql string) tea.Cmd {
	spec, err := query.Parse(sql)
	if err != nil {
		m.err = err
		var pe *query.ParseError
		if errors.As(err, &pe) {
			m.bar.SetError(pe.Msg, pe.Line, pe.Column)
		} else {
			m.bar.SetError(describe(err), 0, 0)
		}
		return nil
	}
	remember := m.bar.Remember(sql)
	if spec.Table != m.schema.Table || len(m.schema.Fields) == 0 {
		m.bar.StopEditing()
		m.err = nil
		m.schema = query.Schema{}
		return tea.Batch(remember, m.openSpec(spec))
	}
	if spec, err = query.Validate(spec, m.schema); err != nil {
		m.err = err
		m.bar.SetError(describe(err), 0, 0)
		return remember
	}
	m.bar.StopEditing()
	m.err = nil
	m.hist.Push(spec)
	m.edited = true
	m.specChanged()
	return tea.Batch(remember, m.runQuery())
}

// completions hands the editor the names it completes: the tables and the open table's columns.
func (m *Model) completions() {
	ts := m.tables.Tables()
	tables := make([]string, len(ts))
	for i, t := range ts {
		tables[i] = t.Name
	}
	m.bar.SetCompletions(tables, m.schema.Names())
}

func (m *Model) openInspect() tea.Cmd {
	spec := m.hist.Spec()
	if spec.Table == "" {
		m.setNote("nothing to inspect yet", true)
		return nil
	}
	m.showInsp = true
	m.layout()
	if res := m.shownResult(); res != nil {
		m.inspect.SetContent(spec, res, "")
		return nil
	}
	m.inspect.SetContent(spec, nil, "")
	return m.explainCmd(spec)
}

// shownResult is the answer to the current view, or nil when the view has none yet (its query
// is running or failed).
func (m *Model) shownResult() *query.Result {
	if m.res != nil && m.resSpec.SQL() == m.hist.Spec().SQL() {
		return m.res
	}
	return nil
}

// copySQL puts the SQL line on the clipboard with OSC 52, which terminals honour over SSH too.
func (m *Model) copySQL() tea.Cmd {
	sql := m.bar.SQL()
	if sql == "" {
		m.setNote("nothing to copy yet", true)
		return nil
	}
	m.setNote("copied the SQL line to the clipboard (OSC 52)", false)
	return tea.SetClipboard(sql)
}

// elapsed is how long the query in flight has run.
func (m *Model) elapsed() time.Duration { return time.Since(m.started) }

// tablesListed shows the backend's tables, or that they could not be listed; a listing of
// a backend no longer open is dropped.
func (m *Model) tablesListed(msg tablesMsg) tea.Cmd {
	if msg.b != m.common.Backend {
		return nil
	}
	if msg.err != nil {
		m.tables.SetFailed()
		if m.err == nil {
			m.err = &listingError{msg.err}
		}
		return nil
	}
	m.tables.SetTables(msg.tables)
	var le *listingError
	m.completions()
	if m.hist.Spec().Table == "" && !m.running || errors.As(m.err, &le) {
		m.err = nil // the listing error, if any, is over
	}
	if t := m.hist.Spec().Table; t != "" {
		m.tables.Select(t)
	}
	return nil
}

// resultArrived shows a query's answer or its error, unless a newer change superseded it, and
// asks for the time extent of the answer's buckets.
func (m *Model) resultArrived(msg resultMsg) tea.Cmd {
	if msg.seq != m.seq {
		return nil // a newer change superseded this query
	}
	m.running = false
	m.lastTook = msg.took
	if msg.err != nil {
		if errors.Is(msg.err, context.Canceled) {
			return nil
		}
		m.err = msg.err
		m.show(msg.spec, nil) // the rows of another SQL line must not stay under this one
		return m.retryLater()
	}
	m.err = nil
	m.show(msg.spec, msg.res)
	m.layout()
	return m.askExtent(msg.spec)
}

// topValuesArrived fills the filter picker still open with a field's top values.
func (m *Model) topValuesArrived(msg topValuesMsg) tea.Cmd {
	if m.picker == nil || m.picker.ID() != msg.picker {
		return nil
	}
	if msg.err != nil {
		m.picker.SetItems(nil)
		m.picker.Hint = "could not read top values: " + describe(msg.err)
		return nil
	}
	m.picker.SetItems(msg.items)
	return nil
}

// timeRangeArrived adds the time bucket whose unit suits the time range read, by day when it
// could not be read.
func (m *Model) timeRangeArrived(msg timeRangeMsg) tea.Cmd {
	if m.picker == nil || m.picker.ID() != msg.picker {
		return nil
	}
	unit := "day"
	if msg.err != nil {
		m.setNote("could not read the time range ("+describe(msg.err)+"); bucketing by day", true)
	} else if !msg.min.IsZero() {
		unit = autoUnit(msg.min, msg.max, 120)
	}
	return m.addBucket(msg.column, unit)
}
