package explorer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/builder"
	"github.com/dora-dev/dora/tui/export"
	"github.com/dora-dev/dora/tui/fields"
	"github.com/dora-dev/dora/tui/picker"
)

// step is where a view-building flow stands: which question the open picker asks.
type step int

const (
	stepNone step = iota
	stepGroupField
	stepBucket
	stepMetricFunc
	stepMetricField
	stepPercentile
	stepFilterField
	stepFilterOp
	stepFilterValue
	stepOrderColumn
	stepOrderDir
	stepLimit
	stepExport
	stepSaveView
	stepOpenView
	stepRatioNum  // a computed metric: its numerator, one of the view's metrics
	stepRatioDen  // its denominator
	stepCaseEdges // a CASE bucket of a numeric field: the edges, typed
)

// wizard is the state of a view-building flow between pickers.
type wizard struct {
	step    step
	field   query.Field
	fn      query.AggFunc
	op      string
	order   string
	percent bool         // the computed metric is a percentage
	num     query.Metric // its numerator
}

// buckets are the time bucket choices; "auto" asks the data for its time range.
var buckets = []string{"auto", "minute", "hour", "day", "week", "month", "quarter", "year"}

// metricFuncs are the metric choices, in the order the picker shows them.
var metricFuncs = []struct {
	label string
	fn    query.AggFunc
}{
	{"count", query.AggCount}, {"sum", query.AggSum}, {"avg", query.AggAvg}, {"min", query.AggMin},
	{"max", query.AggMax}, {"count distinct", query.AggCountDistinct}, {"percentile", query.AggPercentile},
}

// metricItems lists the view's metrics, for a ratio's two sides.
func (m *Model) metricItems() []picker.Item {
	var items []picker.Item
	for _, mt := range m.hist.Spec().Metrics {
		items = append(items, picker.Item{Glyph: "∑", Label: mt.Expr(), Value: mt})
	}
	return items
}

// open shows a picker for the next step of a flow.
func (m *Model) open(st step, title string, items []picker.Item, free bool) {
	m.pickerSeq++
	m.wiz.step = st
	m.picker = picker.New(m.common, m.pickerSeq, title, items, free)
	m.layout()
}

func (m *Model) closePicker() {
	m.picker = nil
	m.wiz = wizard{}
}

func fieldItems(fs []query.Field, keep func(query.Field) bool) []picker.Item {
	var out []picker.Item
	for _, f := range fs {
		if keep == nil || keep(f) {
			out = append(out, picker.Item{Glyph: fields.Glyph(f.Type), Label: f.Name, Detail: fields.ShortType(f.Type), Value: f})
		}
	}
	return out
}

func groupable(f query.Field) bool {
	return f.Type != query.TypeText || f.Keyword != ""
}

// needTable reports, in the status line, that a flow needs an open table first.
func (m *Model) needTable() bool {
	if m.hist.Spec().Table == "" || len(m.schema.Fields) == 0 {
		m.setNote("open a table first: pick one in the tables list and press enter", true)
		return false
	}
	return true
}

// preselected is the field under the cursor when the fields list has focus.
func (m *Model) preselected() (query.Field, bool) {
	if m.focus != focusFields || !m.sideVisible() {
		return query.Field{}, false
	}
	return m.fields.Selected()
}

func (m *Model) startGroupBy() tea.Cmd {
	if !m.needTable() {
		return nil
	}
	if f, ok := m.preselected(); ok && groupable(f) {
		return m.groupField(f)
	}
	m.open(stepGroupField, "group by: which field?", fieldItems(m.schema.Fields, groupable), false)
	return nil
}

func (m *Model) startTime() tea.Cmd {
	if !m.needTable() {
		return nil
	}
	times := fieldItems(m.schema.Fields, func(f query.Field) bool { return f.Type.Temporal() })
	switch len(times) {
	case 0:
		m.setNote("this table has no time field to bucket", true)
		return nil
	case 1:
		return m.groupField(times[0].Value.(query.Field))
	}
	m.open(stepGroupField, "time bucket: which time field?", times, false)
	return nil
}

