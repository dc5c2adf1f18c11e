package decode

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dora-dev/dora/query"
)

// maxRecordBytes bounds one CSV record, so a stray opening quote cannot pull the rest of a
// large file into memory as one field. A variable for tests.
var maxRecordBytes = 64 << 20

var errRecordTooLong = errors.New("record too long")

// csvDecoder reads CSV (or TSV) with a header row. Column types are inferred from the first
// SampleRows rows: integers, floats, true/false, dates (2006-01-02), timestamps (RFC 3339 or
// 2006-01-02 15:04:05, UTC when no zone is given), else strings. Empty fields are nil, and so are
// \N, NULL, NA and NaN in columns that are not strings.
type csvDecoder struct {
	key    string
	src    *stream
	feed   *lineFeeder
	r      *csv.Reader
	base   int64 // lines before the ones r reads: r's line 1 is the file's line base+1
	comma  rune
	types  []query.Type
	schema query.Schema
	sample sampled
	line   int64 // where the last record started
	err    error // the error that ended the stream
}

func newCSV(src *stream, key string, comma rune) (*csvDecoder, error) {
	feed := &lineFeeder{src: src}
	d := &csvDecoder{key: key, src: src, feed: feed, r: newCSVReader(feed, comma), comma: comma}

	header, err := d.r.Read()
	if errors.Is(err, io.EOF) {
		d.err = io.EOF // an empty object: no columns, no rows
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the header of %s: %w", key, err)
	}
	header = slices.Clone(header)
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	names := uniqueNames(header)
	d.types = make([]query.Type, len(names))

	var raws []rawRecord
	for len(raws) < SampleRows {
		rec, line, err := d.read()
		var rowErr *RowError
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.As(err, &rowErr) {
			raws = append(raws, rawRecord{err: err})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", key, err)
		}
		raws = append(raws, rawRecord{fields: slices.Clone(rec), line: line})
	}

	base := query.Schema{Fields: make([]query.Field, len(names))}
	for i, name := range names {
		var g typeGuess
		for _, raw := range raws {
			if raw.err == nil {
				g.add(raw.fields[i])
			}
		}
		d.types[i] = g.result()
		base.Fields[i] = query.Field{Name: name, Type: d.types[i]}
	}
	d.schema = base // convert takes column names from it
	for _, raw := range raws {
		if raw.err != nil {
			d.sample.add(nil, raw.err)
			continue
		}
		d.sample.add(d.convert(raw.fields, raw.line))
	}
	d.schema = InferSchema(d.sample.good(), base)
	return d, nil
}

type rawRecord struct {
	fields []string
	line   int64
	err    error
}

// Schema implements Decoder.
func (d *csvDecoder) Schema() query.Schema { return d.schema }

// Next implements Decoder.
func (d *csvDecoder) Next() ([]any, error) {
	if r, ok := d.sample.pop(); ok {
		return r.row, r.err
	}
	if d.err != nil {
		return nil, d.err
	}
	rec, line, err := d.read()
	if err != nil {
		var rowErr *RowError
		if !errors.As(err, &rowErr) {
			if !errors.Is(err, io.EOF) {
				err = fmt.Errorf("reading %s: %w", d.key, err)
			}
			d.err = err
		}
		return nil, err
	}
	return d.convert(rec, line)
}

// Close implements Decoder.
func (d *csvDecoder) Close() error { return d.src.Close() }

func newCSVReader(r io.Reader, comma rune) *csv.Reader {
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.FieldsPerRecord = -1 // a ragged row is one bad row, not the end of the file
	cr.ReuseRecord = true
	return cr
}

// read returns the next record and the line it starts on. A malformed record is a *RowError.
// A quote left open runs over the lines after it until a later quote or the end of the file;
// those lines are read again as records of their own, so one stray quote costs one row, not
// the rest of the file.
func (d *csvDecoder) read() ([]string, int64, error) {
	d.feed.startRecord()
	rec, err := d.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			start := d.base + int64(pe.StartLine)
			if d.feed.replayAfterFirst() {
				d.r, d.base = newCSVReader(d.feed, d.comma), start
			}
			return nil, 0, &RowError{Row: start, Err: pe.Err}
		}
		if errors.Is(err, errRecordTooLong) {
			return nil, 0, fmt.Errorf("after line %d: a record is longer than %d MiB (an unclosed quote?): %w",
				d.line, maxRecordBytes>>20, errRecordTooLong)
		}
		return nil, 0, err
	}
	l, _ := d.r.FieldPos(0)
	line := d.base + int64(l)
	d.line = line
	if len(rec) != len(d.types) {
		return nil, 0, &RowError{
			Row:   line,
			Value: strings.Join(rec, string(d.comma)),
			Err:   fmt.Errorf("has %d fields, want %d", len(rec), len(d.types)),
		}
	}
	return rec, line, nil
}

