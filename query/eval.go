package query

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is the one evaluator of expressions dora computes itself (post-aggregation
// arithmetic, CASE, scalar functions, HAVING), for every backend that does not run them in its
// own engine. It answers as DuckDB does, the engine every test holds dora to: `/` divides
// exactly and gives ±Inf or NaN for a zero divisor, `//` divides integers whole and `%` takes
// their remainder (NULL for a zero divisor), NULL in gives NULL out except in coalesce, concat,
// greatest and least.

// Truth is SQL's three-valued logic.
type Truth int

// The truth values.
const (
	False Truth = iota
	True
	Unknown
)

func truthOf(b bool) Truth {
	if b {
		return True
	}
	return False
}

// Eval decides a filter expression over one row; get returns the value of a column, group key,
// metric or computed expression by name. now resolves now().
func Eval(e Expr, get func(string) any, now time.Time) Truth {
	switch x := e.(type) {
	case And:
		out := True
		for _, t := range x.Terms {
			switch Eval(t, get, now) {
			case False:
				return False
			case Unknown:
				out = Unknown
			}
		}
		return out
	case Or:
		out := False
		for _, t := range x.Terms {
			switch Eval(t, get, now) {
			case True:
				return True
			case Unknown:
				out = Unknown
			}
		}
		return out
	case Not:
		switch Eval(x.X, get, now) {
		case True:
			return False
		case False:
			return True
		}
		return Unknown
	case IsNull:
		return truthOf((get(x.Column) == nil) != x.Not)
	case Compare:
		c, ok := compareValue(get(x.Column), x.Value, now)
		if !ok {
			return Unknown
		}
		switch x.Op {
		case OpEq:
			return truthOf(c == 0)
		case OpNe:
			return truthOf(c != 0)
		case OpLt:
			return truthOf(c < 0)
		case OpLe:
			return truthOf(c <= 0)
		case OpGt:
			return truthOf(c > 0)
		case OpGe:
			return truthOf(c >= 0)
		}
		return Unknown
	case In:
		v := get(x.Column)
		out := False
		for _, lit := range x.Values {
			c, ok := compareValue(v, lit, now)
			if !ok {
				out = Unknown
			} else if c == 0 {
				return True
			}
		}
		return out
	case Between:
		v := get(x.Column)
		lo, ok1 := compareValue(v, x.Low, now)
		hi, ok2 := compareValue(v, x.High, now)
		if !ok1 || !ok2 {
			return Unknown
		}
		return truthOf(lo >= 0 && hi <= 0)
	case Like:
		s, ok := get(x.Column).(string)
		if !ok {
			return Unknown
		}
		return truthOf(LikeMatch(s, x.Pattern, x.Escape, x.ILike))
	case PartTest:
		return Eval(x.Test, func(n string) any {
			t, ok := get(n).(time.Time)
			if !ok {
				return nil
			}
			return datePart(x.Part, t.UTC())
		}, now)
	case Match:
		s, ok := get(x.Column).(string)
		if !ok {
			return Unknown
		}
		s = strings.ToLower(s)
		for _, w := range strings.Fields(strings.ToLower(x.Text)) {
			if !strings.Contains(s, w) {
				return False
			}
		}
		return True
	}
	return Unknown
}

// LikeMatch reports whether s matches a LIKE pattern: % any run, _ one character, the escape
// character (if any) making the next one literal; ilike ignores case.
func LikeMatch(s, pattern, escape string, ilike bool) bool {
	if ilike {
		s, pattern = strings.ToLower(s), strings.ToLower(pattern)
	}
	esc, _ := utf8.DecodeRuneInString(escape)
	if escape == "" {
		esc = -1
	}
	type tok struct {
		r    rune
		wild int // 0 literal, 1 '_', 2 '%'
	}
	var toks []tok
	pr := []rune(pattern)
	for i := 0; i < len(pr); i++ {
		switch {
		case pr[i] == esc && i+1 < len(pr):
			i++
			toks = append(toks, tok{r: pr[i]})
		case pr[i] == '%':
			toks = append(toks, tok{wild: 2})
		case pr[i] == '_':
			toks = append(toks, tok{wild: 1})
		default:
			toks = append(toks, tok{r: pr[i]})
		}
	}
	sr := []rune(s)
	// classic wildcard matching with backtracking to the last %
	si, ti, star, mark := 0, 0, -1, 0
	for si < len(sr) {
		switch {
		case ti < len(toks) && toks[ti].wild == 2:
			star, mark = ti, si
			ti++
		case ti < len(toks) && (toks[ti].wild == 1 || toks[ti].wild == 0 && toks[ti].r == sr[si]):
			si++
			ti++
		case star >= 0:
			ti = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for ti < len(toks) && toks[ti].wild == 2 {
		ti++
	}
	return ti == len(toks)
}

// compareValue compares a cell with a literal; ok is false when either is null or they are of
// kinds that do not compare.
func compareValue(cell any, lit Value, now time.Time) (int, bool) {
	if cell == nil || lit.Kind == KindNull {
		return 0, false
	}
	if lit.Kind == KindRelNow {
		if now.IsZero() {
			now = time.Now()
		}
		lit = lit.Resolve(now)
	}
	v := lit.Any()
	if _, isTime := cell.(time.Time); isTime && lit.Kind == KindString {
		t, _, err := ParseTime(lit.Str)
		if err != nil {
			return 0, false
		}
		v = t
	}
	return CompareValues(cell, v)
}

// CompareValues orders two non-null values of comparable kinds; ok is false when they do not
// compare. NaN (0 / 0) orders as DuckDB orders it: above every number, +Infinity too, and equal
// to itself, so `HAVING ratio > 3` keeps a NaN ratio there as well.
func CompareValues(a, b any) (int, bool) {
	if x, y := isNaN(a), isNaN(b); x || y {
		if _, num := numeric(a); !num {
			return 0, false
		}
		if _, num := numeric(b); !num {
			return 0, false
		}
		switch {
		case x && y:
			return 0, true
		case x:
			return 1, true
		}
		return -1, true
	}
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp3(x < y, x > y), true
		case float64:
			return cmp3(float64(x) < y, float64(x) > y), true
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return cmp3(x < float64(y), x > float64(y)), true
		case float64:
			return cmp3(x < y, x > y), true
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmp3(!x && y, x && !y), true
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), true
		}
	}
	return 0, false
}

