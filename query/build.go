package query

import "strings"

// builder turns parsed SELECT and GROUP BY items into a Spec and resolves later references
// (ORDER BY, HAVING) to output column names.
type builder struct {
	p        *parser
	spec     Spec
	selected []string // output names in the order SELECT wrote them, for ordinals
}

func (b *builder) resolveSelect(items []item, groups []item) error {
	p := b.p
	for _, it := range items {
		if it.star {
			if len(items) > 1 {
				return p.errorf(it.tok, "dora does not support * beside other columns")
			}
			if len(groups) > 0 {
				return p.errorf(it.tok, "SELECT * cannot be grouped: name the group-by columns and aggregates")
			}
			return nil
		}
	}
	aggregate := len(groups) > 0
	for _, it := range items {
		if it.metric != nil {
			aggregate = true
		}
	}
	if !aggregate {
		for _, it := range items {
			if it.dim != nil {
				return p.errorf(it.tok, "%s needs GROUP BY", it.text())
			}
			if it.alias != "" {
				return p.errorf(it.tok, "dora does not support aliases on plain columns without GROUP BY")
			}
			b.spec.Columns = append(b.spec.Columns, it.column)
			b.selected = append(b.selected, it.column)
		}
		return nil
	}
	zone := ""
	setZone := func(it item) error {
		if it.dim == nil || !it.dim.IsTime() {
			return nil
		}
		if zone != "" && it.tz != zone || zone == "" && len(b.spec.GroupBy) > 0 && b.hasTimeDim() && it.tz != "" {
			return p.errorf(it.tok, "every time bucket in one query must use the same time zone")
		}
		zone = it.tz
		return nil
	}
	for _, g := range groups {
		var d Dimension
		switch {
		case g.ordinal > 0:
			if g.ordinal > len(items) {
				return p.errorf(g.tok, "GROUP BY %d: the SELECT list has only %d columns", g.ordinal, len(items))
			}
			s := items[g.ordinal-1]
			if s.metric != nil {
				return p.errorf(g.tok, "GROUP BY %d names an aggregate", g.ordinal)
			}
			d = s.dimension()
			if err := setZone(s); err != nil {
				return err
			}
		case g.metric != nil:
			return p.errorf(g.tok, "dora cannot group by an aggregate")
		case g.dim != nil:
			d = *g.dim
			if err := setZone(g); err != nil {
				return err
			}
		default:
			d = Dimension{Kind: DimColumn, Column: g.column}
			for _, s := range items { // GROUP BY an alias
				if s.alias == g.column && s.metric == nil {
					d = s.dimension()
					if err := setZone(s); err != nil {
						return err
					}
				}
			}
		}
		for _, have := range b.spec.GroupBy {
			if have.Expr() == d.Expr() {
				return p.errorf(g.tok, "%s is grouped twice", d.Expr())
			}
		}
		b.spec.GroupBy = append(b.spec.GroupBy, d)
	}
	for _, it := range items {
		if it.metric != nil {
			m := *it.metric
			m.Alias = it.alias
			b.spec.Metrics = append(b.spec.Metrics, m)
			b.selected = append(b.selected, m.Name())
			continue
		}
		d := it.dimension()
		found := false
		for i := range b.spec.GroupBy {
			if b.spec.GroupBy[i].Expr() == d.Expr() {
				found = true
				if it.alias != "" {
					b.spec.GroupBy[i].Alias = it.alias
				}
				if d.IsTime() && it.tz != zone {
					return p.errorf(it.tok, "every time bucket in one query must use the same time zone")
				}
				b.selected = append(b.selected, b.spec.GroupBy[i].Name())
			}
		}
		if !found {
			return p.errorf(it.tok, "%s must appear in GROUP BY or inside an aggregate", it.text())
		}
	}
	b.spec.TimeZone = zone
	seen := map[string]bool{}
	for _, d := range b.spec.GroupBy {
		if seen[d.Name()] {
			return errAt(p.src, len(p.src), "two columns are named %q: give one an alias with AS", d.Name())
		}
		seen[d.Name()] = true
	}
	for _, m := range b.spec.Metrics {
		if seen[m.Name()] {
			return errAt(p.src, len(p.src), "two columns are named %q: give one an alias with AS", m.Name())
		}
		seen[m.Name()] = true
	}
	return nil
}

func (b *builder) hasTimeDim() bool {
	for _, d := range b.spec.GroupBy {
		if d.IsTime() {
			return true
		}
	}
	return false
}

func (it item) dimension() Dimension {
	if it.dim != nil {
		d := *it.dim
		d.Alias = it.alias
		return d
	}
	return Dimension{Kind: DimColumn, Column: it.column, Alias: it.alias}
}

// outputName resolves an ORDER BY or HAVING operand to an output column name. An aggregate that
// is not selected yet is added to the metrics when add is set, as SQL would compute it.
func (b *builder) outputName(it item, add bool) (string, error) {
	p := b.p
	s := &b.spec
	switch {
	case it.ordinal > 0:
		if it.ordinal > len(b.selected) {
			return "", p.errorf(it.tok, "ORDER BY %d: the SELECT list has only %d columns", it.ordinal, len(b.selected))
		}
		return b.selected[it.ordinal-1], nil
	case it.metric != nil:
		if s.IsRaw() {
			return "", p.errorf(it.tok, "%s needs GROUP BY or other aggregates", it.text())
		}
		for _, m := range s.Metrics {
			if m.Expr() == it.metric.Expr() {
				return m.Name(), nil
			}
		}
		if !add {
			return "", p.errorf(it.tok, "%s is not selected", it.text())
		}
		s.Metrics = append(s.Metrics, *it.metric)
		return it.metric.Name(), nil
	case it.dim != nil:
		for _, d := range s.GroupBy {
			if d.Expr() == it.dim.Expr() {
				return d.Name(), nil
			}
		}
		return "", p.errorf(it.tok, "%s is not in GROUP BY", it.text())
	}
	if s.IsRaw() {
		return it.column, nil
	}
	for _, d := range s.GroupBy {
		if d.Name() == it.column || d.Alias == "" && d.Kind == DimColumn && strings.EqualFold(d.Column, it.column) {
			return d.Name(), nil
		}
	}
	for _, m := range s.Metrics {
		if m.Name() == it.column {
			return m.Name(), nil
		}
	}
	return "", p.errorf(it.tok, "%q is not a group-by column or a metric of this query", it.column)
}
