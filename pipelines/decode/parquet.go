package decode

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/query"
)

// parquetReadBuffer is the read size per column chunk: large enough that a file in S3 is read
// in few requests, small enough that wide files stay small in memory.
const parquetReadBuffer = 256 << 10

// parquetBatch is how many rows are read from a row group at a time.
const parquetBatch = 256

// errCompressed says a .parquet object is really gzip data, to be decompressed first.
var errCompressed = errors.New("gzip-compressed parquet")

// parquetDecoder streams a Parquet file one row group at a time, through ranged reads. Nested
// groups become dotted column names; lists (and maps) are kept as the JSON text of their
// non-null elements. Timestamps are UTC time.Time values, dates are time.Time at midnight UTC,
// decimals are float64, and TIME values are clock text.
type parquetDecoder struct {
	key     string
	file    *parquet.File
	closers []io.Closer
	cols    []parquetColumn
	schema  query.Schema
	sample  sampled

	lists   bool // some column is repeated: rows are read whole, and go through convert
	groups  []parquet.RowGroup
	rows    parquet.Rows  // the row group being read, when lists
	batch   []parquet.Row // when lists
	chunks  []chunkReader // the row group being read column by column, when not lists
	left    int64         // rows of that row group the chunks have yet to read
	scratch parquet.Row   // one row of the chunks' batch, for convert
	n, i    int           // rows in batch, next row in batch
	row     int64         // rows handed out, for RowError
	err     error
}

type parquetColumn struct {
	name     string
	typ      query.Type
	raw      string
	repeated bool
	conv     func(parquet.Value) (any, error)
	// value, when set, is conv without boxing, for NextValues; its strings point into the page.
	value func(parquet.Value) backends.Value
}

// parquetWholeObject is the size up to which a Parquet object is fetched whole, in one request,
// and read in memory: a ranged read per column chunk costs a request each (about 40 for a 3 MB
// file of 17 columns), which the store's server and the client pay for. (A variable for tests.)
var parquetWholeObject int64 = 16 << 20

func newParquetFromStore(ctx context.Context, store objstore.Store, obj objstore.Object) (*parquetDecoder, error) {
	if obj.Size > 0 && obj.Size <= parquetWholeObject {
		return newParquetInMemory(ctx, store, obj)
	}
	ra, err := store.ReaderAt(ctx, obj.Key, obj.Size)
	if err != nil {
		return nil, err
	}
	var closers []io.Closer
	if c, ok := ra.(io.Closer); ok {
		closers = append(closers, c)
	}
	head := make([]byte, 2)
	if _, err := ra.ReadAt(head, 0); err == nil && string(head) == string(gzipMagic) {
		closeAll(closers)
		return nil, errCompressed
	}
	d, err := openParquet(ra, obj.Size, obj.Key, closers)
	if err != nil {
		closeAll(closers)
		return nil, err
	}
	return d, nil
}

// newParquetInMemory reads a small Parquet object whole and decodes it from memory.
func newParquetInMemory(ctx context.Context, store objstore.Store, obj objstore.Object) (*parquetDecoder, error) {
	rc, err := store.Open(ctx, obj.Key)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, obj.Size)
	_, err = io.ReadFull(rc, buf)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", obj.Key, err)
	}
	if len(buf) >= 2 && string(buf[:2]) == string(gzipMagic) {
		return nil, errCompressed
	}
	return openParquet(bytes.NewReader(buf), obj.Size, obj.Key, nil)
}

// newParquetFromStream spools a compressed Parquet stream to a temporary file, since Parquet is
// read from its end.
func newParquetFromStream(src *stream, key string) (*parquetDecoder, error) {
	tmp, err := os.CreateTemp("", "dora-load-*.parquet")
	if err != nil {
		return nil, fmt.Errorf("decompressing %s: %w", key, err)
	}
	os.Remove(tmp.Name()) // unlinked now: gone when closed, however the process ends
	size, err := io.Copy(tmp, src)
	src.Close()
	if err != nil {
		tmp.Close()
		return nil, fmt.Errorf("decompressing %s: %w", key, err)
	}
	d, err := openParquet(tmp, size, key, []io.Closer{tmp})
	if err != nil {
		tmp.Close()
		return nil, err
	}
	return d, nil
}

