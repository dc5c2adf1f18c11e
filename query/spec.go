// Package query is dora's backend-neutral model: the Spec a person builds, the Result a backend
// returns, the SQL-subset parser and printer, and validation against a table's schema. It does no
// I/O and imports nothing else of dora's.
package query

import (
	"fmt"
	"slices"
	"time"

	"github.com/dora-dev/dora/query/sqlquote"
)

// Spec is one question asked of one table: the filters, the group-by dimensions, the metrics and
// how the answer is ordered and cut. A Spec without metrics and group-bys is a raw-rows query.
// Rows whose group-by value is null form a group of their own, as in SQL, on every backend.
//
// GroupBy and Metrics are what a backend computes, each once; Select is what the answer returns,
// in the order the SELECT list wrote it, with repeats and aliases. A group key or a metric that no
// Select item names is computed (to group, to filter in HAVING, to order) but not returned.
type Spec struct {
	Table   string
	Select  []Output // the SELECT list; empty means every column (raw rows) or every key and metric
	Where   Expr     // nil when there is no filter
	GroupBy []Dimension
	Metrics []Metric
	Having  Expr // over dimension and metric names (Name), nil when there is none
	// OrderBy names dimensions and metrics (Name) of a grouped Spec, or table columns of a raw one.
	OrderBy []Order
	Limit   int // 0 means no limit
	Offset  int // rows (or groups) skipped before Limit applies
	// Calcs are the computed expressions (arithmetic, functions, CASE) the SELECT list, HAVING and
	// ORDER BY use, each once, named by CalcName: over table columns for raw rows, over group
	// keys and metrics (computed after aggregation) for a grouped Spec.
	Calcs []Calc
	// Distinct marks a grouped Spec that was written SELECT DISTINCT: every select item is a group
	// key, and the line prints without GROUP BY.
	Distinct bool
	Other    bool   // add an "Other" row for the groups a Limit cut off (not part of the SQL line)
	TimeZone string // IANA name for time buckets; empty means UTC
}

// IsRaw reports whether the Spec asks for rows rather than groups.
func (s Spec) IsRaw() bool { return len(s.GroupBy) == 0 && len(s.Metrics) == 0 }

// OutputKind says what a Select item returns.
type OutputKind int

// The kinds of Select item.
const (
	OutColumn    OutputKind = iota // raw rows: a table column
	OutDimension                   // a group key, by Dimension.Name
	OutMetric                      // an aggregate, by Metric.Name
	OutCalc                        // a computed expression, by CalcName
)

// Output is one item of the SELECT list.
type Output struct {
	Kind  OutputKind
	Ref   string // the table column, Dimension.Name or Metric.Name it returns
	Alias string
}

// Name is the output column's name: its alias, else the item as written (a time bucket's zone,
// which the Spec holds, aside; Spec.OutputName has it).
func (o Output) Name() string {
	if o.Alias != "" {
		return o.Alias
	}
	return o.Ref
}

// OutputName is the name of the answer's column for a select item: its alias, else the item as
// written, a time bucket with its time zone.
func (s Spec) OutputName(o Output) string {
	if o.Alias == "" && o.Kind == OutCalc {
		if i := s.Calc(o.Ref); i >= 0 {
			return s.calcSQL(s.Calcs[i])
		}
	}
	if o.Alias == "" && o.Kind == OutDimension {
		if i := s.Dimension(o.Ref); i >= 0 && s.GroupBy[i].IsTime() {
			return s.dimSQL(s.GroupBy[i])
		}
	}
	return o.Name()
}

// Outputs returns the SELECT list: Select, or when it is empty, every group key then every metric
// of a grouped Spec (nil for raw rows: every column).
func (s Spec) Outputs() []Output {
	if len(s.Select) > 0 || s.IsRaw() {
		return s.Select
	}
	out := make([]Output, 0, len(s.GroupBy)+len(s.Metrics))
	for _, d := range s.GroupBy {
		out = append(out, Output{Kind: OutDimension, Ref: d.Name()})
	}
	for _, m := range s.Metrics {
		out = append(out, Output{Kind: OutMetric, Ref: m.Name()})
	}
	return out
}

// SourceColumns lists, once each and in order, the table columns a raw-rows Spec selects; nil
// means every column.
func (s Spec) SourceColumns() []string {
	var out []string
	for _, o := range s.Select {
		if o.Kind == OutColumn && !slices.Contains(out, o.Ref) {
			out = append(out, o.Ref)
		}
	}
	return out
}

// Dimension returns the group-by dimension with the given name, or -1.
func (s Spec) Dimension(name string) int {
	for i, d := range s.GroupBy {
		if d.Name() == name {
			return i
		}
	}
	return -1
}

// Metric returns the index of the metric with the given name, or -1.
func (s Spec) Metric(name string) int {
	for i, m := range s.Metrics {
		if m.Name() == name {
			return i
		}
	}
	return -1
}