// convert turns a record's fields into values of the columns' types.
func (d *csvDecoder) convert(rec []string, line int64) ([]any, error) {
	row := make([]any, len(rec))
	for i, v := range rec {
		x, err := parseText(v, d.types[i])
		if err != nil {
			return nil, &RowError{Row: line, Column: d.schema.Fields[i].Name, Value: v, Err: err}
		}
		row[i] = x
	}
	return row, nil
}

// lineFeeder hands the CSV reader at most one line per Read, so the reader never holds more
// than the record it is reading, and keeps copies of that record's lines after its first: a
// record broken by a stray quote can then be read again from its second line. It fails a read
// once one record has taken maxRecordBytes, so an unclosed quote cannot pull a large file into
// memory.
type lineFeeder struct {
	src    *stream
	replay [][]byte // lines to hand out before reading on
	lines  int      // lines of the record being read
	held   [][]byte // copies of its lines after the first
	n      int      // bytes of its lines
	cur    []byte   // what is left of the line being handed out
}

// startRecord forgets the last record's lines: the reader is at a record's start.
func (f *lineFeeder) startRecord() { f.lines, f.held, f.n = 0, f.held[:0], 0 }

// replayAfterFirst queues the lines of the record just read, but its first, to be read again,
// and reports whether there were any: the reader that read them must then be replaced.
func (f *lineFeeder) replayAfterFirst() bool {
	if len(f.held) == 0 {
		return false
	}
	f.replay = append(slices.Clone(f.held), f.replay...)
	f.cur = nil
	f.startRecord()
	return true
}

func (f *lineFeeder) Read(p []byte) (int, error) {
	if len(f.cur) == 0 {
		if f.n > maxRecordBytes {
			return 0, errRecordTooLong
		}
		line, owned, err := f.next()
		if len(line) == 0 {
			return 0, err
		}
		if f.lines++; f.lines > 1 {
			if !owned {
				line = slices.Clone(line)
			}
			f.held = append(f.held, line)
		}
		f.n += len(line)
		f.cur = line
	}
	n := copy(p, f.cur)
	f.cur = f.cur[n:]
	return n, nil
}

// next is the next whole line, newline included, and whether it is the caller's: a line read
// in one piece is the stream's buffer, valid until the next read.
func (f *lineFeeder) next() ([]byte, bool, error) {
	if len(f.replay) > 0 {
		line := f.replay[0]
		f.replay = f.replay[1:]
		return line, true, nil
	}
	chunk, err := f.src.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return chunk, false, err
	}
	line := slices.Clone(chunk)
	for errors.Is(err, bufio.ErrBufferFull) && len(line) <= maxRecordBytes {
		chunk, err = f.src.ReadSlice('\n')
		line = append(line, chunk...)
	}
	if errors.Is(err, bufio.ErrBufferFull) {
		err = nil // the record guard ends it at the next read
	}
	return line, true, err
}

// typeGuess narrows a text column's type as values are seen.
type typeGuess struct {
	seen, notBool, notInt, notFloat, notDate, notTemporal bool
}

func (g *typeGuess) add(v string) {
	v = strings.TrimSpace(v)
	if v == "" || isNullMarker(v) {
		return
	}
	g.seen = true
	g.notBool = g.notBool || !looksBool(v)
	g.notInt = g.notInt || !looksInt(v)
	g.notFloat = g.notFloat || !looksFloat(v)
	_, dateErr := parseDate(v)
	g.notDate = g.notDate || dateErr != nil
	if dateErr != nil {
		_, tsErr := parseTimestamp(v)
		g.notTemporal = g.notTemporal || tsErr != nil
	}
}

func (g *typeGuess) result() query.Type {
	switch {
	case !g.seen:
		return query.TypeString
	case !g.notBool:
		return query.TypeBool
	case !g.notInt:
		return query.TypeInt
	case !g.notFloat:
		return query.TypeFloat
	case !g.notDate:
		return query.TypeDate
	case !g.notTemporal:
		return query.TypeTime
	}
	return query.TypeString
}

