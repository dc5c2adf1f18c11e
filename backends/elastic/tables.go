package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
)

// resolved is the answer of _resolve/index: the indices, aliases and data streams a name or
// pattern names.
type resolved struct {
	Indices []struct {
		Name       string   `json:"name"`
		Attributes []string `json:"attributes"`
	} `json:"indices"`
	Aliases []struct {
		Name    string   `json:"name"`
		Indices []string `json:"indices"`
	} `json:"aliases"`
	DataStreams []struct {
		Name           string   `json:"name"`
		BackingIndices []string `json:"backing_indices"`
	} `json:"data_streams"`
}

// resolve asks what the open indices, aliases and data streams named by pattern are.
func (b *Backend) resolve(ctx context.Context, pattern string) (resolved, error) {
	var r resolved
	body, err := b.do(ctx, "GET", "/_resolve/index/"+url.PathEscape(pattern)+"?expand_wildcards=open", nil)
	if err != nil {
		return r, err
	}
	err = json.Unmarshal(body, &r)
	return r, err
}

// Tables lists the open aliases, data streams and indices, without hidden or system ones (names
// starting with a dot), by name. A loaded table shows once, by its alias: an index behind an
// alias is listed as that alias only, and the older versions a load kept of a listed alias
// are not listed (they can still be queried by name).
func (b *Backend) Tables(ctx context.Context) ([]backends.Table, error) {
	r, err := b.resolve(ctx, "*")
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	docs, err := b.docCounts(ctx)
	if err != nil {
		return nil, err
	}
	sum := func(indices []string) int64 {
		var n int64
		for _, i := range indices {
			c, ok := docs[i]
			if !ok {
				return -1
			}
			n += c
		}
		return n
	}
	tags, err := b.versionTags(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	behindAlias := map[string]bool{}
	aliases := map[string]bool{}
	for _, a := range r.Aliases {
		if !hidden(a.Name) { // an index behind only a hidden alias would otherwise not show at all
			aliases[a.Name] = true
			for _, i := range a.Indices {
				behindAlias[i] = true
			}
		}
	}
	// oldVersion tells an index that a load kept of a listed alias.
	oldVersion := func(index string) bool { return aliases[tableOf(index, tags[index])] }
	var out []backends.Table
	for _, i := range r.Indices {
		if hidden(i.Name) || has(i.Attributes, "hidden") || has(i.Attributes, "system") || has(i.Attributes, "closed") || behindAlias[i.Name] || oldVersion(i.Name) {
			continue
		}
		n, ok := docs[i.Name]
		if !ok {
			n = -1
		}
		out = append(out, backends.Table{Name: i.Name, Kind: "index", Rows: n})
	}
	for _, a := range r.Aliases {
		if !hidden(a.Name) {
			out = append(out, backends.Table{Name: a.Name, Kind: "alias", Rows: sum(a.Indices)})
		}
	}
	for _, d := range r.DataStreams {
		if !hidden(d.Name) {
			out = append(out, backends.Table{Name: d.Name, Kind: "data stream", Rows: sum(d.BackingIndices)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") }

func has(list []string, s string) bool { return slices.Contains(list, s) }

// docCounts returns the documents in each index, hidden backing indices of data streams included.
func (b *Backend) docCounts(ctx context.Context) (map[string]int64, error) {
	body, err := b.do(ctx, "GET", "/_cat/indices?format=json&h=index,docs.count&expand_wildcards=all", nil)
	if err != nil {
		return nil, fmt.Errorf("counting rows: %w", err)
	}
	var rows []struct {
		Index string `json:"index"`
		Docs  string `json:"docs.count"`
	}
	if err := json.Unmarshal(body, &rows); err != nil {
		return nil, fmt.Errorf("counting rows: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		if n, err := strconv.ParseInt(r.Docs, 10, 64); err == nil {
			out[r.Index] = n
		}
	}
	return out, nil
}

// Schema describes a table from its mapping: objects flattened to dotted names, text fields with
// their keyword sub-field, and for an alias or pattern over several indices the union of their
// mappings.
func (b *Backend) Schema(ctx context.Context, table string) (query.Schema, error) {
	if s, ok := b.schemas.Get(table, ""); ok {
		return s, nil
	}
	s, err := b.readSchema(ctx, table)
	if err == nil {
		b.schemas.Put(table, "", s)
	}
	return s, err
}

func (b *Backend) readSchema(ctx context.Context, table string) (query.Schema, error) {
	if table == "" || strings.ContainsAny(table, "/?#") {
		return query.Schema{}, b.noSuchTable(ctx, table)
	}
	body, err := b.do(ctx, "GET", "/"+url.PathEscape(table)+"/_mapping", nil)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Type == "index_not_found_exception" {
			return query.Schema{}, b.noSuchTable(ctx, table)
		}
		return query.Schema{}, fmt.Errorf("reading the mapping of %s: %w", table, err)
	}
	var indices map[string]struct {
		Mappings mapping `json:"mappings"`
	}
	if err := json.Unmarshal(body, &indices); err != nil {
		return query.Schema{}, fmt.Errorf("reading the mapping of %s: %w", table, err)
	}
	if len(indices) == 0 {
		return query.Schema{}, b.noSuchTable(ctx, table)
	}
	names := make([]string, 0, len(indices))
	for n := range indices {
		names = append(names, n)
	}
	sort.Strings(names)
	merged := map[string]query.Field{}
	for _, n := range names {
		// A field some indices lack is null there: it can still be grouped and filtered.
		for name, f := range fieldsOf(indices[n].Mappings.Properties) {
			have, ok := merged[name]
			merged[name] = mergeField(have, f, ok)
		}
	}
	s := query.Schema{Table: table}
	for _, f := range merged {
		s.Fields = append(s.Fields, f)
	}
	sort.Slice(s.Fields, func(i, j int) bool { return s.Fields[i].Name < s.Fields[j].Name })
	return s, nil
}

// mapping is an index's or object's properties.
type mapping struct {
	Properties map[string]property `json:"properties"`
}

type property struct {
	Type       string              `json:"type"`
	Properties map[string]property `json:"properties"`
	Fields     map[string]property `json:"fields"`
	DocValues  *bool               `json:"doc_values"`
	Index      *bool               `json:"index"`
	Path       string              `json:"path"` // a field alias's target
}

// fieldsOf returns the fields of a mapping by dotted name.
func fieldsOf(props map[string]property) map[string]query.Field {
	out := map[string]query.Field{}
	var aliases []query.Field
	flattenMapping("", props, out, &aliases)
	for _, a := range aliases {
		if target, ok := out[a.Raw]; ok {
			target.Name = a.Name
			out[a.Name] = target
		}
	}
	return out
}

// flattenMapping collects the fields under prefix by dotted name, and field aliases to resolve
// once every field is known. Nested objects are left out: their values need nested
// aggregations, which dora does not build.
func flattenMapping(prefix string, props map[string]property, out map[string]query.Field, aliases *[]query.Field) {
	for name, p := range props {
		full := name
		if prefix != "" {
			full = prefix + "." + name
		}
		switch {
		case p.Type == "nested":
			continue
		case p.Type == "" || p.Type == "object":
			flattenMapping(full, p.Properties, out, aliases)
			continue
		case p.Type == "alias":
			*aliases = append(*aliases, query.Field{Name: full, Raw: p.Path})
			continue
		}
		out[full] = neutralField(full, p)
	}
}

// neutralField maps an Elasticsearch field type onto dora's neutral types.
func neutralField(name string, p property) query.Field {
	f := query.Field{Name: name, Raw: p.Type, Aggregatable: p.DocValues == nil || *p.DocValues}
	switch p.Type {
	case "keyword", "constant_keyword", "wildcard", "ip", "version":
		f.Type = query.TypeString
	case "text", "match_only_text":
		f.Type, f.Aggregatable = query.TypeText, false
		var subs []string
		for sub, sp := range p.Fields {
			if sp.Type == "keyword" && (sp.DocValues == nil || *sp.DocValues) {
				subs = append(subs, sub)
			}
		}
		sort.Strings(subs)
		for _, sub := range subs {
			if f.Keyword == "" || sub == "keyword" {
				f.Keyword = name + "." + sub
			}
		}
	case "long", "integer", "short", "byte", "unsigned_long":
		f.Type = query.TypeInt
	case "double", "float", "half_float", "scaled_float":
		f.Type = query.TypeFloat
	case "boolean":
		f.Type = query.TypeBool
	case "date", "date_nanos":
		f.Type = query.TypeTime
	default:
		f.Type, f.Aggregatable = query.TypeOther, false
	}
	return f
}

// mergeField combines one field's descriptions from several indices; seen is false when an
// earlier index lacked the field.
func mergeField(a, b query.Field, seen bool) query.Field {
	if !seen {
		return b
	}
	if a.Type == b.Type {
		a.Aggregatable = a.Aggregatable && b.Aggregatable
		if a.Keyword != b.Keyword {
			a.Keyword = ""
		}
		if a.Raw != b.Raw {
			a.Raw += "|" + b.Raw
		}
		return a
	}
	if a.Type.Numeric() && b.Type.Numeric() {
		return query.Field{Name: a.Name, Type: query.TypeFloat, Aggregatable: a.Aggregatable && b.Aggregatable, Raw: a.Raw + "|" + b.Raw}
	}
	return query.Field{Name: a.Name, Type: query.TypeOther, Raw: a.Raw + "|" + b.Raw}
}