// Calc returns the index of the computed expression with the given name, or -1.
func (s Spec) Calc(name string) int {
	for i, c := range s.Calcs {
		if CalcName(c) == name {
			return i
		}
	}
	return -1
}

// Location returns the Spec's time zone, UTC when unset or unknown.
func (s Spec) Location() *time.Location {
	if s.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// DimKind says how a dimension turns a column into group keys.
type DimKind int

// The dimension kinds of the SQL subset.
const (
	DimColumn     DimKind = iota // the column's own values
	DimDateTrunc                 // date_trunc('month', col)
	DimTimeBucket                // time_bucket('15 minutes', col)
	DimHistogram                 // histogram(col, width)
	DimExpr                      // an expression of columns: CASE, coalesce, year(ts), ...
)

// Dimension is one group-by level.
type Dimension struct {
	Kind   DimKind
	Column string
	Unit   string   // DimDateTrunc: minute, hour, day, week, month, quarter, year
	Every  Interval // DimTimeBucket: the bucket width
	Width  float64  // DimHistogram: the bucket width
	Calc   Calc     // DimExpr: the expression, over table columns
}

// IsTime reports whether the dimension buckets time.
func (d Dimension) IsTime() bool { return d.Kind == DimDateTrunc || d.Kind == DimTimeBucket }

// Expr returns the dimension as SQL-subset text, without its alias.
func (d Dimension) Expr() string {
	switch d.Kind {
	case DimDateTrunc:
		return fmt.Sprintf("date_trunc(%s, %s)", sqlquote.String(d.Unit), QuoteIdent(d.Column))
	case DimTimeBucket:
		return fmt.Sprintf("time_bucket(%s, %s)", sqlquote.String(d.Every.String()), QuoteIdent(d.Column))
	case DimHistogram:
		return fmt.Sprintf("histogram(%s, %s)", QuoteIdent(d.Column), formatFloat(d.Width))
	case DimExpr:
		return FormatCalc(d.Calc, QuoteIdent)
	}
	return QuoteIdent(d.Column)
}

// Columns lists the table columns the dimension reads.
func (d Dimension) Columns() []string {
	if d.Kind == DimExpr {
		return CalcRefs(d.Calc)
	}
	return []string{d.Column}
}

// Name identifies the dimension within its Spec and names its output column when the SELECT
// list gives no alias: the column for a plain column, else the expression text.
func (d Dimension) Name() string {
	if d.Kind == DimColumn {
		return d.Column
	}
	return d.Expr()
}

// Interval is a count of calendar or clock units, as in INTERVAL '7 days' or '15 minutes'.
type Interval struct {
	N    int
	Unit string // second, minute, hour, day, week, month, quarter, year
}

// String returns the interval as "15 minutes" or "1 day".
func (i Interval) String() string {
	if i.N == 1 {
		return "1 " + i.Unit
	}
	return fmt.Sprintf("%d %ss", i.N, i.Unit)
}

// Duration returns the fixed length of the interval; months, quarters and years are not fixed and
// return 0.
func (i Interval) Duration() time.Duration {
	var u time.Duration
	switch i.Unit {
	case "second":
		u = time.Second
	case "minute":
		u = time.Minute
	case "hour":
		u = time.Hour
	case "day":
		u = 24 * time.Hour
	case "week":
		u = 7 * 24 * time.Hour
	default:
		return 0
	}
	return time.Duration(i.N) * u
}

// AggFunc is a metric's aggregate function.
type AggFunc int

// The aggregate functions of the SQL subset.
const (
	AggCount         AggFunc = iota // count(*) or count(col)
	AggCountDistinct                // count(DISTINCT col)
	AggSum
	AggAvg
	AggMin
	AggMax
	AggPercentile // percentile(col, p); median(col) is p = 0.5
	AggStddev     // stddev(col): the sample standard deviation
	AggStddevSamp
	AggStddevPop
	AggVariance // variance(col): the sample variance
	AggVarSamp
	AggVarPop
)

var aggNames = map[AggFunc]string{AggCount: "count", AggCountDistinct: "count", AggSum: "sum", AggAvg: "avg",
	AggMin: "min", AggMax: "max", AggPercentile: "percentile", AggStddev: "stddev", AggStddevSamp: "stddev_samp",
	AggStddevPop: "stddev_pop", AggVariance: "variance", AggVarSamp: "var_samp", AggVarPop: "var_pop"}

// AggName is the function's SQL name.
func AggName(f AggFunc) string { return aggNames[f] }

// Spread reports whether the function is one of the standard deviations or variances.
func (f AggFunc) Spread() bool { return f >= AggStddev && f <= AggVarPop }

// Sample reports whether a spread function divides by n-1 (the sample), not n.
func (f AggFunc) Sample() bool {
	return f == AggStddev || f == AggStddevSamp || f == AggVariance || f == AggVarSamp
}

// Root reports whether a spread function is a standard deviation.
func (f AggFunc) Root() bool { return f == AggStddev || f == AggStddevSamp || f == AggStddevPop }

// Metric is one aggregate over the rows of a group.
type Metric struct {
	Func   AggFunc
	Column string  // empty for count(*)
	P      float64 // AggPercentile: 0 < P < 1
	Median bool    // AggPercentile written as median(col); P is 0.5
	// Arg is the aggregated expression when it is not a plain column (Column is then ""), such as
	// CASE WHEN delay > 0 THEN 1 END; over table columns.
	Arg Calc
	// Filter is the FILTER (WHERE ...) clause, over table columns; nil when there is none.
	Filter Expr
}

// Columns lists the table columns the metric reads: its argument's and its filter's.
func (m Metric) Columns() []string {
	var out []string
	if m.Column != "" {
		out = append(out, m.Column)
	}
	if m.Arg != nil {
		out = append(out, CalcRefs(m.Arg)...)
	}
	Walk(m.Filter, func(e Expr) { out = append(out, ColumnOf(e)) })
	return out
}

// Expr returns the metric as SQL-subset text, without its alias.
func (m Metric) Expr() string {
	e := m.call()
	if m.Filter != nil {
		e += " FILTER (WHERE " + FormatExpr(m.Filter) + ")"
	}
	return e
}

func (m Metric) call() string {
	arg := QuoteIdent(m.Column)
	if m.Arg != nil {
		arg = FormatCalc(m.Arg, QuoteIdent)
	}
	switch {
	case m.Func == AggCount && m.Column == "" && m.Arg == nil:
		return "count(*)"
	case m.Func == AggCountDistinct:
		return "count(DISTINCT " + arg + ")"
	case m.Func == AggPercentile && m.Median:
		return "median(" + arg + ")"
	case m.Func == AggPercentile:
		return fmt.Sprintf("percentile(%s, %s)", arg, formatFloat(m.P))
	}
	return aggNames[m.Func] + "(" + arg + ")"
}

// Name identifies the metric within its Spec and names its output column when the SELECT list
// gives no alias: its expression text.
func (m Metric) Name() string { return m.Expr() }

// Approximate reports whether Elasticsearch answers this metric approximately.
func (m Metric) Approximate() bool { return m.Func == AggCountDistinct || m.Func == AggPercentile }

// Order sorts the result by a dimension, metric or computed expression (its Name) or, for raw
// rows, a table column or computed expression.
type Order struct {
	Name  string
	Desc  bool
	Nulls Nulls
}

// Nulls says where an order puts NULLs.
type Nulls int

// The NULL orders; the default is DuckDB's, NULLS LAST in both directions.
const (
	NullsDefault Nulls = iota
	NullsFirst
	NullsLast
)

// First reports whether NULLs sort before every value.
func (n Nulls) First() bool { return n == NullsFirst }

// Type is a neutral column type shared by every backend.
type Type string

// The neutral column types.
const (
	TypeString Type = "string" // exact-match text (keyword)
	TypeText   Type = "text"   // analysed full text; grouped by a keyword sub-field if it has one
	TypeInt    Type = "int"
	TypeFloat  Type = "float"
	TypeBool   Type = "bool"
	TypeTime   Type = "timestamp"
	TypeDate   Type = "date"
	TypeOther  Type = "other"
)

// Numeric reports whether values of the type are numbers.
func (t Type) Numeric() bool { return t == TypeInt || t == TypeFloat }

// Temporal reports whether values of the type are points in time.
func (t Type) Temporal() bool { return t == TypeTime || t == TypeDate }

// Field is one column of a table as a backend describes it.
type Field struct {
	Name         string
	Type         Type
	Aggregatable bool   // can be grouped by and aggregated directly
	Keyword      string // for TypeText: the keyword sub-field used to group, if any
	Raw          string // the backend's own type name (BIGINT, keyword, ...)
}

// Schema is a table's fields.
type Schema struct {
	Table  string
	Fields []Field
}

// Field returns the named field.
func (s Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Names returns the field names in order.
func (s Schema) Names() []string {
	out := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		out[i] = f.Name
	}
	return out
}

func loadZone(name string) (*time.Location, error) { return time.LoadLocation(name) }

// OutputDimension returns the group-by dimension the i-th output column returns, if it returns
// one.
func (s Spec) OutputDimension(i int) (Dimension, bool) {
	outs := s.Outputs()
	if i < 0 || i >= len(outs) || outs[i].Kind != OutDimension {
		return Dimension{}, false
	}
	if j := s.Dimension(outs[i].Ref); j >= 0 {
		return s.GroupBy[j], true
	}
	return Dimension{}, false
}

// OutputRef returns the name an Order uses for the i-th output column: the dimension or metric
// it returns, or for raw rows its table column; "" when there is no such column.
func (s Spec) OutputRef(i int) string {
	outs := s.Outputs()
	if i < 0 || i >= len(outs) {
		return ""
	}
	return outs[i].Ref
}
