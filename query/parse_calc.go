package query

import (
	"strconv"
	"strings"
)

// aggNode and dimNode are the aggregates and bucket functions inside a parsed expression, before
// the builder resolves them to the Spec's metrics and dimensions. They never leave the parser.
type aggNode struct {
	m   Metric
	tok token
}

type dimNode struct {
	d   Dimension
	tz  string
	tok token
}

func (aggNode) isCalc() {}
func (dimNode) isCalc() {}

// pendingPrefix marks a CASE condition's left side that is an expression rather than a column:
// the column name is the prefix and an index into parser.pending, resolved by the builder once it
// knows whether the CASE is computed per row or after aggregation.
const pendingPrefix = "\x00"

type pendingLeft struct {
	c   Calc
	tok token
}

// hasAgg reports whether an expression holds an aggregate; hasDim whether it holds a bucket
// function.
func hasAgg(c Calc) bool { return findNode(c, func(c Calc) bool { _, ok := c.(aggNode); return ok }) }
func hasDim(c Calc) bool { return findNode(c, func(c Calc) bool { _, ok := c.(dimNode); return ok }) }

func findNode(c Calc, fn func(Calc) bool) bool {
	if fn(c) {
		return true
	}
	switch x := c.(type) {
	case Binary:
		return findNode(x.L, fn) || findNode(x.R, fn)
	case Neg:
		return findNode(x.X, fn)
	case Func:
		for _, a := range x.Args {
			if findNode(a, fn) {
				return true
			}
		}
	case Cast:
		return findNode(x.X, fn)
	case Case:
		for _, w := range x.Whens {
			if findNode(w.Then, fn) {
				return true
			}
		}
		return x.Else != nil && findNode(x.Else, fn)
	}
	return false
}

// scalar reads an expression: || binds loosest, then + and -, then * / // %, then unary minus
// and ::type.
func (p *parser) scalar() (Calc, error) { return p.binary(1) }

func (p *parser) binaryOp(prec int) string {
	t := p.peek()
	if t.kind != tokSymbol {
		return ""
	}
	switch {
	case prec == 1 && t.text == "||":
		return "||"
	case prec == 2 && (t.text == "+" || t.text == "-"):
		return t.text
	case prec == 3 && (t.text == "*" || t.text == "%"):
		return t.text
	case prec == 3 && t.text == "/":
		if n := p.peekAt(1); n.kind == tokSymbol && n.text == "/" && n.pos == t.pos+1 {
			return "//"
		}
		return "/"
	}
	return ""
}

func (p *parser) binary(prec int) (Calc, error) {
	if prec > 3 {
		return p.unary()
	}
	l, err := p.binary(prec + 1)
	if err != nil {
		return nil, err
	}
	for {
		op := p.binaryOp(prec)
		if op == "" {
			return l, nil
		}
		p.next()
		if op == "//" {
			p.next()
		}
		r, err := p.binary(prec + 1)
		if err != nil {
			return nil, err
		}
		l = Binary{Op: op, L: l, R: r}
	}
}

func (p *parser) unary() (Calc, error) {
	if p.acceptSym("-") {
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		switch l := x.(type) {
		case Lit:
			switch l.V.Kind {
			case KindInt:
				return Lit{V: Int(-l.V.Int)}, nil
			case KindFloat:
				return Lit{V: Float(-l.V.Float)}, nil
			}
		}
		return Neg{X: x}, nil
	}
	p.acceptSym("+")
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.isSym("::") {
		p.next()
		typ, err := p.castType()
		if err != nil {
			return nil, err
		}
		x = Cast{X: x, Type: typ, Colon: true}
	}
	return x, nil
}

func (p *parser) castType() (string, error) {
	t := p.next()
	typ := castTypes[t.word()]
	if typ == "" {
		return "", p.errorf(t, "expected a type (BIGINT, INTEGER, DOUBLE, VARCHAR, BOOLEAN, DATE, TIMESTAMP), found %s", t.describe())
	}
	return typ, nil
}

