package query

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// condCtx says where a condition is read: nil for WHERE (columns compared with values), with b
// for HAVING (operands resolved to output columns), pending for a CASE condition (operands that
// are expressions wait for the builder).
type condCtx struct {
	b       *builder
	pending bool
}

// expr reads a WHERE expression; OR binds loosest, then AND, then NOT.
func (p *parser) expr() (Expr, error) { return p.orExpr(nil) }

// havingExpr reads a HAVING expression, whose operands b resolves to output columns.
func (p *parser) havingExpr(b *builder) (Expr, error) { return p.orExpr(&condCtx{b: b}) }

func (p *parser) orExpr(b *condCtx) (Expr, error) {
	return p.joined(b, "OR", p.andExpr, NewOr)
}

func (p *parser) andExpr(b *condCtx) (Expr, error) {
	return p.joined(b, "AND", p.notExpr, NewAnd)
}

// joined reads operands separated by word and combines them.
func (p *parser) joined(b *condCtx, word string, operand func(*condCtx) (Expr, error), combine func(...Expr) Expr) (Expr, error) {
	var terms []Expr
	for {
		t, err := operand(b)
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
		if !p.acceptWord(word) {
			return combine(terms...), nil
		}
	}
}

// NewAnd joins terms with AND, flattening nested ANDs; one term is returned as it is.
func NewAnd(terms ...Expr) Expr {
	return flatten(terms, func(e Expr) ([]Expr, bool) { x, ok := e.(And); return x.Terms, ok }, func(t []Expr) Expr { return And{Terms: t} })
}

// NewOr joins terms with OR, flattening nested ORs; one term is returned as it is.
func NewOr(terms ...Expr) Expr {
	return flatten(terms, func(e Expr) ([]Expr, bool) { x, ok := e.(Or); return x.Terms, ok }, func(t []Expr) Expr { return Or{Terms: t} })
}

// flatten drops nil terms and splices in the terms of nested joins of the same kind.
func flatten(terms []Expr, same func(Expr) ([]Expr, bool), join func([]Expr) Expr) Expr {
	var flat []Expr
	for _, t := range terms {
		if t == nil {
			continue
		}
		if inner, ok := same(t); ok {
			flat = append(flat, inner...)
		} else {
			flat = append(flat, t)
		}
	}
	switch len(flat) {
	case 0:
		return nil
	case 1:
		return flat[0]
	}
	return join(flat)
}

func (p *parser) notExpr(b *condCtx) (Expr, error) {
	if p.acceptWord("NOT") {
		x, err := p.notExpr(b)
		if err != nil {
			return nil, err
		}
		return Not{X: x}, nil
	}
	if p.isSym("(") {
		if p.peekAt(1).word() == "SELECT" {
			return nil, p.errorf(p.peekAt(1), "dora does not support subqueries")
		}
		// A parenthesis opens a condition, or an expression on a comparison's left:
		// (count(*) - 7) * 2 > 3. Try the condition first and go back when it is not one.
		at, pending := p.i, len(p.pending)
		var metrics, calcs int
		if b != nil && b.b != nil {
			metrics, calcs = len(b.b.spec.Metrics), len(b.b.spec.Calcs)
		}
		p.next()
		x, err := p.orExpr(b)
		if err == nil {
			err = p.expectSym(")")
		}
		if err == nil && !p.operatorAt(0) {
			return x, nil
		}
		p.i, p.pending = at, p.pending[:pending]
		if b != nil && b.b != nil {
			b.b.spec.Metrics, b.b.spec.Calcs = b.b.spec.Metrics[:metrics], b.b.spec.Calcs[:calcs]
		}
		y, err2 := p.predicate(b)
		if err2 != nil && err != nil {
			return nil, err
		}
		return y, err2
	}
	return p.predicate(b)
}

