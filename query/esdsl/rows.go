package esdsl

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/dora-dev/dora/query"
)

func (s *Search) planRows(schema query.Schema) error {
	s.shape = shapeRows
	tr := translator{schema: schema}
	names := s.spec.SourceColumns()
	if len(names) == 0 {
		names = schema.Names()
	}
	for _, n := range names {
		f, err := tr.field(n)
		if err != nil {
			return err
		}
		s.fields = append(s.fields, f)
		s.cols = append(s.cols, query.Column{Name: f.Name, Role: query.RoleDimension, Type: f.Type})
	}
	s.shown = len(s.fields)
	// the columns the computed expressions read, fetched beside the selected ones
	for _, c := range s.spec.Calcs {
		for _, n := range query.CalcRefs(c) {
			if slices.ContainsFunc(s.fields, func(f query.Field) bool { return f.Name == n }) {
				continue
			}
			f, err := tr.field(n)
			if err != nil {
				return err
			}
			s.fields = append(s.fields, f)
		}
	}
	s.cols = append(s.cols, query.ComputedColumns(s.spec, schema)[s.shown:]...)
	if slices.ContainsFunc(s.spec.OrderBy, func(o query.Order) bool { return s.spec.Calc(o.Name) >= 0 }) {
		return s.planRowSort(tr)
	}
	for _, o := range s.spec.OrderBy {
		name, f, err := tr.exact(o.Name, "ORDER BY")
		if err != nil {
			return err
		}
		dir := "asc"
		if o.Desc {
			dir = "desc"
		}
		sortNulls := o.Nulls
		// Elasticsearch puts missing values last in both directions, as DuckDB does by default.
		// unmapped_type lets a pattern or alias sort over indices that lack the field.
		o := obj{"order": dir}
		if sortNulls.First() {
			o["missing"] = "_first"
		}
		if t := unmappedType(f.Type); t != "" {
			o["unmapped_type"] = t
		}
		s.sort = append(s.sort, obj{name: o})
	}
	s.want = s.rowCap()
	if s.want == 0 {
		s.want = -1
	}
	return nil
}

// pageSize is the number of hits the next raw-rows page asks for.
func (s *Search) pageSize() int {
	n := s.opts.PageSize
	if s.want >= 0 {
		n = min(n, s.want-len(s.rows))
	}
	return n
}

func (s *Search) rowsBody() obj {
	body := s.base()
	if s.pages > 0 {
		body["track_total_hits"] = false // counted on the first page
	}
	body["size"] = s.pageSize()
	if cols := s.spec.SourceColumns(); len(cols) > 0 {
		for _, f := range s.fields[s.shown:] {
			cols = append(cols, f.Name)
		}
		body["_source"] = cols
	}
	sort := append([]any(nil), s.sort...)
	switch {
	case s.pit != "":
		// A unique tiebreak, so search_after never skips or repeats rows with equal sort values.
		sort = append(sort, obj{"_shard_doc": "asc"})
		body["pit"] = obj{"id": s.pit, "keep_alive": s.alive}
	case len(sort) == 0:
		sort = append(sort, "_doc") // index order: the cheapest
	}
	body["sort"] = sort
	if s.after != nil {
		body["search_after"] = s.after
	}
	return body
}

func (s *Search) feedRows(r *response) (more bool, err error) {
	asked := s.pageSize()
	for _, h := range r.Hits.Hits {
		if s.want >= 0 && len(s.rows) >= s.want {
			break
		}
		row, err := s.flatten(h.Source)
		if err != nil {
			return false, err
		}
		if len(s.spec.Calcs) > 0 {
			get := func(name string) any {
				for i, f := range s.fields {
					if f.Name == name {
						return row[i]
					}
				}
				return nil
			}
			out := row[:s.shown:s.shown]
			for _, c := range s.spec.Calcs {
				out = append(out, query.EvalCalc(c, get, s.opts.Now))
			}
			if s.sortInDora {
				key := make([]any, len(s.spec.OrderBy))
				for i, o := range s.spec.OrderBy {
					if c := s.spec.Calc(o.Name); c >= 0 {
						key[i] = out[s.shown+c]
					} else {
						key[i] = get(o.Name)
					}
				}
				s.sortKeys = append(s.sortKeys, key)
			}
			row = out
		}
		s.rows = append(s.rows, row)
		s.after = h.Sort
	}
	if len(r.Hits.Hits) < asked || s.want >= 0 && len(s.rows) >= s.want || s.after == nil {
		return false, nil
	}
	return true, nil
}

