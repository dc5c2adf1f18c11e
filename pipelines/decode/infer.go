package decode

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dora-dev/dora/query"
)

// A string column is analysed text, rather than a keyword, when its sampled values are long on
// average, mostly distinct and mostly made of several words: descriptions, messages, comments.
// Identifiers, codes, URLs and categories stay keywords, which group and filter exactly.
const (
	textMinAvgLen   = 32  // average length in characters
	textMinDistinct = 0.5 // share of distinct values among the non-null ones
	textMinSpaced   = 0.5 // share of values with whitespace in them
)

// InferSchema refines base from a sample of rows in its field order. Fields without a type get
// one from their values. String fields become TypeText with a keyword sub-field
// ("<name>.keyword") when the sample looks like free text, and stay TypeString (keyword)
// otherwise. Aggregatable is set for every field that is not text.
func InferSchema(sample [][]any, base query.Schema) query.Schema {
	out := query.Schema{Table: base.Table, Fields: slices.Clone(base.Fields)}
	for i := range out.Fields {
		f := &out.Fields[i]
		if f.Type == "" {
			f.Type = typeOfValues(sample, i)
		}
		if f.Type == query.TypeString && looksLikeText(sample, i) {
			f.Type = query.TypeText
			f.Keyword = f.Name + ".keyword"
		}
		f.Aggregatable = f.Type != query.TypeText && f.Type != query.TypeOther
	}
	return out
}

// typeOfValues is the neutral type that holds every sampled value of column i.
func typeOfValues(sample [][]any, i int) query.Type {
	var seen query.Type
	for _, row := range sample {
		if i >= len(row) || row[i] == nil {
			continue
		}
		var t query.Type
		switch row[i].(type) {
		case bool:
			t = query.TypeBool
		case int64:
			t = query.TypeInt
		case float64:
			t = query.TypeFloat
		case time.Time:
			t = query.TypeTime
		case string:
			t = query.TypeString
		default:
			return query.TypeOther
		}
		switch {
		case seen == "" || seen == t:
			seen = t
		case seen.Numeric() && t.Numeric():
			seen = query.TypeFloat
		default:
			return query.TypeOther
		}
	}
	if seen == "" {
		return query.TypeString
	}
	return seen
}

func looksLikeText(sample [][]any, i int) bool {
	distinct := map[string]struct{}{}
	var n, chars, spaced int
	for _, row := range sample {
		if i >= len(row) {
			continue
		}
		s, ok := row[i].(string)
		if !ok {
			continue
		}
		n++
		chars += utf8.RuneCountInString(s)
		if strings.ContainsAny(s, " \t\n") {
			spaced++
		}
		distinct[s] = struct{}{}
	}
	if n == 0 {
		return false
	}
	total := float64(n)
	return float64(chars)/total >= textMinAvgLen &&
		float64(len(distinct))/total >= textMinDistinct &&
		float64(spaced)/total >= textMinSpaced
}