func (p *parser) predicate(ctx *condCtx) (Expr, error) {
	t := p.peek()
	if t.kind == tokNumber || t.kind == tokString {
		return nil, p.errorf(t, "put the column on the left of the comparison")
	}
	if t.kind == tokIdent && strings.EqualFold(t.text, "match") && p.peekAt(1).kind == tokSymbol && p.peekAt(1).text == "(" {
		return p.match()
	}
	if t.kind == tokEOF || t.kind == tokSymbol && t.text != "(" && t.text != "-" {
		return nil, p.expected("a column")
	}
	left, err := p.scalar()
	if err != nil {
		return nil, err
	}
	var col string
	year := false  // year(col) in WHERE: the condition becomes a time range on col
	var part *Func // another date part in WHERE: the condition compares the part (PartTest)
	switch {
	case ctx != nil && ctx.b != nil:
		if col, err = ctx.b.havingRef(itemOf(left, t)); err != nil {
			return nil, err
		}
	case ctx != nil && ctx.pending:
		col = p.leftName(left, t)
	default:
		switch x := left.(type) {
		case Ref:
			col = x.Name
		case aggNode:
			return nil, p.errorf(t, "aggregates such as %s belong in HAVING, not WHERE", x.m.Expr())
		case dimNode:
			return nil, p.errorf(t, "dora does not support %s in WHERE: filter on the column itself", x.d.Expr())
		case Func:
			if r, ok := yearOf(x); ok {
				col, year = r, true
				break
			}
			if r, ok := partOf(x); ok {
				col, part = r, &x
				break
			}
			return nil, p.errorf(t, "dora does not support %s in WHERE: compare a column, or a date part of one (month(ts) = 3), with a value", CalcName(x))
		default:
			return nil, p.errorf(t, "dora does not support expressions in WHERE (%s): compare a column with a value", CalcName(left))
		}
	}
	if p.acceptWord("IS") {
		not := p.acceptWord("NOT")
		if err := p.expectWord("NULL"); err != nil {
			return nil, err
		}
		return IsNull{Column: col, Not: not}, nil
	}
	negate := p.acceptWord("NOT")
	var e Expr
	switch {
	case p.acceptWord("IN"):
		if err := p.expectSym("("); err != nil {
			return nil, err
		}
		if p.isWord("SELECT") {
			return nil, p.errorf(p.peek(), "dora does not support subqueries")
		}
		var vals []Value
		for {
			v, err := p.literal()
			if err != nil {
				return nil, err
			}
			if v.Kind == KindNull {
				return nil, p.errorf(p.toks[p.i-1], "NULL never matches IN: use IS NULL")
			}
			vals = append(vals, v)
			if !p.acceptSym(",") {
				break
			}
		}
		if err := p.expectSym(")"); err != nil {
			return nil, err
		}
		e = In{Column: col, Values: vals}
	case p.acceptWord("BETWEEN"):
		lo, err := p.literal()
		if err != nil {
			return nil, err
		}
		if err := p.expectWord("AND"); err != nil {
			return nil, err
		}
		hi, err := p.literal()
		if err != nil {
			return nil, err
		}
		if lo.Kind == KindNull || hi.Kind == KindNull {
			return nil, p.errorf(p.toks[p.i-1], "BETWEEN needs two values, not NULL")
		}
		e = Between{Column: col, Low: lo, High: hi}
	case p.isWord("LIKE") || p.isWord("ILIKE"):
		lt := p.next()
		pt := p.next()
		if pt.kind != tokString {
			return nil, p.errorf(pt, "%s needs a pattern string such as '%%dress%%'", lt.word())
		}
		like := Like{Column: col, Pattern: pt.text, ILike: lt.word() == "ILIKE"}
		if p.acceptWord("ESCAPE") {
			et := p.next()
			if et.kind != tokString || len([]rune(et.text)) != 1 {
				return nil, p.errorf(et, "ESCAPE needs one character in quotes, such as '\\'")
			}
			like.Escape = et.text
		}
		e = like
	default:
		if negate {
			return nil, p.expected("IN, BETWEEN or LIKE after NOT")
		}
		ot := p.peek()
		var op Op
		switch {
		case ot.kind == tokSymbol && (ot.text == "=" || ot.text == "!=" || ot.text == "<>" || ot.text == "<" || ot.text == "<=" || ot.text == ">" || ot.text == ">="):
			op = Op(ot.text)
			if op == "<>" {
				op = OpNe
			}
			p.next()
		default:
			return nil, p.expected("a comparison (=, !=, <, <=, >, >=, IN, BETWEEN, LIKE, IS NULL)")
		}
		typed := (p.peek().word() == "DATE" || p.peek().word() == "TIMESTAMP") && p.peekAt(1).kind == tokString
		if vt := p.peek(); vt.kind == tokQuotedIdent || vt.kind == tokIdent && !isLiteralWord(vt.word()) ||
			(vt.word() == "DATE" || vt.word() == "TIMESTAMP") && !typed {
			return nil, p.errorf(vt, "dora compares columns with values, not with other columns")
		}
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		if v.Kind == KindNull {
			return nil, p.errorf(p.toks[p.i-1], "nothing is %s NULL: use IS NULL or IS NOT NULL", op)
		}
		e = Compare{Column: col, Op: op, Value: v}
	}
	if year {
		if e, err = yearRange(e); err != nil {
			return nil, p.errorf(t, "%v", err)
		}
	}
	if part != nil {
		if e, err = partTest(*part, e); err != nil {
			return nil, p.errorf(t, "%v", err)
		}
	}
	if negate {
		return Not{X: e}, nil
	}
	return e, nil
}