func closeAll(cs []io.Closer) {
	for _, c := range cs {
		c.Close()
	}
}

func openParquet(ra io.ReaderAt, size int64, key string, closers []io.Closer) (d *parquetDecoder, err error) {
	defer func() {
		// parquet-go panics on some malformed files; a bad file must not end the load.
		if p := recover(); p != nil {
			d, err = nil, fmt.Errorf("reading %s: malformed Parquet file: %v", key, p)
		}
	}()
	readBuffer := parquetReadBuffer
	if _, inMemory := ra.(*bytes.Reader); inMemory {
		readBuffer = 16 << 10 // a copy from memory: a large buffer only costs memory
	}
	f, err := parquet.OpenFile(ra, size,
		parquet.SkipPageIndex(true),
		parquet.SkipBloomFilters(true),
		parquet.ReadBufferSize(readBuffer),
		parquet.OptimisticRead(true),
	)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	d = &parquetDecoder{key: key, file: f, closers: closers, groups: f.RowGroups()}

	paths := f.Schema().Columns()
	names := make([]string, len(paths))
	d.cols = make([]parquetColumn, len(paths))
	for _, path := range paths {
		leaf, ok := f.Schema().Lookup(path...)
		if !ok || leaf.ColumnIndex < 0 || leaf.ColumnIndex >= len(paths) {
			return nil, fmt.Errorf("reading %s: column %s is not in the schema", key, strings.Join(path, "."))
		}
		names[leaf.ColumnIndex] = columnName(path)
		d.cols[leaf.ColumnIndex] = parquetColumnOf(leaf)
		d.lists = d.lists || d.cols[leaf.ColumnIndex].repeated
	}
	if d.lists {
		d.batch = make([]parquet.Row, parquetBatch)
	} else {
		d.chunks = make([]chunkReader, len(d.cols))
	}
	names = uniqueNames(names)
	base := query.Schema{Fields: make([]query.Field, len(d.cols))}
	for i := range d.cols {
		d.cols[i].name = names[i]
		base.Fields[i] = query.Field{Name: names[i], Type: d.cols[i].typ, Raw: d.cols[i].raw}
	}
	d.schema = base
	for range SampleRows {
		row, err := d.read()
		if errors.Is(err, io.EOF) {
			break
		}
		var rowErr *RowError
		if err != nil && !errors.As(err, &rowErr) {
			return nil, err
		}
		d.sample.add(row, err)
	}
	d.schema = InferSchema(d.sample.good(), base)
	return d, nil
}

// columnName joins a leaf's path with dots, without the list wrappers of the Parquet spec.
func columnName(path []string) string {
	name := strings.Join(path, ".")
	for _, wrapper := range []string{".list.element", ".list.item", ".key_value", ".bag.array_element"} {
		name = strings.ReplaceAll(name, wrapper, "")
	}
	return name
}

// Schema implements Decoder.
func (d *parquetDecoder) Schema() query.Schema { return d.schema }

// Next implements Decoder.
func (d *parquetDecoder) Next() ([]any, error) {
	if r, ok := d.sample.pop(); ok {
		return r.row, r.err
	}
	return d.read()
}

