package decode

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dora-dev/dora/query"
)

// maxLineBytes bounds one NDJSON line; a longer line is a bad row, skipped without holding it.
const maxLineBytes = 16 << 20

// UnmappedReporter is implemented by decoders whose rows can carry fields their schema lacks
// (NDJSON fields first seen after the sample). Those fields are left out of the rows; ask with
// a type assertion, d.(decode.UnmappedReporter), best after Next has returned io.EOF.
type UnmappedReporter interface {
	// Unmapped returns each field left out so far and how many rows carried it.
	Unmapped() map[string]int64
}

// ndjsonDecoder reads one JSON object per line. Nested objects become dotted column names
// (user.name); arrays are kept as their JSON text. Column types come from the first SampleRows
// rows: booleans, integers, floats, strings that are all dates or timestamps, else strings.
type ndjsonDecoder struct {
	key      string
	src      *stream
	line     int64 // the number of the last line read
	buf      []byte
	cols     map[string]int
	types    []query.Type
	schema   query.Schema
	sample   sampled
	unmapped map[string]int64
	err      error // the error that ended the stream
}

var _ UnmappedReporter = (*ndjsonDecoder)(nil)

func newNDJSON(src *stream, key string) (*ndjsonDecoder, error) {
	d := &ndjsonDecoder{key: key, src: src, cols: map[string]int{}, unmapped: map[string]int64{}}
	type rawLine struct {
		obj  map[string]any
		line int64
		err  error
	}
	var raws []rawLine
	var names []string
	guesses := map[string]*jsonGuess{}
	for len(raws) < SampleRows {
		obj, err := d.read()
		var rowErr *RowError
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.As(err, &rowErr) {
			raws = append(raws, rawLine{err: err})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", key, err)
		}
		raws = append(raws, rawLine{obj: obj, line: d.line})
		// Columns in the order the keys first appear in the text, not map order.
		for _, name := range keyOrder(d.buf) {
			if guesses[name] == nil {
				guesses[name] = &jsonGuess{}
				names = append(names, name)
			}
		}
		flatten(obj, "", func(name string, v any) {
			if g := guesses[name]; g != nil {
				g.add(v)
			}
		})
	}

	base := query.Schema{Fields: make([]query.Field, len(names))}
	d.types = make([]query.Type, len(names))
	for i, name := range names {
		d.cols[name] = i
		d.types[i] = guesses[name].result()
		base.Fields[i] = query.Field{Name: name, Type: d.types[i]}
	}
	d.schema = base
	for _, raw := range raws {
		if raw.err != nil {
			d.sample.add(nil, raw.err)
			continue
		}
		d.sample.add(d.convert(raw.obj, raw.line))
	}
	d.schema = InferSchema(d.sample.good(), base)
	return d, nil
}

// Schema implements Decoder.
func (d *ndjsonDecoder) Schema() query.Schema { return d.schema }

// Next implements Decoder.
func (d *ndjsonDecoder) Next() ([]any, error) {
	if r, ok := d.sample.pop(); ok {
		return r.row, r.err
	}
	if d.err != nil {
		return nil, d.err
	}
	obj, err := d.read()
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
	return d.convert(obj, d.line)
}

// Close implements Decoder.
func (d *ndjsonDecoder) Close() error { return d.src.Close() }

// Unmapped implements UnmappedReporter.
func (d *ndjsonDecoder) Unmapped() map[string]int64 { return d.unmapped }

