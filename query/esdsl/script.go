package esdsl

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dora-dev/dora/query"
)

// The scripting tier: what no aggregation or query expresses natively (a count distinct or a
// percentile over a derived group key, arithmetic inside an aggregate) is computed per document
// by a Painless script, when the cluster has Painless (Options.Scripting, learned once per
// cluster by the backend). The script computes the expression as query.EvalCalc does, with
// SQL's nulls: a null operand makes a null result, which the aggregation counts as a missing
// value and a composite source as the null group. User text (column names and literals) goes
// into the script's params, never into its source.

// painlessPrelude holds the functions the compiled expressions call. Numbers stay longs while
// every operand is one, as DuckDB's integers do; / divides exactly, // and % of integers by zero
// are null, and times are read as UTC.
const painlessPrelude = `boolean isI(def x) { return x instanceof Long || x instanceof Integer || x instanceof Short || x instanceof Byte; }
long l(def x) { return ((Number) x).longValue(); }
double d(def x) { return ((Number) x).doubleValue(); }
def v(def f) { return f.size() == 0 ? null : f.value; }
def tm(def f) { return f.size() == 0 ? null : ZonedDateTime.ofInstant(Instant.ofEpochMilli(f.value.toInstant().toEpochMilli()), ZoneOffset.UTC); }
def ms(def f) { return f.size() == 0 ? null : f.value.toInstant().toEpochMilli(); }
def add(def a, def b) { if (a == null || b == null) return null; if (isI(a) && isI(b)) return l(a) + l(b); return d(a) + d(b); }
def sub(def a, def b) { if (a == null || b == null) return null; if (isI(a) && isI(b)) return l(a) - l(b); return d(a) - d(b); }
def mul(def a, def b) { if (a == null || b == null) return null; if (isI(a) && isI(b)) return l(a) * l(b); return d(a) * d(b); }
def div(def a, def b) { if (a == null || b == null) return null; return d(a) / d(b); }
def idiv(def a, def b) { if (a == null || b == null) return null; if (isI(a) && isI(b)) { if (l(b) == 0) return null; return l(a) / l(b); } if (d(b) == 0) return null; return d(a) / d(b); }
def mod(def a, def b) { if (a == null || b == null) return null; if (isI(a) && isI(b)) { if (l(b) == 0) return null; return l(a) % l(b); } return d(a) % d(b); }
def neg(def a) { if (a == null) return null; if (isI(a)) return -l(a); return -d(a); }
def str(def a) { if (a == null) return null; if (a instanceof String) return a; if (isI(a)) return Long.toString(l(a)); return a.toString(); }
def cat(def a, def b) { if (a == null || b == null) return null; return str(a) + str(b); }
def cc(def a, def b) { return (a == null ? '' : str(a)) + (b == null ? '' : str(b)); }
def co(def a, def b) { return a != null ? a : b; }
def cmp(def a, def b) { if (a == null || b == null) return null; if (a instanceof Number && b instanceof Number) { if (isI(a) && isI(b)) return Long.compare(l(a), l(b)); double x = d(a); double y = d(b); return x < y ? -1 : (x > y ? 1 : 0); } if (a instanceof String && b instanceof String) return a.compareTo(b); if (a instanceof Boolean && b instanceof Boolean) return Boolean.compare(a, b); return null; }
def nul(def a, def b) { def c = cmp(a, b); return c != null && c == 0 ? null : a; }
def gr(def a, def b) { if (a == null) return b; if (b == null) return a; def c = cmp(a, b); return c != null && c < 0 ? b : a; }
def le(def a, def b) { if (a == null) return b; if (b == null) return a; def c = cmp(a, b); return c != null && c > 0 ? b : a; }
def abs(def a) { if (a == null) return null; if (isI(a)) return Math.abs(l(a)); return Math.abs(d(a)); }
def ceil(def a) { return a == null ? null : Math.ceil(d(a)); }
def flr(def a) { return a == null ? null : Math.floor(d(a)); }
def trc(def a) { if (a == null) return null; double x = d(a); return x < 0 ? Math.ceil(x) : Math.floor(x); }
double rnd(double x) { return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5); }
def round(def a) { if (a == null || isI(a)) return a; return rnd(d(a)); }
def roundn(def a, def n) { if (a == null || n == null) return null; if (isI(a)) return a; double m = Math.pow(10, d(n)); double r = rnd(d(a) * m) / m; return Double.isInfinite(r) || Double.isNaN(r) ? a : r; }
def lo(def a) { return a == null ? null : a.toLowerCase(); }
def up(def a) { return a == null ? null : a.toUpperCase(); }
def len(def a) { return a == null ? null : (long) a.codePointCount(0, a.length()); }
def part(String p, def t) { if (t == null) return null; if (p == 'year') return (long) t.getYear(); if (p == 'quarter') return (long) ((t.getMonthValue() - 1) / 3 + 1); if (p == 'month') return (long) t.getMonthValue(); if (p == 'day') return (long) t.getDayOfMonth(); if (p == 'hour') return (long) t.getHour(); if (p == 'minute') return (long) t.getMinute(); if (p == 'second') return (long) t.getSecond(); if (p == 'dow') return (long) (t.getDayOfWeek().getValue() % 7); if (p == 'isodow') return (long) t.getDayOfWeek().getValue(); if (p == 'doy') return (long) t.getDayOfYear(); if (p == 'week') return (long) t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR); return t.toInstant().toEpochMilli() / 1000.0; }
def tolong(def a) { if (a == null) return null; if (isI(a)) return l(a); if (a instanceof Number) return (long) Math.rint(d(a)); return null; }
def todouble(def a) { return a instanceof Number ? d(a) : null; }
def and3(def a, def b) { if (a == false || b == false) return false; if (a == null || b == null) return null; return true; }
def or3(def a, def b) { if (a == true || b == true) return true; if (a == null || b == null) return null; return false; }
def not3(def a) { return a == null ? null : a == false; }
def op(def c, String o) { if (c == null) return null; if (o == '=') return c == 0; if (o == '!=') return c != 0; if (o == '<') return c < 0; if (o == '<=') return c <= 0; if (o == '>') return c > 0; return c >= 0; }
`

