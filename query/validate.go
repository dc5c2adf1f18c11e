package query

import (
	"fmt"
	"strconv"
	"strings"
)

// Validate checks a Spec against its table's schema and returns it with column names spelled as
// the schema spells them and string literals compared with time columns read as times. Errors
// name the column and suggest the nearest one.
func Validate(s Spec, schema Schema) (Spec, error) {
	v := validator{schema: schema}
	out := s
	var err error
	if out.Where, err = v.expr(s.Where); err != nil {
		return Spec{}, err
	}
	dims := map[string]string{} // names before and after the schema's spelling
	metrics := map[string]string{}
	out.GroupBy = append([]Dimension(nil), s.GroupBy...)
	for i, d := range out.GroupBy {
		if d.Kind == DimExpr {
			c, err := v.rowCalc(d.Calc)
			if err != nil {
				return Spec{}, err
			}
			out.GroupBy[i].Calc = c
			out.GroupBy[i].Column = CalcRefs(c)[0]
			dims[d.Name()] = out.GroupBy[i].Name()
			continue
		}
		f, err := v.field(d.Column)
		if err != nil {
			return Spec{}, err
		}
		out.GroupBy[i].Column = f.Name
		dims[d.Name()] = out.GroupBy[i].Name()
		switch {
		case d.IsTime() && !f.Type.Temporal():
			return Spec{}, invalid("%s needs a timestamp or date column; %s is %s", d.Expr(), f.Name, f.Type)
		case d.Kind == DimHistogram && !f.Type.Numeric():
			return Spec{}, invalid("histogram needs a numeric column; %s is %s", f.Name, f.Type)
		case d.Kind == DimColumn && f.Type == TypeText && f.Keyword == "":
			return Spec{}, invalid("cannot group by %s: it is full text (analysed) with no keyword sub-field, so its values are not stored whole; filter it with match(%s, 'words') or group by another field", f.Name, QuoteIdent(f.Name))
		}
	}
	out.Metrics = append([]Metric(nil), s.Metrics...)
	for i, m := range out.Metrics {
		metrics[m.Name()] = m.Name()
		if m.Filter != nil {
			if out.Metrics[i].Filter, err = v.expr(m.Filter); err != nil {
				return Spec{}, err
			}
		}
		if m.Arg != nil {
			if out.Metrics[i].Arg, err = v.rowCalc(m.Arg); err != nil {
				return Spec{}, err
			}
		}
		metrics[m.Name()] = out.Metrics[i].Name()
		if m.Column == "" {
			continue
		}
		f, err := v.field(m.Column)
		if err != nil {
			return Spec{}, err
		}
		out.Metrics[i].Column = f.Name
		metrics[m.Name()] = out.Metrics[i].Name()
		switch m.Func {
		case AggSum, AggAvg, AggPercentile:
			if !f.Type.Numeric() {
				return Spec{}, invalid("%s needs a numeric column; %s is %s", aggNames[m.Func], f.Name, f.Type)
			}
		case AggMin, AggMax:
			if !f.Type.Numeric() && !f.Type.Temporal() {
				return Spec{}, invalid("%s needs a numeric or time column; %s is %s", aggNames[m.Func], f.Name, f.Type)
			}
		case AggCountDistinct:
			if f.Type == TypeText && f.Keyword == "" {
				return Spec{}, invalid("cannot count distinct %s: it is full text with no keyword sub-field", f.Name)
			}
		}
	}
	calcs := map[string]string{}
	computed := func(name string) (string, error) {
		if n, ok := dims[name]; ok {
			return n, nil
		}
		if n, ok := metrics[name]; ok {
			return n, nil
		}
		if n, ok := calcs[name]; ok {
			return n, nil
		}
		return "", invalid("%s is neither a group-by nor an aggregate of this query", name)
	}
	out.Calcs = append([]Calc(nil), s.Calcs...)
	for i, c := range s.Calcs {
		var err error
		if s.IsRaw() {
			out.Calcs[i], err = v.rowCalc(c)
		} else {
			out.Calcs[i], err = MapCalc(c, computed)
		}
		if err != nil {
			return Spec{}, err
		}
		calcs[CalcName(c)] = CalcName(out.Calcs[i])
	}
	out.Select = append([]Output(nil), s.Select...)
	for i, o := range out.Select {
		var err error
		switch {
		case o.Kind == OutColumn && s.IsRaw():
			var f Field
			f, err = v.field(o.Ref)
			out.Select[i].Ref = f.Name
		case o.Kind == OutDimension && dims[o.Ref] != "":
			out.Select[i].Ref = dims[o.Ref]
		case o.Kind == OutMetric && metrics[o.Ref] != "":
			out.Select[i].Ref = metrics[o.Ref]
		case o.Kind == OutCalc && calcs[o.Ref] != "":
			out.Select[i].Ref = calcs[o.Ref]
		default:
			err = invalid("%s must appear in GROUP BY or be used in an aggregate function", o.Ref)
		}
		if err != nil {
			return Spec{}, err
		}
	}
	out.OrderBy = append([]Order(nil), s.OrderBy...)
	for i, o := range out.OrderBy {
		if !s.IsRaw() {
			if out.OrderBy[i].Name, err = computed(o.Name); err != nil {
				return Spec{}, err
			}
			continue
		}
		if n, ok := calcs[o.Name]; ok {
			out.OrderBy[i].Name = n
			continue
		}
		f, err := v.field(o.Name)
		if err != nil {
			return Spec{}, err
		}
		if f.Type == TypeText && f.Keyword == "" {
			return Spec{}, invalid("cannot sort by %s: it is full text with no keyword sub-field", f.Name)
		}
		out.OrderBy[i].Name = f.Name
	}
	if s.Having != nil {
		if s.IsRaw() {
			return Spec{}, invalid("HAVING needs GROUP BY or an aggregate")
		}
		if out.Having, err = mapColumns(s.Having, computed); err != nil {
			return Spec{}, err
		}
	}
	if s.TimeZone != "" {
		if _, err := loadZone(s.TimeZone); err != nil {
			return Spec{}, invalid("unknown time zone %q", s.TimeZone)
		}
	}
	return out, nil
}

