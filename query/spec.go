// Package query is dora's backend-neutral model: the Spec a person builds, the Result a backend
// returns, the SQL-subset parser and printer, and validation against a table's schema. It does no
// I/O and imports nothing else of dora's.
package query

import (
	"fmt"
	"time"
)

// Spec is one question asked of one table: the filters, the group-by dimensions, the metrics and
// how the answer is ordered and cut. A Spec without metrics and group-bys is a raw-rows query.
// Rows whose group-by value is null form a group of their own, as in SQL, on every backend.
type Spec struct {
	Table    string
	Columns  []string // raw-rows queries: the selected columns; empty means all
	Where    Expr     // nil when there is no filter
	GroupBy  []Dimension
	Metrics  []Metric
	Having   Expr // over metric and dimension names, nil when there is none
	OrderBy  []Order
	Limit    int    // 0 means no limit
	Other    bool   // add an "Other" row for the groups a Limit cut off (not part of the SQL line)
	TimeZone string // IANA name for time buckets; empty means UTC
}

// IsRaw reports whether the Spec asks for rows rather than groups.
func (s Spec) IsRaw() bool { return len(s.GroupBy) == 0 && len(s.Metrics) == 0 }

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
)

// Dimension is one group-by level.
type Dimension struct {
	Kind   DimKind
	Column string
	Unit   string   // DimDateTrunc: minute, hour, day, week, month, quarter, year
	Every  Interval // DimTimeBucket: the bucket width
	Width  float64  // DimHistogram: the bucket width
	Alias  string
}

// IsTime reports whether the dimension buckets time.
func (d Dimension) IsTime() bool { return d.Kind == DimDateTrunc || d.Kind == DimTimeBucket }

// Expr returns the dimension as SQL-subset text, without its alias.
func (d Dimension) Expr() string {
	switch d.Kind {
	case DimDateTrunc:
		return fmt.Sprintf("date_trunc(%s, %s)", quoteString(d.Unit), QuoteIdent(d.Column))
	case DimTimeBucket:
		return fmt.Sprintf("time_bucket(%s, %s)", quoteString(d.Every.String()), QuoteIdent(d.Column))
	case DimHistogram:
		return fmt.Sprintf("histogram(%s, %s)", QuoteIdent(d.Column), formatFloat(d.Width))
	}
	return QuoteIdent(d.Column)
}

// Name is the dimension's output column name: its alias, else its column for a plain column, else
// its expression text.
func (d Dimension) Name() string {
	if d.Alias != "" {
		return d.Alias
	}
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
)

var aggNames = map[AggFunc]string{AggCount: "count", AggCountDistinct: "count", AggSum: "sum", AggAvg: "avg",
	AggMin: "min", AggMax: "max", AggPercentile: "percentile"}

// Metric is one aggregate over the rows of a group.
type Metric struct {
	Func   AggFunc
	Column string  // empty for count(*)
	P      float64 // AggPercentile: 0 < P < 1
	Alias  string
}

// Expr returns the metric as SQL-subset text, without its alias.
func (m Metric) Expr() string {
	switch {
	case m.Func == AggCount && m.Column == "":
		return "count(*)"
	case m.Func == AggCountDistinct:
		return "count(DISTINCT " + QuoteIdent(m.Column) + ")"
	case m.Func == AggPercentile:
		return fmt.Sprintf("percentile(%s, %s)", QuoteIdent(m.Column), formatFloat(m.P))
	}
	return aggNames[m.Func] + "(" + QuoteIdent(m.Column) + ")"
}

// Name is the metric's output column name: its alias or its expression text.
func (m Metric) Name() string {
	if m.Alias != "" {
		return m.Alias
	}
	return m.Expr()
}

// Approximate reports whether Elasticsearch answers this metric approximately.
func (m Metric) Approximate() bool { return m.Func == AggCountDistinct || m.Func == AggPercentile }

// Order sorts the result by one output column (a dimension or metric name).
type Order struct {
	Name string
	Desc bool
}

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