func isNaN(v any) bool {
	f, ok := v.(float64)
	return ok && math.IsNaN(f)
}

// numeric reports whether v is a number (int64 or float64).
func numeric(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

// EvalCalc computes a Calc over one row; get returns the value of what a Ref names. Values are
// nil, bool, int64, float64, string or time.Time.
func EvalCalc(c Calc, get func(string) any, now time.Time) any {
	switch x := c.(type) {
	case Ref:
		return get(x.Name)
	case Lit:
		if x.V.Kind == KindRelNow {
			if now.IsZero() {
				now = time.Now()
			}
			return x.V.Resolve(now).Any()
		}
		return x.V.Any()
	case Neg:
		switch v := EvalCalc(x.X, get, now).(type) {
		case int64:
			return -v
		case float64:
			return -v
		}
		return nil
	case Binary:
		return arith(x.Op, EvalCalc(x.L, get, now), EvalCalc(x.R, get, now))
	case Cast:
		return cast(EvalCalc(x.X, get, now), x.Type)
	case Case:
		for _, w := range x.Whens {
			if Eval(w.Cond, get, now) == True {
				return EvalCalc(w.Then, get, now)
			}
		}
		if x.Else == nil {
			return nil
		}
		return EvalCalc(x.Else, get, now)
	case Func:
		args := make([]any, len(x.Args))
		for i, a := range x.Args {
			args[i] = EvalCalc(a, get, now)
		}
		return call(x.Name, args)
	}
	return nil
}

func arith(op string, l, r any) any {
	if l == nil || r == nil {
		return nil
	}
	if op == "||" {
		return castString(l) + castString(r)
	}
	li, lInt := l.(int64)
	ri, rInt := r.(int64)
	if lInt && rInt {
		switch op {
		case "+":
			return li + ri
		case "-":
			return li - ri
		case "*":
			return li * ri
		case "/":
			return float64(li) / float64(ri)
		case "//":
			if ri == 0 {
				return nil
			}
			return li / ri
		case "%":
			if ri == 0 {
				return nil
			}
			return li % ri
		}
		return nil
	}
	lf, ok1 := toFloat(l)
	rf, ok2 := toFloat(r)
	if !ok1 || !ok2 {
		return nil
	}
	switch op {
	case "+":
		return lf + rf
	case "-":
		return lf - rf
	case "*":
		return lf * rf
	case "/":
		return lf / rf
	case "//":
		if rf == 0 {
			return nil
		}
		return lf / rf // DuckDB divides doubles exactly with // too
	case "%":
		return math.Mod(lf, rf) // NaN for a zero divisor, as DuckDB's fmod
	}
	return nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// castString writes a value as DuckDB casts it to VARCHAR.
func castString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', 1, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05.999999")
	}
	return ""
}

