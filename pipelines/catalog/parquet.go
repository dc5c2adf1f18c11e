package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// batchRows bounds memory: a batch is read, converted, handed on and released before the next.
const batchRows = 64 * 1024

// utcMicros is how dora keeps every timestamp: Iceberg timestamptz, which every reader agrees on.
var utcMicros = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

// fileSchema reads the Arrow schema of the Parquet files, normalized as the table will hold it
// (timestamps as UTC microseconds), and checks that every file has the same columns.
func fileSchema(files []string) (*arrow.Schema, error) {
	var first *arrow.Schema
	for _, f := range files {
		sc, err := readSchema(f)
		if err != nil {
			return nil, err
		}
		sc = normalizeSchema(sc)
		if first == nil {
			first = sc
			continue
		}
		if !sameColumns(first, sc) {
			return nil, fmt.Errorf("%s has columns %s but %s has %s: every file of one write must have the same columns", f, sc, files[0], first)
		}
	}
	return first, nil
}

func readSchema(path string) (*arrow.Schema, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: batchRows}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	sc, err := fr.Schema()
	if err != nil {
		return nil, fmt.Errorf("reading the schema of %s: %w", path, err)
	}
	return sc, nil
}

func sameColumns(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i, f := range a.Fields() {
		g := b.Field(i)
		if f.Name != g.Name || !arrow.TypeEqual(f.Type, g.Type) {
			return false
		}
	}
	return true
}

// normalizeSchema gives every top-level timestamp column the type utcMicros, and drops the
// Parquet field metadata so field IDs come from the table, never from the writer.
func normalizeSchema(sc *arrow.Schema) *arrow.Schema {
	fields := make([]arrow.Field, sc.NumFields())
	for i, f := range sc.Fields() {
		if _, ok := f.Type.(*arrow.TimestampType); ok {
			f.Type = utcMicros
		}
		f.Metadata = arrow.Metadata{}
		fields[i] = f
	}
	return arrow.NewSchema(fields, nil)
}

// fileRecords streams the rows of Parquet files one batch at a time, each batch projected onto
// target (the table's schema): columns matched by name, timestamps as UTC microseconds, other
// types cast safely, and columns the files lack filled with nulls.
type fileRecords struct {
	ctx    context.Context
	files  []string
	target *arrow.Schema

	refs atomic.Int64
	path string // the file being read
	pf   *file.Reader
	rr   pqarrow.RecordReader
	cur  arrow.RecordBatch
	err  error
	rows int64
}

var _ array.RecordReader = (*fileRecords)(nil)

func newFileRecords(ctx context.Context, files []string, target *arrow.Schema) *fileRecords {
	r := &fileRecords{ctx: ctx, files: files, target: target}
	r.refs.Store(1)
	return r
}

func (r *fileRecords) Retain() { r.refs.Add(1) }

func (r *fileRecords) Release() {
	if r.refs.Add(-1) == 0 {
		r.closeFile()
		if r.cur != nil {
			r.cur.Release()
			r.cur = nil
		}
	}
}

func (r *fileRecords) Schema() *arrow.Schema { return r.target }

func (r *fileRecords) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is RecordBatch under its old name.
func (r *fileRecords) Record() arrow.RecordBatch { return r.cur }

func (r *fileRecords) Err() error { return r.err }

func (r *fileRecords) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	for r.err == nil {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			return false
		}
		if r.rr == nil {
			if len(r.files) == 0 {
				return false
			}
			if r.err = r.openFile(r.files[0]); r.err != nil {
				return false
			}
			r.files = r.files[1:]
		}
		if r.rr.Next() {
			batch := r.rr.RecordBatch()
			if batch.NumRows() == 0 {
				continue
			}
			r.cur, r.err = project(r.ctx, batch, r.target)
			if r.err != nil {
				r.err = fmt.Errorf("converting the rows of %s: %w", r.path, r.err)
				return false
			}
			r.rows += r.cur.NumRows()
			return true
		}
		if err := r.rr.Err(); err != nil && !errors.Is(err, io.EOF) {
			r.err = err
			return false
		}
		r.closeFile()
	}
	return false
}

