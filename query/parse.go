package query

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Parse reads one statement of the SQL subset into a Spec. Anything outside the subset is an
// error that says dora does not support it; every error carries the line and column.
func Parse(sql string) (Spec, error) {
	toks, err := lex(sql)
	if err != nil {
		return Spec{}, err
	}
	p := &parser{src: sql, toks: toks}
	spec, err := p.statement()
	if err != nil {
		return Spec{}, err
	}
	return spec, nil
}

type parser struct {
	src     string
	toks    []token
	i       int
	pending []pendingLeft // CASE conditions' left sides that are expressions
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return errAt(p.src, t.pos, format, args...)
}

func (p *parser) expected(what string) error {
	t := p.peek()
	if msg := unsupported(t); msg != "" {
		return p.errorf(t, "%s", msg)
	}
	return p.errorf(t, "expected %s, found %s", what, t.describe())
}

// unsupported names SQL that is real SQL but outside dora's subset.
func unsupported(t token) string {
	switch t.word() {
	case "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "ON", "USING":
		return "dora does not support JOIN: query one table at a time"
	case "UNION", "INTERSECT", "EXCEPT":
		return "dora does not support " + t.word() + ": run the queries separately"
	case "OVER", "WINDOW", "PARTITION":
		return "dora does not support window functions"
	case "WITH":
		return "dora does not support WITH (common table expressions)"
	case "INSERT", "UPDATE", "DELETE", "DROP", "CREATE", "ALTER":
		return "dora only reads: " + t.word() + " is not supported"
	case "SELECT":
		return "dora does not support subqueries"
	}
	if t.kind == tokSymbol && (t.text == "[" || t.text == "]") {
		return "dora does not support arrays or subscripts"
	}
	return ""
}

func (p *parser) isWord(w string) bool { return p.peek().word() == w }