// yearOf returns the column of year(col), extract(year FROM col) or date_part('year', col).
func yearOf(f Func) (string, bool) {
	if f.Name != "year" || len(f.Args) != 1 {
		return "", false
	}
	r, ok := f.Args[0].(Ref)
	return r.Name, ok
}

// partOf returns the column of a date part other than year and epoch applied to a column.
func partOf(f Func) (string, bool) {
	if !IsDatePart(f.Name) || f.Name == "year" || f.Name == "epoch" || len(f.Args) != 1 {
		return "", false
	}
	r, ok := f.Args[0].(Ref)
	return r.Name, ok
}

// partTest makes a condition on a date part a PartTest: it compares whole numbers. IS NULL of a
// part is IS NULL of its column.
func partTest(f Func, e Expr) (Expr, error) {
	whole := func(vs ...Value) error {
		for _, v := range vs {
			if v.Kind != KindInt {
				return fmt.Errorf("%s(...) compares with whole numbers such as 3, not %s", f.Name, FormatValue(v))
			}
		}
		return nil
	}
	var err error
	switch x := e.(type) {
	case IsNull:
		return x, nil
	case Compare:
		err = whole(x.Value)
	case In:
		err = whole(x.Values...)
	case Between:
		err = whole(x.Low, x.High)
	default:
		return nil, fmt.Errorf("%s(...) in WHERE takes =, !=, <, <=, >, >=, BETWEEN, IN or IS NULL", f.Name)
	}
	if err != nil {
		return nil, err
	}
	return PartTest{Part: f.Name, Spelling: f.Spelling, Test: e}, nil
}

// yearRange turns a condition on year(col) into the same condition on col as a time range:
// year(ts) = 2024 is ts >= 2024-01-01 AND ts < 2025-01-01 (UTC, as date parts are read), which
// both backends answer natively.
func yearRange(e Expr) (Expr, error) {
	start := func(v Value) (Value, error) {
		if v.Kind != KindInt || v.Int < 1 || v.Int > 9998 {
			return Value{}, fmt.Errorf("year(...) compares with a whole year such as 2024, not %s", FormatValue(v))
		}
		return Time(time.Date(int(v.Int), 1, 1, 0, 0, 0, 0, time.UTC)), nil
	}
	next := func(v Value) Value { return Time(v.Time.AddDate(1, 0, 0)) }
	var err error
	rng := func(col string, lo, hi Value) Expr {
		a, e1 := start(lo)
		b, e2 := start(hi)
		if err == nil {
			err = errors.Join(e1, e2)
		}
		return And{Terms: []Expr{Compare{Column: col, Op: OpGe, Value: a}, Compare{Column: col, Op: OpLt, Value: next(b)}}}
	}
	var out Expr
	switch x := e.(type) {
	case Compare:
		y, e1 := start(x.Value)
		if e1 != nil {
			return nil, e1
		}
		switch x.Op {
		case OpEq:
			out = rng(x.Column, x.Value, x.Value)
		case OpNe:
			out = Or{Terms: []Expr{Compare{Column: x.Column, Op: OpLt, Value: y}, Compare{Column: x.Column, Op: OpGe, Value: next(y)}}}
		case OpLt:
			out = Compare{Column: x.Column, Op: OpLt, Value: y}
		case OpLe:
			out = Compare{Column: x.Column, Op: OpLt, Value: next(y)}
		case OpGt:
			out = Compare{Column: x.Column, Op: OpGe, Value: next(y)}
		case OpGe:
			out = Compare{Column: x.Column, Op: OpGe, Value: y}
		}
	case Between:
		out = rng(x.Column, x.Low, x.High)
	case In:
		var terms []Expr
		for _, v := range x.Values {
			terms = append(terms, rng(x.Column, v, v))
		}
		out = Or{Terms: terms}
		if len(terms) == 1 {
			out = terms[0]
		}
	}
	if out == nil {
		return nil, fmt.Errorf("year(...) in WHERE takes =, !=, <, <=, >, >=, BETWEEN, IN or IS NULL")
	}
	return out, err
}

func isLiteralWord(w string) bool {
	switch w {
	case "TRUE", "FALSE", "NULL", "TIMESTAMP", "DATE", "NOW", "CURRENT_TIMESTAMP", "CURRENT_DATE", "INTERVAL":
		return true
	}
	return false
}

func (p *parser) match() (Expr, error) {
	p.next()
	p.next() // (
	col, _, err := p.ident("a column")
	if err != nil {
		return nil, err
	}
	if err := p.expectSym(","); err != nil {
		return nil, err
	}
	t := p.next()
	if t.kind != tokString || strings.TrimSpace(t.text) == "" {
		return nil, p.errorf(t, "match needs the words to find, such as 'red dress'")
	}
	if err := p.expectSym(")"); err != nil {
		return nil, err
	}
	return Match{Column: col, Text: t.text}, nil
}

