package decode

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dora-dev/dora/pipelines/decode/decodetest"
	"github.com/dora-dev/dora/pipelines/objstore"
)

// faultDrain reads a decoder to its end: the ids of the good rows (to each when given, else
// kept), the row errors, the error that ended it (nil at io.EOF), and the peak heap in use
// sampled along the way.
func faultDrain(t *testing.T, d Decoder, each ...func(id int64)) (ids []int64, rowErrs []*RowError, end error, peak uint64) {
	t.Helper()
	var ms runtime.MemStats
	for n := 0; ; n++ {
		if n%50_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
		row, err := d.Next()
		var re *RowError
		switch {
		case errors.Is(err, io.EOF):
			return ids, rowErrs, nil, peak
		case errors.As(err, &re):
			rowErrs = append(rowErrs, re)
		case err != nil:
			return ids, rowErrs, err, peak
		case len(each) > 0:
			each[0](row[0].(int64))
		default:
			ids = append(ids, row[0].(int64))
		}
	}
}

// TestCSVBrokenQuoteDeepInAGzip: a quote opened on line 2,000,001 of a gzipped CSV and never
// closed costs that one row, named by its line; every row after it is read.
func TestCSVBrokenQuoteDeepInAGzip(t *testing.T) {
	const bad, after = 2_000_001, 10 // the broken line (the header is line 1), rows after it
	p := filepath.Join(t.TempDir(), "deep.csv.gz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	var b bytes.Buffer
	b.WriteString("id,name,v\n")
	for line := 2; line <= bad+after; line++ {
		id := line - 1
		if line == bad {
			fmt.Fprintf(&b, "%d,\"broken quote,1\n", id)
		} else {
			fmt.Fprintf(&b, "%d,n%d,%d.5\n", id, id, id)
		}
		if b.Len() > 1<<20 {
			zw.Write(b.Bytes())
			b.Reset()
		}
	}
	zw.Write(b.Bytes())
	zw.Close()
	f.Close()

	d, err := NewDecoder(t.Context(), objstore.Local{}, objstore.Object{Key: p}, FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n, wrong int64 // every id once, in order, the broken one missing
	_, rowErrs, end, peak := faultDrain(t, d, func(id int64) {
		want := n + 1
		if want >= bad-1 {
			want++
		}
		if id != want && wrong == 0 {
			wrong = n + 1
			t.Errorf("row %d has id %d, want %d", n, id, want)
		}
		n++
	})
	if end != nil {
		t.Fatalf("the load of the file stopped: %v", end)
	}
	if len(rowErrs) != 1 || rowErrs[0].Row != bad || !strings.Contains(rowErrs[0].Error(), fmt.Sprintf("row %d: ", bad)) {
		t.Fatalf("row errors %v, want one naming line %d", rowErrs, bad)
	}
	if want := int64(bad + after - 2); n != want {
		t.Fatalf("%d good rows, want %d", n, want)
	}
	t.Logf("%d rows read, 1 set aside (%v), peak heap in use %.1f MiB", n, rowErrs[0], float64(peak)/(1<<20))
	if peak > 32<<20 {
		t.Errorf("peak heap in use %d bytes, want it bounded under 32 MiB", peak)
	}
}

// TestCSVStrayQuoteOverLinesCostsOneRow: a quote left open in the middle of a file runs to the
// next quote; the lines it ran over are read again as rows.
func TestCSVStrayQuoteOverLinesCostsOneRow(t *testing.T) {
	text := "id,name\n" + strings.Repeat("1,a\n", SampleRows) + "2,\"open\n3,b\n4,c\n5,\"closed\"\n6,d\n"
	ids, rowErrs, end, _ := faultDrain(t, openFile(t, "stray.csv", []byte(text), FormatAuto))
	if end != nil || len(rowErrs) != 1 || rowErrs[0].Row != SampleRows+2 {
		t.Fatalf("end %v, row errors %v: want one, on line %d", end, rowErrs, SampleRows+2)
	}
	if got := fmt.Sprint(ids[SampleRows:]); got != "[3 4 5 6]" {
		t.Errorf("the rows after the stray quote are %s, want [3 4 5 6]", got)
	}
}

// TestNDJSONFiftyMegabyteLine: one 50 MB line is one row set aside, named by its line, without
// being held; the rows around it are read.
func TestNDJSONFiftyMegabyteLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.ndjson")
	var b bytes.Buffer
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, "{\"id\":%d,\"s\":\"x\"}\n", i)
	}
	b.WriteString(`{"id":6,"s":"` + strings.Repeat("y", 50<<20) + "\"}\n")
	for i := 7; i <= 11; i++ {
		fmt.Fprintf(&b, "{\"id\":%d,\"s\":\"x\"}\n", i)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b = bytes.Buffer{}
	runtime.GC()
	d, err := NewDecoder(t.Context(), objstore.Local{}, objstore.Object{Key: p}, FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ids, rowErrs, end, _ := faultDrain(t, d)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if end != nil || len(rowErrs) != 1 || rowErrs[0].Row != 6 || !strings.Contains(rowErrs[0].Error(), "row 6: line is longer than") {
		t.Fatalf("end %v, row errors %v: want one, naming line 6 as too long", end, rowErrs)
	}
	if got := fmt.Sprint(ids); got != "[1 2 3 4 5 7 8 9 10 11]" {
		t.Errorf("rows %s, want every other line", got)
	}
	t.Logf("row error: %v; heap in use at the end %.1f MiB", rowErrs[0], float64(ms.HeapInuse)/(1<<20))
	if ms.HeapInuse >= 50<<20 {
		t.Errorf("heap in use %d bytes: the 50 MB line is held", ms.HeapInuse)
	}
}

// TestParquetTruncatedAndCorrupted: a Parquet file cut short, or with bytes overwritten in its
// pages, is an error naming the file (the rows before a bad page are read, none is invented).
func TestParquetTruncatedAndCorrupted(t *testing.T) {
	content := decodetest.Parquet(t, sequenceRows(5*SampleRows), 1000)
	dir := t.TempDir()
	open := func(name string, b []byte) (Decoder, string, error) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := NewDecoder(t.Context(), objstore.Local{}, objstore.Object{Key: p, Size: int64(len(b))}, FormatAuto)
		return d, p, err
	}
	for _, cut := range []int{len(content) / 2, len(content) - 3, 10} {
		_, p, err := open(fmt.Sprintf("cut%d.parquet", cut), content[:cut])
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("cut at %d of %d bytes: err = %v, want an error naming %s", cut, len(content), err, p)
		}
	}
	// Overwrite bytes inside the pages of the third row group, leaving the footer whole.
	bad := bytes.Clone(content)
	for i := len(bad) / 2; i < len(bad)/2+64; i++ {
		bad[i] ^= 0x5a
	}
	d, p, err := open("corrupt.parquet", bad)
	if err != nil {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("err = %v, want it to name %s", err, p)
		}
		return
	}
	defer d.Close()
	ids, rowErrs, end, _ := faultDrain(t, d)
	for i, id := range ids {
		if id < 1 || id > int64(5*SampleRows) {
			t.Fatalf("row %d has id %d, which the file never held", i, id)
		}
	}
	if end == nil && len(rowErrs) == 0 {
		t.Fatalf("a corrupted file read as %d good rows and no error", len(ids))
	}
	if end != nil && !strings.Contains(end.Error(), p) {
		t.Errorf("the error %v does not name %s", end, p)
	}
	t.Logf("corrupted: %d rows read before %v (row errors %v)", len(ids), end, rowErrs)
}