// isNullMarker reports whether v is a common spelling of a missing value in exports.
func isNullMarker(v string) bool {
	switch v {
	case `\N`, "NULL", "null", "Null", "NA", "N/A", "n/a", "NaN", "nan":
		return true
	}
	return false
}

func looksBool(v string) bool { return strings.EqualFold(v, "true") || strings.EqualFold(v, "false") }

// looksInt accepts plain decimal integers; a leading zero ("007", a zip code) means text.
func looksInt(v string) bool {
	digits := strings.TrimLeft(v, "+-")
	if len(v)-len(digits) > 1 || digits == "" || len(digits) > 1 && digits[0] == '0' {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	_, err := strconv.ParseInt(v, 10, 64)
	return err == nil
}

// looksFloat accepts decimal numbers with an optional fraction and exponent, but no leading
// zero before other digits, and no Inf or NaN.
func looksFloat(v string) bool {
	digits := strings.TrimLeft(v, "+-")
	if len(v)-len(digits) > 1 || digits == "" || len(digits) > 1 && digits[0] == '0' && digits[1] >= '0' && digits[1] <= '9' {
		return false
	}
	for _, c := range digits {
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return false
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	return err == nil && !math.IsInf(f, 0)
}

func parseDate(v string) (time.Time, error) {
	if len(v) != len(time.DateOnly) {
		return time.Time{}, errors.New("not a date")
	}
	return time.Parse(time.DateOnly, v)
}

// parseTimestamp parses RFC 3339 and its variants: a space for the T, no zone (UTC), or a zone
// as +hh, +hhmm or +hh:mm. The layout is picked from the text, so each value is parsed once.
func parseTimestamp(v string) (time.Time, error) {
	const n = len("2006-01-02T15:04:05")
	if len(v) < n || v[10] != 'T' && v[10] != ' ' {
		return time.Time{}, errors.New("not a timestamp")
	}
	layout := "2006-01-02T15:04:05"
	if v[10] == ' ' {
		layout = "2006-01-02 15:04:05"
	}
	// Fractional seconds are accepted after the seconds of any layout; skip them to find the zone.
	zone := v[n:]
	if len(zone) > 0 && (zone[0] == '.' || zone[0] == ',') {
		zone = strings.TrimLeft(zone[1:], "0123456789")
	}
	switch {
	case zone == "":
	case zone == "Z" || len(zone) == 6:
		layout += "Z07:00"
	case len(zone) == 3:
		layout += "Z07"
	case len(zone) == 5:
		layout += "Z0700"
	default:
		return time.Time{}, errors.New("not a timestamp")
	}
	t, err := time.Parse(layout, v)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// parseText converts a text value to a column type. Empty text is nil.
func parseText(v string, t query.Type) (any, error) {
	if v == "" {
		return nil, nil
	}
	if t == query.TypeString || t == query.TypeText {
		return v, nil
	}
	tv := strings.TrimSpace(v)
	if tv == "" || isNullMarker(tv) {
		return nil, nil
	}
	switch t {
	case query.TypeInt:
		n, err := strconv.ParseInt(tv, 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			return nil, fmt.Errorf("%s is out of range for an integer column", quote(v))
		}
		if err != nil {
			return nil, fmt.Errorf("%s is not an integer", quote(v))
		}
		return n, nil
	case query.TypeFloat:
		f, err := strconv.ParseFloat(tv, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%s is not a number", quote(v))
		}
		return f, nil
	case query.TypeBool:
		b, err := strconv.ParseBool(strings.ToLower(tv))
		if err != nil {
			return nil, fmt.Errorf("%s is not true or false", quote(v))
		}
		return b, nil
	case query.TypeDate:
		d, err := parseDate(tv)
		if err != nil {
			return nil, fmt.Errorf("%s is not a date (YYYY-MM-DD)", quote(v))
		}
		return d, nil
	case query.TypeTime:
		if d, err := parseDate(tv); err == nil {
			return d, nil
		}
		ts, err := parseTimestamp(tv)
		if err != nil {
			return nil, fmt.Errorf("%s is not a timestamp (RFC 3339 or YYYY-MM-DD hh:mm:ss)", quote(v))
		}
		return ts, nil
	}
	return v, nil
}