func (p *parser) primary() (Calc, error) {
	t := p.peek()
	switch t.kind {
	case tokNumber, tokString:
		v, err := p.literal()
		return Lit{V: v}, err
	case tokQuotedIdent:
		name, _, err := p.ident("a column")
		return Ref{Name: name}, err
	case tokSymbol:
		if t.text == "(" {
			if p.peekAt(1).word() == "SELECT" {
				return nil, p.errorf(p.peekAt(1), "dora does not support subqueries")
			}
			p.next()
			x, err := p.scalar()
			if err != nil {
				return nil, err
			}
			return x, p.expectSym(")")
		}
	case tokIdent:
		switch t.word() {
		case "TRUE", "FALSE", "NULL", "CURRENT_TIMESTAMP", "CURRENT_DATE":
			v, err := p.literal()
			return Lit{V: v}, err
		case "NOW":
			if n := p.peekAt(1); n.kind == tokSymbol && n.text == "(" {
				v, err := p.literal()
				return Lit{V: v}, err
			}
		case "DATE", "TIMESTAMP":
			if p.peekAt(1).kind == tokString {
				v, err := p.literal()
				return Lit{V: v}, err
			}
		case "CASE":
			return p.caseExpr()
		case "CAST":
			p.next()
			if err := p.expectSym("("); err != nil {
				return nil, err
			}
			x, err := p.scalar()
			if err != nil {
				return nil, err
			}
			if err := p.expectWord("AS"); err != nil {
				return nil, err
			}
			typ, err := p.castType()
			if err != nil {
				return nil, err
			}
			return Cast{X: x, Type: typ}, p.expectSym(")")
		}
		if n := p.peekAt(1); n.kind == tokSymbol && n.text == "(" {
			return p.callExpr()
		}
		name, _, err := p.ident("a column")
		return Ref{Name: name}, err
	}
	if msg := unsupported(t); msg != "" && t.kind != tokSymbol {
		return nil, p.errorf(t, "%s", msg)
	}
	return nil, p.expected("a column, a value or an expression")
}

// caseExpr reads CASE WHEN cond THEN x ... [ELSE y] END; CASE x WHEN v THEN ... is read as
// CASE WHEN x = v THEN ....
func (p *parser) caseExpr() (Calc, error) {
	p.next()
	var subject Calc
	var subjectTok token
	if p.isWord("ELSE") || p.isWord("END") {
		return nil, p.expected("WHEN")
	}
	if !p.isWord("WHEN") {
		subjectTok = p.peek()
		var err error
		if subject, err = p.scalar(); err != nil {
			return nil, err
		}
	}
	var c Case
	for p.acceptWord("WHEN") {
		var cond Expr
		var err error
		if subject != nil {
			v, err := p.literal()
			if err != nil {
				return nil, err
			}
			cond = Compare{Column: p.leftName(subject, subjectTok), Op: OpEq, Value: v}
		} else if cond, err = p.orExpr(&condCtx{pending: true}); err != nil {
			return nil, err
		}
		if err := p.expectWord("THEN"); err != nil {
			return nil, err
		}
		then, err := p.scalar()
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, When{Cond: cond, Then: then})
	}
	if len(c.Whens) == 0 {
		return nil, p.expected("WHEN")
	}
	if p.acceptWord("ELSE") {
		e, err := p.scalar()
		if err != nil {
			return nil, err
		}
		c.Else = e
	}
	return c, p.expectWord("END")
}

// leftName names a condition's left side: the column itself, or a pending expression.
func (p *parser) leftName(c Calc, tok token) string {
	if r, ok := c.(Ref); ok {
		return r.Name
	}
	p.pending = append(p.pending, pendingLeft{c: c, tok: tok})
	return pendingPrefix + strconv.Itoa(len(p.pending)-1)
}

