package decode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/query"
)

func TestCSVInfersTypesAndDecodesExactValues(t *testing.T) {
	text := "\ufeffid,name,price,active,day,at,zip,note,empty,id\n" +
		"1,Alice,9.5,true,2024-01-02,2024-01-02T03:04:05Z,02134,\"hello, world\",,a\n" +
		"2,Bob,10,FALSE,2024-02-03,2024-02-03 10:00:00,10001,\"multi\nline\",,b\n" +
		"-3,,NULL,,,2024-03-04T05:06:07.5+02:00, ,,,c\n"
	d := openFile(t, "people.csv", []byte(text), FormatAuto)

	wantTypes := map[string]query.Type{
		"id": query.TypeInt, "name": query.TypeString, "price": query.TypeFloat, "active": query.TypeBool,
		"day": query.TypeDate, "at": query.TypeTime, "zip": query.TypeString, "note": query.TypeString,
		"empty": query.TypeString, "id_2": query.TypeString,
	}
	if got := types(d.Schema()); !reflect.DeepEqual(got, wantTypes) {
		t.Errorf("types = %v\nwant    %v", got, wantTypes)
	}
	if names := d.Schema().Names(); names[0] != "id" || names[9] != "id_2" {
		t.Errorf("names = %q, want the BOM gone and the repeated id renamed", names)
	}

	rows, errs := readAll(t, d)
	if len(errs) > 0 {
		t.Fatalf("row errors: %v", errs)
	}
	want := [][]any{
		{int64(1), "Alice", 9.5, true, ts("2024-01-02T00:00:00Z"), ts("2024-01-02T03:04:05Z"), "02134", "hello, world", nil, "a"},
		{int64(2), "Bob", 10.0, false, ts("2024-02-03T00:00:00Z"), ts("2024-02-03T10:00:00Z"), "10001", "multi\nline", nil, "b"},
		{int64(-3), nil, nil, nil, nil, ts("2024-03-04T03:06:07.5Z"), " ", nil, nil, "c"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows =\n%v\nwant\n%v", rows, want)
	}
}

func TestCSVTabSeparated(t *testing.T) {
	rows, _ := readAll(t, openFile(t, "x.tsv", []byte("a\tb\n1\thello, world\n"), FormatAuto))
	if want := [][]any{{int64(1), "hello, world"}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %v, want %v", rows, want)
	}
}

func TestCSVMixedDatesAndTimestampsAreTimestamps(t *testing.T) {
	d := openFile(t, "x.csv", []byte("at\n2024-01-02\n2024-01-02 03:04:05\n"), FormatAuto)
	if d.Schema().Fields[0].Type != query.TypeTime {
		t.Fatalf("type = %s, want timestamp", d.Schema().Fields[0].Type)
	}
	rows, _ := readAll(t, d)
	if want := [][]any{{ts("2024-01-02T00:00:00Z")}, {ts("2024-01-02T03:04:05Z")}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %v, want %v", rows, want)
	}
}

func TestCSVEmptyAndHeaderOnly(t *testing.T) {
	d := openFile(t, "empty.csv", nil, FormatAuto)
	if len(d.Schema().Fields) != 0 {
		t.Errorf("schema = %v, want no fields", d.Schema())
	}
	if _, err := d.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("Next = %v, want io.EOF", err)
	}
	d = openFile(t, "header.csv", []byte("a,b\n"), FormatAuto)
	if got := types(d.Schema()); !reflect.DeepEqual(got, map[string]query.Type{"a": query.TypeString, "b": query.TypeString}) {
		t.Errorf("types = %v", got)
	}
	if _, err := d.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("Next = %v, want io.EOF", err)
	}
}

// A value that does not fit the type the sample chose is one bad row; the rest load.
func TestCSVBadValueAfterSampleIsARowError(t *testing.T) {
	var b strings.Builder
	b.WriteString("n,label\n")
	for i := 1; i <= SampleRows+10; i++ {
		if i == SampleRows+3 {
			b.WriteString("abc,x\n")
			continue
		}
		fmt.Fprintf(&b, "%d,x\n", i)
	}
	d := openFile(t, "n.csv", []byte(b.String()), FormatAuto)
	if d.Schema().Fields[0].Type != query.TypeInt {
		t.Fatalf("n is %s, want int", d.Schema().Fields[0].Type)
	}
	rows, errs := readAll(t, d)
	if len(rows) != SampleRows+9 {
		t.Errorf("%d good rows, want %d", len(rows), SampleRows+9)
	}
	want := &RowError{Row: SampleRows + 4, Column: "n", Value: "abc"}
	if len(errs) != 1 || errs[0].Row != want.Row || errs[0].Column != want.Column || errs[0].Value != want.Value {
		t.Fatalf("errors = %v, want %+v", errs, want)
	}
	if got := errs[0].Error(); got != fmt.Sprintf(`row %d, column "n": "abc" is not an integer`, SampleRows+4) {
		t.Errorf("message = %q", got)
	}
	if rows[len(rows)-1][0] != int64(SampleRows+10) {
		t.Errorf("last row = %v", rows[len(rows)-1])
	}
}