// mapColumns returns e with every predicate's column replaced by fn's answer.
func mapColumns(e Expr, fn func(string) (string, error)) (Expr, error) {
	var err error
	each := func(es []Expr) []Expr {
		out := make([]Expr, len(es))
		for i, t := range es {
			if err == nil {
				out[i], err = mapColumns(t, fn)
			}
		}
		return out
	}
	switch x := e.(type) {
	case nil:
		return nil, nil
	case And:
		return And{Terms: each(x.Terms)}, err
	case Or:
		return Or{Terms: each(x.Terms)}, err
	case Not:
		in, err := mapColumns(x.X, fn)
		return Not{X: in}, err
	case Compare:
		x.Column, err = fn(x.Column)
		return x, err
	case In:
		x.Column, err = fn(x.Column)
		return x, err
	case Between:
		x.Column, err = fn(x.Column)
		return x, err
	case IsNull:
		x.Column, err = fn(x.Column)
		return x, err
	case Like:
		x.Column, err = fn(x.Column)
		return x, err
	case Match:
		x.Column, err = fn(x.Column)
		return x, err
	case PartTest:
		x.Test, err = mapColumns(x.Test, fn)
		return x, err
	}
	return nil, invalid("unknown filter %T", e)
}

type validator struct{ schema Schema }

// rowCalc spells an expression's columns as the schema does and reads its CASE conditions'
// literals as their columns' types.
func (v validator) rowCalc(c Calc) (Calc, error) {
	c, err := MapCalc(c, func(n string) (string, error) {
		f, err := v.field(n)
		return f.Name, err
	})
	if err != nil {
		return nil, err
	}
	return mapConds(c, v.expr)
}

func invalid(format string, args ...any) error {
	return &ParseError{Offset: -1, Msg: fmt.Sprintf(format, args...)}
}

func (v validator) field(name string) (Field, error) {
	if f, ok := v.schema.Field(name); ok {
		return f, nil
	}
	var match []Field
	for _, f := range v.schema.Fields {
		if strings.EqualFold(f.Name, name) {
			match = append(match, f)
		}
	}
	if len(match) == 1 {
		return match[0], nil
	}
	msg := fmt.Sprintf("unknown column %q in table %s", name, v.schema.Table)
	if near := Nearest(name, v.schema.Names()); near != "" {
		msg += fmt.Sprintf("; did you mean %q?", near)
	}
	return Field{}, invalid("%s", msg)
}