// script is a Painless script under construction: its source and its params.
type script struct {
	tr     translator
	params obj
	what   string // the SQL being compiled, for errors
}

// CannotScriptError is an expression that even the scripting tier does not write (a form dora
// has no Painless for): the part is named, with the way out.
type CannotScriptError struct{ What, Why string }

func (e *CannotScriptError) Error() string {
	return e.What + " cannot be computed on Elasticsearch (" + e.Why + "), even with scripting: rewrite it or run it on DuckDB"
}

// scriptFor compiles a per-document expression over table columns into a Painless script that
// returns the expression's value in its SQL type (typ: int, float or string), or null.
func scriptFor(tr translator, c query.Calc, what string) (obj, query.Type, error) {
	sc := &script{tr: tr, params: obj{}, what: what}
	typ := query.CalcType(c, func(n string) query.Type {
		f, _ := tr.schema.Field(n)
		return f.Type
	})
	src, err := sc.calc(c)
	if err != nil {
		return nil, "", err
	}
	var ret string
	switch typ {
	case query.TypeInt:
		ret = "tolong(r)"
	case query.TypeFloat:
		ret = "todouble(r)"
	case query.TypeString:
		ret = "str(r)"
	default:
		return nil, "", &CannotScriptError{What: what, Why: "its value is " + string(typ) + ", and scripts here return numbers and text"}
	}
	body := painlessPrelude + "def r = " + src + "; return " + ret + ";"
	return obj{"script": obj{"lang": "painless", "source": body, "params": sc.params}}, typ, nil
}

// param adds a value to the script's params and returns how the source reads it.
func (sc *script) param(v any) string {
	name := fmt.Sprintf("p%d", len(sc.params))
	sc.params[name] = v
	return "params." + name
}

