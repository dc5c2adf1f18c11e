package decode

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/pipelines/decode/decodetest"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/query"
)

type pqUser struct {
	Name string `parquet:"name"`
	Age  *int32 `parquet:"age,optional"`
}

type pqRow struct {
	ID    int64     `parquet:"id"`
	Small int32     `parquet:"small"`
	Name  string    `parquet:"name"`
	Opt   *string   `parquet:"opt,optional"`
	F32   float32   `parquet:"f32"`
	F64   float64   `parquet:"f64"`
	OK    bool      `parquet:"ok"`
	At    time.Time `parquet:"at,timestamp(microsecond)"`
	AtMS  time.Time `parquet:"at_ms,timestamp(millisecond)"`
	Day   int32     `parquet:"day,date"` // days since 1970; parquet-go v0.32 writes time.Time dates wrongly
	Cost  int64     `parquet:"cost,decimal(2:18)"`
	U8    uint8     `parquet:"u8,uint(8)"`
	ID16  [16]byte  `parquet:"uid,uuid"`
	Tags  []string  `parquet:"tags,list"`
	User  pqUser    `parquet:"user"`
}

type seqRow struct {
	ID    int64  `parquet:"id"`
	Label string `parquet:"label"`
}

// sequenceRows returns rows with ids 1..n.
func sequenceRows(n int) []seqRow {
	rows := make([]seqRow, n)
	for i := range rows {
		rows[i] = seqRow{ID: int64(i + 1), Label: []string{"red", "green", "blue"}[i%3]}
	}
	return rows
}

func TestParquetMapsTypesAndDecodesExactValues(t *testing.T) {
	opt := "here"
	age := int32(41)
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	rows := []pqRow{
		{ID: 1, Small: -2, Name: "ann", Opt: &opt, F32: 0.1, F64: 2.5, OK: true, At: at, AtMS: at,
			Day: 19849, Cost: 1234, U8: 200,
			ID16: [16]byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8},
			Tags: []string{"a", "b"}, User: pqUser{Name: "ann", Age: &age}},
		{ID: 2, Name: "bob", At: at.Add(time.Hour), AtMS: at, Day: -1, Cost: -5,
			User: pqUser{Name: "bob"}},
	}
	d := openFile(t, "x.parquet", decodetest.Parquet(t, rows, 100), FormatAuto)

	s := d.Schema()
	wantNames := []string{"id", "small", "name", "opt", "f32", "f64", "ok", "at", "at_ms", "day", "cost", "u8", "uid", "tags", "user.name", "user.age"}
	if !reflect.DeepEqual(s.Names(), wantNames) {
		t.Errorf("names = %q\nwant    %q", s.Names(), wantNames)
	}
	wantTypes := map[string]query.Type{
		"id": query.TypeInt, "small": query.TypeInt, "name": query.TypeString, "opt": query.TypeString,
		"f32": query.TypeFloat, "f64": query.TypeFloat, "ok": query.TypeBool, "at": query.TypeTime,
		"at_ms": query.TypeTime, "day": query.TypeDate, "cost": query.TypeFloat, "u8": query.TypeInt,
		"uid": query.TypeString, "tags": query.TypeString, "user.name": query.TypeString, "user.age": query.TypeInt,
	}
	if got := types(s); !reflect.DeepEqual(got, wantTypes) {
		t.Errorf("types = %v\nwant    %v", got, wantTypes)
	}
	if f, _ := s.Field("at"); f.Raw == "" {
		t.Errorf("at has no Raw Parquet type")
	}

	got, errs := readAll(t, d)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := [][]any{
		{int64(1), int64(-2), "ann", "here", 0.1, 2.5, true, at, time.Date(2024, 5, 6, 7, 8, 9, 123000000, time.UTC),
			time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC), 12.34, int64(200), "12345678-9abc-def0-0102-030405060708",
			`["a","b"]`, "ann", int64(41)},
		{int64(2), int64(0), "bob", nil, 0.0, 0.0, false, at.Add(time.Hour), time.Date(2024, 5, 6, 7, 8, 9, 123000000, time.UTC),
			time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), -0.05, int64(0), "00000000-0000-0000-0000-000000000000",
			nil, "bob", nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows =\n%v\nwant\n%v", got, want)
	}
}

// Rows stream across row groups, past the sample, in order, from a file read whole and from one
// read in ranges.
func TestParquetStreamsRowGroups(t *testing.T) {
	content := decodetest.Parquet(t, sequenceRows(3*SampleRows+7), 700)
	whole := parquetWholeObject
	defer func() { parquetWholeObject = whole }()
	for _, name := range []string{"seq.parquet", "seq.parquet.gz", "gzipped-anyway.parquet", "no-extension", "ranged/seq.parquet", "ranged/gzipped-anyway.parquet"} {
		t.Run(name, func(t *testing.T) {
			parquetWholeObject = whole
			if dir, base, ok := strings.Cut(name, "/"); ok && dir == "ranged" {
				parquetWholeObject, name = 0, base
			}
			b := content
			if name != "seq.parquet" && name != "no-extension" {
				b = decodetest.Gzip(t, content)
			}
			rows, errs := readAll(t, openFile(t, name, b, FormatAuto))
			if len(errs) > 0 || len(rows) != 3*SampleRows+7 {
				t.Fatalf("%d rows, errors %v", len(rows), errs)
			}
			for i, r := range rows {
				if r[0] != int64(i+1) {
					t.Fatalf("row %d has id %v", i, r[0])
				}
			}
		})
	}
}

func TestParquetMalformedFileIsAnError(t *testing.T) {
	content := []byte("PAR1 this is not really parquet PAR1")
	p := filepath.Join(t.TempDir(), "bad.parquet")
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewDecoder(t.Context(), objstore.Local{}, objstore.Object{Key: p, Size: int64(len(content))}, FormatAuto)
	if err == nil || !strings.HasPrefix(err.Error(), "reading "+p+": ") {
		t.Fatalf("err = %v, want a reading error naming the file", err)
	}
}
