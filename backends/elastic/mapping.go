package elastic

import (
	"strings"

	"github.com/dora-dev/dora/query"
)

// keywordLimit is the ignore_above of keyword (sub-)fields dora creates: the longest value in
// characters whose UTF-8 fits Lucene's 32766-byte term, so values group whole as they do in SQL.
const keywordLimit = 8191

// dateFormat is what date fields accept: RFC 3339 / ISO 8601 text as the loader writes it, or
// epoch milliseconds.
const dateFormat = "strict_date_optional_time||epoch_millis"

// Mappings returns the Elasticsearch mappings for a schema: {"properties": {...}}.
// Dotted names become nested object properties (user.name -> user: {properties: {name}}). A
// field whose name is also the object of another field ("a" and "a.b") cannot be both in
// Elasticsearch; the object wins and the plain field is left out, so its rows are rejected
// rather than silently reshaped.
func Mappings(s query.Schema) map[string]any {
	props := map[string]any{}
	for _, f := range s.Fields {
		parts := strings.Split(f.Name, ".")
		m := props
		ok := true
		for _, p := range parts[:len(parts)-1] {
			obj, exists := m[p].(map[string]any)
			if exists && obj["properties"] == nil {
				// A plain field holds this name already: the object takes it over.
				exists = false
			}
			if !exists {
				obj = map[string]any{"properties": map[string]any{}}
				m[p] = obj
			}
			m = obj["properties"].(map[string]any)
		}
		leaf := parts[len(parts)-1]
		if existing, taken := m[leaf].(map[string]any); taken && existing["properties"] != nil {
			ok = false // an object already has this name
		}
		if ok {
			m[leaf] = esField(f)
		}
	}
	return map[string]any{"properties": props}
}

func esField(f query.Field) map[string]any {
	switch f.Type {
	case query.TypeString:
		return map[string]any{"type": "keyword", "ignore_above": keywordLimit}
	case query.TypeText:
		// Full text always gets a keyword sub-field, so it can be grouped and filtered exactly.
		sub := "keyword"
		if f.Keyword != "" {
			sub = strings.TrimPrefix(f.Keyword, f.Name+".")
		}
		return map[string]any{"type": "text", "fields": map[string]any{sub: map[string]any{"type": "keyword", "ignore_above": keywordLimit}}}
	case query.TypeInt:
		return map[string]any{"type": "long"}
	case query.TypeFloat:
		return map[string]any{"type": "double"}
	case query.TypeBool:
		return map[string]any{"type": "boolean"}
	case query.TypeTime, query.TypeDate:
		return map[string]any{"type": "date", "format": dateFormat}
	}
	// Values of other types arrive as text (JSON, base64); keep them findable when short.
	return map[string]any{"type": "keyword", "ignore_above": 256}
}