func TestCSVMalformedRowsAreRowErrors(t *testing.T) {
	text := "a,b\n1,x\n2,x,extra\n3,x\"y\n4,x\n"
	rows, errs := readAll(t, openFile(t, "bad.csv", []byte(text), FormatAuto))
	if want := [][]any{{int64(1), "x"}, {int64(4), "x"}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %v, want %v", rows, want)
	}
	if len(errs) != 2 {
		t.Fatalf("errors = %v, want 2", errs)
	}
	if errs[0].Row != 3 || errs[0].Error() != "row 3: has 3 fields, want 2" || errs[0].Value != "2,x,extra" {
		t.Errorf("first error = %+v (%v)", errs[0], errs[0])
	}
	if errs[1].Row != 4 || !strings.Contains(errs[1].Error(), "bare \"") {
		t.Errorf("second error = %v", errs[1])
	}
}

func TestCSVKeepsLeadingZerosAndOddNumbersAsText(t *testing.T) {
	d := openFile(t, "x.csv", []byte("zip,ver,hex,inf,flag\n02134,1.2.3,0x1F,Inf,yes\n10001,1.2,0x20,1,no\n"), FormatAuto)
	want := map[string]query.Type{"zip": query.TypeString, "ver": query.TypeString, "hex": query.TypeString, "inf": query.TypeString, "flag": query.TypeString}
	if got := types(d.Schema()); !reflect.DeepEqual(got, want) {
		t.Errorf("types = %v, want %v", got, want)
	}
}

// csvGen produces a large CSV on the fly, so the test holds none of it.
type csvGen struct {
	rows, next int
	buf        []byte
	bytes      int64
}

var genStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func (g *csvGen) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.next <= g.rows {
		i := g.next
		if i == 0 {
			g.buf = append(g.buf, "id,user,price,active,at,comment\n"...)
		} else {
			g.buf = fmt.Appendf(g.buf, "%d,user%d,%d.%02d,%t,%s,\"row %d says hello\"\n",
				i, i%100, i%1000, i%100, i%2 == 0, genStart.Add(time.Duration(i)*time.Second).Format(time.DateTime), i)
		}
		g.next++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[:copy(g.buf, g.buf[n:])]
	g.bytes += int64(n)
	return n, nil
}

// genStore serves one generated object.
type genStore struct{ gen *csvGen }

func (s genStore) List(context.Context, string) ([]objstore.Object, error) { return nil, nil }
func (s genStore) Open(context.Context, string) (io.ReadCloser, error) {
	return io.NopCloser(s.gen), nil
}
func (s genStore) ReaderAt(context.Context, string, int64) (io.ReaderAt, error) {
	return nil, errors.New("not seekable")
}
func (s genStore) Put(context.Context, string, io.Reader) error { return errors.New("read-only") }

func TestCSVStreamsLargeInputInBoundedMemory(t *testing.T) {
	rows := 2_000_000
	if testing.Short() {
		rows = 200_000
	}
	gen := &csvGen{rows: rows}
	d, err := NewDecoder(t.Context(), genStore{gen}, objstore.Object{Key: "gen.csv"}, FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	want := map[string]query.Type{"id": query.TypeInt, "user": query.TypeString, "price": query.TypeFloat,
		"active": query.TypeBool, "at": query.TypeTime, "comment": query.TypeString}
	if got := types(d.Schema()); !reflect.DeepEqual(got, want) {
		t.Fatalf("types = %v, want %v", got, want)
	}

	var ms runtime.MemStats
	var peak uint64
	n := 0
	var last []any
	for {
		row, err := d.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("row %d: %v", n+1, err)
		}
		n++
		last = row
		if n%100_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if n != rows {
		t.Fatalf("decoded %d rows, want %d", n, rows)
	}
	wantLast := []any{int64(rows), fmt.Sprintf("user%d", rows%100), float64(rows%1000) + float64(rows%100)/100,
		rows%2 == 0, genStart.Add(time.Duration(rows) * time.Second), fmt.Sprintf("row %d says hello", rows)}
	if !reflect.DeepEqual(last, wantLast) {
		t.Errorf("last row = %v, want %v", last, wantLast)
	}
	t.Logf("%d rows, %d MiB of CSV, peak heap in use %.1f MiB", n, gen.bytes>>20, float64(peak)/(1<<20))
	// A fixed budget well under the 135 MiB a full run streams (and under 1/8 of it).
	if limit := uint64(16 << 20); peak > limit {
		t.Errorf("peak heap in use %d bytes, want under %d", peak, limit)
	}
}

// A stray quote must not turn the rest of a large file into one field held in memory.
func TestCSVUnclosedQuoteStopsAtTheRecordLimit(t *testing.T) {
	defer func(n int) { maxRecordBytes = n }(maxRecordBytes)
	maxRecordBytes = 1 << 20
	good := strings.Repeat("1,x\n", SampleRows+5)
	text := "a,b\n" + good + "2,\"oops\n" + strings.Repeat("3,x\n", 1<<20)
	d := openFile(t, "x.csv", []byte(text), FormatAuto)
	var err error
	rows := 0
	for ; err == nil; rows++ {
		_, err = d.Next()
	}
	want := fmt.Sprintf("after line %d: a record is longer than 1 MiB (an unclosed quote?): record too long", SampleRows+6)
	if !errors.Is(err, errRecordTooLong) || !strings.HasSuffix(err.Error(), want) || rows != SampleRows+6 {
		t.Fatalf("after %d rows: err = %v, want it to end %q", rows-1, err, want)
	}
	if _, again := d.Next(); again != err {
		t.Errorf("Next after the end = %v, want the same error", again)
	}
}