func (r *fileRecords) openFile(path string) error {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: batchRows}, memory.DefaultAllocator)
	if err != nil {
		pf.Close()
		return fmt.Errorf("reading %s: %w", path, err)
	}
	rr, err := fr.GetRecordReader(r.ctx, nil, nil)
	if err != nil {
		pf.Close()
		return fmt.Errorf("reading %s: %w", path, err)
	}
	r.path, r.pf, r.rr = path, pf, rr
	return nil
}

func (r *fileRecords) closeFile() {
	if r.rr != nil {
		r.rr.Release()
		r.rr = nil
	}
	if r.pf != nil {
		r.pf.Close()
		r.pf = nil
	}
}

// project builds a batch of target's schema from one batch read from a file.
func project(ctx context.Context, batch arrow.RecordBatch, target *arrow.Schema) (arrow.RecordBatch, error) {
	n := batch.NumRows()
	cols := make([]arrow.Array, 0, target.NumFields())
	release := func() {
		for _, c := range cols {
			c.Release()
		}
	}
	src := batch.Schema()
	for _, f := range target.Fields() {
		idx := src.FieldIndices(f.Name)
		if len(idx) == 0 {
			cols = append(cols, array.MakeArrayOfNull(memory.DefaultAllocator, f.Type, int(n)))
			continue
		}
		col, err := convert(ctx, batch.Column(idx[0]), f.Type)
		if err != nil {
			release()
			return nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
		cols = append(cols, col)
	}
	out := array.NewRecordBatch(target, cols, n)
	release()
	return out, nil
}

// convert returns col as type to (a new reference).
func convert(ctx context.Context, col arrow.Array, to arrow.DataType) (arrow.Array, error) {
	if ts, ok := col.DataType().(*arrow.TimestampType); ok {
		if tt, ok := to.(*arrow.TimestampType); ok {
			return convertTimestamp(col.(*array.Timestamp), ts, tt), nil
		}
	}
	if arrow.TypeEqual(col.DataType(), to) {
		col.Retain()
		return col, nil
	}
	return compute.CastArray(ctx, col, compute.SafeCastOptions(to))
}

// convertTimestamp reads a timestamp of any unit and zone as the instant it names (a value
// without zone is taken as UTC, as DuckDB writes TIMESTAMP) and gives it in to's unit.
func convertTimestamp(col *array.Timestamp, from, to *arrow.TimestampType) arrow.Array {
	mul, div := int64(1), int64(1)
	fu, tu := unitsPerSecond(from.Unit), unitsPerSecond(to.Unit)
	if fu > tu {
		div = fu / tu
	} else {
		mul = tu / fu
	}
	if mul == 1 && div == 1 {
		// Same unit: the same buffers under the target type.
		data := array.NewData(to, col.Len(), col.Data().Buffers(), nil, col.NullN(), col.Data().Offset())
		defer data.Release()
		return array.MakeFromData(data)
	}
	b := array.NewTimestampBuilder(memory.DefaultAllocator, to)
	defer b.Release()
	b.Reserve(col.Len())
	for i := range col.Len() {
		if col.IsNull(i) {
			b.AppendNull()
			continue
		}
		v := int64(col.Value(i))
		if div > 1 {
			q := v / div
			if v%div < 0 { // floor, so an instant before 1970 does not round up
				q--
			}
			v = q
		}
		b.Append(arrow.Timestamp(v * mul))
	}
	return b.NewArray()
}

func unitsPerSecond(u arrow.TimeUnit) int64 {
	switch u {
	case arrow.Second:
		return 1
	case arrow.Millisecond:
		return 1e3
	case arrow.Microsecond:
		return 1e6
	default:
		return 1e9
	}
}
