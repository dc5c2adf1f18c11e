package query

import "time"

// Every backend computes the same rows for a Spec, then projects them onto the SELECT list:
//   - grouped: every group key in GroupBy order, then every metric in Metrics order;
//   - raw rows: the SourceColumns in order, or every column of the schema for SELECT *.
// ComputedColumns describes those rows; ResultColumns and Project turn them into the answer.

// ComputedColumns describes the rows a backend computes for a Spec.
func ComputedColumns(s Spec, schema Schema) []Column {
	if s.IsRaw() {
		names := s.SourceColumns()
		if len(names) == 0 {
			names = schema.Names()
		}
		cols := make([]Column, len(names))
		for i, n := range names {
			f, _ := schema.Field(n)
			cols[i] = Column{Name: n, Role: RoleDimension, Type: f.Type}
		}
		for _, c := range s.Calcs {
			cols = append(cols, Column{Name: CalcName(c), Role: RoleDimension, Type: CalcType(c, func(n string) Type {
				f, _ := schema.Field(n)
				return f.Type
			})})
		}
		return cols
	}
	cols := make([]Column, 0, len(s.GroupBy)+len(s.Metrics)+len(s.Calcs))
	for _, d := range s.GroupBy {
		cols = append(cols, Column{Name: d.Name(), Role: RoleDimension, Type: d.Type(schema)})
	}
	for _, m := range s.Metrics {
		cols = append(cols, Column{Name: m.Name(), Role: RoleMetric, Type: m.Type(schema)})
	}
	typeOf := func(n string) Type {
		for _, c := range cols {
			if c.Name == n {
				return c.Type
			}
		}
		return TypeOther
	}
	for _, c := range s.Calcs {
		cols = append(cols, Column{Name: CalcName(c), Role: RoleMetric, Type: CalcType(c, typeOf)})
	}
	return cols
}

// ResultColumns gives the columns of a Spec's answer: exactly its SELECT list, in order, named
// by alias or as written.
func ResultColumns(s Spec, schema Schema) []Column {
	computed := ComputedColumns(s, schema)
	outs := s.Outputs()
	if len(outs) == 0 {
		return computed
	}
	cols := make([]Column, len(outs))
	for i, at := range projection(s) {
		cols[i] = Column{Name: s.OutputName(outs[i]), Role: RoleDimension}
		if at >= 0 {
			cols[i].Role, cols[i].Type = computed[at].Role, computed[at].Type
		}
	}
	return cols
}

// Project turns computed rows into the answer's rows: the SELECT list's values in order, repeats
// repeated, hidden keys and metrics dropped. Time-bucket keys of a Spec with a time zone are
// given in that zone, so they print as the local start of the bucket with its offset.
func Project(s Spec, rows [][]any) [][]any {
	outs := s.Outputs()
	var zoned []bool // output columns that are time buckets to show in the Spec's zone
	loc := s.Location()
	if loc != time.UTC {
		for _, o := range outs {
			i := s.Dimension(o.Ref)
			zoned = append(zoned, o.Kind == OutDimension && i >= 0 && s.GroupBy[i].IsTime())
		}
	}
	if len(outs) == 0 {
		return rows
	}
	at := projection(s)
	out := make([][]any, len(rows))
	for r, row := range rows {
		p := make([]any, len(at))
		for i, j := range at {
			if j >= 0 && j < len(row) {
				p[i] = row[j]
			}
			if zoned != nil && zoned[i] {
				if t, ok := p[i].(time.Time); ok {
					p[i] = t.In(loc)
				}
			}
		}
		out[r] = p
	}
	return out
}

// projection maps each output column to its computed column, -1 when it has none.
func projection(s Spec) []int {
	outs := s.Outputs()
	at := make([]int, len(outs))
	var src []string
	calcs := len(s.GroupBy) + len(s.Metrics)
	if s.IsRaw() {
		src = s.SourceColumns()
		calcs = len(src)
	}
	for i, o := range outs {
		at[i] = -1
		switch o.Kind {
		case OutColumn:
			for j, c := range src {
				if c == o.Ref {
					at[i] = j
				}
			}
		case OutDimension:
			at[i] = s.Dimension(o.Ref)
		case OutMetric:
			if j := s.Metric(o.Ref); j >= 0 {
				at[i] = len(s.GroupBy) + j
			}
		case OutCalc:
			if j := s.Calc(o.Ref); j >= 0 {
				at[i] = calcs + j
			}
		}
	}
	return at
}

// Type is the type of the dimension's keys: time buckets are timestamps, histogram buckets
// floats, and a column's values keep its type (full text is grouped by its keyword, a string).
func (d Dimension) Type(schema Schema) Type {
	switch d.Kind {
	case DimDateTrunc, DimTimeBucket:
		return TypeTime
	case DimHistogram:
		return TypeFloat
	case DimExpr:
		return CalcType(d.Calc, func(n string) Type {
			f, _ := schema.Field(n)
			return f.Type
		})
	}
	f, _ := schema.Field(d.Column)
	if f.Type == TypeText {
		return TypeString
	}
	return f.Type
}

// Type is the type of the metric's values: counts are ints, sums, min and max keep the column's
// type (dates become timestamps), averages and percentiles are floats.
func (m Metric) Type(schema Schema) Type {
	f, _ := schema.Field(m.Column)
	switch m.Func {
	case AggCount, AggCountDistinct:
		return TypeInt
	}
	if m.Arg != nil {
		t := CalcType(m.Arg, func(n string) Type {
			f, _ := schema.Field(n)
			return f.Type
		})
		f = Field{Type: t}
	}
	switch m.Func {
	case AggSum, AggMin, AggMax:
		if f.Type == TypeDate {
			return TypeTime
		}
		return f.Type
	}
	return TypeFloat
}
