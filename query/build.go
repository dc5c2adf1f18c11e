package query

import (
	"fmt"
	"strings"
)

// builder turns parsed SELECT and GROUP BY items into a Spec and resolves the names in GROUP BY,
// HAVING and ORDER BY as PostgreSQL and DuckDB do: an output alias, an output position, a source
// column, or an expression equal to a select item.
type builder struct {
	p       *parser
	spec    Spec
	items   []item // the SELECT list as parsed
	star    bool
	zoneSet bool // a time bucket has fixed the Spec's time zone
}

func (b *builder) resolveSelect(items []item, groups []item) error {
	p := b.p
	b.items = items
	for _, it := range items {
		if it.star {
			if len(items) > 1 {
				return p.errorf(it.tok, "dora does not support * beside other columns")
			}
			if len(groups) > 0 {
				return p.errorf(it.tok, "SELECT * cannot be grouped: name the group-by columns and aggregates")
			}
			b.star = true
			return nil
		}
	}
	aggregate := len(groups) > 0
	for _, it := range items {
		if it.metric != nil || it.calc != nil && hasAgg(it.calc) {
			aggregate = true
		}
	}
	if !aggregate {
		for _, it := range items {
			if it.dim != nil || it.calc != nil && hasDim(it.calc) {
				return p.errorf(it.tok, "%s needs GROUP BY", it.text())
			}
			if it.calc != nil {
				name, err := b.rowOutput(it)
				if err != nil {
					return err
				}
				b.spec.Select = append(b.spec.Select, Output{Kind: OutCalc, Ref: name, Alias: it.alias})
				continue
			}
			b.spec.Select = append(b.spec.Select, Output{Kind: OutColumn, Ref: it.column, Alias: it.alias})
		}
		return nil
	}
	for _, g := range groups {
		d, err := b.groupDim(g)
		if err != nil {
			return err
		}
		if b.spec.Dimension(d.Name()) < 0 { // GROUP BY a, a groups once, as in SQL
			b.spec.GroupBy = append(b.spec.GroupBy, d)
		}
	}
	for _, it := range items {
		kind, ref, err := b.computed(it, "must appear in GROUP BY or be used in an aggregate function")
		if err != nil {
			return err
		}
		b.spec.Select = append(b.spec.Select, Output{Kind: kind, Ref: ref, Alias: it.alias})
	}
	return nil
}

// groupDim resolves one GROUP BY operand. A bare name is an output alias when one has it (so
// GROUP BY month groups by date_trunc('month', ts) AS month), else a source column.
func (b *builder) groupDim(g item) (Dimension, error) {
	p := b.p
	switch {
	case g.ordinal > 0:
		if g.ordinal > len(b.items) {
			return Dimension{}, p.errorf(g.tok, "GROUP BY %d: the SELECT list has only %d items; use a position from 1 to %d or name the column", g.ordinal, len(b.items), len(b.items))
		}
		s := b.items[g.ordinal-1]
		if s.metric != nil || s.calc != nil && hasAgg(s.calc) {
			return Dimension{}, p.errorf(g.tok, "GROUP BY %d names the aggregate %s: dora cannot group by an aggregate", g.ordinal, s.text())
		}
		if s.calc != nil {
			return b.exprDim(s)
		}
		return s.dimension(), b.useZone(s)
	case g.metric != nil || g.calc != nil && hasAgg(g.calc):
		return Dimension{}, p.errorf(g.tok, "dora cannot group by an aggregate such as %s", g.text())
	case g.dim != nil:
		return *g.dim, b.useZone(g)
	case g.calc != nil:
		return b.exprDim(g)
	}
	s, found, err := b.byName(g, func(it item) string { return it.alias }, "GROUP BY")
	if err != nil || !found {
		return Dimension{Kind: DimColumn, Column: g.column}, err
	}
	if s.metric != nil || s.calc != nil && hasAgg(s.calc) {
		return Dimension{}, p.errorf(g.tok, "GROUP BY %s names the aggregate %s: dora cannot group by an aggregate", g.column, s.text())
	}
	if s.calc != nil {
		return b.exprDim(s)
	}
	return s.dimension(), b.useZone(s)
}

// exprDim makes a group-by dimension of an expression of columns.
func (b *builder) exprDim(it item) (Dimension, error) {
	if hasDim(it.calc) {
		return Dimension{}, b.p.errorf(it.tok, "dora does not support a time bucket or histogram inside a group-by expression")
	}
	c, err := b.p.rowCalc(it.calc)
	if err != nil {
		return Dimension{}, err
	}
	refs := CalcRefs(c)
	if len(refs) == 0 {
		return Dimension{}, b.p.errorf(it.tok, "GROUP BY %s groups by a constant: name a column", it.text())
	}
	return Dimension{Kind: DimExpr, Column: refs[0], Calc: c}, nil
}

