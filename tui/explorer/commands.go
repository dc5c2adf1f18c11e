package explorer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/export"
	"github.com/dora-dev/dora/tui/format"
	"github.com/dora-dev/dora/tui/picker"
)

// Messages that carry I/O answers back to Update. Each names its request by a sequence number or
// a picker id so stale answers can be dropped.
type (
	tablesMsg struct {
		b      backends.Backend // the backend listed: a listing of one left since is dropped
		tables []backends.Table
		err    error
	}
	schemaMsg struct {
		seq    int
		undo   bool       // the view is already current in the history (undo went back to it)
		spec   query.Spec // the view to run once the schema is known
		schema query.Schema
		err    error
	}
	resultMsg struct {
		seq  int
		spec query.Spec
		res  *query.Result
		err  error
		took time.Duration
	}
	topValuesMsg struct {
		picker int
		items  []picker.Item
		err    error
	}
	timeRangeMsg struct {
		picker   int
		column   string
		min, max time.Time
		err      error
	}
	exportMsg struct {
		path string
		rows int
		err  error
	}
	explainMsg struct {
		text string
		err  error
	}
)

// queryTimeout bounds one background query so a stuck backend never holds the spinner forever.
const queryTimeout = 2 * time.Minute

func (m *Model) loadTables() tea.Cmd {
	b, ctx := m.common.Backend, m.common.Ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, queryTimeout)
		defer cancel()
		ts, err := b.Tables(ctx)
		return tablesMsg{b: b, tables: ts, err: err}
	}
}

// newRequest cancels the query in flight and returns a context for the next one.
func (m *Model) newRequest() (context.Context, int) {
	if m.cancel != nil {
		m.cancel()
	}
	m.seq++
	ctx, cancel := context.WithTimeout(m.common.Ctx, queryTimeout)
	m.cancel = cancel
	return ctx, m.seq
}

// openSpec fetches the schema of spec's table, then runs spec.
func (m *Model) openSpec(spec query.Spec) tea.Cmd { return m.loadSchema(spec, false) }

func (m *Model) loadSchema(spec query.Spec, undo bool) tea.Cmd {
	ctx, seq := m.newRequest()
	m.running, m.started = true, time.Now()
	b := m.common.Backend
	return tea.Batch(func() tea.Msg {
		s, err := b.Schema(ctx, spec.Table)
		return schemaMsg{seq: seq, undo: undo, spec: spec, schema: s, err: err}
	}, m.startSpinner())
}

// runQuery runs the current view in the background; a newer change cancels it.
func (m *Model) runQuery() tea.Cmd {
	spec := m.hist.Spec()
	if spec.Table == "" {
		return nil
	}
	ctx, seq := m.newRequest()
	m.running, m.started, m.err, m.autoRetry = true, time.Now(), nil, false
	b := m.common.Backend
	return tea.Batch(func() tea.Msg {
		start := time.Now()
		res, err := b.Run(ctx, spec)
		return resultMsg{seq: seq, spec: spec, res: res, err: err, took: time.Since(start)}
	}, m.startSpinner())
}

// RetryUnavailable is how long the explorer waits before it runs a query again by itself when
// the backend was unavailable: a node restarting refuses connections, then answers with shards
// still recovering, and the shell's watch only sees the first.
var RetryUnavailable = 5 * time.Second

// autoRetryMsg runs the query of change seq again, unless a newer change came since.
type autoRetryMsg struct{ seq int }

// retryLater asks for the query to run again after RetryUnavailable when the backend was
// unavailable.
func (m *Model) retryLater() tea.Cmd {
	m.autoRetry = errors.Is(m.err, backends.ErrUnavailable)
	if !m.autoRetry {
		return nil
	}
	seq := m.seq
	return tea.Tick(RetryUnavailable, func(time.Time) tea.Msg { return autoRetryMsg{seq: seq} })
}

// autoRetried runs the query again, unless a newer change came since; while a picker or the
// SQL editor is open it waits for another round.
func (m *Model) autoRetried(msg autoRetryMsg) tea.Cmd {
	if msg.seq != m.seq || !m.autoRetry || m.running {
		return nil
	}
	if m.picker != nil || m.bar.Editing() || len(m.frames) > 0 {
		return m.retryLater()
	}
	return m.retry()
}

func (m *Model) startSpinner() tea.Cmd {
	if m.ticking {
		return nil
	}
	m.ticking = true
	return m.spinner.Tick
}

