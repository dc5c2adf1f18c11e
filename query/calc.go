package query

import (
	"strings"

	"github.com/dora-dev/dora/query/sqlquote"
)

// Calc is a scalar expression: arithmetic, a scalar function, a cast or a CASE. Over raw rows and
// inside a group-by or an aggregate its references (Ref) name table columns; in the SELECT list,
// HAVING and ORDER BY of a grouped Spec they name group keys and metrics (Dimension.Name,
// Metric.Name), and the expression is computed after aggregation.
type Calc interface{ isCalc() }

// Ref names a column, a group key or a metric.
type Ref struct{ Name string }

// Lit is a literal value.
type Lit struct{ V Value }

// Binary is `L op R` for + - * / // % and ||.
type Binary struct {
	Op   string
	L, R Calc
}

// Neg is unary minus.
type Neg struct{ X Calc }

// Func is a scalar function call by its lower-case name: round, trunc, abs, ceil, floor,
// coalesce, nullif, greatest, least, lower, upper, length, concat, substr, and the date parts
// year, quarter, month, day, hour, minute, second, dow, isodow, doy, week, epoch (extract(unit
// FROM x) and date_part('unit', x) are the same calls).
type Func struct {
	Name string
	Args []Calc
	// Spelling is how a date part was written when it is not name(x): "extract" or "date_part".
	Spelling string
}

// Cast is CAST(x AS type) or x::type; Type is upper case (BIGINT, INTEGER, DOUBLE, VARCHAR, ...).
type Cast struct {
	X     Calc
	Type  string
	Colon bool // written x::type
}

// Case is CASE WHEN cond THEN x ... [ELSE y] END. Conditions are filter expressions whose
// columns are names in the Calc's own scope.
type Case struct {
	Whens []When
	Else  Calc // nil: NULL
}

// When is one branch of a Case.
type When struct {
	Cond Expr
	Then Calc
}

func (Ref) isCalc()    {}
func (Lit) isCalc()    {}
func (Binary) isCalc() {}
func (Neg) isCalc()    {}
func (Func) isCalc()   {}
func (Cast) isCalc()   {}
func (Case) isCalc()   {}

// datePartFuncs are the date parts dora knows, as functions of one time.
var datePartFuncs = map[string]bool{"year": true, "quarter": true, "month": true, "day": true, "hour": true,
	"minute": true, "second": true, "dow": true, "isodow": true, "doy": true, "week": true, "epoch": true,
	"dayofweek": true, "dayofyear": true, "dayofmonth": true}

// IsDatePart reports whether fn is a date-part function.
func IsDatePart(fn string) bool { return datePartFuncs[fn] }

// scalarFuncs gives the argument counts of the scalar functions: least and most.
var scalarFuncs = map[string][2]int{"round": {1, 2}, "trunc": {1, 1}, "abs": {1, 1}, "ceil": {1, 1},
	"ceiling": {1, 1}, "floor": {1, 1}, "coalesce": {1, 99}, "nullif": {2, 2}, "greatest": {1, 99},
	"least": {1, 99}, "lower": {1, 1}, "upper": {1, 1}, "length": {1, 1}, "concat": {1, 99},
	"substr": {2, 3}, "substring": {2, 3}}

// castTypes are the types CAST accepts, by the name each is printed with.
var castTypes = map[string]string{"BIGINT": "BIGINT", "INT8": "BIGINT", "LONG": "BIGINT", "INTEGER": "INTEGER",
	"INT": "INTEGER", "INT4": "INTEGER", "SMALLINT": "SMALLINT", "DOUBLE": "DOUBLE", "FLOAT8": "DOUBLE",
	"FLOAT": "FLOAT", "REAL": "FLOAT", "VARCHAR": "VARCHAR", "TEXT": "VARCHAR", "STRING": "VARCHAR",
	"BOOLEAN": "BOOLEAN", "BOOL": "BOOLEAN", "DATE": "DATE", "TIMESTAMP": "TIMESTAMP"}

// calc precedence: || 1, + - 2, * / // % 3, unary minus 4, :: and primaries 5.
func binaryPrec(op string) int {
	switch op {
	case "||":
		return 1
	case "+", "-":
		return 2
	}
	return 3
}

