package query

import (
	"strings"
	"time"
)

// Expr is a boolean filter expression: And, Or, Not or one of the predicates.
type Expr interface{ isExpr() }

// And is true when every term is.
type And struct{ Terms []Expr }

// Or is true when any term is.
type Or struct{ Terms []Expr }

// Not negates its term.
type Not struct{ X Expr }

// Op is a comparison operator.
type Op string

// The comparison operators.
const (
	OpEq Op = "="
	OpNe Op = "!="
	OpLt Op = "<"
	OpLe Op = "<="
	OpGt Op = ">"
	OpGe Op = ">="
)

// Compare is `col op value`. In HAVING, Column names an output column.
type Compare struct {
	Column string
	Op     Op
	Value  Value
}

// In is `col IN (v, ...)`.
type In struct {
	Column string
	Values []Value
}

// Between is `col BETWEEN low AND high`, both ends included.
type Between struct {
	Column    string
	Low, High Value
}

// IsNull is `col IS NULL`, or `col IS NOT NULL` when Not is set.
type IsNull struct {
	Column string
	Not    bool
}

// Like is `col LIKE 'pattern'` (ILIKE ignoring case): % matches any run of characters, _ one
// character, and the Escape character, when set, makes the next one literal.
type Like struct {
	Column  string
	Pattern string
	Escape  string // "" for none
	ILike   bool
}

// PrefixLike is `col LIKE 'prefix%'` matching the prefix literally: its % _ and \ are escaped
// with \ when it has any.
func PrefixLike(column, prefix string) Like {
	if !strings.ContainsAny(prefix, `%_\`) {
		return Like{Column: column, Pattern: prefix + "%"}
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return Like{Column: column, Pattern: r.Replace(prefix) + "%", Escape: `\`}
}

// LikePrefix returns the literal prefix of a pattern of the shape 'prefix%' and whether it has
// that shape.
func (l Like) LikePrefix() (string, bool) {
	var b strings.Builder
	rs := []rune(l.Pattern)
	for i := 0; i < len(rs); i++ {
		switch {
		case l.Escape != "" && string(rs[i]) == l.Escape && i+1 < len(rs):
			i++
			b.WriteRune(rs[i])
		case rs[i] == '%':
			return b.String(), i == len(rs)-1
		case rs[i] == '_':
			return "", false
		default:
			b.WriteRune(rs[i])
		}
	}
	return "", false
}

// Match is `match(col, 'words')`: full-text match on Elasticsearch, case-insensitive containment
// of every word on DuckDB.
type Match struct {
	Column string
	Text   string
}

// PartTest compares a date part of a time column with whole numbers: month(ts) = 3,
// extract(dow FROM ts) IN (0, 6), hour(ts) BETWEEN 9 AND 17. Test is the Compare, In or Between
// on the part's values; its Column is the time column. Parts are read in UTC, as everywhere.
// (year(ts) is not one: it becomes a time range on ts, which every engine filters natively.)
type PartTest struct {
	Part     string // a date part: month, day, hour, dow, isodow, quarter, doy, week, minute, second
	Spelling string // how it was written, as Func.Spelling: "", "extract" or "date_part"
	Test     Expr
}

// Calc returns the date part as an expression of its column.
func (p PartTest) Calc() Func {
	return Func{Name: p.Part, Args: []Calc{Ref{Name: ColumnOf(p.Test)}}, Spelling: p.Spelling}
}

func (PartTest) isExpr() {}
func (And) isExpr()      {}
func (Or) isExpr()       {}
func (Not) isExpr()      {}
func (Compare) isExpr()  {}
func (In) isExpr()       {}
func (Between) isExpr()  {}
func (IsNull) isExpr()   {}
func (Like) isExpr()     {}
func (Match) isExpr()    {}

// Kind is the kind of a literal value.
type Kind int

// The literal kinds.
const (
	KindNull Kind = iota
	KindBool
	KindInt
	KindFloat
	KindString
	KindTime   // TIMESTAMP '...' or DATE '...', or a string compared with a time column
	KindRelNow // now() - INTERVAL '7 days' or current_date + INTERVAL '1' DAY: resolved when the query runs
)

// Value is a literal in a filter.
type Value struct {
	Kind  Kind
	Bool  bool
	Int   int64
	Float float64
	Str   string
	Time  time.Time
	Date  bool     // KindTime written as DATE '...'
	Ago   Interval // KindRelNow: how far before now (after it with Ahead); zero for now() itself
	Today bool     // KindRelNow: counted from the start of today in UTC (current_date), not from now
	Ahead bool     // KindRelNow: Ago is added (+ INTERVAL), not subtracted
}

// Null, Bool, Int, Float, String and Time build values.
func Null() Value            { return Value{Kind: KindNull} }
func Bool(b bool) Value      { return Value{Kind: KindBool, Bool: b} }
func Int(i int64) Value      { return Value{Kind: KindInt, Int: i} }
func Float(f float64) Value  { return Value{Kind: KindFloat, Float: f} }
func String(s string) Value  { return Value{Kind: KindString, Str: s} }
func Time(t time.Time) Value { return Value{Kind: KindTime, Time: t} }
func Ago(i Interval) Value   { return Value{Kind: KindRelNow, Ago: i} }

// Resolve turns a relative time into an absolute one, given now.
func (v Value) Resolve(now time.Time) Value {
	if v.Kind != KindRelNow {
		return v
	}
	if v.Today {
		y, m, d := now.UTC().Date()
		now = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	if v.Ahead {
		return Time(Shift(now, v.Ago, 1))
	}
	return Time(Shift(now, v.Ago, -1))
}

// Subtract moves t back by the interval, by calendar for months, quarters and years.
func Subtract(t time.Time, i Interval) time.Time { return Shift(t, i, -1) }

// Shift moves t by the interval, forward for sign 1 and back for sign -1, by calendar for
// months, quarters and years (as DuckDB does: January 31 + 1 month is the last of February).
func Shift(t time.Time, i Interval, sign int) time.Time {
	n := sign * i.N
	switch i.Unit {
	case "month":
		return addMonths(t, n)
	case "quarter":
		return addMonths(t, 3*n)
	case "year":
		return addMonths(t, 12*n)
	}
	return t.Add(time.Duration(sign) * i.Duration())
}

// addMonths adds n calendar months, clamping the day to the end of a shorter month.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	if last := first.AddDate(0, 1, -1).Day(); d > last {
		d = last
	}
	return first.AddDate(0, 0, d-1)
}

// Any returns the value as a Go value: nil, bool, int64, float64, string or time.Time.
func (v Value) Any() any {
	switch v.Kind {
	case KindBool:
		return v.Bool
	case KindInt:
		return v.Int
	case KindFloat:
		return v.Float
	case KindString:
		return v.Str
	case KindTime:
		return v.Time
	}
	return nil
}

// Walk calls fn for every predicate (not And, Or or Not) in e.
func Walk(e Expr, fn func(Expr)) {
	switch x := e.(type) {
	case nil:
	case And:
		for _, t := range x.Terms {
			Walk(t, fn)
		}
	case Or:
		for _, t := range x.Terms {
			Walk(t, fn)
		}
	case Not:
		Walk(x.X, fn)
	default:
		fn(e)
	}
}

// ColumnOf returns the column a predicate tests.
func ColumnOf(e Expr) string {
	switch x := e.(type) {
	case Compare:
		return x.Column
	case In:
		return x.Column
	case Between:
		return x.Column
	case IsNull:
		return x.Column
	case Like:
		return x.Column
	case Match:
		return x.Column
	case PartTest:
		return ColumnOf(x.Test)
	}
	return ""
}
