// Package decode reads source objects (Parquet, CSV, TSV, NDJSON, gzipped or not) from an
// objstore.Store as rows of plain Go values, streaming, with memory bounded whatever the object's
// size. It infers the columns' types from a sample of the first rows and converts values between
// types. Loads (pipelines/load) and ETL writes (pipelines/etl) share it.
//
// A typical reader:
//
//	d, err := decode.NewDecoder(ctx, store, obj, decode.FormatOf(obj.Key))
//	if err != nil {
//		return err // the object cannot be read at all
//	}
//	defer d.Close()
//	for {
//		row, err := d.Next()
//		if err == io.EOF {
//			break // every row has been read
//		}
//		var bad *decode.RowError
//		if errors.As(err, &bad) {
//			continue // one row did not decode; set it aside and go on
//		}
//		if err != nil {
//			return err // the stream broke: stop
//		}
//		use(row) // one value per d.Schema().Fields, in that order
//	}
package decode

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/query"
)

// Decoder yields the rows of one source object. Values are nil, bool, int64, float64, string or
// time.Time (UTC), one per field of Schema, in its order. A Decoder is not safe for concurrent use.
type Decoder interface {
	// Schema describes the rows; it is inferred from the object's first SampleRows rows and does
	// not change while reading. An empty object has no fields.
	Schema() query.Schema
	// Next returns the next row. After the last row it returns (nil, io.EOF), itself and not
	// wrapped, and keeps doing so. A *RowError (test with errors.As) is about one row only: a row
	// that could not be decoded or converted to its column's type; the row is not returned and
	// the caller may set it aside and call Next again for the rows after it. Any other error
	// (a broken stream, a cancelled context) ends the stream: stop calling Next.
	Next() (row []any, err error)
	// Close releases the object; call it whether or not Next reached io.EOF.
	Close() error
}

// ValueDecoder is a Decoder that can also yield a row as Values written into a slice the caller
// reuses, boxing nothing: what a load reads, a row at a time, at millions of rows. Values
// returns one for any Decoder.
type ValueDecoder interface {
	Decoder
	// NextValues is Next, with the row written into dst (grown to the number of fields) and
	// returned. Its strings may point into the decoder's buffers: they are valid until the next
	// call (Value.Any copies).
	NextValues(dst []backends.Value) ([]backends.Value, error)
}

// Values returns d as a ValueDecoder: d itself when it is one (Parquet), else d with each row of
// Next turned into Values.
func Values(d Decoder) ValueDecoder {
	if v, ok := d.(ValueDecoder); ok {
		return v
	}
	return boxedValues{d}
}

type boxedValues struct{ Decoder }

func (b boxedValues) NextValues(dst []backends.Value) ([]backends.Value, error) {
	row, err := b.Next()
	if err != nil {
		return dst[:0], err
	}
	return valuesOf(dst, row), nil
}

// valuesOf writes row into dst as Values.
func valuesOf(dst []backends.Value, row []any) []backends.Value {
	dst = dst[:0]
	for _, v := range row {
		dst = append(dst, backends.ValueOf(v))
	}
	return dst
}

// The formats NewDecoder reads.
const (
	FormatAuto    = "auto" // by extension (.parquet, .csv, .tsv, .ndjson, .jsonl, .json), else by content
	FormatParquet = "parquet"
	FormatCSV     = "csv" // comma-separated, or tab-separated when the name ends in .tsv or .tab
	FormatTSV     = "tsv" // tab-separated, whatever the name
	FormatNDJSON  = "ndjson"
)

// SampleRows is how many rows a decoder reads ahead to infer the schema.
const SampleRows = 1000

// RowError is a row that could not be decoded or converted (invalid JSON, a ragged CSV row, a
// value that does not fit its column's type); the rows around it can, and the decoder goes on
// after it. Next returns it as a *RowError.
type RowError struct {
	// Row locates the row: the line it starts on for CSV and NDJSON (counting the CSV header as
	// line 1), the 1-based row number for Parquet.
	Row    int64
	Column string // empty when the whole row is bad (invalid JSON, wrong number of fields)
	Value  string // the offending text: the field's value, or the line
	Err    error
}

