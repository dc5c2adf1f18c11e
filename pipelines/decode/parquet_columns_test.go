package decode

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/pipelines/objstore"
)

// flatRow has a column of every type the decoder maps, and no list: it is read column by column.
type flatRow struct {
	ID      int64            `parquet:"id"`
	Small   int32            `parquet:"small"`
	Name    string           `parquet:"name"`         // plain
	Color   string           `parquet:"color,dict"`   // dictionary-encoded
	Opt     *string          `parquet:"opt,optional"` // nulls, plain
	OptDict *string          `parquet:"opt_dict,optional,dict"`
	OptInt  *int64           `parquet:"opt_int,optional"`
	F32     float32          `parquet:"f32"`
	F64     float64          `parquet:"f64"`
	OK      bool             `parquet:"ok"`
	AtMS    time.Time        `parquet:"at_ms,timestamp(millisecond)"`
	AtUS    time.Time        `parquet:"at_us,timestamp(microsecond)"`
	AtNS    time.Time        `parquet:"at_ns,timestamp(nanosecond)"`
	Day     int32            `parquet:"day,date"`
	Clock   int64            `parquet:"clock,time(microsecond)"`
	Cost    int64            `parquet:"cost,decimal(2:18)"`
	Rate    int32            `parquet:"rate,decimal(3:9)"`
	U8      uint8            `parquet:"u8,uint(8)"`
	U32     uint32           `parquet:"u32,uint(32)"`
	U64     uint64           `parquet:"u64,uint(64)"` // past MaxInt64 on some rows: a RowError
	UID     [16]byte         `parquet:"uid,uuid"`
	Blob    []byte           `parquet:"blob"` // no STRING annotation, not always UTF-8
	Legacy  deprecated.Int96 `parquet:"legacy"`
	User    flatUser         `parquet:"user"`
}

type flatUser struct {
	Name string `parquet:"name,dict"`
	Age  *int32 `parquet:"age,optional"`
}

const (
	flatRows     = 6000 // several times the sample
	flatPerGroup = 2300 // not a multiple of parquetBatch
	flatBadU64   = 997  // every so many rows, a u64 that fits no int64
)

var flatBase = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// flatRowAt is row i, every column's value different from the next row's.
func flatRowAt(i int) flatRow {
	at := flatBase.Add(time.Duration(i)*time.Second + time.Duration(i*7919+123456789))
	r := flatRow{
		ID: int64(i), Small: int32(-i), Name: fmt.Sprintf("name-%d", i), Color: []string{"red", "green", "blue"}[i%3],
		F32: float32(i) / 10, F64: float64(i) * 1.5, OK: i%2 == 1, AtMS: at, AtUS: at, AtNS: at,
		Day: int32(19000 + i), Clock: int64(i) * 1_000_001, Cost: int64(i*37 - 5000), Rate: int32(i * 3),
		U8: uint8(i), U32: uint32(math.MaxInt32 + i), U64: uint64(i) * 3,
		Blob:   []byte(fmt.Sprintf("b%d", i)),
		Legacy: deprecated.Int96{uint32(i * 1000), 0, uint32(2440588 + i)},
		User:   flatUser{Name: fmt.Sprintf("user-%d", i%50)},
	}
	r.UID[0], r.UID[1], r.UID[15] = byte(i>>8), byte(i), 0xab
	if i%3 != 0 {
		s := fmt.Sprintf("opt-%d", i)
		r.Opt = &s
	}
	if i%4 != 1 {
		s := []string{"north", "south"}[i%2]
		r.OptDict = &s
	}
	if i%5 != 2 {
		n := int64(i) * -11
		r.OptInt = &n
	}
	if i%7 != 0 {
		age := int32(i % 90)
		r.User.Age = &age
	}
	if i%4 == 3 {
		r.Blob = []byte{0xff, 0xfe, byte(i), byte(i >> 8)} // not UTF-8
	}
	if i%flatBadU64 == flatBadU64-1 {
		r.U64 = math.MaxUint64 - uint64(i)
	}
	return r
}

// flatWant is what the decoder must make of r, worked out from the Go value that was written.
func flatWant(r flatRow) []any {
	opt := func(s *string) any {
		if s == nil {
			return nil
		}
		return *s
	}
	var optInt, age any
	if r.OptInt != nil {
		optInt = *r.OptInt
	}
	if r.User.Age != nil {
		age = int64(*r.User.Age)
	}
	f32, _ := strconv.ParseFloat(strconv.FormatFloat(float64(r.F32), 'g', -1, 32), 64)
	blob := any(string(r.Blob))
	if r.Blob[0] == 0xff {
		blob = base64.StdEncoding.EncodeToString(r.Blob)
	}
	u := fmt.Sprintf("%x", r.UID[:])
	nanos := int64(r.Legacy[1])<<32 | int64(r.Legacy[0])
	return []any{
		r.ID, int64(r.Small), r.Name, r.Color, opt(r.Opt), opt(r.OptDict), optInt, f32, r.F64, r.OK,
		r.AtMS.Truncate(time.Millisecond), r.AtUS.Truncate(time.Microsecond), r.AtNS,
		time.Unix(int64(r.Day)*86400, 0).UTC(), time.Unix(0, 0).UTC().Add(time.Duration(r.Clock) * time.Microsecond).Format("15:04:05.999999999"),
		float64(r.Cost) / 100, float64(r.Rate) / 1000, int64(r.U8), int64(r.U32), int64(r.U64),
		u[0:8] + "-" + u[8:12] + "-" + u[12:16] + "-" + u[16:20] + "-" + u[20:], blob,
		time.Unix((int64(r.Legacy[2])-2440588)*86400, nanos).UTC(),
		r.User.Name, age,
	}
}