// rowOutput registers an expression of columns of a raw-rows query and returns its name.
func (b *builder) rowOutput(it item) (string, error) {
	c, err := b.p.rowCalc(it.calc)
	if err != nil {
		return "", err
	}
	return b.addCalc(c), nil
}

func (b *builder) addCalc(c Calc) string {
	name := CalcName(c)
	if b.spec.Calc(name) < 0 {
		b.spec.Calcs = append(b.spec.Calcs, c)
	}
	return name
}

// post resolves an expression of a grouped query, computed after aggregation: aggregates become
// metrics, bucket functions and group-by expressions their dimensions, columns their group keys,
// and CASE conditions compare those. It returns the expression over their names.
func (b *builder) post(c Calc, tok token, notGrouped string) (Calc, error) {
	text := FormatCalc(c, QuoteIdent)
	for _, d := range b.spec.GroupBy {
		if d.Kind == DimExpr && d.Expr() == text {
			return Ref{Name: d.Name()}, nil
		}
	}
	switch x := c.(type) {
	case aggNode:
		return Ref{Name: b.addMetric(x.m)}, nil
	case dimNode:
		_, ref, err := b.computed(item{tok: x.tok, dim: &x.d, tz: x.tz}, notGrouped)
		return Ref{Name: ref}, err
	case Ref:
		_, ref, err := b.computed(item{tok: tok, column: x.Name}, notGrouped)
		return Ref{Name: ref}, err
	case Lit:
		return x, nil
	case Binary:
		l, err := b.post(x.L, tok, notGrouped)
		if err != nil {
			return nil, err
		}
		r, err := b.post(x.R, tok, notGrouped)
		return Binary{Op: x.Op, L: l, R: r}, err
	case Neg:
		in, err := b.post(x.X, tok, notGrouped)
		return Neg{X: in}, err
	case Cast:
		in, err := b.post(x.X, tok, notGrouped)
		x.X = in
		return x, err
	case Func:
		args := make([]Calc, len(x.Args))
		for i, a := range x.Args {
			var err error
			if args[i], err = b.post(a, tok, notGrouped); err != nil {
				return nil, err
			}
		}
		x.Args = args
		return x, nil
	case Case:
		out := Case{}
		for _, w := range x.Whens {
			cond, err := mapColumns(w.Cond, func(n string) (string, error) { return b.postName(n, tok, notGrouped) })
			if err != nil {
				return nil, err
			}
			then, err := b.post(w.Then, tok, notGrouped)
			if err != nil {
				return nil, err
			}
			out.Whens = append(out.Whens, When{Cond: cond, Then: then})
		}
		if x.Else != nil {
			e, err := b.post(x.Else, tok, notGrouped)
			if err != nil {
				return nil, err
			}
			out.Else = e
		}
		return out, nil
	}
	return nil, b.p.errorf(tok, "dora cannot compute %s here", text)
}

// postName resolves a CASE condition's operand after aggregation to a name: a group key, a
// metric or a computed expression.
func (b *builder) postName(n string, tok token, notGrouped string) (string, error) {
	c := Calc(Ref{Name: n})
	if i, ok := b.p.pendingIndex(n); ok {
		c, tok = b.p.pending[i].c, b.p.pending[i].tok
	}
	r, err := b.post(c, tok, notGrouped)
	if err != nil {
		return "", err
	}
	if ref, ok := r.(Ref); ok {
		return ref.Name, nil
	}
	return b.addCalc(r), nil
}

// byName finds the select item a bare name refers to by name(item), case-insensitively. Two items
// of that name that compute different things make the name ambiguous.
func (b *builder) byName(ref item, name func(item) string, clause string) (item, bool, error) {
	var found *item
	for i, it := range b.items {
		if n := name(it); n == "" || !strings.EqualFold(n, ref.column) {
			continue
		}
		if found != nil && found.key() != it.key() {
			return item{}, false, b.p.errorf(ref.tok, "%s %s is ambiguous: it could be %s or %s; use the expression, a position, or an alias of its own",
				clause, QuoteIdent(ref.column), describeItem(*found, b.items), describeItem(it, b.items))
		}
		found = &b.items[i]
	}
	if found == nil {
		return item{}, false, nil
	}
	return *found, true, nil
}

func describeItem(it item, items []item) string {
	for i := range items {
		if items[i].tok.pos == it.tok.pos {
			s := fmt.Sprintf("%s (select item %d)", it.text(), i+1)
			if it.alias != "" {
				s = fmt.Sprintf("%s AS %s (select item %d)", it.text(), QuoteIdent(it.alias), i+1)
			}
			return s
		}
	}
	return it.text()
}