// groupField groups by a field, asking for a bucket first when it is a time field.
func (m *Model) groupField(f query.Field) tea.Cmd {
	if f.Type.Temporal() {
		var items []picker.Item
		for _, b := range buckets {
			detail := ""
			if b == "auto" {
				detail = "from the data's time range"
			}
			items = append(items, picker.Item{Glyph: "◷", Label: b, Detail: detail, Value: b})
		}
		items = append(items, picker.Item{Glyph: "A", Label: "exact value", Detail: "no bucket", Value: ""})
		m.open(stepBucket, "bucket "+f.Name+" by", items, false)
		m.wiz.field = f
		return nil
	}
	if f.Type.Numeric() {
		items := []picker.Item{{Glyph: "A", Label: "exact value", Detail: "no ranges", Value: ""}}
		m.open(stepCaseEdges, "group "+f.Name+" by value, or by ranges", items, true)
		m.picker.Hint = "or type range edges, like 10, 100, 1000"
		m.wiz.field = f
		return nil
	}
	m.closePicker()
	return m.change(func(s query.Spec) (query.Spec, error) {
		return builder.AddGroupBy(s, query.Dimension{Kind: query.DimColumn, Column: f.Name})
	})
}

func (m *Model) addBucket(column, unit string) tea.Cmd {
	m.closePicker()
	d := query.Dimension{Kind: query.DimDateTrunc, Column: column, Unit: unit}
	if unit == "" {
		d = query.Dimension{Kind: query.DimColumn, Column: column}
	}
	return m.change(func(s query.Spec) (query.Spec, error) { return builder.AddGroupBy(s, d) })
}

func (m *Model) startMetric() tea.Cmd {
	if !m.needTable() {
		return nil
	}
	var items []picker.Item
	for _, f := range metricFuncs {
		items = append(items, picker.Item{Glyph: "∑", Label: f.label, Value: f.fn})
	}
	if len(m.hist.Spec().Metrics) > 0 {
		items = append(items, picker.Item{Glyph: "÷", Label: "ratio", Detail: "one metric over another", Value: "ratio"},
			picker.Item{Glyph: "%", Label: "percentage", Detail: "100 × one metric over another", Value: "percent"})
	}
	m.open(stepMetricFunc, "metric: which function?", items, false)
	return nil
}

func (m *Model) startFilter() tea.Cmd {
	if !m.needTable() {
		return nil
	}
	if f, ok := m.preselected(); ok {
		m.filterOps(f)
		return nil
	}
	m.open(stepFilterField, "filter: which field?", fieldItems(m.schema.Fields, nil), false)
	return nil
}

// filterOps asks for an operator that suits the field's type.
func (m *Model) filterOps(f query.Field) {
	var ops []string
	switch {
	case f.Type.Numeric():
		ops = []string{"=", "!=", ">", ">=", "<", "<="}
	case f.Type.Temporal():
		ops = []string{">=", "<", "=", "BETWEEN"}
	case f.Type == query.TypeText:
		ops = []string{"match", "LIKE prefix"}
	case f.Type == query.TypeBool:
		ops = []string{"="}
	default:
		ops = []string{"=", "!=", "LIKE prefix"}
	}
	ops = append(ops, "IS NULL", "IS NOT NULL")
	var items []picker.Item
	for _, o := range ops {
		items = append(items, picker.Item{Glyph: "⊃", Label: o, Value: o})
	}
	m.open(stepFilterOp, "filter "+f.Name+": operator", items, false)
	m.wiz.field = f
}

// filterValues asks for a value, offering the field's top values (fetched in the background) or,
// for time fields, relative ranges.
func (m *Model) filterValues(f query.Field, op string) tea.Cmd {
	title := fmt.Sprintf("%s %s …", f.Name, op)
	if f.Type.Temporal() {
		var items []picker.Item
		for _, ago := range []string{"1 hour", "1 day", "7 days", "30 days", "90 days", "1 year"} {
			iv, _ := parseInterval(ago)
			items = append(items, picker.Item{Glyph: "◷", Label: "now() - INTERVAL '" + ago + "'", Value: query.Ago(iv)})
		}
		m.open(stepFilterValue, title, items, true)
		m.wiz.field, m.wiz.op = f, op
		m.picker.Hint = "a relative time, or type a date: 2025-03-01"
		if op == "BETWEEN" {
			m.picker.Hint = "type two dates: 2025-01-01 and 2025-03-31"
		}
		return nil
	}
	if f.Type == query.TypeBool {
		m.open(stepFilterValue, title, []picker.Item{{Label: "true", Value: true}, {Label: "false", Value: false}}, false)
		m.wiz.field, m.wiz.op = f, op
		return nil
	}
	m.open(stepFilterValue, title, nil, true)
	m.wiz.field, m.wiz.op = f, op
	m.picker.Hint = "top values; or type one"
	if f.Type == query.TypeText || !groupable(f) {
		m.picker.Hint = "type the words to match"
		return nil
	}
	m.picker.SetLoading(true)
	return m.topValues(m.picker.ID(), f)
}