// read returns the object on the next non-blank line; a line that is not one is a *RowError.
func (d *ndjsonDecoder) read() (map[string]any, error) {
	for {
		line, err := d.readLine()
		if err != nil {
			return nil, err
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if d.line == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		obj, err := parseObject(line)
		if err != nil {
			return nil, &RowError{Row: d.line, Value: string(line), Err: err}
		}
		return obj, nil
	}
}

// readLine returns the next line in d.buf, valid until the next call.
func (d *ndjsonDecoder) readLine() ([]byte, error) {
	d.buf = d.buf[:0]
	tooLong := false
	for {
		chunk, err := d.src.ReadSlice('\n')
		if !tooLong && len(d.buf)+len(chunk) > maxLineBytes {
			tooLong = true
			d.buf = d.buf[:0]
		}
		if !tooLong {
			d.buf = append(d.buf, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if len(d.buf) == 0 && !tooLong {
				return nil, io.EOF
			}
			break
		}
		if err != nil {
			return nil, err
		}
		break
	}
	d.line++
	if tooLong {
		return nil, &RowError{Row: d.line, Err: fmt.Errorf("line is longer than %d MiB", maxLineBytes>>20)}
	}
	return d.buf, nil
}

func parseObject(line []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON: more than one value on the line")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("the line is not a JSON object")
	}
	return obj, nil
}

// flatten calls emit with each leaf of obj under its dotted name.
func flatten(obj map[string]any, prefix string, emit func(name string, v any)) {
	for k, v := range obj {
		if m, ok := v.(map[string]any); ok {
			flatten(m, prefix+k+".", emit)
			continue
		}
		emit(prefix+k, v)
	}
}

// keyOrder returns the dotted names of a valid JSON object's leaves in text order.
func keyOrder(line []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimSpace(bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")))))
	var names []string
	var walk func(prefix string) error
	walk = func(prefix string) error {
		for dec.More() {
			tk, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := tk.(string)
			tk, err = dec.Token()
			if err != nil {
				return err
			}
			switch tk {
			case json.Delim('{'):
				if err := walk(prefix + key + "."); err != nil {
					return err
				}
				if _, err := dec.Token(); err != nil { // '}'
					return err
				}
				continue
			case json.Delim('['):
				for depth := 1; depth > 0; {
					tk, err := dec.Token()
					if err != nil {
						return err
					}
					switch tk {
					case json.Delim('['), json.Delim('{'):
						depth++
					case json.Delim(']'), json.Delim('}'):
						depth--
					}
				}
			}
			names = append(names, prefix+key)
		}
		return nil
	}
	if tk, err := dec.Token(); err == nil && tk == json.Delim('{') {
		walk("")
	}
	return names
}

// convert places an object's leaves in the schema's columns, as the columns' types.
func (d *ndjsonDecoder) convert(obj map[string]any, line int64) ([]any, error) {
	row := make([]any, len(d.types))
	var err error
	flatten(obj, "", func(name string, v any) {
		i, ok := d.cols[name]
		if !ok {
			d.unmapped[name]++
			return
		}
		if err != nil {
			return
		}
		x, cerr := jsonValue(v, d.types[i])
		if cerr != nil {
			err = &RowError{Row: line, Column: name, Value: jsonText(v), Err: cerr}
			return
		}
		row[i] = x
	})
	if err != nil {
		return nil, err
	}
	return row, nil
}

// jsonValue converts a decoded JSON value to a column type.
func jsonValue(v any, t query.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	if s, ok := v.(string); ok && t != query.TypeString && t != query.TypeText {
		// Quoted numbers and timestamps are read as the column's type.
		return parseText(s, t)
	}
	switch t {
	case query.TypeString, query.TypeText:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return jsonText(v), nil
	case query.TypeBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, fmt.Errorf("%s is not true or false", quote(jsonText(v)))
	case query.TypeInt:
		if n, ok := v.(json.Number); ok {
			i, err := strconv.ParseInt(n.String(), 10, 64)
			if err == nil {
				return i, nil
			}
		}
		return nil, fmt.Errorf("%s is not an integer", quote(jsonText(v)))
	case query.TypeFloat:
		if n, ok := v.(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				return f, nil
			}
		}
		return nil, fmt.Errorf("%s is not a number", quote(jsonText(v)))
	}
	return nil, fmt.Errorf("%s is not a %s", quote(jsonText(v)), t)
}

// jsonText is a JSON value as text: strings as they are, anything else as compact JSON.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// jsonGuess narrows a JSON column's type as values are seen.
type jsonGuess struct {
	kinds                      uint8
	strNotDate, strNotTemporal bool
}

const (
	kindBool uint8 = 1 << iota
	kindInt
	kindFloat
	kindString
	kindOther
)

func (g *jsonGuess) add(v any) {
	switch x := v.(type) {
	case nil:
	case bool:
		g.kinds |= kindBool
	case json.Number:
		if !strings.ContainsAny(x.String(), ".eE") && isInt64(x.String()) {
			g.kinds |= kindInt
		} else {
			g.kinds |= kindFloat
		}
	case string:
		g.kinds |= kindString
		s := strings.TrimSpace(x)
		if _, err := parseDate(s); err != nil {
			g.strNotDate = true
			if _, err := parseTimestamp(s); err != nil {
				g.strNotTemporal = true
			}
		}
	default:
		g.kinds |= kindOther
	}
}

func isInt64(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

func (g *jsonGuess) result() query.Type {
	switch {
	case g.kinds == kindBool:
		return query.TypeBool
	case g.kinds == kindInt:
		return query.TypeInt
	case g.kinds != 0 && g.kinds&^(kindInt|kindFloat) == 0:
		return query.TypeFloat
	case g.kinds == kindString && !g.strNotDate:
		return query.TypeDate
	case g.kinds == kindString && !g.strNotTemporal:
		return query.TypeTime
	}
	return query.TypeString
}