func (sc *script) fail(why string, args ...any) error {
	return &CannotScriptError{What: sc.what, Why: fmt.Sprintf(why, args...)}
}

// ref reads a column of the document: null when it has no value, a time as a UTC date-time.
func (sc *script) ref(name string) (string, error) {
	f, err := sc.tr.field(name)
	if err != nil {
		return "", err
	}
	field, f, err := sc.tr.exact(name, sc.what)
	if err != nil {
		return "", err
	}
	if !f.Aggregatable {
		return "", sc.fail("%s has no doc values to read", f.Name)
	}
	doc := "doc[" + sc.param(field) + "]"
	switch {
	case f.Type.Temporal():
		return "tm(" + doc + ")", nil
	case f.Type.Numeric(), f.Type == query.TypeString, f.Type == query.TypeText, f.Type == query.TypeBool:
		return "v(" + doc + ")", nil
	}
	return "", sc.fail("%s is %s", f.Name, f.Type)
}

// lit writes a literal as a param.
func (sc *script) lit(v query.Value) (string, error) {
	if v.Kind == query.KindRelNow {
		now := sc.tr.now
		if now.IsZero() {
			now = time.Now()
		}
		v = v.Resolve(now)
	}
	switch v.Kind {
	case query.KindNull:
		return "null", nil
	case query.KindInt, query.KindString, query.KindBool:
		return sc.param(v.Any()), nil
	case query.KindFloat:
		if math.IsInf(v.Float, 0) || math.IsNaN(v.Float) {
			return "", sc.fail("%v is not a finite number", v.Float)
		}
		return "d(" + sc.param(v.Float) + ")", nil // a whole double would arrive as an integer
	}
	return "", sc.fail("a %s literal inside the expression", query.FormatValue(v))
}

var binaryHelpers = map[string]string{"+": "add", "-": "sub", "*": "mul", "/": "div", "//": "idiv", "%": "mod", "||": "cat"}

// calc compiles one expression.
func (sc *script) calc(c query.Calc) (string, error) {
	switch x := c.(type) {
	case query.Ref:
		return sc.ref(x.Name)
	case query.Lit:
		return sc.lit(x.V)
	case query.Neg:
		a, err := sc.calc(x.X)
		return "neg(" + a + ")", err
	case query.Binary:
		if x.Op == "||" && (sc.isFloat(x.L) || sc.isFloat(x.R)) {
			return "", sc.fail("a double written as text")
		}
		l, err := sc.calc(x.L)
		if err != nil {
			return "", err
		}
		r, err := sc.calc(x.R)
		if err != nil {
			return "", err
		}
		return binaryHelpers[x.Op] + "(" + l + ", " + r + ")", nil
	case query.Cast:
		a, err := sc.calc(x.X)
		if err != nil {
			return "", err
		}
		switch x.Type {
		case "BIGINT", "INTEGER", "SMALLINT":
			return "tolong(" + a + ")", nil
		case "DOUBLE", "FLOAT":
			return "todouble(" + a + ")", nil
		case "VARCHAR":
			if sc.isFloat(x.X) {
				return "", sc.fail("a double written as text")
			}
			return "str(" + a + ")", nil
		}
		return "", sc.fail("CAST to %s", x.Type)
	case query.Case:
		var b strings.Builder
		for _, w := range x.Whens {
			cond, err := sc.cond(w.Cond)
			if err != nil {
				return "", err
			}
			then, err := sc.calc(w.Then)
			if err != nil {
				return "", err
			}
			b.WriteString("(Boolean.TRUE.equals(" + cond + ") ? " + then + " : ")
		}
		els := "null"
		if x.Else != nil {
			var err error
			if els, err = sc.calc(x.Else); err != nil {
				return "", err
			}
		}
		b.WriteString(els + strings.Repeat(")", len(x.Whens)))
		return b.String(), nil
	case query.Func:
		return sc.call(x)
	}
	return "", sc.fail("%s", query.CalcName(c))
}