// writeFlat writes the rows in row groups of flatPerGroup, with pages small enough that each
// column has many, ending at rows that differ from column to column.
func writeFlat(t testing.TB, rows []flatRow) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[flatRow](&buf, parquet.MaxRowsPerRowGroup(flatPerGroup),
		parquet.PageBufferSize(700), parquet.Compression(&zstd.Codec{}))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Every value of a flat file, read column by column, lands in its own row: past the sample,
// across page boundaries that differ from column to column, and across row groups.
func TestParquetColumnsDecodeEveryRowInPlace(t *testing.T) {
	rows := make([]flatRow, flatRows)
	for i := range rows {
		rows[i] = flatRowAt(i)
	}
	content := writeFlat(t, rows)
	checkPagesDoNotLineUp(t, content)

	// What was written, read back by parquet-go's own struct reader.
	back, err := parquet.Read[flatRow](bytes.NewReader(content), int64(len(content)))
	if err != nil || len(back) != len(rows) {
		t.Fatalf("parquet.Read: %d rows, %v", len(back), err)
	}

	d := openFile(t, "flat.parquet", content, FormatAuto).(ValueDecoder)
	names := d.Schema().Names()
	if len(names) != len(flatWant(rows[0])) {
		t.Fatalf("%d columns %q, want %d", len(names), names, len(flatWant(rows[0])))
	}
	boxed := openFile(t, "flat.parquet", content, FormatAuto)
	var dst []backends.Value
	for i := range rows {
		want := flatWant(back[i])
		if !reflect.DeepEqual(want, flatWant(rows[i])) {
			t.Fatalf("row %d read back by parquet-go as %v, written as %v", i, back[i], rows[i])
		}
		dst, err = d.NextValues(dst)
		boxedRow, boxedErr := boxed.Next()
		if i%flatBadU64 == flatBadU64-1 {
			var re *RowError
			if !errors.As(err, &re) || re.Row != int64(i+1) || re.Column != "u64" {
				t.Fatalf("row %d: err = %v, want a RowError for row %d's u64", i, err, i+1)
			}
			if !errors.As(boxedErr, &re) || re.Row != int64(i+1) {
				t.Fatalf("row %d: Next err = %v, want a RowError", i, boxedErr)
			}
			continue
		}
		if err != nil || boxedErr != nil {
			t.Fatalf("row %d: NextValues: %v, Next: %v", i, err, boxedErr)
		}
		got := make([]any, len(dst))
		for c, v := range dst {
			got[c] = v.Any()
		}
		for c := range want {
			if !reflect.DeepEqual(got[c], want[c]) {
				t.Errorf("row %d column %s = %#v, want %#v", i, names[c], got[c], want[c])
			}
		}
		if !reflect.DeepEqual(boxedRow, got) {
			t.Errorf("row %d: Next = %v\nNextValues = %v", i, boxedRow, got)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	if _, err := d.NextValues(dst); !errors.Is(err, io.EOF) {
		t.Errorf("after the last row: %v, want io.EOF", err)
	}
	if _, err := boxed.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("Next after the last row: %v, want io.EOF", err)
	}
}

// checkPagesDoNotLineUp makes sure the file tests what it is meant to: several row groups, and
// columns of several pages whose first rows differ.
func checkPagesDoNotLineUp(t *testing.T, content []byte) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.RowGroups()); n < 3 {
		t.Fatalf("%d row groups, want 3 or more", n)
	}
	starts := map[string]bool{} // the rows where a column's pages start, as text
	for _, chunk := range f.RowGroups()[0].ColumnChunks() {
		pages := chunk.Pages()
		var at []int64
		var row int64
		for {
			p, err := pages.ReadPage()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			at = append(at, row)
			row += p.NumRows()
		}
		pages.Close()
		if len(at) > 2 {
			starts[fmt.Sprint(at)] = true
		}
	}
	if len(starts) < 3 {
		t.Fatalf("page boundaries of many pages differ between %d columns only, want 3 or more", len(starts))
	}
}

// A file whose pages are damaged after the sample gives an error, never a panic, column by
// column as row by row.
func TestParquetDamagedPagesAreAnError(t *testing.T) {
	rows := make([]flatRow, flatRows)
	for i := range rows {
		rows[i] = flatRowAt(i)
	}
	content := writeFlat(t, rows)
	f, err := parquet.OpenFile(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	last := f.Metadata().RowGroups[len(f.Metadata().RowGroups)-1]
	for c, chunk := range last.Columns {
		name := fmt.Sprintf("column-%d", c)
		t.Run(name, func(t *testing.T) {
			bad := bytes.Clone(content)
			off := chunk.MetaData.DataPageOffset
			for i := off; i < off+40 && i < int64(len(bad)); i++ {
				bad[i] = 0xff
			}
			p := filepath.Join(t.TempDir(), name+".parquet")
			if err := os.WriteFile(p, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := NewDecoder(t.Context(), objstore.Local{}, objstore.Object{Key: p, Size: int64(len(bad))}, FormatAuto)
			if err != nil {
				t.Fatal(err) // the sample is all in the first row group, which is whole
			}
			defer d.Close()
			vd := d.(ValueDecoder)
			var dst []backends.Value
			for n := 0; ; n++ {
				dst, err = vd.NextValues(dst)
				var re *RowError
				if err == nil || errors.As(err, &re) {
					continue
				}
				if errors.Is(err, io.EOF) {
					t.Fatalf("%d rows and io.EOF, want an error", n)
				}
				if n < flatRows-int(last.NumRows) || !strings.HasPrefix(err.Error(), "reading "+p+": ") {
					t.Fatalf("error at row %d, before the damaged row group or not naming the file: %v", n, err)
				}
				break
			}
		})
	}
}
