// Package decodetest writes the source files that tests of decoders and loads read: gzipped
// bytes and Parquet files of Go structs.
package decodetest

import (
	"bytes"
	"compress/gzip"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// Gzip returns b gzip-compressed.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Parquet returns a Parquet file of rows, whose columns come from T's parquet struct tags, with
// at most perGroup rows in a row group.
func Parquet[T any](t testing.TB, rows []T, perGroup int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, parquet.MaxRowsPerRowGroup(perGroup))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