// NextValues implements ValueDecoder: the common types (text, integers, floats, booleans,
// timestamps and dates) go straight from parquet-go's values into dst, the others through conv.
func (d *parquetDecoder) NextValues(dst []backends.Value) ([]backends.Value, error) {
	if r, ok := d.sample.pop(); ok {
		return valuesOf(dst, r.row), r.err
	}
	i, err := d.next()
	if err != nil {
		return dst[:0], err
	}
	if d.lists {
		row, err := d.convert(d.batch[i])
		return valuesOf(dst, row), err
	}
	if cap(dst) < len(d.cols) {
		dst = make([]backends.Value, len(d.cols))
	}
	dst = dst[:len(d.cols)]
	clear(dst)
	for c := range d.chunks {
		v := d.chunks[c].batch[i]
		if v.IsNull() {
			continue
		}
		col := &d.cols[c]
		if col.value != nil {
			dst[c] = col.value(v)
			continue
		}
		x, err := col.conv(v)
		if err != nil {
			return dst[:0], &RowError{Row: d.row, Column: col.name, Value: v.String(), Err: err}
		}
		dst[c] = backends.ValueOf(x)
	}
	return dst, nil
}

// Close implements Decoder.
func (d *parquetDecoder) Close() error {
	var errs []error
	if d.rows != nil {
		errs = append(errs, d.rows.Close())
		d.rows = nil
	}
	for i := range d.chunks {
		errs = append(errs, d.chunks[i].close())
	}
	for _, c := range d.closers {
		errs = append(errs, c.Close())
	}
	d.closers = nil
	return errors.Join(errs...)
}

// read returns the next row, opening row groups as the previous ones run out.
func (d *parquetDecoder) read() (row []any, err error) {
	i, err := d.next()
	if err != nil {
		return nil, err
	}
	if d.lists {
		return d.convert(d.batch[i])
	}
	d.scratch = d.scratch[:0]
	for c := range d.chunks {
		d.scratch = append(d.scratch, d.chunks[c].batch[i])
	}
	return d.convert(d.scratch)
}

// next moves on to the next row and returns its place in the batch, reading the next batch
// when this one is done.
func (d *parquetDecoder) next() (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	for d.i >= d.n {
		if err := d.fill(); err != nil {
			d.err = err
			return 0, err
		}
	}
	d.i++
	d.row++
	return d.i - 1, nil
}

// fill reads the next batch of rows.
func (d *parquetDecoder) fill() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("reading %s: malformed Parquet file: %v", d.key, p)
		}
	}()
	if !d.lists {
		return d.fillColumns()
	}
	for {
		if d.rows == nil {
			if len(d.groups) == 0 {
				return io.EOF
			}
			d.rows = d.groups[0].Rows()
			d.groups = d.groups[1:]
		}
		n, err := d.rows.ReadRows(d.batch)
		d.n, d.i = n, 0
		if errors.Is(err, io.EOF) || err == nil && n == 0 {
			d.rows.Close()
			d.rows = nil
			if n == 0 {
				continue
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", d.key, err)
		}
		return nil
	}
}

// convert turns one Parquet row into values.
func (d *parquetDecoder) convert(r parquet.Row) ([]any, error) {
	out := make([]any, len(d.cols))
	var lists map[int][]any
	for _, v := range r {
		c := v.Column()
		if c < 0 || c >= len(d.cols) {
			continue
		}
		col := &d.cols[c]
		if v.IsNull() {
			continue
		}
		x, err := col.conv(v)
		if err != nil {
			return nil, &RowError{Row: d.row, Column: col.name, Value: v.String(), Err: err}
		}
		if col.repeated {
			if lists == nil {
				lists = map[int][]any{}
			}
			lists[c] = append(lists[c], x)
			continue
		}
		out[c] = x
	}
	for c, list := range lists {
		b, _ := json.Marshal(list)
		out[c] = string(b)
	}
	return out, nil
}

// parquetColumnOf maps a leaf column's Parquet type to a neutral type and a value converter.
func parquetColumnOf(leaf parquet.LeafColumn) parquetColumn {
	col := parquetValueColumn(leaf.Node.Type())
	if leaf.MaxRepetitionLevel > 0 {
		// Lists are kept as JSON text; their elements still convert as their type.
		col.repeated, col.typ = true, query.TypeString
	}
	return col
}