// computed resolves an operand of a grouped query to the dimension or metric it stands for,
// adding an aggregate that is not computed yet, as SQL computes what HAVING and ORDER BY use.
func (b *builder) computed(it item, notGrouped string) (OutputKind, string, error) {
	if it.metric != nil {
		return OutMetric, b.addMetric(*it.metric), nil
	}
	if it.calc != nil {
		c, err := b.post(it.calc, it.tok, notGrouped)
		if err != nil {
			return 0, "", err
		}
		r, ok := c.(Ref)
		if !ok {
			return OutCalc, b.addCalc(c), nil
		}
		if b.spec.Metric(r.Name) >= 0 {
			return OutMetric, r.Name, nil
		}
		return OutDimension, r.Name, nil
	}
	if err := b.useZone(it); err != nil {
		return 0, "", err
	}
	d := it.dimension()
	if i := b.spec.Dimension(d.Name()); i >= 0 {
		return OutDimension, d.Name(), nil
	}
	if d.Kind == DimColumn {
		for _, have := range b.spec.GroupBy {
			if have.Kind == DimColumn && strings.EqualFold(have.Column, d.Column) {
				return OutDimension, have.Name(), nil
			}
		}
	}
	if len(b.spec.GroupBy) == 0 {
		return 0, "", b.p.errorf(it.tok, "%s %s: with aggregates and no GROUP BY the answer is one row; add GROUP BY %s", it.text(), notGrouped, it.text())
	}
	return 0, "", b.p.errorf(it.tok, "%s %s", it.text(), notGrouped)
}

func (b *builder) addMetric(m Metric) string {
	if b.spec.Metric(m.Name()) < 0 {
		b.spec.Metrics = append(b.spec.Metrics, m)
	}
	return m.Name()
}

// useZone checks that every time bucket of the query uses the same time zone and records it.
func (b *builder) useZone(it item) error {
	if it.dim == nil || !it.dim.IsTime() {
		return nil
	}
	if !b.zoneSet {
		b.zoneSet = true
		b.spec.TimeZone = it.tz
		return nil
	}
	if it.tz != b.spec.TimeZone {
		return b.p.errorf(it.tok, "every time bucket in one query must use the same time zone")
	}
	return nil
}

func (it item) dimension() Dimension {
	if it.dim != nil {
		return *it.dim
	}
	return Dimension{Kind: DimColumn, Column: it.column}
}

// key says what a select item computes, so two items can be told the same or different.
func (it item) key() string {
	if it.metric != nil {
		return "m" + it.metric.Name()
	}
	if it.calc != nil {
		return "c" + it.text()
	}
	return "d" + it.dimension().Name()
}

// outputName is a select item's output column name: its alias, else the item as written.
func (it item) outputName() string {
	if it.alias != "" {
		return it.alias
	}
	return it.text()
}

// orderRef resolves an ORDER BY operand: an output name (alias or item as written) first, then a
// source column, as SQL does; a position; or an expression.
func (b *builder) orderRef(it item) (string, error) {
	p := b.p
	s := &b.spec
	if it.ordinal > 0 {
		if b.star {
			return "", p.errorf(it.tok, "ORDER BY %d with SELECT *: dora does not know the column order here; name the column", it.ordinal)
		}
		if it.ordinal > len(s.Select) {
			return "", p.errorf(it.tok, "ORDER BY %d: the SELECT list has only %d items; use a position from 1 to %d or name the column", it.ordinal, len(s.Select), len(s.Select))
		}
		return s.Select[it.ordinal-1].Ref, nil
	}
	if s.IsRaw() {
		switch {
		case it.metric != nil || it.calc != nil && hasAgg(it.calc):
			return "", p.errorf(it.tok, "%s needs GROUP BY or other aggregates", it.text())
		case it.dim != nil || it.calc != nil && hasDim(it.calc):
			return "", p.errorf(it.tok, "%s needs GROUP BY", it.text())
		case it.calc != nil:
			return b.rowOutput(it)
		}
		if out, ok, err := b.byName(it, item.outputName, "ORDER BY"); err != nil || ok {
			if out.calc != nil {
				return b.rowOutput(out)
			}
			return out.column, err
		}
		return it.column, nil
	}
	if it.metric == nil && it.dim == nil && it.calc == nil {
		out, ok, err := b.byName(it, item.outputName, "ORDER BY")
		if err != nil {
			return "", err
		}
		if ok {
			it = out
		}
	}
	_, ref, err := b.computed(it, "must appear in GROUP BY or be used in an aggregate function to order by it")
	return ref, err
}

// havingRef resolves a HAVING operand: an aggregate, a group key (a grouped source column
// first), or, as DuckDB allows, an output alias.
func (b *builder) havingRef(it item) (string, error) {
	if it.metric == nil && it.dim == nil && it.calc == nil {
		grouped := false
		for _, d := range b.spec.GroupBy {
			grouped = grouped || d.Kind == DimColumn && strings.EqualFold(d.Column, it.column)
		}
		if !grouped {
			out, ok, err := b.byName(it, func(s item) string { return s.alias }, "HAVING")
			if err != nil {
				return "", err
			}
			if ok {
				it = out
			}
		}
	}
	_, ref, err := b.computed(it, "must appear in GROUP BY or be used in an aggregate function in HAVING")
	return ref, err
}
