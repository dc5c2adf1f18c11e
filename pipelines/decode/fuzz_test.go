package decode

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
)

// csvSeeds and ndjsonSeeds are the shapes the tests decode: types to infer, quotes over lines, a
// BOM, nulls, flattening, bad lines among good ones.
var csvSeeds = []string{
	"\ufeffid,name,price,active,day,at,zip,note,empty,id\n1,Alice,9.5,true,2024-01-02,2024-01-02T03:04:05Z,02134,\"hello, world\",,a\n2,Bob,10,FALSE,2024-02-03,2024-02-03 10:00:00,10001,\"multi\nline\",,b\n",
	"a,b\n1,\"x\"\"y\"\n2,\"unclosed\n",
	"a\n1\n2\nthree\n",
	"h1,h2\n",
	"x,y\n1,2,3\n4\n",
}

var ndjsonSeeds = []string{
	`{"id":1,"user":{"name":"ann","age":30},"tags":["a","b"],"ts":"2024-01-02T03:04:05Z","score":1.5,"ok":true,"day":"2024-01-02"}
{"id":2,"user":{"name":"bob"},"ts":"2024-01-03T00:00:00.25+01:00","score":2,"ok":false,"extra":null}
not json

[1,2]
{"id":3} {"id":4}
`,
	`{"name":"\u001b]52;c;aGFja2Vk\u0007","n":1}` + "\n",
	`{"a":{"b":{"c":{"d":1}}},"a.b":2}` + "\n",
	`{"n":1e400,"m":-0,"s":"\ud800"}` + "\n",
}

// drain reads a decoder to its end, checking what must hold for any input: every row has one
// value per field, a bad row is a RowError that the decoder reads past, and it ends.
func drain(t *testing.T, d Decoder, limit int) {
	t.Helper()
	width := len(d.Schema().Fields)
	for n := 0; ; n++ {
		if n > limit {
			t.Fatalf("more than %d rows or errors: the decoder does not end", limit)
		}
		row, err := d.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		var re *RowError
		if errors.As(err, &re) {
			continue
		}
		if err != nil {
			return // a fatal error ends the object
		}
		if len(row) != width {
			t.Fatalf("row of %d values under %d fields", len(row), width)
		}
	}
}

// fuzzDecode opens data under key as format and drains it.
func fuzzDecode(t *testing.T, data []byte, key string, open func(*stream, string) (Decoder, error)) {
	s, err := decompress(context.Background(), io.NopCloser(bytes.NewReader(data)), key)
	if err != nil {
		return
	}
	d, err := open(s, key)
	if err != nil {
		s.Close()
		return
	}
	defer d.Close()
	drain(t, d, 1<<20) // gzip can hold many rows in few bytes; an endless decoder still trips it
}

func FuzzCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s), false)
	}
	f.Add([]byte("a\tb\n1\t2\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, tab bool) {
		comma := ','
		if tab {
			comma = '\t'
		}
		fuzzDecode(t, data, "fuzz.csv", func(s *stream, key string) (Decoder, error) { return newCSV(s, key, comma) })
	})
}

func FuzzNDJSON(f *testing.F) {
	for _, s := range ndjsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, data, "fuzz.ndjson", func(s *stream, key string) (Decoder, error) { return newNDJSON(s, key) })
	})
}