func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %v", e.Row, e.Err)
	}
	return fmt.Sprintf("row %d, column %q: %v", e.Row, e.Column, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// NewDecoder opens obj and returns a decoder for it, having read its first SampleRows rows to
// infer the schema. format is one of the Format constants or FormatOf's answer ("" is
// FormatAuto: by name, else by content); a .gz name or gzip content is decompressed whatever the
// format. An object that does not exist is an error that wraps objstore.ErrNotFound. Parquet is read from its footer through ranged
// reads, so obj.Size must be set, as Store.List sets it; gzipped Parquet is first decompressed
// into an unlinked temporary file.
func NewDecoder(ctx context.Context, store objstore.Store, obj objstore.Object, format string) (Decoder, error) {
	if format == "" {
		format = FormatAuto
	}
	comma := delimiterOf(obj.Key)
	switch format {
	case FormatAuto, FormatParquet, FormatCSV, FormatNDJSON:
	case FormatTSV:
		format, comma = FormatCSV, '\t'
	default:
		return nil, fmt.Errorf("unknown format %q (want auto, parquet, csv or ndjson)", format)
	}
	if format == FormatAuto {
		format = formatOf(obj.Key)
	}
	if format == FormatParquet && !strings.HasSuffix(strings.ToLower(obj.Key), ".gz") {
		d, err := newParquetFromStore(ctx, store, obj)
		if err != nil && !errors.Is(err, errCompressed) {
			return nil, err
		}
		if err == nil {
			return d, nil
		}
		// A gzipped Parquet file under a plain name: decompress it below.
	}

	rc, err := store.Open(ctx, obj.Key)
	if err != nil {
		return nil, err
	}
	r, err := decompress(ctx, rc, obj.Key)
	if err != nil {
		rc.Close()
		return nil, err
	}
	if format == FormatAuto {
		format = sniff(r)
		if format == FormatParquet && !r.gzipped {
			// Read it from its end after all, rather than copying it to disk.
			r.Close()
			d, err := newParquetFromStore(ctx, store, obj)
			if err != nil {
				return nil, err
			}
			return d, nil
		}
	}
	var d Decoder
	switch format {
	case FormatCSV:
		d, err = newCSV(r, obj.Key, comma)
	case FormatNDJSON:
		d, err = newNDJSON(r, obj.Key)
	case FormatParquet:
		d, err = newParquetFromStream(r, obj.Key)
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	return d, nil
}

// FormatOf tells an object's format from its name, ignoring case and a .gz suffix:
// FormatParquet (.parquet, .pq), FormatCSV (.csv), FormatTSV (.tsv, .tab), FormatNDJSON
// (.ndjson, .jsonl, .json), or "" when the name does not say. Its answer can be passed to
// NewDecoder.
func FormatOf(key string) string {
	switch f := formatOf(key); {
	case f == FormatAuto:
		return ""
	case f == FormatCSV && delimiterOf(key) == '\t':
		return FormatTSV
	default:
		return f
	}
}

// formatOf tells a format from an object's name, or FormatAuto when the name does not say.
func formatOf(key string) string {
	name := strings.TrimSuffix(strings.ToLower(path.Base(key)), ".gz")
	switch path.Ext(name) {
	case ".parquet", ".pq":
		return FormatParquet
	case ".csv", ".tsv", ".tab":
		return FormatCSV
	case ".ndjson", ".jsonl", ".json":
		return FormatNDJSON
	}
	return FormatAuto
}

func delimiterOf(key string) rune {
	name := strings.TrimSuffix(strings.ToLower(path.Base(key)), ".gz")
	if ext := path.Ext(name); ext == ".tsv" || ext == ".tab" {
		return '\t'
	}
	return ','
}

// sniff tells a format from the first bytes of decompressed content.
func sniff(r *stream) string {
	head, _ := r.Peek(512)
	if bytes.HasPrefix(head, []byte("PAR1")) {
		return FormatParquet
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return FormatNDJSON
	}
	return FormatCSV
}

// stream is a buffered, decompressed, cancellable object reader.
type stream struct {
	*bufio.Reader
	closers []io.Closer
	gzipped bool
}

func (s *stream) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i].Close())
	}
	return errors.Join(errs...)
}

const streamBuffer = 256 << 10

var gzipMagic = []byte{0x1f, 0x8b}

// decompress wraps rc in gzip decompression when its name or its first bytes say gzip.
func decompress(ctx context.Context, rc io.ReadCloser, key string) (*stream, error) {
	br := bufio.NewReaderSize(ctxReader{ctx, rc}, streamBuffer)
	s := &stream{Reader: br, closers: []io.Closer{rc}}
	head, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	// The content decides: a .gz name over plain data (decompressed on the way) reads as plain.
	if !bytes.Equal(head, gzipMagic) {
		return s, nil
	}
	gz, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	s.Reader = bufio.NewReaderSize(gz, streamBuffer)
	s.closers = append(s.closers, gz)
	s.gzipped = true
	return s, nil
}

// ctxReader stops reading once ctx is done, so a cancelled load of a local file stops too.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// sampled holds the rows a decoder read ahead to infer its schema, to hand them out again.
type sampled struct {
	rows []sampleRow
	next int
}

type sampleRow struct {
	row []any
	err error
}

func (s *sampled) add(row []any, err error) { s.rows = append(s.rows, sampleRow{row, err}) }

// pop returns the next read-ahead row; ok is false once they are all handed out.
func (s *sampled) pop() (r sampleRow, ok bool) {
	if s.next >= len(s.rows) {
		s.rows = nil // let the sample go
		return sampleRow{}, false
	}
	r = s.rows[s.next]
	s.rows[s.next] = sampleRow{}
	s.next++
	return r, true
}

// good returns the rows that decoded, for InferSchema.
func (s *sampled) good() [][]any {
	var out [][]any
	for _, r := range s.rows {
		if r.err == nil {
			out = append(out, r.row)
		}
	}
	return out
}

// uniqueNames makes column names non-empty and distinct: a blank name becomes column_N and a
// repeated one gets a _2, _3 suffix.
func uniqueNames(names []string) []string {
	seen := make(map[string]bool, len(names))
	out := make([]string, len(names))
	for i, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			n = fmt.Sprintf("column_%d", i+1)
		}
		base := n
		for k := 2; seen[n]; k++ {
			n = fmt.Sprintf("%s_%d", base, k)
		}
		seen[n] = true
		out[i] = n
	}
	return out
}

// quote shows a value in an error message, shortened when long.
func quote(v string) string {
	const limit = 80
	if len(v) > limit {
		return fmt.Sprintf("%q…", v[:limit])
	}
	return fmt.Sprintf("%q", v)
}