func (sc *script) isFloat(c query.Calc) bool {
	return query.CalcType(c, func(n string) query.Type {
		f, _ := sc.tr.schema.Field(n)
		return f.Type
	}) == query.TypeFloat
}

// fold writes f(a, f(b, c)) for the functions of any number of arguments.
func fold(fn string, args []string) string {
	out := args[len(args)-1]
	for i := len(args) - 2; i >= 0; i-- {
		out = fn + "(" + args[i] + ", " + out + ")"
	}
	return out
}

func (sc *script) call(f query.Func) (string, error) {
	args := make([]string, len(f.Args))
	for i, a := range f.Args {
		var err error
		if args[i], err = sc.calc(a); err != nil {
			return "", err
		}
	}
	if query.IsDatePart(f.Name) {
		return "part('" + partName(f.Name) + "', " + args[0] + ")", nil
	}
	anyFloat := false
	for _, a := range f.Args {
		anyFloat = anyFloat || sc.isFloat(a)
	}
	switch f.Name {
	case "coalesce":
		return fold("co", args), nil
	case "concat":
		for _, a := range f.Args {
			if sc.isFloat(a) {
				return "", sc.fail("a double written as text")
			}
		}
		return fold("cc", append([]string{"''"}, args...)), nil
	case "nullif":
		return "nul(" + args[0] + ", " + args[1] + ")", nil
	case "greatest", "least":
		fn := "gr"
		if f.Name == "least" {
			fn = "le"
		}
		out := fold(fn, args)
		if anyFloat {
			out = "todouble(" + out + ")"
		}
		return out, nil
	case "abs":
		return "abs(" + args[0] + ")", nil
	case "ceil", "ceiling":
		return "ceil(" + args[0] + ")", nil
	case "floor":
		return "flr(" + args[0] + ")", nil
	case "trunc":
		return "trc(" + args[0] + ")", nil
	case "round":
		if len(args) == 1 {
			return "round(" + args[0] + ")", nil
		}
		if !sc.isFloat(f.Args[0]) {
			return "", sc.fail("round of an integer to a number of digits")
		}
		return "roundn(" + args[0] + ", " + args[1] + ")", nil
	case "lower":
		return "lo(" + args[0] + ")", nil
	case "upper":
		return "up(" + args[0] + ")", nil
	case "length":
		return "len(" + args[0] + ")", nil
	}
	return "", sc.fail("%s() has no script form", f.Name)
}

// cond compiles a condition to a Boolean that is null when SQL's answer is unknown.
func (sc *script) cond(e query.Expr) (string, error) {
	each := func(terms []query.Expr, fn string) (string, error) {
		parts := make([]string, len(terms))
		for i, t := range terms {
			var err error
			if parts[i], err = sc.cond(t); err != nil {
				return "", err
			}
		}
		return fold(fn, parts), nil
	}
	switch x := e.(type) {
	case query.And:
		return each(x.Terms, "and3")
	case query.Or:
		return each(x.Terms, "or3")
	case query.Not:
		c, err := sc.cond(x.X)
		return "not3(" + c + ")", err
	case query.IsNull:
		col, _, err := sc.column(x.Column)
		if x.Not {
			return "(" + col + " != null)", err
		}
		return "(" + col + " == null)", err
	case query.Compare:
		col, f, err := sc.column(x.Column)
		if err != nil {
			return "", err
		}
		v, err := sc.operand(f, x.Value)
		return "op(cmp(" + col + ", " + v + "), " + sc.param(string(x.Op)) + ")", err
	case query.In:
		col, f, err := sc.column(x.Column)
		if err != nil {
			return "", err
		}
		parts := make([]string, len(x.Values))
		for i, val := range x.Values {
			v, err := sc.operand(f, val)
			if err != nil {
				return "", err
			}
			parts[i] = "op(cmp(" + col + ", " + v + "), '=')"
		}
		return fold("or3", parts), nil
	case query.Between:
		col, f, err := sc.column(x.Column)
		if err != nil {
			return "", err
		}
		lo, err := sc.operand(f, x.Low)
		if err != nil {
			return "", err
		}
		hi, err := sc.operand(f, x.High)
		return "and3(op(cmp(" + col + ", " + lo + "), '>='), op(cmp(" + col + ", " + hi + "), '<='))", err
	}
	return "", sc.fail("the condition %s has no script form", query.FormatExpr(e))
}

