package decode

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/pipelines/decode/decodetest"
	"github.com/dora-dev/dora/pipelines/objstore"
)

// BenchmarkParquetNextValues decodes the Parquet files of the folder in DORA_BENCH_PARQUET (or,
// without it, a generated file) through NextValues, as a load reads them.
func BenchmarkParquetNextValues(b *testing.B) {
	files := benchParquetFiles(b)
	var rows int64
	b.ResetTimer()
	for range b.N {
		rows = 0
		for _, obj := range files {
			d, err := NewDecoder(b.Context(), objstore.Local{}, obj, FormatParquet)
			if err != nil {
				b.Fatal(err)
			}
			vd := d.(ValueDecoder)
			var dst []backends.Value
			for {
				dst, err = vd.NextValues(dst)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					if re := (*RowError)(nil); !errors.As(err, &re) {
						b.Fatal(err)
					}
				}
				rows++
			}
			d.Close()
		}
	}
	b.ReportMetric(float64(rows), "rows/op")
}

func benchParquetFiles(b *testing.B) []objstore.Object {
	dir := os.Getenv("DORA_BENCH_PARQUET")
	if dir == "" {
		rows := make([]flatRow, 200_000)
		for i := range rows {
			rows[i] = flatRowAt(i)
		}
		dir = b.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "flat.parquet"), decodetest.Parquet(b, rows, 50_000), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil || len(paths) == 0 {
		b.Fatalf("no Parquet files in %s: %v", dir, err)
	}
	var files []objstore.Object
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, objstore.Object{Key: p, Size: st.Size()})
	}
	return files
}
