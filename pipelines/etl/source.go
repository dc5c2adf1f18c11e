package etl

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dora-dev/dora/pipelines/decode"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/query/sqlquote"
)

// readSource fills the table "batch" with the source's rows, each with the object it came from
// and its position there, and returns how many there are. Parquet is read by DuckDB itself (from
// a local copy when the object is in S3); CSV and NDJSON go through the loader's decoders, so a
// messy column is typed as the loader types it.
func (r *run) readSource(ctx context.Context) (int64, error) {
	store, prefix, err := objstore.Open(ctx, r.p.Source)
	if err != nil {
		return 0, fmt.Errorf("source %s: %w", r.p.Source, err)
	}
	objs, err := store.List(ctx, prefix)
	if err != nil {
		return 0, fmt.Errorf("source %s: %w", r.p.Source, err)
	}
	if len(objs) == 0 {
		return 0, fmt.Errorf("source %s: no files there", r.p.Source)
	}
	var parquets, others []objstore.Object
	for _, o := range objs {
		switch f := r.formatOf(o.Key); f {
		case "parquet":
			parquets = append(parquets, o)
		case "":
			return 0, fmt.Errorf("source %s: cannot tell the format of %s by its name (give format: parquet, csv, tsv or ndjson)", r.p.Source, o.Key)
		default:
			others = append(others, o)
		}
	}
	if len(parquets) > 0 && len(others) > 0 {
		return 0, fmt.Errorf("source %s holds both Parquet and %s files; point source: at one kind", r.p.Source, r.formatOf(others[0].Key))
	}
	if len(parquets) > 0 {
		err = r.readParquet(ctx, store, parquets)
	} else {
		err = r.readDecoded(ctx, store, others)
	}
	if err != nil {
		return 0, err
	}
	if err := r.normalizeTypes(ctx, "batch"); err != nil {
		return 0, err
	}
	// Rows a decoder could not read are rows in, too: they wait in the quarantine.
	return r.d.count(ctx, "SELECT (SELECT count(*) FROM batch) + (SELECT count(*) FROM quarantine)")
}

func (r *run) formatOf(key string) string {
	if r.p.Format != "" {
		return r.p.Format
	}
	return decode.FormatOf(key)
}

func (r *run) readParquet(ctx context.Context, store objstore.Store, objs []objstore.Object) error {
	var paths []string
	urls := map[string]string{} // a local copy's path -> the object's name
	for i, o := range objs {
		if _, local := store.(objstore.Local); local {
			paths = append(paths, o.Key)
			continue
		}
		path := filepath.Join(r.work, "source", fmt.Sprintf("%06d.parquet", i))
		if err := download(ctx, store, o.Key, path); err != nil {
			return err
		}
		paths = append(paths, path)
		urls[path] = o.Key
	}
	list := make([]string, len(paths))
	for i, p := range paths {
		list[i] = sqlquote.String(p)
	}
	source := "filename"
	if len(urls) > 0 {
		var b strings.Builder
		b.WriteString("CASE filename")
		for p, u := range urls {
			fmt.Fprintf(&b, " WHEN %s THEN %s", sqlquote.String(p), sqlquote.String(u))
		}
		b.WriteString(" END")
		source = b.String()
	}
	q := fmt.Sprintf(`CREATE OR REPLACE TABLE batch AS SELECT * EXCLUDE (filename, file_row_number), %s AS %s, file_row_number + 1 AS %s
		FROM read_parquet([%s], union_by_name = true, filename = true, file_row_number = true)`, source, srcCol, rowCol, strings.Join(list, ", "))
	if err := r.d.exec(ctx, q); err != nil {
		return fmt.Errorf("reading %s: %w", r.p.Source, err)
	}
	return nil
}

func download(ctx context.Context, store objstore.Store, key, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	rc, err := store.Open(ctx, key)
	if err != nil {
		return fmt.Errorf("reading %s: %w", key, err)
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return fmt.Errorf("reading %s: %w", key, err)
	}
	return f.Close()
}

// readDecoded reads CSV and NDJSON objects through the decoders into batch. A row a decoder
// cannot convert is quarantined with its reason, never dropped.
func (r *run) readDecoded(ctx context.Context, store objstore.Store, objs []objstore.Object) error {
	a := &appendTable{d: r.d, name: "batch"}
	defer a.close()
	for _, o := range objs {
		dec, err := decode.NewDecoder(ctx, store, o, r.formatOf(o.Key))
		if err != nil {
			return fmt.Errorf("reading %s: %w", o.Key, err)
		}
		bad, err := a.fill(ctx, dec, o.Key)
		dec.Close()
		if err != nil {
			return fmt.Errorf("reading %s: %w", o.Key, err)
		}
		for _, b := range bad {
			if err := r.quarantineRaw(ctx, o.Key, b.row, b.reason); err != nil {
				return err
			}
		}
	}
	return a.close()
}
