package decode

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/dora-dev/dora/pipelines/decode/decodetest"
	"github.com/dora-dev/dora/query"
)

func TestNDJSONFlattensInfersAndKeepsGoing(t *testing.T) {
	text := `{"id":1,"user":{"name":"ann","age":30},"tags":["a","b"],"ts":"2024-01-02T03:04:05Z","score":1.5,"ok":true,"day":"2024-01-02"}
{"id":2,"user":{"name":"bob"},"ts":"2024-01-03T00:00:00.25+01:00","score":2,"ok":false,"extra":null,"day":"2024-01-03"}
not json

[1,2]
{"id":3} {"id":4}
{"ok":true,"id":5,"mixed":"x","user":{"age":41,"name":"cy"},"day":null}
{"id":6,"mixed":7}
`
	d := openFile(t, "events.ndjson", []byte(text), FormatAuto)
	s := d.Schema()
	if got, want := s.Names(), []string{"id", "user.name", "user.age", "tags", "ts", "score", "ok", "day", "extra", "mixed"}; !reflect.DeepEqual(got, want) {
		t.Errorf("names = %q\nwant    %q", got, want)
	}
	wantTypes := map[string]query.Type{
		"id": query.TypeInt, "user.name": query.TypeString, "user.age": query.TypeInt, "tags": query.TypeString,
		"ts": query.TypeTime, "score": query.TypeFloat, "ok": query.TypeBool, "day": query.TypeDate,
		"extra": query.TypeString, "mixed": query.TypeString,
	}
	if got := types(s); !reflect.DeepEqual(got, wantTypes) {
		t.Errorf("types = %v\nwant    %v", got, wantTypes)
	}

	rows, errs := readAll(t, d)
	want := [][]any{
		{int64(1), "ann", int64(30), `["a","b"]`, ts("2024-01-02T03:04:05Z"), 1.5, true, ts("2024-01-02T00:00:00Z"), nil, nil},
		{int64(2), "bob", nil, nil, ts("2024-01-02T23:00:00.25Z"), 2.0, false, ts("2024-01-03T00:00:00Z"), nil, nil},
		{int64(5), "cy", int64(41), nil, nil, nil, true, nil, nil, "x"},
		{int64(6), nil, nil, nil, nil, nil, nil, nil, nil, "7"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows =\n%v\nwant\n%v", rows, want)
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	wantErrs := []string{
		"row 3: invalid JSON: invalid character 'o' in literal null (expecting 'u')",
		"row 5: the line is not a JSON object",
		"row 6: invalid JSON: more than one value on the line",
	}
	if !reflect.DeepEqual(got, wantErrs) {
		t.Errorf("errors =\n%q\nwant\n%q", got, wantErrs)
	}
	if errs[0].Value != "not json" || errs[0].Column != "" {
		t.Errorf("first error = %+v", errs[0])
	}
}

func TestNDJSONAfterSampleBadValuesAndNewFields(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= SampleRows; i++ {
		fmt.Fprintf(&b, `{"id":%d,"at":"2024-01-01T00:00:00Z"}`+"\n", i)
	}
	b.WriteString(`{"id":"abc"}` + "\n")
	b.WriteString(`{"id":"1002","at":"2024-01-01 10:00:00"}` + "\n") // quoted numbers and other layouts still read
	b.WriteString(`{"id":1.5}` + "\n")
	b.WriteString(`{"id":1004,"new":{"field":1}}` + "\n")
	d := openFile(t, "x.jsonl.gz", decodetest.Gzip(t, []byte(b.String())), FormatAuto)
	rows, errs := readAll(t, d)
	if len(rows) != SampleRows+2 {
		t.Fatalf("%d rows, want %d", len(rows), SampleRows+2)
	}
	if got := rows[SampleRows]; !reflect.DeepEqual(got, []any{int64(1002), ts("2024-01-01T10:00:00Z")}) {
		t.Errorf("row = %v", got)
	}
	if len(errs) != 2 {
		t.Fatalf("errors = %v", errs)
	}
	if got, want := errs[0].Error(), fmt.Sprintf(`row %d, column "id": "abc" is not an integer`, SampleRows+1); got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if got, want := errs[1].Error(), fmt.Sprintf(`row %d, column "id": "1.5" is not an integer`, SampleRows+3); got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	if got := d.(UnmappedReporter).Unmapped(); !reflect.DeepEqual(got, map[string]int64{"new.field": 1}) {
		t.Errorf("unmapped = %v", got)
	}
}