func cast(v any, typ string) any {
	if v == nil {
		return nil
	}
	switch typ {
	case "BIGINT", "INTEGER", "SMALLINT":
		switch x := v.(type) {
		case int64:
			return x
		case float64:
			return int64(math.RoundToEven(x))
		case string:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n
			}
		case bool:
			if x {
				return int64(1)
			}
			return int64(0)
		}
		return nil
	case "DOUBLE", "FLOAT":
		switch x := v.(type) {
		case int64:
			return float64(x)
		case float64:
			return x
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return f
			}
		}
		return nil
	case "VARCHAR":
		return castString(v)
	case "BOOLEAN":
		switch x := v.(type) {
		case bool:
			return x
		case int64:
			return x != 0
		case string:
			if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
				return b
			}
		}
		return nil
	case "DATE":
		if t, ok := v.(time.Time); ok {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}
	case "TIMESTAMP":
		if t, ok := v.(time.Time); ok {
			return t
		}
	}
	return nil
}

func call(name string, args []any) any {
	switch name {
	case "coalesce":
		for _, a := range args {
			if a != nil {
				return a
			}
		}
		return nil
	case "concat":
		var b strings.Builder
		for _, a := range args {
			if a != nil {
				b.WriteString(castString(a))
			}
		}
		return b.String()
	case "greatest", "least":
		var best any
		for _, a := range args {
			if a == nil {
				continue
			}
			if best == nil {
				best = a
				continue
			}
			if c, ok := CompareValues(a, best); ok && (c > 0) == (name == "greatest") && c != 0 {
				best = a
			}
		}
		return promote(best, args)
	case "nullif":
		if c, ok := CompareValues(args[0], args[1]); ok && c == 0 {
			return nil
		}
		return args[0]
	}
	if len(args) == 0 || args[0] == nil {
		return nil
	}
	if IsDatePart(name) {
		t, ok := args[0].(time.Time)
		if !ok {
			return nil
		}
		return datePart(name, t.UTC())
	}
	switch name {
	case "lower", "upper", "length":
		s, ok := args[0].(string)
		if !ok {
			return nil
		}
		switch name {
		case "lower":
			return strings.ToLower(s)
		case "upper":
			return strings.ToUpper(s)
		}
		return int64(utf8.RuneCountInString(s))
	case "substr", "substring":
		s, ok := args[0].(string)
		start, ok2 := args[1].(int64)
		if !ok || !ok2 {
			return nil
		}
		rs := []rune(s)
		n := int64(len(rs))
		length := n + 1
		if len(args) > 2 {
			l, ok := args[2].(int64)
			if !ok {
				return nil
			}
			length = l
		}
		var begin int64
		switch {
		case start > 0:
			begin = start - 1
		case start == 0:
			length--
		default:
			begin = max(0, n+start)
		}
		if length <= 0 || begin >= n {
			return ""
		}
		return string(rs[begin:min(n, begin+length)])
	}
	switch x := args[0].(type) {
	case int64:
		switch name {
		case "abs":
			if x < 0 {
				return -x
			}
			return x
		case "round":
			if len(args) > 1 {
				d, ok := args[1].(int64)
				if !ok {
					return nil
				}
				if d < 0 && d > -19 {
					m := int64(math.Pow10(int(-d)))
					q := x / m
					if r := x % m; r*2 >= m {
						q++
					} else if r*2 <= -m {
						q--
					}
					return q * m
				}
			}
			return x
		case "trunc":
			return x
		case "ceil", "ceiling", "floor":
			return float64(x)
		}
	case float64:
		switch name {
		case "abs":
			return math.Abs(x)
		case "round":
			if len(args) > 1 {
				d, ok := args[1].(int64)
				if !ok {
					return nil
				}
				m := math.Pow(10, float64(d))
				r := math.Round(x*m) / m
				if math.IsInf(r, 0) || math.IsNaN(r) {
					return x
				}
				return r
			}
			return math.Round(x)
		case "trunc":
			return math.Trunc(x)
		case "ceil", "ceiling":
			return math.Ceil(x)
		case "floor":
			return math.Floor(x)
		}
	}
	return nil
}

// promote returns v as a float when any of the arguments is a float, as SQL's common type.
func promote(v any, args []any) any {
	if i, ok := v.(int64); ok {
		for _, a := range args {
			if _, f := a.(float64); f {
				return float64(i)
			}
		}
	}
	return v
}

func datePart(name string, t time.Time) any {
	switch name {
	case "year":
		return int64(t.Year())
	case "quarter":
		return int64((int(t.Month())-1)/3 + 1)
	case "month":
		return int64(t.Month())
	case "day", "dayofmonth":
		return int64(t.Day())
	case "hour":
		return int64(t.Hour())
	case "minute":
		return int64(t.Minute())
	case "second":
		return int64(t.Second())
	case "dow", "dayofweek":
		return int64(t.Weekday())
	case "isodow":
		d := int64(t.Weekday())
		if d == 0 {
			d = 7
		}
		return d
	case "doy", "dayofyear":
		return int64(t.YearDay())
	case "week":
		_, w := t.ISOWeek()
		return int64(w)
	case "epoch":
		return float64(t.UnixNano()) / 1e9
	}
	return nil
}