func parseInterval(s string) (query.Interval, error) {
	n, unit, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return query.Interval{}, fmt.Errorf("want an interval like '7 days'")
	}
	i, err := strconv.Atoi(n)
	if err != nil {
		return query.Interval{}, err
	}
	return query.Interval{N: i, Unit: strings.TrimSuffix(unit, "s")}, nil
}

// literal reads typed text as a value of the field's type.
func literal(f query.Field, text string) (query.Value, error) {
	text = strings.TrimSpace(text)
	if strings.EqualFold(text, "null") {
		return query.Null(), nil
	}
	switch {
	case f.Type == query.TypeInt:
		i, err := strconv.ParseInt(strings.ReplaceAll(text, ",", ""), 10, 64)
		if err != nil {
			return query.Value{}, fmt.Errorf("%s is a whole number; %q is not", f.Name, text)
		}
		return query.Int(i), nil
	case f.Type == query.TypeFloat:
		x, err := strconv.ParseFloat(strings.ReplaceAll(text, ",", ""), 64)
		if err != nil {
			return query.Value{}, fmt.Errorf("%s is a number; %q is not", f.Name, text)
		}
		return query.Float(x), nil
	case f.Type == query.TypeBool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return query.Value{}, fmt.Errorf("%s is true or false; %q is neither", f.Name, text)
		}
		return query.Bool(b), nil
	case f.Type.Temporal():
		t, date, err := query.ParseTime(text)
		if err != nil {
			return query.Value{}, fmt.Errorf("%s is a time: type 2025-03-01 or 2025-03-01 12:00", f.Name)
		}
		v := query.Time(t)
		v.Date = date
		return v, nil
	}
	return query.String(text), nil
}

// valueOf turns a result value (from the top values) into a literal.
func valueOf(v any) query.Value {
	switch x := v.(type) {
	case nil:
		return query.Null()
	case bool:
		return query.Bool(x)
	case int64:
		return query.Int(x)
	case float64:
		return query.Float(x)
	case string:
		return query.String(x)
	case time.Time:
		return query.Time(x)
	case query.Value:
		return x
	}
	return query.String(fmt.Sprint(v))
}

// predicate builds the filter a flow asked for.
func predicate(f query.Field, op string, v query.Value, text string) (query.Expr, error) {
	switch op {
	case "IS NULL":
		return query.IsNull{Column: f.Name}, nil
	case "IS NOT NULL":
		return query.IsNull{Column: f.Name, Not: true}, nil
	case "match":
		return query.Match{Column: f.Name, Text: text}, nil
	case "LIKE prefix":
		return query.PrefixLike(f.Name, strings.TrimSuffix(text, "%")), nil
	case "BETWEEN":
		lo, hi, ok := strings.Cut(text, " and ")
		if !ok {
			return nil, fmt.Errorf("type two values joined by 'and'")
		}
		l, err := literal(f, lo)
		if err != nil {
			return nil, err
		}
		h, err := literal(f, hi)
		if err != nil {
			return nil, err
		}
		return query.Between{Column: f.Name, Low: l, High: h}, nil
	}
	if v.Kind == query.KindNull {
		return query.IsNull{Column: f.Name, Not: op == "!="}, nil
	}
	return query.Compare{Column: f.Name, Op: query.Op(op), Value: v}, nil
}

func (m *Model) startOrder() tea.Cmd {
	if !m.needTable() {
		return nil
	}
	spec := m.hist.Spec()
	var items []picker.Item
	if spec.IsRaw() {
		items = fieldItems(m.schema.Fields, groupable)
	} else {
		// what the view returns first, by its output names, then what it only computes
		seen := map[string]bool{}
		for _, o := range spec.Outputs() {
			if !seen[o.Ref] {
				seen[o.Ref] = true
				glyph := "▤"
				if o.Kind == query.OutMetric {
					glyph = "∑"
				}
				items = append(items, picker.Item{Glyph: glyph, Label: o.Name(), Value: o.Ref})
			}
		}
		for _, d := range spec.GroupBy {
			if !seen[d.Name()] {
				items = append(items, picker.Item{Glyph: "▤", Label: d.Name() + " (not selected)", Value: d.Name()})
			}
		}
		for _, mt := range spec.Metrics {
			if !seen[mt.Name()] {
				items = append(items, picker.Item{Glyph: "∑", Label: mt.Name() + " (not selected)", Value: mt.Name()})
			}
		}
	}
	m.open(stepOrderColumn, "order by", items, false)
	return nil
}