// topValues fetches a column's most common values under the current filter, for the filter
// picker: SELECT col, count(*) FROM t WHERE … GROUP BY col ORDER BY count(*) DESC LIMIT 20.
func (m *Model) topValues(pickerID int, f query.Field) tea.Cmd {
	cur := m.hist.Spec()
	spec := query.Spec{
		Table:   cur.Table,
		Where:   cur.Where,
		GroupBy: []query.Dimension{{Kind: query.DimColumn, Column: f.Name}},
		Metrics: []query.Metric{{Func: query.AggCount}},
		OrderBy: []query.Order{{Name: "count(*)", Desc: true}},
		Limit:   20,
	}
	b, ctx, schema := m.common.Backend, m.common.Ctx, m.schema
	return func() tea.Msg {
		spec, err := query.Validate(spec, schema)
		if err != nil {
			return topValuesMsg{picker: pickerID, err: err}
		}
		ctx, cancel := context.WithTimeout(ctx, queryTimeout)
		defer cancel()
		res, err := b.Run(ctx, spec)
		if err != nil {
			return topValuesMsg{picker: pickerID, err: err}
		}
		var items []picker.Item
		for _, row := range res.Rows {
			if len(row) < 2 {
				continue
			}
			n, _ := format.Number(row[1])
			label := format.Value(row[0], "")
			if row[0] == nil {
				label = "NULL"
			}
			items = append(items, picker.Item{Label: label, Detail: format.Human(n), Value: row[0]})
		}
		return topValuesMsg{picker: pickerID, items: items}
	}
}

// timeRange fetches min and max of a time column, to pick an automatic bucket.
func (m *Model) timeRange(pickerID int, column string) tea.Cmd {
	cur := m.hist.Spec()
	spec := query.Spec{Table: cur.Table, Where: cur.Where, Metrics: []query.Metric{
		{Func: query.AggMin, Column: column}, {Func: query.AggMax, Column: column}}}
	b, ctx, schema := m.common.Backend, m.common.Ctx, m.schema
	return func() tea.Msg {
		spec, err := query.Validate(spec, schema)
		if err != nil {
			return timeRangeMsg{picker: pickerID, column: column, err: err}
		}
		ctx, cancel := context.WithTimeout(ctx, queryTimeout)
		defer cancel()
		res, err := b.Run(ctx, spec)
		if err != nil {
			return timeRangeMsg{picker: pickerID, column: column, err: err}
		}
		msg := timeRangeMsg{picker: pickerID, column: column}
		if len(res.Rows) > 0 && len(res.Rows[0]) >= 2 {
			msg.min, _ = res.Rows[0][0].(time.Time)
			msg.max, _ = res.Rows[0][1].(time.Time)
		}
		return msg
	}
}

// autoUnit picks the finest calendar unit that gives at most about target buckets.
func autoUnit(lo, hi time.Time, target int) string {
	span := hi.Sub(lo)
	for _, u := range []struct {
		unit string
		d    time.Duration
	}{{"minute", time.Minute}, {"hour", time.Hour}, {"day", 24 * time.Hour}, {"week", 7 * 24 * time.Hour},
		{"month", 30 * 24 * time.Hour}, {"quarter", 91 * 24 * time.Hour}} {
		if span/u.d <= time.Duration(target) {
			return u.unit
		}
	}
	return "year"
}

func (m *Model) exportCmd(formatName string) tea.Cmd {
	res, dir := m.res, m.opts.ExportDir
	if dir == "" {
		dir = "."
	}
	return func() tea.Msg {
		path, err := export.Write(dir, res, formatName, time.Now())
		n := 0
		if res != nil {
			n = len(res.Rows)
		}
		if err == nil && !strings.HasPrefix(path, "/") && !strings.HasPrefix(path, ".") {
			path = "./" + path
		}
		return exportMsg{path: path, rows: n, err: err}
	}
}

func (m *Model) explainCmd(spec query.Spec) tea.Cmd {
	b, ctx := m.common.Backend, m.common.Ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, queryTimeout)
		defer cancel()
		text, err := b.Explain(ctx, spec)
		return explainMsg{text: text, err: err}
	}
}

// describe says what went wrong in words, with what to do about it, on one line: a control
// character the error quotes from the data shows as an escape.
func describe(err error) string { return termsafe.String(describeRaw(err)) }

// describeRetrying is describe for a query that found the backend unavailable and runs again by
// itself.
func describeRetrying(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return termsafe.String(fmt.Sprintf("the backend is unavailable; retrying every %s, r now (%s)", RetryUnavailable, line))
}

func describeRaw(err error) string {
	var pe *query.ParseError
	first := func(s string) string {
		line, _, _ := strings.Cut(s, "\n")
		return line
	}
	switch {
	case err == nil:
		return ""
	case errors.As(err, &pe):
		return first(pe.Error())
	case errors.Is(err, backends.ErrUnavailable):
		return fmt.Sprintf("the backend is unavailable; r retries (%s)", first(err.Error()))
	case errors.Is(err, context.DeadlineExceeded):
		return "the query took too long and was stopped; r retries"
	case errors.Is(err, backends.ErrNoSuchTable):
		return first(err.Error())
	case errors.Is(err, backends.ErrBadQuery):
		return "the backend rejected the query: " + first(err.Error())
	}
	return first(err.Error()) + "; r retries"
}