func (p *parser) acceptWord(w string) bool {
	if p.isWord(w) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectWord(w string) error {
	if !p.acceptWord(w) {
		return p.expected(w)
	}
	return nil
}

func (p *parser) isSym(s string) bool {
	t := p.peek()
	return t.kind == tokSymbol && t.text == s
}

func (p *parser) acceptSym(s string) bool {
	if p.isSym(s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectSym(s string) error {
	if !p.acceptSym(s) {
		return p.expected("'" + s + "'")
	}
	return nil
}

// ident reads a column or table name: a bare word that is not a keyword, or a quoted identifier.
func (p *parser) ident(what string) (string, token, error) {
	t := p.peek()
	switch {
	case t.kind == tokQuotedIdent:
		p.i++
		return t.text, t, nil
	case t.kind == tokIdent && !keywords[t.word()]:
		p.i++
		// dotted names (a.b.c) are Elasticsearch object fields
		name := t.text
		for p.isSym(".") && p.peekAt(1).kind == tokIdent {
			p.i++
			name += "." + p.next().text
		}
		return name, t, nil
	}
	if t.kind == tokIdent && unsupported(t) == "" && reservedColumn(what) {
		return "", t, p.errorf(t, "expected %s, found the reserved word %s; a column of that name must be double-quoted: %s", what, t.word(), `"`+t.text+`"`)
	}
	return "", t, p.expected(what)
}

// reservedColumn reports whether a reserved word where what is expected may be a column someone
// forgot to quote, rather than a clause that came too soon.
func reservedColumn(what string) bool {
	return what == "a column" || what == "a column or *" || what == "a table name" || what == "an alias"
}

// item is one parsed SELECT, GROUP BY, ORDER BY or HAVING operand before it is resolved.
type item struct {
	tok     token
	star    bool
	column  string // a plain column or alias reference
	ordinal int    // GROUP BY 1 / ORDER BY 2
	dim     *Dimension
	metric  *Metric
	calc    Calc   // any other expression, with aggregates and buckets as parsed
	tz      string // time zone given as a time dimension's third argument
	alias   string
}

// itemOf classifies a parsed expression: a column, an aggregate, a bucket or an expression.
func itemOf(x Calc, t token) item {
	switch n := x.(type) {
	case Ref:
		return item{tok: t, column: n.Name}
	case aggNode:
		m := n.m
		return item{tok: t, metric: &m}
	case dimNode:
		d := n.d
		return item{tok: t, dim: &d, tz: n.tz}
	}
	return item{tok: t, calc: x}
}

func (it item) text() string {
	switch {
	case it.calc != nil:
		return FormatCalc(it.calc, QuoteIdent)
	case it.dim != nil:
		return it.dim.Expr()
	case it.metric != nil:
		return it.metric.Expr()
	}
	return it.column
}

func (p *parser) statement() (Spec, error) {
	if t := p.peek(); t.word() != "SELECT" {
		if msg := unsupported(t); msg != "" && t.word() != "SELECT" {
			return Spec{}, p.errorf(t, "%s", msg)
		}
		return Spec{}, p.expected("SELECT")
	}
	p.next()
	var distinct *token
	if p.isWord("DISTINCT") {
		t := p.next()
		distinct = &t
	} else {
		p.acceptWord("ALL")
	}
	var items []item
	for {
		it, err := p.selectItem()
		if err != nil {
			return Spec{}, err
		}
		items = append(items, it)
		if !p.acceptSym(",") {
			break
		}
	}
	if err := p.expectWord("FROM"); err != nil {
		return Spec{}, err
	}
	if p.isSym("(") {
		return Spec{}, p.errorf(p.peek(), "dora does not support subqueries")
	}
	table, _, err := p.ident("a table name")
	if err != nil {
		return Spec{}, err
	}
	if p.isSym(",") {
		return Spec{}, p.errorf(p.peek(), "dora does not support JOIN: query one table at a time")
	}
	if msg := unsupported(p.peek()); msg != "" {
		return Spec{}, p.errorf(p.peek(), "%s", msg)
	}
	p.acceptWord("AS") // FROM shipments AS s: the alias has no use with one table
	if t := p.peek(); t.kind == tokIdent && !keywords[t.word()] {
		p.next()
	}
	b := builder{p: p, spec: Spec{Table: table}}
	var where Expr
	if p.acceptWord("WHERE") {
		if where, err = p.expr(); err != nil {
			return Spec{}, err
		}
	}
	var groups []item
	if p.acceptWord("GROUP") {
		if err := p.expectWord("BY"); err != nil {
			return Spec{}, err
		}
		for {
			it, err := p.operand(true)
			if err != nil {
				return Spec{}, err
			}
			groups = append(groups, it)
			if !p.acceptSym(",") {
				break
			}
		}
	}
	if distinct != nil {
		if len(groups) > 0 {
			return Spec{}, p.errorf(*distinct, "dora does not support SELECT DISTINCT with GROUP BY: the groups are distinct already; drop DISTINCT")
		}
		for i, it := range items {
			if it.star {
				return Spec{}, p.errorf(it.tok, "dora does not support SELECT DISTINCT *: name the columns")
			}
			if it.metric != nil || it.calc != nil && hasAgg(it.calc) {
				return Spec{}, p.errorf(it.tok, "dora does not support SELECT DISTINCT with aggregates: drop DISTINCT")
			}
			groups = append(groups, item{tok: it.tok, ordinal: i + 1})
		}
		b.spec.Distinct = true
	}
	if err := b.resolveSelect(items, groups); err != nil {
		return Spec{}, err
	}
	b.spec.Where = where
	if p.acceptWord("HAVING") {
		if b.spec.IsRaw() {
			return Spec{}, p.errorf(p.toks[p.i-1], "HAVING needs GROUP BY or an aggregate")
		}
		having, err := p.havingExpr(&b)
		if err != nil {
			return Spec{}, err
		}
		b.spec.Having = having
	}
	if p.acceptWord("ORDER") {
		if err := p.expectWord("BY"); err != nil {
			return Spec{}, err
		}
		for {
			it, err := p.operand(true)
			if err != nil {
				return Spec{}, err
			}
			name, err := b.orderRef(it)
			if err != nil {
				return Spec{}, err
			}
			o := Order{Name: name}
			if p.acceptWord("DESC") {
				o.Desc = true
			} else {
				p.acceptWord("ASC")
			}
			if p.acceptWord("NULLS") {
				switch {
				case p.acceptWord("FIRST"):
					o.Nulls = NullsFirst
				case p.acceptWord("LAST"):
					o.Nulls = NullsLast
				default:
					return Spec{}, p.expected("FIRST or LAST after NULLS")
				}
			}
			b.spec.OrderBy = append(b.spec.OrderBy, o)
			if !p.acceptSym(",") {
				break
			}
		}
	}
	if p.acceptWord("LIMIT") {
		t := p.next()
		n, err := strconv.Atoi(t.text)
		if t.kind != tokNumber || err != nil || n <= 0 {
			return Spec{}, p.errorf(t, "LIMIT needs a positive whole number, found %s", t.describe())
		}
		b.spec.Limit = n
	}
	if p.acceptWord("OFFSET") {
		t := p.next()
		n, err := strconv.Atoi(t.text)
		if t.kind != tokNumber || err != nil || n < 0 {
			return Spec{}, p.errorf(t, "OFFSET needs a whole number, found %s", t.describe())
		}
		p.acceptWord("ROWS")
		b.spec.Offset = n
		if b.spec.Limit == 0 && p.acceptWord("LIMIT") { // OFFSET 3 LIMIT 2, as PostgreSQL also reads
			t := p.next()
			n, err := strconv.Atoi(t.text)
			if t.kind != tokNumber || err != nil || n <= 0 {
				return Spec{}, p.errorf(t, "LIMIT needs a positive whole number, found %s", t.describe())
			}
			b.spec.Limit = n
		}
	}
	p.acceptSym(";")
	if t := p.peek(); t.kind != tokEOF {
		if msg := unsupported(t); msg != "" {
			return Spec{}, p.errorf(t, "%s", msg)
		}
		return Spec{}, p.errorf(t, "expected end of query, found %s", t.describe())
	}
	return b.spec, nil
}

func (p *parser) selectItem() (item, error) {
	if p.isSym("*") {
		t := p.next()
		return item{tok: t, star: true}, nil
	}
	it, err := p.operand(false)
	if err != nil {
		return item{}, err
	}
	if p.acceptWord("AS") {
		alias, _, err := p.ident("an alias")
		if err != nil {
			return item{}, err
		}
		it.alias = alias
	} else if t := p.peek(); t.kind == tokQuotedIdent || t.kind == tokIdent && !keywords[t.word()] {
		it.alias, _, _ = p.ident("an alias")
	}
	return it, nil
}

// operand reads an expression (a column, an aggregate, a bucket function or any expression of
// them) or, where ordinals are allowed, a 1-based position.
func (p *parser) operand(ordinals bool) (item, error) {
	t := p.peek()
	if t.kind == tokNumber && ordinals && !p.operatorAt(1) {
		p.next()
		n, err := strconv.Atoi(t.text)
		if err != nil || n <= 0 {
			return item{}, p.errorf(t, "expected a column position (1, 2, ...), found %s", t.describe())
		}
		return item{tok: t, ordinal: n}, nil
	}
	x, err := p.scalar()
	if err != nil {
		return item{}, err
	}
	return itemOf(x, t), nil
}

// operatorAt reports whether the token n ahead is an arithmetic operator.
func (p *parser) operatorAt(n int) bool {
	t := p.peekAt(n)
	if t.kind != tokSymbol {
		return false
	}
	switch t.text {
	case "+", "-", "*", "/", "%", "||", "::":
		return true
	}
	return false
}

var truncUnits = map[string]string{"second": "second", "minute": "minute", "hour": "hour", "day": "day",
	"week": "week", "month": "month", "quarter": "quarter", "year": "year"}

func (p *parser) call() (item, error) {
	fn := p.next()
	name := strings.ToLower(fn.text)
	p.next() // (
	it := item{tok: fn}
	switch name {
	case "count":
		m := Metric{Func: AggCount}
		switch {
		case p.acceptSym("*"):
		case p.acceptWord("DISTINCT"):
			m = Metric{Func: AggCountDistinct}
			if err := p.aggArg(&m, "a column"); err != nil {
				return item{}, err
			}
		default:
			if err := p.aggArg(&m, ""); err != nil {
				return item{}, err
			}
		}
		it.metric = &m
	case "sum", "avg", "min", "max", "median", "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		if p.isWord("DISTINCT") {
			return item{}, p.errorf(p.peek(), "dora does not support %s(DISTINCT ...)", name)
		}
		m := Metric{}
		switch name {
		case "sum":
			m.Func = AggSum
		case "avg":
			m.Func = AggAvg
		case "min":
			m.Func = AggMin
		case "max":
			m.Func = AggMax
		case "median":
			m.Func, m.P, m.Median = AggPercentile, 0.5, true
		default:
			m.Func = map[string]AggFunc{"stddev": AggStddev, "stddev_samp": AggStddevSamp, "stddev_pop": AggStddevPop,
				"variance": AggVariance, "var_samp": AggVarSamp, "var_pop": AggVarPop}[name]
		}
		if err := p.aggArg(&m, "a column"); err != nil {
			return item{}, err
		}
		it.metric = &m
	case "percentile", "quantile", "percentile_cont":
		m := Metric{Func: AggPercentile}
		if err := p.aggArg(&m, "a column"); err != nil {
			return item{}, err
		}
		if err := p.expectSym(","); err != nil {
			return item{}, err
		}
		t := p.next()
		f, err := strconv.ParseFloat(t.text, 64)
		if t.kind != tokNumber || err != nil || f <= 0 || f >= 1 {
			return item{}, p.errorf(t, "percentile needs a fraction between 0 and 1 such as 0.95, found %s", t.describe())
		}
		m.P = f
		it.metric = &m
	case "date_trunc":
		t := p.next()
		unit := truncUnits[strings.ToLower(t.text)]
		if t.kind != tokString || unit == "" || unit == "second" {
			return item{}, p.errorf(t, "date_trunc needs a unit: 'minute', 'hour', 'day', 'week', 'month', 'quarter' or 'year'")
		}
		col, err := p.commaColumn()
		if err != nil {
			return item{}, err
		}
		it.dim = &Dimension{Kind: DimDateTrunc, Column: col, Unit: unit}
		if it.tz, err = p.optionalZone(); err != nil {
			return item{}, err
		}
	case "time_bucket":
		t := p.next()
		if t.kind != tokString {
			return item{}, p.errorf(t, "time_bucket needs a width such as '15 minutes'")
		}
		iv, err := parseInterval(t.text)
		if err != nil {
			return item{}, p.errorf(t, "time_bucket: %v", err)
		}
		col, err := p.commaColumn()
		if err != nil {
			return item{}, err
		}
		it.dim = &Dimension{Kind: DimTimeBucket, Column: col, Every: iv}
		if it.tz, err = p.optionalZone(); err != nil {
			return item{}, err
		}
	case "histogram":
		col, _, err := p.ident("a column")
		if err != nil {
			return item{}, err
		}
		if err := p.expectSym(","); err != nil {
			return item{}, err
		}
		t := p.next()
		w, err := strconv.ParseFloat(t.text, 64)
		if t.kind != tokNumber || err != nil || w <= 0 || math.IsInf(w, 0) {
			return item{}, p.errorf(t, "histogram needs a positive bucket width, found %s", t.describe())
		}
		it.dim = &Dimension{Kind: DimHistogram, Column: col, Width: w}
	case "match":
		return item{}, p.errorf(fn, "match(col, 'words') is a filter: use it in WHERE")
	default:
		return item{}, p.errorf(fn, "dora does not support the function %s(); it knows the aggregates count, sum, avg, min, max, percentile, median, stddev, variance (and _samp, _pop), the buckets date_trunc, time_bucket and histogram, and the scalar functions round, trunc, abs, ceil, floor, cast, coalesce, nullif, greatest, least, lower, upper, length, concat, substr, extract, date_part, year, month, day, hour, dow and isodow", fn.text)
	}
	if err := p.expectSym(")"); err != nil {
		return item{}, err
	}
	return it, nil
}

// commaColumn reads ", column", the second argument of a time bucket.
func (p *parser) commaColumn() (string, error) {
	if err := p.expectSym(","); err != nil {
		return "", err
	}
	col, _, err := p.ident("a column")
	return col, err
}

func (p *parser) optionalZone() (string, error) {
	if !p.acceptSym(",") {
		return "", nil
	}
	t := p.next()
	if t.kind != tokString {
		return "", p.errorf(t, "expected a time zone such as 'America/Los_Angeles', found %s", t.describe())
	}
	if _, err := time.LoadLocation(t.text); err != nil || t.text == "" || t.text == "Local" {
		return "", p.errorf(t, "unknown time zone %q", t.text)
	}
	if t.text == "UTC" {
		return "", nil
	}
	return t.text, nil
}

// parseInterval reads "15 minutes", "1 day" or "2h".
func parseInterval(s string) (Interval, error) {
	f := strings.Fields(strings.ToLower(strings.TrimSpace(s)))
	if len(f) == 1 { // "15m", "2h", "7d"
		i := 0
		for i < len(f[0]) && f[0][i] >= '0' && f[0][i] <= '9' {
			i++
		}
		if i > 0 && i < len(f[0]) {
			f = []string{f[0][:i], f[0][i:]}
		}
	}
	if len(f) != 2 {
		return Interval{}, fmt.Errorf("want an interval such as '15 minutes' or '7 days', got %q", s)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 || n > 1_000_000 {
		return Interval{}, fmt.Errorf("want a positive whole number of units, got %q", s)
	}
	units := map[string]string{"s": "second", "sec": "second", "second": "second", "seconds": "second",
		"m": "minute", "min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute",
		"h": "hour", "hour": "hour", "hours": "hour", "d": "day", "day": "day", "days": "day",
		"w": "week", "week": "week", "weeks": "week", "month": "month", "months": "month",
		"quarter": "quarter", "quarters": "quarter", "y": "year", "year": "year", "years": "year"}
	u, ok := units[f[1]]
	if !ok {
		return Interval{}, fmt.Errorf("unknown unit %q: use seconds, minutes, hours, days, weeks, months, quarters or years", f[1])
	}
	return Interval{N: n, Unit: u}, nil
}