func (v validator) expr(e Expr) (Expr, error) {
	switch x := e.(type) {
	case nil:
		return nil, nil
	case And:
		terms, err := v.exprs(x.Terms)
		return And{Terms: terms}, err
	case Or:
		terms, err := v.exprs(x.Terms)
		return Or{Terms: terms}, err
	case Not:
		in, err := v.expr(x.X)
		return Not{X: in}, err
	case Compare:
		f, err := v.field(x.Column)
		if err != nil {
			return nil, err
		}
		x.Column = f.Name
		x.Value, err = coerce(f, x.Value)
		return x, err
	case In:
		f, err := v.field(x.Column)
		if err != nil {
			return nil, err
		}
		x.Column = f.Name
		vals := make([]Value, len(x.Values))
		for i, val := range x.Values {
			if vals[i], err = coerce(f, val); err != nil {
				return nil, err
			}
		}
		x.Values = vals
		return x, nil
	case Between:
		f, err := v.field(x.Column)
		if err != nil {
			return nil, err
		}
		x.Column = f.Name
		if x.Low, err = coerce(f, x.Low); err != nil {
			return nil, err
		}
		x.High, err = coerce(f, x.High)
		return x, err
	case IsNull:
		f, err := v.field(x.Column)
		x.Column = f.Name
		return x, err
	case Like:
		f, err := v.field(x.Column)
		if err != nil {
			return nil, err
		}
		if f.Type != TypeString && f.Type != TypeText {
			return nil, invalid("LIKE needs a text column; %s is %s", f.Name, f.Type)
		}
		x.Column = f.Name
		return x, nil
	case Match:
		f, err := v.field(x.Column)
		if err != nil {
			return nil, err
		}
		if f.Type != TypeString && f.Type != TypeText {
			return nil, invalid("match needs a text column; %s is %s", f.Name, f.Type)
		}
		x.Column = f.Name
		return x, nil
	case PartTest:
		f, err := v.field(ColumnOf(x.Test))
		if err != nil {
			return nil, err
		}
		if !f.Type.Temporal() {
			return nil, invalid("%s needs a timestamp or date column; %s is %s", x.Part, f.Name, f.Type)
		}
		// the values are the part's whole numbers, not times: only the column is respelled
		x.Test, err = mapColumns(x.Test, func(string) (string, error) { return f.Name, nil })
		return x, err
	}
	return nil, invalid("unknown filter %T", e)
}

func (v validator) exprs(es []Expr) ([]Expr, error) {
	out := make([]Expr, len(es))
	for i, e := range es {
		var err error
		if out[i], err = v.expr(e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// coerce makes a literal fit its column's type, or explains why it cannot.
func coerce(f Field, v Value) (Value, error) {
	bad := func(want string) error {
		return invalid("column %s is %s; %s is not %s", f.Name, f.Type, FormatValue(v), want)
	}
	switch {
	case f.Type.Temporal():
		switch v.Kind {
		case KindTime, KindRelNow:
			return v, nil
		case KindString:
			t, date, err := ParseTime(v.Str)
			if err != nil {
				return Value{}, invalid("column %s is a time: %v", f.Name, err)
			}
			return Value{Kind: KindTime, Time: t, Date: date}, nil
		}
		return Value{}, bad("a time")
	case f.Type == TypeInt:
		switch v.Kind {
		case KindInt:
			return v, nil
		case KindFloat:
			return v, nil
		case KindString:
			if n, err := strconv.ParseInt(strings.TrimSpace(v.Str), 10, 64); err == nil {
				return Int(n), nil
			}
		}
		return Value{}, bad("a number")
	case f.Type == TypeFloat:
		switch v.Kind {
		case KindInt:
			return Float(float64(v.Int)), nil
		case KindFloat:
			return v, nil
		case KindString:
			if n, err := strconv.ParseFloat(strings.TrimSpace(v.Str), 64); err == nil {
				return Float(n), nil
			}
		}
		return Value{}, bad("a number")
	case f.Type == TypeBool:
		switch v.Kind {
		case KindBool:
			return v, nil
		case KindString:
			if b, err := strconv.ParseBool(v.Str); err == nil {
				return Bool(b), nil
			}
		}
		return Value{}, bad("TRUE or FALSE")
	case f.Type == TypeString || f.Type == TypeText:
		if v.Kind == KindString {
			return v, nil
		}
		return Value{}, invalid("column %s is text: quote the value, as in '%s'", f.Name, strings.Trim(FormatValue(v), "'"))
	}
	return v, nil
}

// Nearest returns the candidate closest to name by edit distance, or "" when none is close.
func Nearest(name string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	if bestD > max(2, len(name)/2) {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
