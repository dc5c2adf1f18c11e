package load

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/dora-dev/dora/query"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

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

func TestESMappingGolden(t *testing.T) {
	s := query.Schema{Fields: []query.Field{
		{Name: "id", Type: query.TypeInt},
		{Name: "price", Type: query.TypeFloat},
		{Name: "active", Type: query.TypeBool},
		{Name: "category", Type: query.TypeString},
		{Name: "review", Type: query.TypeText, Keyword: "review.keyword"},
		{Name: "notes", Type: query.TypeText}, // text with no keyword sub-field
		{Name: "shipped_at", Type: query.TypeTime},
		{Name: "day", Type: query.TypeDate},
		{Name: "blob", Type: query.TypeOther},
		{Name: "user.name", Type: query.TypeString},
		{Name: "user.address.city", Type: query.TypeString},
		{Name: "user.age", Type: query.TypeInt},
		{Name: "a", Type: query.TypeString}, // both a field and, below, an object: the object wins
		{Name: "a.b", Type: query.TypeInt},
		{Name: "c.d", Type: query.TypeInt}, // the same, the other way round
		{Name: "c", Type: query.TypeString},
	}}
	got, err := json.MarshalIndent(ESMapping(s), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "esmapping.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("ESMapping differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
}

// The mapping of an inferred schema, end to end from CSV text.
func TestESMappingFromDecodedCSV(t *testing.T) {
	d := openFile(t, "x.csv", []byte("id,when,tag\n1,2024-01-02T03:04:05Z,a\n2,2024-01-02T03:04:06Z,b\n"), FormatAuto)
	got := ESMapping(d.Schema())
	want := map[string]any{"properties": map[string]any{
		"id":   map[string]any{"type": "long"},
		"when": map[string]any{"type": "date", "format": "strict_date_optional_time||epoch_millis"},
		"tag":  map[string]any{"type": "keyword"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mapping = %v, want %v", got, want)
	}
}