// FormatCalc prints a Calc in the SQL subset, with the fewest parentheses that keep its meaning;
// ref prints a reference.
func FormatCalc(c Calc, ref func(string) string) string { return formatCalc(c, 0, ref) }

// CalcName is a Calc's identity within its Spec: its text with references as they are named.
func CalcName(c Calc) string { return FormatCalc(c, func(n string) string { return n }) }

func formatCalc(c Calc, outer int, ref func(string) string) string {
	wrap := func(s string, p int) string {
		if p < outer {
			return "(" + s + ")"
		}
		return s
	}
	list := func(args []Calc) string {
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = formatCalc(a, 0, ref)
		}
		return strings.Join(parts, ", ")
	}
	switch x := c.(type) {
	case Ref:
		return ref(x.Name)
	case aggNode:
		return x.m.Expr()
	case dimNode:
		return x.d.Expr()
	case Lit:
		s := FormatValue(x.V)
		if (x.V.Kind == KindInt && x.V.Int < 0) || (x.V.Kind == KindFloat && x.V.Float < 0) {
			return wrap(s, 4)
		}
		return s
	case Binary:
		p := binaryPrec(x.Op)
		// left-associative: a right operand of the same precedence keeps its parentheses
		return wrap(formatCalc(x.L, p, ref)+" "+x.Op+" "+formatCalc(x.R, p+1, ref), p)
	case Neg:
		return wrap("-"+formatCalc(x.X, 5, ref), 4)
	case Func:
		switch x.Spelling {
		case "extract":
			return "extract(" + x.Name + " FROM " + formatCalc(x.Args[0], 0, ref) + ")"
		case "date_part":
			return "date_part(" + sqlquote.String(x.Name) + ", " + formatCalc(x.Args[0], 0, ref) + ")"
		}
		return x.Name + "(" + list(x.Args) + ")"
	case Cast:
		if x.Colon {
			return wrap(formatCalc(x.X, 5, ref)+"::"+x.Type, 5)
		}
		return "CAST(" + formatCalc(x.X, 0, ref) + " AS " + x.Type + ")"
	case Case:
		var b strings.Builder
		b.WriteString("CASE")
		for _, w := range x.Whens {
			b.WriteString(" WHEN " + formatExpr(w.Cond, 0, ref) + " THEN " + formatCalc(w.Then, 0, ref))
		}
		if x.Else != nil {
			b.WriteString(" ELSE " + formatCalc(x.Else, 0, ref))
		}
		b.WriteString(" END")
		return b.String()
	}
	return "NULL"
}

// CalcRefs lists, once each and in order, the names a Calc refers to, its CASE conditions' too.
func CalcRefs(c Calc) []string {
	var out []string
	add := func(n string) {
		for _, o := range out {
			if o == n {
				return
			}
		}
		out = append(out, n)
	}
	var walk func(Calc)
	walk = func(c Calc) {
		switch x := c.(type) {
		case Ref:
			add(x.Name)
		case Binary:
			walk(x.L)
			walk(x.R)
		case Neg:
			walk(x.X)
		case Func:
			for _, a := range x.Args {
				walk(a)
			}
		case Cast:
			walk(x.X)
		case Case:
			for _, w := range x.Whens {
				Walk(w.Cond, func(e Expr) { add(ColumnOf(e)) })
				walk(w.Then)
			}
			if x.Else != nil {
				walk(x.Else)
			}
		}
	}
	walk(c)
	return out
}

// MapCalc returns c with every reference (CASE conditions' columns too) renamed by fn.
func MapCalc(c Calc, fn func(string) (string, error)) (Calc, error) {
	return rewriteCalc(c, fn, func(e Expr) (Expr, error) { return mapColumns(e, fn) })
}

// mapConds returns c with every CASE condition replaced by fn's answer.
func mapConds(c Calc, fn func(Expr) (Expr, error)) (Calc, error) {
	return rewriteCalc(c, func(n string) (string, error) { return n, nil }, fn)
}