// callExpr reads a function call: an aggregate, a bucket function or a scalar function.
func (p *parser) callExpr() (Calc, error) {
	fn := p.peek()
	name := strings.ToLower(fn.text)
	switch {
	case name == "extract":
		p.next()
		p.next() // (
		u := p.next()
		unit := strings.ToLower(u.text)
		if u.kind != tokIdent && u.kind != tokString || !IsDatePart(unit) {
			return nil, p.errorf(u, "extract needs a date part: year, quarter, month, day, hour, minute, second, dow, isodow, doy, week or epoch")
		}
		if err := p.expectWord("FROM"); err != nil {
			return nil, err
		}
		x, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return Func{Name: unit, Args: []Calc{x}, Spelling: "extract"}, p.expectSym(")")
	case name == "date_part" || name == "datepart":
		p.next()
		p.next() // (
		u := p.next()
		unit := strings.ToLower(u.text)
		if u.kind != tokString || !IsDatePart(unit) {
			return nil, p.errorf(u, "date_part needs a date part such as 'year', 'month', 'day', 'hour' or 'dow'")
		}
		if err := p.expectSym(","); err != nil {
			return nil, err
		}
		x, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return Func{Name: unit, Args: []Calc{x}, Spelling: "date_part"}, p.expectSym(")")
	case IsDatePart(name) || scalarFuncs[name] != [2]int{}:
		p.next()
		p.next() // (
		var args []Calc
		if !p.isSym(")") {
			for {
				a, err := p.scalar()
				if err != nil {
					return nil, err
				}
				args = append(args, a)
				if !p.acceptSym(",") {
					break
				}
			}
		}
		if err := p.expectSym(")"); err != nil {
			return nil, err
		}
		lo, hi := 1, 1
		if n, ok := scalarFuncs[name]; ok {
			lo, hi = n[0], n[1]
		}
		if len(args) < lo || len(args) > hi {
			want := strconv.Itoa(lo)
			if hi > lo && hi < 99 {
				want += " or " + strconv.Itoa(hi)
			} else if hi > lo {
				want += " or more"
			}
			return nil, p.errorf(fn, "%s takes %s arguments, not %d", name, want, len(args))
		}
		switch name {
		case "ceiling":
			name = "ceil"
		case "substring":
			name = "substr"
		case "dayofweek":
			name = "dow"
		case "dayofyear":
			name = "doy"
		case "dayofmonth":
			name = "day"
		}
		if name == "round" && len(args) == 2 {
			if _, ok := literalInt(args[1]); !ok {
				return nil, p.errorf(fn, "round(x, digits) needs a whole number of digits")
			}
		}
		return Func{Name: name, Args: args}, nil
	}
	it, err := p.call()
	if err != nil {
		return nil, err
	}
	if it.metric != nil {
		if p.isWord("OVER") {
			return nil, p.errorf(p.peek(), "dora does not support window functions")
		}
		if p.isWord("FILTER") && p.peekAt(1).kind == tokSymbol && p.peekAt(1).text == "(" {
			p.next()
			p.next()
			if err := p.expectWord("WHERE"); err != nil {
				return nil, err
			}
			f, err := p.expr()
			if err != nil {
				return nil, err
			}
			if err := p.expectSym(")"); err != nil {
				return nil, err
			}
			it.metric.Filter = f
		}
		return aggNode{m: *it.metric, tok: fn}, nil
	}
	return dimNode{d: *it.dim, tz: it.tz, tok: fn}, nil
}

// aggArg reads an aggregate's argument: a column, or an expression of columns per row.
func (p *parser) aggArg(m *Metric, what string) error {
	t := p.peek()
	x, err := p.scalar()
	if err != nil {
		return err
	}
	if r, ok := x.(Ref); ok {
		m.Column = r.Name
		return nil
	}
	if hasAgg(x) {
		return p.errorf(t, "an aggregate cannot hold another aggregate")
	}
	if hasDim(x) {
		return p.errorf(t, "dora does not support a time bucket or histogram inside an aggregate")
	}
	if x, err = p.rowCalc(x); err != nil {
		return err
	}
	if len(CalcRefs(x)) == 0 && what != "" {
		return p.errorf(t, "%s needs %s", m.Func.name(), what)
	}
	m.Arg = x
	return nil
}

func (f AggFunc) name() string { return aggNames[f] }

// rowCalc checks an expression computed per row: its CASE conditions compare columns.
func (p *parser) rowCalc(c Calc) (Calc, error) {
	return MapCalc(c, func(n string) (string, error) {
		if i, ok := p.pendingIndex(n); ok {
			pl := p.pending[i]
			return "", p.errorf(pl.tok, "dora compares a column with a value in a CASE condition here, not an expression")
		}
		return n, nil
	})
}

func (p *parser) pendingIndex(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, pendingPrefix)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	return i, err == nil && i < len(p.pending)
}