// flatten turns a document's _source into a row in the output columns' order: objects become
// dotted names, arrays of one value their value, longer arrays their JSON text.
func (s *Search) flatten(source json.RawMessage) ([]any, error) {
	doc, err := decodeAny(source)
	if err != nil {
		return nil, fmt.Errorf("reading a document: %w", err)
	}
	flat := map[string][]any{}
	walk("", doc, flat)
	row := make([]any, len(s.fields))
	for i, f := range s.fields {
		vs := flat[f.Name]
		var v any
		switch len(vs) {
		case 0:
			continue
		case 1:
			v = vs[0]
		default:
			v = vs
		}
		if _, many := v.([]any); many {
			row[i] = string(marshal(v))
			continue
		}
		if row[i], err = convert(v, f.Type); err != nil {
			return nil, err
		}
	}
	return row, nil
}

// walk collects the leaf values of a decoded document by dotted path.
func walk(prefix string, v any, out map[string][]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if prefix != "" {
				k = prefix + "." + k
			}
			walk(k, c, out)
		}
	case []any:
		for _, c := range x {
			walk(prefix, c, out)
		}
	case nil:
	default:
		out[prefix] = append(out[prefix], x)
	}
}

// unmappedType is the Elasticsearch type a sort assumes where an index lacks the field.
func unmappedType(t query.Type) string {
	switch t {
	case query.TypeInt:
		return "long"
	case query.TypeFloat:
		return "double"
	case query.TypeBool:
		return "boolean"
	case query.TypeTime, query.TypeDate:
		return "date"
	case query.TypeString, query.TypeText:
		return "keyword"
	}
	return ""
}

// planRowSort plans raw rows ordered by an expression, which no sort of the engine's reads
// without a script: the engine returns every matching row in index order, and dora computes the
// expressions, sorts and applies OFFSET and LIMIT. A query that matches more rows than the row
// cap is refused rather than sorted partly.
func (s *Search) planRowSort(tr translator) error {
	s.sortInDora = true
	for _, o := range s.spec.OrderBy {
		if s.spec.Calc(o.Name) >= 0 || slices.ContainsFunc(s.fields, func(f query.Field) bool { return f.Name == o.Name }) {
			continue
		}
		f, err := tr.field(o.Name)
		if err != nil {
			return err
		}
		s.fields = append(s.fields, f) // read beside the selected columns, for its sort key
	}
	s.want = -1
	if s.opts.MaxRows > 0 {
		s.want = s.opts.MaxRows + 1 // one more tells that the cap would cut the sort
	}
	return nil
}

// sortRows sorts the rows read for planRowSort and applies OFFSET and LIMIT; it fails when the
// row cap cut the matching rows, since a sort of some of them would be wrong.
func (s *Search) sortRows() error {
	if s.opts.MaxRows > 0 && len(s.rows) > s.opts.MaxRows {
		return fmt.Errorf("ORDER BY an expression over rows is sorted by dora over every matching row, and more than %d rows match: add a filter, or run it on DuckDB", s.opts.MaxRows)
	}
	idx := make([]int, len(s.rows))
	for i := range idx {
		idx[i] = i
	}
	orders := s.spec.OrderBy
	slices.SortStableFunc(idx, func(a, b int) int {
		for k, o := range orders {
			if c := compareSQL(s.sortKeys[a][k], s.sortKeys[b][k], o.Desc, o.Nulls.First()); c != 0 {
				return c
			}
		}
		return 0
	})
	all := len(s.rows)
	from := min(s.spec.Offset, all)
	to := all
	if s.spec.Limit > 0 {
		to = min(all, from+s.spec.Limit)
	}
	sorted := make([][]any, 0, to-from)
	for _, i := range idx[from:to] {
		sorted = append(sorted, s.rows[i])
	}
	s.rows, s.sortKeys = sorted, nil
	s.total = int64(all)
	s.sortCut = to < all
	return nil
}