// literal reads a value: a string, a number, TRUE, FALSE, NULL, TIMESTAMP '...', DATE '...',
// now(), current_timestamp or current_date, each optionally +/- INTERVAL '7 days', and
// DATE '...' +/- INTERVAL '1' MONTH, folded to a timestamp.
func (p *parser) literal() (Value, error) {
	t := p.next()
	switch t.kind {
	case tokString:
		return String(t.text), nil
	case tokNumber:
		return numberValue(p, t, "")
	case tokSymbol:
		if t.text == "-" && p.peek().kind == tokNumber {
			return numberValue(p, p.next(), "-")
		}
	case tokIdent:
		switch t.word() {
		case "TRUE":
			return Bool(true), nil
		case "FALSE":
			return Bool(false), nil
		case "NULL":
			return Null(), nil
		case "TIMESTAMP", "DATE":
			s := p.next()
			if s.kind != tokString {
				return Value{}, p.errorf(s, "%s needs a quoted value such as '2024-01-31'", t.word())
			}
			tm, date, err := ParseTime(s.text)
			if err != nil {
				return Value{}, p.errorf(s, "%v", err)
			}
			if t.word() == "DATE" && !date {
				return Value{}, p.errorf(s, "DATE wants a day such as '2024-01-31'")
			}
			sign, iv, err := p.intervalTail()
			if err != nil {
				return Value{}, err
			}
			if sign != 0 {
				return Time(Shift(tm, iv, sign)), nil // a constant: folded here
			}
			if t.word() == "DATE" {
				return Value{Kind: KindTime, Time: tm, Date: true}, nil
			}
			return Time(tm), nil
		case "NOW", "CURRENT_TIMESTAMP", "CURRENT_DATE":
			if t.word() == "NOW" {
				if err := p.expectSym("("); err != nil {
					return Value{}, err
				}
				if err := p.expectSym(")"); err != nil {
					return Value{}, err
				}
			}
			sign, iv, err := p.intervalTail()
			if err != nil {
				return Value{}, err
			}
			v := Ago(iv)
			v.Today, v.Ahead = t.word() == "CURRENT_DATE", sign > 0
			return v, nil
		}
	}
	if msg := unsupported(t); msg != "" {
		return Value{}, p.errorf(t, "%s", msg)
	}
	return Value{}, p.errorf(t, "expected a value (a 'string', a number, TRUE, FALSE, TIMESTAMP '...', now()), found %s", t.describe())
}

// intervalTail reads an optional "+ INTERVAL '...'" or "- INTERVAL '...'" after a time
// value; sign is 1 or -1, or 0 when none follows (and nothing is read).
func (p *parser) intervalTail() (int, Interval, error) {
	if !(p.isSym("-") || p.isSym("+")) || p.peekAt(1).word() != "INTERVAL" {
		return 0, Interval{}, nil
	}
	sign := 1
	if p.next().text == "-" {
		sign = -1
	}
	p.next() // INTERVAL
	s := p.next()
	if s.kind != tokString {
		return 0, Interval{}, p.errorf(s, "INTERVAL needs a quoted value such as '7 days'")
	}
	text := s.text
	if u := p.peek(); u.kind == tokIdent && intervalUnit(u.text) {
		p.next() // INTERVAL '7' DAY
		text += " " + u.text
	}
	iv, err := parseInterval(text)
	if err != nil {
		return 0, Interval{}, p.errorf(s, "%v", err)
	}
	return sign, iv, nil
}

// intervalUnit reports whether a word is a unit of INTERVAL '7' DAY.
func intervalUnit(w string) bool {
	switch strings.ToLower(w) {
	case "second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks",
		"month", "months", "quarter", "quarters", "year", "years":
		return true
	}
	return false
}

func numberValue(p *parser, t token, sign string) (Value, error) {
	text := sign + t.text
	if !strings.ContainsAny(t.text, ".eE") {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return Int(n), nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return Value{}, p.errorf(t, "number %s is out of range", text)
	}
	return Float(f), nil
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04Z07:00", "2006-01-02T15:04Z07:00", "2006-01-02 15:04", "2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999 Z07:00", "2006-01-02 15:04:05.999999999-07",
}

// ParseTime reads a timestamp or a date, in UTC unless it carries an offset; date reports that
// it was a bare day.
func ParseTime(s string) (t time.Time, date bool, err error) {
	s = strings.TrimSpace(s)
	if d, err := time.Parse("2006-01-02", s); err == nil {
		return d, true, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), false, nil
		}
	}
	return time.Time{}, false, &timeError{s}
}

type timeError struct{ s string }

func (e *timeError) Error() string {
	return "cannot read " + strconv.Quote(e.s) + " as a time: use '2024-01-31' or '2024-01-31 13:45:00'"
}