func (m *Model) startLimit() tea.Cmd {
	if !m.needTable() {
		return nil
	}
	var items []picker.Item
	for _, n := range []int{10, 20, 50, 100, 1000} {
		items = append(items, picker.Item{Glyph: "≤", Label: strconv.Itoa(n), Value: n})
	}
	items = append(items, picker.Item{Glyph: "∞", Label: "no limit", Value: 0})
	m.open(stepLimit, "limit", items, true)
	m.picker.Hint = "or type a number"
	return nil
}

func (m *Model) startExport() tea.Cmd {
	if m.res == nil {
		m.setNote("nothing to export yet", true)
		return nil
	}
	var items []picker.Item
	for _, f := range export.Formats {
		items = append(items, picker.Item{Glyph: "⇩", Label: f, Detail: "./dora-export-<time>." + f, Value: f})
	}
	m.open(stepExport, "export the result as", items, false)
	return nil
}

// chosen advances the flow with the picker's answer.
func (m *Model) chosen(msg picker.ChosenMsg) tea.Cmd {
	if m.picker == nil || msg.ID != m.picker.ID() {
		return nil // an answer to a picker that is gone
	}
	w := m.wiz
	switch w.step {
	case stepGroupField:
		return m.groupField(msg.Item.Value.(query.Field))
	case stepBucket:
		unit := msg.Item.Value.(string)
		if unit == "auto" { // the bucket is chosen when the time range arrives
			m.picker.SetItems(nil)
			m.picker.SetLoading(true)
			m.picker.Hint = "reading the time range…"
			return m.timeRange(m.picker.ID(), w.field.Name)
		}
		return m.addBucket(w.field.Name, unit)
	case stepMetricFunc:
		return m.chosenMetricFunc(msg)
	case stepMetricField:
		return m.chosenMetricField(msg)
	case stepPercentile:
		return m.chosenPercentile(msg)
	case stepRatioNum:
		num := msg.Item.Value.(query.Metric)
		m.open(stepRatioDen, num.Expr()+" over which metric?", m.metricItems(), false)
		m.wiz.num, m.wiz.percent = num, w.percent
	case stepRatioDen:
		den := msg.Item.Value.(query.Metric)
		m.closePicker()
		return m.change(func(s query.Spec) (query.Spec, error) { return builder.AddRatio(s, w.num, den, w.percent) })
	case stepCaseEdges:
		return m.chosenCaseEdges(msg)
	case stepFilterField:
		m.filterOps(msg.Item.Value.(query.Field))
	case stepFilterOp:
		op := msg.Item.Value.(string)
		if op == "IS NULL" || op == "IS NOT NULL" {
			m.closePicker()
			e, _ := predicate(w.field, op, query.Value{}, "")
			return m.change(func(s query.Spec) (query.Spec, error) { return builder.AddFilter(s, e), nil })
		}
		return m.filterValues(w.field, op)
	case stepFilterValue:
		return m.chosenFilterValue(msg)
	case stepOrderColumn:
		name := msg.Item.Label
		items := []picker.Item{{Glyph: "▼", Label: "descending", Value: true}, {Glyph: "▲", Label: "ascending", Value: false}}
		m.open(stepOrderDir, "order by "+name, items, false)
		m.wiz.order = name
	case stepOrderDir:
		desc := msg.Item.Value.(bool)
		m.closePicker()
		return m.change(func(s query.Spec) (query.Spec, error) { return builder.SetOrder(s, w.order, desc), nil })
	case stepLimit:
		return m.chosenLimit(msg)
	case stepExport:
		m.closePicker()
		return m.exportCmd(msg.Item.Value.(string))
	case stepSaveView, stepOpenView:
		return m.chosenSaved(w.step, msg)
	}
	return nil
}

// chosenMetricFunc asks, for the function chosen, which field it takes; count needs none, and a
// ratio or percentage asks for its two metrics.
func (m *Model) chosenMetricFunc(msg picker.ChosenMsg) tea.Cmd {
	if kind, ok := msg.Item.Value.(string); ok { // a ratio or percentage of the view's metrics
		m.open(stepRatioNum, kind+": which metric over another?", m.metricItems(), false)
		m.wiz.percent = kind == "percent"
		return nil
	}
	fn := msg.Item.Value.(query.AggFunc)
	if fn == query.AggCount {
		m.closePicker()
		return m.change(func(s query.Spec) (query.Spec, error) {
			return builder.AddMetric(s, query.Metric{Func: query.AggCount})
		})
	}
	keep := func(f query.Field) bool { return f.Type.Numeric() }
	switch fn {
	case query.AggMin, query.AggMax:
		keep = func(f query.Field) bool { return f.Type.Numeric() || f.Type.Temporal() }
	case query.AggCountDistinct:
		keep = groupable
	}
	m.open(stepMetricField, msg.Item.Label+" of which field?", fieldItems(m.schema.Fields, keep), false)
	m.wiz.fn = fn
	return nil
}