// partQuery matches the documents where a date part's comparison is true (month(ts) = 3): no
// query reads a date part, so it is a script query, on a cluster with scripting.
func (t translator) partQuery(x query.PartTest) (any, error) {
	what := "WHERE " + query.FormatExpr(x)
	if !t.scripting {
		return nil, &NeedsScriptingError{What: what}
	}
	sc := &script{tr: t, params: obj{}, what: what}
	col, err := sc.ref(query.ColumnOf(x.Test))
	if err != nil {
		return nil, err
	}
	value := "part('" + partName(x.Part) + "', " + col + ")"
	var cond string
	cmp := func(v query.Value, op string) string {
		return "op(cmp(" + value + ", " + sc.param(v.Int) + "), '" + op + "')"
	}
	switch y := x.Test.(type) {
	case query.Compare:
		cond = "op(cmp(" + value + ", " + sc.param(y.Value.Int) + "), " + sc.param(string(y.Op)) + ")"
	case query.In:
		parts := make([]string, len(y.Values))
		for i, v := range y.Values {
			parts[i] = cmp(v, "=")
		}
		cond = fold("or3", parts)
	case query.Between:
		cond = "and3(" + cmp(y.Low, ">=") + ", " + cmp(y.High, "<=") + ")"
	default:
		return nil, sc.fail("the condition has no script form")
	}
	source := painlessPrelude + "return Boolean.TRUE.equals(" + cond + ");"
	return obj{"script": obj{"script": obj{"lang": "painless", "source": source, "params": sc.params}}}, nil
}

// partName is a date part's canonical name.
func partName(name string) string {
	if n := map[string]string{"dayofweek": "dow", "dayofyear": "doy", "dayofmonth": "day"}[name]; n != "" {
		return n
	}
	return name
}

// column reads a column for a comparison: times as epoch milliseconds.
func (sc *script) column(name string) (string, query.Field, error) {
	f, err := sc.tr.field(name)
	if err != nil {
		return "", f, err
	}
	if !f.Type.Temporal() {
		s, err := sc.ref(name)
		return s, f, err
	}
	if !f.Aggregatable {
		return "", f, sc.fail("%s has no doc values to read", f.Name)
	}
	return "ms(doc[" + sc.param(f.Name) + "])", f, nil
}

// operand writes the literal a column is compared with, of the column's kind.
func (sc *script) operand(f query.Field, v query.Value) (string, error) {
	if f.Type.Temporal() {
		if v.Kind == query.KindRelNow {
			now := sc.tr.now
			if now.IsZero() {
				now = time.Now()
			}
			v = v.Resolve(now)
		}
		if v.Kind == query.KindString {
			t, _, err := query.ParseTime(v.Str)
			if err != nil {
				return "", sc.fail("%s is not a time", query.FormatValue(v))
			}
			v = query.Time(t)
		}
		if v.Kind != query.KindTime {
			return "", sc.fail("%s compared with %s", f.Name, query.FormatValue(v))
		}
		return "l(" + sc.param(v.Time.UnixMilli()) + ")", nil
	}
	switch {
	case f.Type.Numeric() && (v.Kind == query.KindInt || v.Kind == query.KindFloat),
		(f.Type == query.TypeString || f.Type == query.TypeText) && v.Kind == query.KindString,
		f.Type == query.TypeBool && v.Kind == query.KindBool:
		return sc.lit(v)
	}
	return "", sc.fail("%s compared with %s", f.Name, query.FormatValue(v))
}
