package explorer

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/builder"
	"github.com/dora-dev/dora/tui/chart"
	"github.com/dora-dev/dora/tui/format"
	"github.com/dora-dev/dora/tui/results"
)

// cellAction acts on the cell under the rows pane's cursor: keep only its value, exclude it,
// or group by its column. Each is an edit of the view, so the SQL line says what was done and
// u takes it back.
func (m *Model) cellAction(msg results.CellMsg) tea.Cmd {
	res, spec := m.shownResult(), m.hist.Spec()
	if msg.Column < 0 {
		m.setNote("p goes back to the rows: the series layout has no cells to act on", true)
		return nil
	}
	if res == nil || msg.Column >= len(res.Columns) {
		return nil
	}
	column, unit, ok := cellColumn(spec, res, msg.Column)
	if !ok {
		m.setNote(res.Columns[msg.Column].Name+" is a metric: + - and F act on a column or a group", true)
		return nil
	}
	f, ok := m.schema.Field(column)
	if !ok {
		m.setNote(column+" is not a column of "+spec.Table, true)
		return nil
	}
	if msg.Action == results.CellGroup {
		if !groupable(f) {
			m.setNote(f.Name+" is full text: it cannot be grouped", true)
			return nil
		}
		return m.groupField(f)
	}
	e, err := cellFilter(f, unit, msg.Value, msg.Action == results.CellExclude)
	if err != nil {
		m.setNote(err.Error(), true)
		return nil
	}
	return m.change(func(s query.Spec) (query.Spec, error) { return builder.AddFilter(s, e), nil })
}

// cellColumn is the table column behind the i-th result column, and the unit of its time
// bucket ("" for a plain column); false for a metric or a computed item.
func cellColumn(spec query.Spec, res *query.Result, i int) (column, unit string, ok bool) {
	if spec.IsRaw() {
		return res.Columns[i].Name, "", true
	}
	d, ok := spec.OutputDimension(i)
	if !ok || d.Column == "" {
		return "", "", false
	}
	switch d.Kind {
	case query.DimColumn:
		return d.Column, "", true
	case query.DimDateTrunc:
		return d.Column, d.Unit, true
	}
	return "", "", false // a histogram or a fixed-width bucket: f filters those by range
}

// cellFilter is the predicate that keeps (or, with exclude, drops) the rows whose column f holds
// v; for a time bucket of unit, the rows inside (or outside) that bucket.
func cellFilter(f query.Field, unit string, v any, exclude bool) (query.Expr, error) {
	if v == nil {
		return query.IsNull{Column: f.Name, Not: exclude}, nil
	}
	if f.Type == query.TypeText {
		return nil, fmt.Errorf("%s is full text: f matches words in it", f.Name)
	}
	if unit != "" {
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("%s: the bucket %v is not a time", f.Name, v)
		}
		end, ok := chart.BucketEnd(t, unit)
		if !ok {
			return nil, fmt.Errorf("%s: buckets of a %s cannot be filtered from a cell; f filters by range", f.Name, unit)
		}
		lo, hi := query.Compare{Column: f.Name, Op: query.OpGe, Value: valueOf(t)}, query.Compare{Column: f.Name, Op: query.OpLt, Value: valueOf(end)}
		if exclude {
			return query.Or{Terms: []query.Expr{query.Compare{Column: f.Name, Op: query.OpLt, Value: valueOf(t)},
				query.Compare{Column: f.Name, Op: query.OpGe, Value: valueOf(end)}}}, nil
		}
		return query.And{Terms: []query.Expr{lo, hi}}, nil
	}
	op := query.OpEq
	if exclude {
		op = query.OpNe
	}
	val := valueOf(v)
	if val.Kind == query.KindNull {
		return nil, fmt.Errorf("%s: %s cannot be filtered on", f.Name, format.Value(v, ""))
	}
	return query.Compare{Column: f.Name, Op: op, Value: val}, nil
}