// chosenMetricField adds the metric over the field chosen, or asks which percentile.
func (m *Model) chosenMetricField(msg picker.ChosenMsg) tea.Cmd {
	w := m.wiz
	f := msg.Item.Value.(query.Field)
	if w.fn == query.AggPercentile {
		var items []picker.Item
		for _, p := range []string{"0.5", "0.9", "0.95", "0.99"} {
			items = append(items, picker.Item{Glyph: "%", Label: p, Value: p})
		}
		m.open(stepPercentile, "percentile of "+f.Name, items, true)
		m.wiz.fn, m.wiz.field = w.fn, f
		m.picker.Hint = "or type one between 0 and 1"
		return nil
	}
	m.closePicker()
	return m.change(func(s query.Spec) (query.Spec, error) {
		return builder.AddMetric(s, query.Metric{Func: w.fn, Column: f.Name})
	})
}

// chosenPercentile adds the percentile chosen or typed.
func (m *Model) chosenPercentile(msg picker.ChosenMsg) tea.Cmd {
	w := m.wiz
	text := msg.Text
	if !msg.Free {
		text = msg.Item.Value.(string)
	}
	p, err := strconv.ParseFloat(text, 64)
	if err != nil || p <= 0 || p >= 1 {
		m.setNote("a percentile is a number between 0 and 1, like 0.95", true)
		return nil
	}
	m.closePicker()
	return m.change(func(s query.Spec) (query.Spec, error) {
		return builder.AddMetric(s, query.Metric{Func: query.AggPercentile, Column: w.field.Name, P: p})
	})
}

// chosenCaseEdges groups by the field's exact values, or by CASE buckets between the edges
// typed.
func (m *Model) chosenCaseEdges(msg picker.ChosenMsg) tea.Cmd {
	w := m.wiz
	text := msg.Text
	if !msg.Free {
		text = msg.Item.Value.(string)
	}
	if text == "" { // group by the exact values
		m.closePicker()
		return m.change(func(s query.Spec) (query.Spec, error) {
			return builder.AddGroupBy(s, query.Dimension{Kind: query.DimColumn, Column: w.field.Name})
		})
	}
	var edges []float64
	for _, part := range strings.Split(text, ",") {
		e, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil {
			m.setNote("type the edges as numbers going up, like 10, 100, 1000", true)
			return nil
		}
		edges = append(edges, e)
	}
	d, err := builder.CaseBucket(w.field.Name, edges)
	if err != nil {
		m.setNote(err.Error(), true)
		return nil
	}
	m.closePicker()
	return m.change(func(s query.Spec) (query.Spec, error) { return builder.AddGroupBy(s, d) })
}

// chosenFilterValue adds the filter on the value chosen or typed.
func (m *Model) chosenFilterValue(msg picker.ChosenMsg) tea.Cmd {
	w := m.wiz
	var v query.Value
	text := msg.Text
	switch {
	case msg.Free && (w.op == "match" || w.op == "LIKE prefix" || w.op == "BETWEEN"):
	case msg.Free:
		var err error
		if v, err = literal(w.field, text); err != nil {
			m.setNote(err.Error(), true)
			return nil
		}
	default:
		v = valueOf(msg.Item.Value)
		text = msg.Item.Label
	}
	e, err := predicate(w.field, w.op, v, text)
	if err != nil {
		m.setNote(err.Error(), true)
		return nil
	}
	m.closePicker()
	return m.change(func(s query.Spec) (query.Spec, error) { return builder.AddFilter(s, e), nil })
}

// chosenLimit sets the limit chosen or typed.
func (m *Model) chosenLimit(msg picker.ChosenMsg) tea.Cmd {
	n := 0
	if msg.Free {
		var err error
		if n, err = strconv.Atoi(strings.TrimSpace(msg.Text)); err != nil || n < 0 {
			m.setNote("a limit is a whole number", true)
			return nil
		}
	} else {
		n = msg.Item.Value.(int)
	}
	m.closePicker()
	return m.change(func(s query.Spec) (query.Spec, error) { return builder.SetLimit(s, n), nil })
}