// rewriteCalc rebuilds c with references renamed by ref and CASE conditions replaced by cond;
// the first error stops it.
func rewriteCalc(c Calc, ref func(string) (string, error), cond func(Expr) (Expr, error)) (Calc, error) {
	var err error
	var m func(Calc) Calc
	m = func(c Calc) Calc {
		if err != nil {
			return c
		}
		switch x := c.(type) {
		case Ref:
			var n string
			n, err = ref(x.Name)
			return Ref{Name: n}
		case Binary:
			return Binary{Op: x.Op, L: m(x.L), R: m(x.R)}
		case Neg:
			return Neg{X: m(x.X)}
		case Func:
			args := make([]Calc, len(x.Args))
			for i, a := range x.Args {
				args[i] = m(a)
			}
			x.Args = args
			return x
		case Cast:
			x.X = m(x.X)
			return x
		case Case:
			out := Case{Whens: make([]When, len(x.Whens))}
			for i, w := range x.Whens {
				var e Expr
				if err == nil {
					e, err = cond(w.Cond)
				}
				out.Whens[i] = When{Cond: e, Then: m(w.Then)}
			}
			if x.Else != nil {
				out.Else = m(x.Else)
			}
			return out
		}
		return c
	}
	out := m(c)
	return out, err
}

// CalcType is the type of a Calc's values, given the types of what it refers to.
func CalcType(c Calc, typeOf func(string) Type) Type {
	num := func(ts ...Type) Type {
		for _, t := range ts {
			if t == TypeFloat {
				return TypeFloat
			}
		}
		return TypeInt
	}
	switch x := c.(type) {
	case Ref:
		t := typeOf(x.Name)
		if t == TypeText {
			return TypeString
		}
		return t
	case Lit:
		switch x.V.Kind {
		case KindInt:
			return TypeInt
		case KindFloat:
			return TypeFloat
		case KindString:
			return TypeString
		case KindBool:
			return TypeBool
		case KindTime, KindRelNow:
			return TypeTime
		}
		return TypeOther
	case Binary:
		switch x.Op {
		case "||":
			return TypeString
		case "/":
			return TypeFloat
		}
		l, r := CalcType(x.L, typeOf), CalcType(x.R, typeOf)
		if x.Op == "//" && !(l == TypeInt && r == TypeInt) {
			return TypeFloat
		}
		return num(l, r)
	case Neg:
		return CalcType(x.X, typeOf)
	case Func:
		switch {
		case IsDatePart(x.Name):
			if x.Name == "epoch" {
				return TypeFloat
			}
			return TypeInt
		case x.Name == "length":
			return TypeInt
		case x.Name == "lower" || x.Name == "upper" || x.Name == "concat" || x.Name == "substr" || x.Name == "substring":
			return TypeString
		case x.Name == "ceil" || x.Name == "ceiling" || x.Name == "floor" || x.Name == "trunc":
			return TypeFloat
		}
		var ts []Type
		for _, a := range x.Args {
			if x.Name == "round" && len(ts) == 1 {
				break
			}
			if t := CalcType(a, typeOf); t != TypeOther {
				ts = append(ts, t)
			}
		}
		if len(ts) == 0 {
			return TypeOther
		}
		if ts[0].Numeric() {
			return num(ts...)
		}
		return ts[0]
	case Cast:
		switch x.Type {
		case "BIGINT", "INTEGER", "SMALLINT":
			return TypeInt
		case "DOUBLE", "FLOAT":
			return TypeFloat
		case "VARCHAR":
			return TypeString
		case "BOOLEAN":
			return TypeBool
		case "DATE", "TIMESTAMP":
			return TypeTime
		}
	case Case:
		var ts []Type
		for _, w := range x.Whens {
			ts = append(ts, CalcType(w.Then, typeOf))
		}
		if x.Else != nil {
			ts = append(ts, CalcType(x.Else, typeOf))
		}
		var known []Type
		for _, t := range ts {
			if t != TypeOther {
				known = append(known, t)
			}
		}
		if len(known) == 0 {
			return TypeOther
		}
		if known[0].Numeric() {
			return num(known...)
		}
		return known[0]
	}
	return TypeOther
}

// literalInt reads an integer literal argument, such as round's digits.
func literalInt(c Calc) (int64, bool) {
	switch x := c.(type) {
	case Lit:
		if x.V.Kind == KindInt {
			return x.V.Int, true
		}
	case Neg:
		if n, ok := literalInt(x.X); ok {
			return -n, true
		}
	}
	return 0, false
}