func parquetValueColumn(t parquet.Type) parquetColumn {
	col := parquetColumn{raw: t.String()}
	if lt := t.LogicalType(); lt != nil && lt.Value != nil {
		switch l := lt.Value.(type) {
		case *format.StringType, *format.EnumType, *format.JsonType:
			col.typ = query.TypeString
			return col.valued(func(v parquet.Value) backends.Value {
				return backends.Value{Kind: backends.KindString, Str: pageString(v)}
			})
		case *format.UUIDType:
			col.typ, col.conv = query.TypeString, convUUID
			return col
		case *format.DateType:
			col.typ = query.TypeDate
			return col.valued(func(v parquet.Value) backends.Value {
				return backends.Value{Kind: backends.KindTime, Time: time.Unix(int64(v.Int32())*86400, 0).UTC()}
			})
		case *format.TimestampType:
			col.typ = query.TypeTime
			return col.valued(timestampValue(&l.Unit))
		case *format.TimeType:
			col.typ, col.conv = query.TypeString, timeOfDayConv(&l.Unit)
			return col
		case *format.IntType:
			col.typ, col.conv = query.TypeInt, intConv(t.Kind(), l.IsSigned)
			if l.IsSigned {
				return col.valued(intValue(t.Kind()))
			}
			return col
		case *format.DecimalType:
			col.typ, col.conv = query.TypeFloat, decimalConv(t.Kind(), int(l.Scale))
			return col
		case *format.NullType:
			col.typ, col.conv = query.TypeString, func(parquet.Value) (any, error) { return nil, nil }
			return col
		}
	}
	switch t.Kind() {
	case parquet.Boolean:
		col.typ = query.TypeBool
		col = col.valued(func(v parquet.Value) backends.Value { return backends.BoolValue(v.Boolean()) })
	case parquet.Int32, parquet.Int64:
		col.typ = query.TypeInt
		col = col.valued(intValue(t.Kind()))
	case parquet.Int96:
		// The legacy Impala/Spark timestamp: nanoseconds of the day, then the Julian day.
		col.typ = query.TypeTime
		col.conv = func(v parquet.Value) (any, error) {
			i := v.Int96()
			nanos := int64(uint64(i[1])<<32 | uint64(i[0]))
			days := int64(i[2]) - 2440588 // the Julian day of 1970-01-01
			return time.Unix(days*86400, nanos).UTC(), nil
		}
	case parquet.Float:
		// Through the shortest decimal form, so 0.1f reads as 0.1, not 0.10000000149011612.
		col.typ = query.TypeFloat
		col.conv = func(v parquet.Value) (any, error) {
			f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v.Float()), 'g', -1, 32), 64)
			return f, nil
		}
	case parquet.Double:
		col.typ = query.TypeFloat
		col = col.valued(func(v parquet.Value) backends.Value {
			return backends.Value{Kind: backends.KindFloat, Float: v.Double()}
		})
	case parquet.ByteArray:
		// Many writers leave the STRING annotation off text columns.
		col.typ, col.conv = query.TypeString, convBytes
		col.value = func(v parquet.Value) backends.Value {
			if utf8.Valid(v.ByteArray()) {
				return backends.Value{Kind: backends.KindString, Str: pageString(v)}
			}
			x, _ := convBytes(v)
			return backends.ValueOf(x)
		}
	default:
		col.typ, col.conv = query.TypeOther, convBytes
	}
	return col
}

