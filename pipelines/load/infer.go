package load

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/dora-dev/dora/pipelines/decode"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/query"
)

// Plan is what a load of a source would read and the schema it would write, before it starts.
type Plan struct {
	Objects []objstore.Object
	LeftOut []string     // files of no data format, which a load with format auto does not read
	Bytes   int64        // the objects' total size
	Schema  query.Schema // inferred from the first objects' samples, as Run infers it
}

// Infer lists source and infers the table's schema the way Run does, without writing anything:
// the preview of a load.
func Infer(ctx context.Context, source, table, format string) (Plan, error) {
	if format == "" {
		format = decode.FormatAuto
	}
	store, prefix, err := objstore.Open(ctx, source)
	if err != nil {
		return Plan{}, err
	}
	objs, err := store.List(ctx, prefix)
	if err != nil {
		return Plan{}, err
	}
	if len(objs) == 0 {
		return Plan{}, fmt.Errorf("nothing to load: %s holds no files", source)
	}
	objs, leftOut, err := DataFiles(source, objs, format)
	if err != nil {
		return Plan{}, err
	}
	schema, open, err := planSchema(ctx, store, objs, Options{Table: table, Format: format})
	if err != nil {
		return Plan{}, err
	}
	open.closeExcept(nil)
	p := Plan{Objects: objs, LeftOut: leftOut, Schema: schema}
	for _, o := range objs {
		p.Bytes += o.Size
	}
	return p, nil
}

// DataFiles keeps, for format auto, the files a load reads: those named as Parquet, CSV, TSV
// or NDJSON (gzipped or not) and those with no extension at all, whose content tells. Files of
// another kind (a .go, .yaml or .md beside the data) are left out and named in leftOut; when
// none is left the error says so. Any other format reads every file, as asked.
func DataFiles(source string, objs []objstore.Object, format string) (kept []objstore.Object, leftOut []string, err error) {
	if format != "" && format != decode.FormatAuto {
		return objs, nil, nil
	}
	for _, o := range objs {
		name := strings.TrimSuffix(strings.ToLower(path.Base(o.Key)), ".gz")
		if decode.FormatOf(o.Key) != "" || path.Ext(name) == "" {
			kept = append(kept, o)
		} else {
			leftOut = append(leftOut, o.Key)
		}
	}
	if len(kept) == 0 {
		return nil, leftOut, fmt.Errorf("nothing to load: %s holds no Parquet, CSV or NDJSON files (left out %s); name a --format to read them anyway",
			source, strings.Join(baseNames(leftOut, 5), ", "))
	}
	return kept, leftOut, nil
}

// baseNames is the file names of keys, at most n, then how many more.
func baseNames(keys []string, n int) []string {
	var out []string
	for i, k := range keys {
		if i == n {
			out = append(out, fmt.Sprintf("and %d more", len(keys)-n))
			break
		}
		out = append(out, path.Base(k))
	}
	return out
}

// OverrideTypes sets the types of the columns types names: a name the schema does not have, or a
// type that is not one of dora's, is an error that says which.
func OverrideTypes(s query.Schema, types map[string]query.Type) (query.Schema, error) {
	if len(types) == 0 {
		return s, nil
	}
	s.Fields = slices.Clone(s.Fields)
	names := slices.Sorted(maps.Keys(types))
	for _, name := range names {
		t := types[name]
		if !slices.Contains(OverrideTypeNames, t) {
			return s, fmt.Errorf("column %q: type %q is not one of %v", name, t, OverrideTypeNames)
		}
		i := slices.IndexFunc(s.Fields, func(f query.Field) bool { return f.Name == name })
		if i < 0 {
			msg := fmt.Sprintf("a type is set for column %q, which the source does not have", name)
			if near := query.Nearest(name, s.Names()); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			return s, errors.New(msg)
		}
		s.Fields[i].Type, s.Fields[i].Keyword = t, ""
		s.Fields[i].Aggregatable = t != query.TypeText
	}
	return s, nil
}

// typeAliases are the other names a type override is typed as (SQL's and Elasticsearch's).
var typeAliases = map[string]query.Type{
	"keyword": query.TypeString, "varchar": query.TypeString, "integer": query.TypeInt,
	"bigint": query.TypeInt, "long": query.TypeInt, "double": query.TypeFloat, "real": query.TypeFloat,
	"boolean": query.TypeBool, "time": query.TypeTime, "datetime": query.TypeTime,
}

// ParseType reads a type as a person types it in an override: one of OverrideTypeNames, in
// any case, or a common other name (integer, double, boolean, keyword, varchar, timestamp…).
func ParseType(name string) (query.Type, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if t := query.Type(n); slices.Contains(OverrideTypeNames, t) {
		return t, nil
	}
	if t, ok := typeAliases[n]; ok {
		return t, nil
	}
	return "", fmt.Errorf("type %q is not one of %v", name, OverrideTypeNames)
}

// ParseTypes reads type overrides as `dora load --type` and the Loads screen's form take them:
// COLUMN=TYPE items, several to an argument when comma-separated. A column named twice, an item
// without "=" or a type ParseType does not know is an error that names it.
func ParseTypes(items []string) (map[string]query.Type, error) {
	out := map[string]query.Type{}
	for _, arg := range items {
		for _, item := range strings.Split(arg, ",") {
			if strings.TrimSpace(item) == "" {
				continue
			}
			col, name, ok := strings.Cut(item, "=")
			col = strings.TrimSpace(col)
			if !ok || col == "" {
				return nil, fmt.Errorf("type override %q: want COLUMN=TYPE, as in amount=float", item)
			}
			if _, dup := out[col]; dup {
				return nil, fmt.Errorf("type override: column %q is named twice", col)
			}
			t, err := ParseType(name)
			if err != nil {
				return nil, fmt.Errorf("type override of column %q: %w", col, err)
			}
			out[col] = t
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// FormatTypes writes overrides as ParseTypes reads them, columns in order: "a=int,b=float".
func FormatTypes(types map[string]query.Type) string {
	var parts []string
	for _, col := range slices.Sorted(maps.Keys(types)) {
		parts = append(parts, col+"="+string(types[col]))
	}
	return strings.Join(parts, ",")
}

// OverrideTypeNames are the types a column can be loaded as, in the order a form cycles them.
var OverrideTypeNames = []query.Type{query.TypeString, query.TypeInt, query.TypeFloat, query.TypeBool, query.TypeTime, query.TypeDate, query.TypeText}
