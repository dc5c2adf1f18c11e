package decode

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/dora-dev/dora/pipelines/decode/decodetest"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/pipelines/objstore/s3test"
	"github.com/dora-dev/dora/query"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// openFile writes content to a file called name and opens a decoder on it.
func openFile(t *testing.T, name string, content []byte, format string) Decoder {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder(t.Context(), objstore.Local{}, objstore.Object{Key: p, Size: int64(len(content))}, format)
	if err != nil {
		t.Fatalf("NewDecoder(%s): %v", name, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// readAll drains a decoder, keeping good rows and row errors apart.
func readAll(t *testing.T, d Decoder) (rows [][]any, rowErrs []*RowError) {
	t.Helper()
	for {
		row, err := d.Next()
		if errors.Is(err, io.EOF) {
			return rows, rowErrs
		}
		var re *RowError
		if errors.As(err, &re) {
			rowErrs = append(rowErrs, re)
			continue
		}
		if err != nil {
			t.Fatalf("Next after %d rows: %v", len(rows), err)
		}
		rows = append(rows, row)
	}
}

// types lists a schema's field names and types, for compact comparisons.
func types(s query.Schema) map[string]query.Type {
	out := map[string]query.Type{}
	for _, f := range s.Fields {
		out[f.Name] = f.Type
	}
	return out
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestFormatComesFromNameThenContent(t *testing.T) {
	csvText := []byte("a,b\n1,x\n")
	jsonText := []byte(`{"a":1,"b":"x"}` + "\n")
	want := [][]any{{int64(1), "x"}}
	for _, tc := range []struct {
		name    string
		content []byte
		format  string
	}{
		{"x.csv", csvText, FormatAuto},
		{"x.csv.gz", decodetest.Gzip(t, csvText), FormatAuto},
		{"x.csv", decodetest.Gzip(t, csvText), FormatAuto}, // gzip known by its magic bytes
		{"x.CSV.GZ", decodetest.Gzip(t, csvText), ""},
		{"part-0000", csvText, FormatAuto}, // no extension: sniffed
		{"part-0001", decodetest.Gzip(t, jsonText), FormatAuto},
		{"x.jsonl", jsonText, FormatAuto},
		{"x.ndjson.gz", decodetest.Gzip(t, jsonText), FormatAuto},
		{"x.txt", jsonText, FormatNDJSON},
		{"x.json", csvText, FormatCSV}, // an explicit format wins over the name
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, errs := readAll(t, openFile(t, tc.name, tc.content, tc.format))
			if len(errs) > 0 || !reflect.DeepEqual(rows, want) {
				t.Errorf("rows = %v, errors = %v; want %v", rows, errs, want)
			}
		})
	}
}

func TestUnknownFormatIsAnError(t *testing.T) {
	_, err := NewDecoder(t.Context(), objstore.Local{}, objstore.Object{Key: "/x.csv"}, "xml")
	if err == nil || err.Error() != `unknown format "xml" (want auto, parquet, csv or ndjson)` {
		t.Errorf("err = %v", err)
	}
}

func TestMissingObjectIsNotFound(t *testing.T) {
	_, err := NewDecoder(t.Context(), objstore.Local{}, objstore.Object{Key: filepath.Join(t.TempDir(), "gone.csv")}, FormatAuto)
	if !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("err = %v, want objstore.ErrNotFound", err)
	}
}

func TestRowErrorSaysWhereAndWhat(t *testing.T) {
	err := &RowError{Row: 12, Column: "price", Value: "abc", Err: errors.New(`"abc" is not a number`)}
	if got, want := err.Error(), `row 12, column "price": "abc" is not a number`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	err = &RowError{Row: 3, Value: "not json", Err: errors.New("invalid JSON")}
	if got, want := err.Error(), "row 3: invalid JSON"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// The decoders read S3 objects too: Parquet through ranged reads, CSV through a gzip stream.
func TestDecodersReadFromS3(t *testing.T) {
	srv := s3test.Need(t)
	bucket := srv.Bucket(t)
	ctx := t.Context()
	st, err := objstore.NewS3(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pq := decodetest.Parquet(t, sequenceRows(2500), 1000)
	csvText := []byte("id,name\n1,a\n2,b\n")
	if err := st.Put(ctx, "s3://"+bucket+"/in/part-0.parquet", bytes.NewReader(pq)); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "s3://"+bucket+"/in/part-1.csv.gz", bytes.NewReader(decodetest.Gzip(t, csvText))); err != nil {
		t.Fatal(err)
	}
	objs, err := st.List(ctx, "s3://"+bucket+"/in")
	if err != nil || len(objs) != 2 {
		t.Fatalf("List = %v, %v", objs, err)
	}
	counts := []int{2500, 2}
	for i, obj := range objs {
		d, err := NewDecoder(ctx, st, obj, FormatAuto)
		if err != nil {
			t.Fatal(err)
		}
		rows, errs := readAll(t, d)
		d.Close()
		if len(rows) != counts[i] || len(errs) > 0 {
			t.Errorf("%s: %d rows, errors %v; want %d rows", obj.Key, len(rows), errs, counts[i])
		}
		if rows[len(rows)-1][0] != int64(counts[i]) {
			t.Errorf("%s: last id = %v, want %d", obj.Key, rows[len(rows)-1][0], counts[i])
		}
	}
}

func TestFormatOfNamesTheFormatOrNothing(t *testing.T) {
	for key, want := range map[string]string{
		"s3://b/in/part-0.parquet": FormatParquet,
		"x.pq":                     FormatParquet,
		"orders.csv":               FormatCSV,
		"orders.CSV.GZ":            FormatCSV,
		"orders.tsv":               FormatTSV,
		"orders.tab.gz":            FormatTSV,
		"events.ndjson":            FormatNDJSON,
		"events.jsonl.gz":          FormatNDJSON,
		"events.json":              FormatNDJSON,
		"part-00000":               "",
		"notes.txt":                "",
		"archive.gz":               "",
	} {
		if got := FormatOf(key); got != want {
			t.Errorf("FormatOf(%q) = %q, want %q", key, got, want)
		}
	}
}

// FormatOf's answer opens the object: a .tsv name, or FormatTSV under any name, is tab-separated.
func TestTSVByNameOrByFormat(t *testing.T) {
	text := []byte("a\tb\n1\tx,y\n")
	want := [][]any{{int64(1), "x,y"}}
	for _, tc := range []struct{ name, format string }{
		{"x.tsv", FormatOf("x.tsv")},
		{"x.txt", FormatTSV},
	} {
		rows, errs := readAll(t, openFile(t, tc.name, text, tc.format))
		if len(errs) > 0 || !reflect.DeepEqual(rows, want) {
			t.Errorf("%s as %q: rows = %v, errors = %v; want %v", tc.name, tc.format, rows, errs, want)
		}
	}
}