// pageString is a byte array value as a string that points into parquet-go's page, without
// copying it: valid until the decoder reads its next batch.
func pageString(v parquet.Value) string {
	b := v.ByteArray()
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// valued sets the column's value function, and its conv from it (boxing the value).
func (col parquetColumn) valued(value func(parquet.Value) backends.Value) parquetColumn {
	col.value = value
	col.conv = func(v parquet.Value) (any, error) { return value(v).Any(), nil }
	return col
}

func intValue(kind parquet.Kind) func(parquet.Value) backends.Value {
	if kind == parquet.Int32 {
		return func(v parquet.Value) backends.Value {
			return backends.Value{Kind: backends.KindInt, Int: int64(v.Int32())}
		}
	}
	return func(v parquet.Value) backends.Value { return backends.Value{Kind: backends.KindInt, Int: v.Int64()} }
}

// convBytes reads bytes as text when they are UTF-8, else as base64.
func convBytes(v parquet.Value) (any, error) {
	b := v.ByteArray()
	if utf8.Valid(b) {
		return string(b), nil
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func convUUID(v parquet.Value) (any, error) {
	b := v.ByteArray()
	if len(b) != 16 {
		return nil, fmt.Errorf("a UUID of %d bytes", len(b))
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

func timestampValue(unit *format.TimeUnit) func(parquet.Value) backends.Value {
	// A timestamp not adjusted to UTC is a wall-clock reading; it is read as UTC, as DuckDB and
	// Spark show it.
	var of func(int64) time.Time
	switch unit.Value.(type) {
	case *format.MilliSeconds:
		of = time.UnixMilli
	case *format.NanoSeconds:
		of = func(n int64) time.Time { return time.Unix(0, n) }
	default:
		of = time.UnixMicro
	}
	return func(v parquet.Value) backends.Value {
		return backends.Value{Kind: backends.KindTime, Time: of(v.Int64()).UTC()}
	}
}

func timeOfDayConv(unit *format.TimeUnit) func(parquet.Value) (any, error) {
	clock := func(d time.Duration) string {
		return time.Unix(0, 0).UTC().Add(d).Format("15:04:05.999999999")
	}
	switch unit.Value.(type) {
	case *format.MilliSeconds:
		return func(v parquet.Value) (any, error) { return clock(time.Duration(v.Int32()) * time.Millisecond), nil }
	case *format.NanoSeconds:
		return func(v parquet.Value) (any, error) { return clock(time.Duration(v.Int64())), nil }
	}
	return func(v parquet.Value) (any, error) { return clock(time.Duration(v.Int64()) * time.Microsecond), nil }
}

func intConv(kind parquet.Kind, signed bool) func(parquet.Value) (any, error) {
	switch {
	case kind == parquet.Int32 && signed:
		return func(v parquet.Value) (any, error) { return int64(v.Int32()), nil }
	case kind == parquet.Int32:
		return func(v parquet.Value) (any, error) { return int64(uint32(v.Int32())), nil }
	case signed:
		return func(v parquet.Value) (any, error) { return v.Int64(), nil }
	}
	return func(v parquet.Value) (any, error) {
		u := uint64(v.Int64())
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("%d does not fit a signed 64-bit integer", u)
		}
		return int64(u), nil
	}
}

func decimalConv(kind parquet.Kind, scale int) func(parquet.Value) (any, error) {
	pow := math.Pow10(scale)
	switch kind {
	case parquet.Int32:
		return func(v parquet.Value) (any, error) { return scaled(big.NewInt(int64(v.Int32())), scale, pow), nil }
	case parquet.Int64:
		return func(v parquet.Value) (any, error) { return scaled(big.NewInt(v.Int64()), scale, pow), nil }
	}
	return func(v parquet.Value) (any, error) {
		// Big-endian two's complement.
		b := v.ByteArray()
		n := new(big.Int).SetBytes(b)
		if len(b) > 0 && b[0]&0x80 != 0 {
			n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
		}
		return scaled(n, scale, pow), nil
	}
}

// scaled returns unscaled / 10^scale as the nearest float64, via decimal text so 1234 with
// scale 2 is exactly the float64 nearest 12.34.
func scaled(unscaled *big.Int, scale int, pow float64) float64 {
	if unscaled.IsInt64() && math.Abs(float64(unscaled.Int64())) < 1<<53 && scale <= 22 {
		return float64(unscaled.Int64()) / pow
	}
	s := unscaled.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if scale > 0 {
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if neg {
		s = "-" + s
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}
