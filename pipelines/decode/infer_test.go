package decode

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/dora-dev/dora/backends/elastic"
	"github.com/dora-dev/dora/query"
)

func TestInferSchemaTellsKeywordsFromText(t *testing.T) {
	base := query.Schema{Table: "events", Fields: []query.Field{
		{Name: "category", Type: query.TypeString},
		{Name: "description", Type: query.TypeString},
		{Name: "request_id", Type: query.TypeString},
		{Name: "status_message", Type: query.TypeString},
		{Name: "nothing", Type: query.TypeString},
		{Name: "n", Type: query.TypeInt, Raw: "INT64"},
		{Name: "untyped_int"},
		{Name: "untyped_num"},
		{Name: "untyped_time"},
		{Name: "untyped_mixed"},
		{Name: "untyped_empty"},
	}}
	var sample [][]any
	for i := range 40 {
		sample = append(sample, []any{
			[]string{"Dresses", "Tops", "Jeans"}[i%3],
			fmt.Sprintf("Customer %d wrote a long review about fit, fabric and delivery time", i),
			fmt.Sprintf("3f1c9a2e-77b0-4c1e-9d1a-%012d", i),                          // long and unique, but one word
			[]string{"Payment declined by the issuing bank, retry later", "OK"}[i%2], // long words, few values
			nil,
			int64(i),
			int64(i),
			[]any{int64(i), 1.5}[i%2],
			time.Unix(int64(i), 0).UTC(),
			[]any{int64(i), "x"}[i%2],
			nil,
		})
	}
	got := InferSchema(sample, base)
	want := query.Schema{Table: "events", Fields: []query.Field{
		{Name: "category", Type: query.TypeString, Aggregatable: true},
		{Name: "description", Type: query.TypeText, Keyword: "description.keyword"},
		{Name: "request_id", Type: query.TypeString, Aggregatable: true},
		{Name: "status_message", Type: query.TypeString, Aggregatable: true},
		{Name: "nothing", Type: query.TypeString, Aggregatable: true},
		{Name: "n", Type: query.TypeInt, Aggregatable: true, Raw: "INT64"},
		{Name: "untyped_int", Type: query.TypeInt, Aggregatable: true},
		{Name: "untyped_num", Type: query.TypeFloat, Aggregatable: true},
		{Name: "untyped_time", Type: query.TypeTime, Aggregatable: true},
		{Name: "untyped_mixed", Type: query.TypeOther},
		{Name: "untyped_empty", Type: query.TypeString, Aggregatable: true},
	}}
	if !reflect.DeepEqual(got, want) {
		for i := range want.Fields {
			if i < len(got.Fields) && got.Fields[i] != want.Fields[i] {
				t.Errorf("field %d = %+v\n          want %+v", i, got.Fields[i], want.Fields[i])
			}
		}
		if len(got.Fields) != len(want.Fields) || got.Table != want.Table {
			t.Errorf("schema = %+v, want %+v", got, want)
		}
	}
	if &got.Fields[0] == &base.Fields[0] || base.Fields[1].Type != query.TypeString {
		t.Error("InferSchema changed its base")
	}
}

// The mapping of an inferred schema, end to end from CSV text.
func TestESMappingFromDecodedCSV(t *testing.T) {
	d := openFile(t, "x.csv", []byte("id,when,tag\n1,2024-01-02T03:04:05Z,a\n2,2024-01-02T03:04:06Z,b\n"), FormatAuto)
	got := elastic.Mappings(d.Schema())
	want := map[string]any{"properties": map[string]any{
		"id":   map[string]any{"type": "long"},
		"when": map[string]any{"type": "date", "format": "strict_date_optional_time||epoch_millis"},
		"tag":  map[string]any{"type": "keyword", "ignore_above": 8191},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mapping = %v, want %v", got, want)
	}
}
