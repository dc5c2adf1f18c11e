package catalog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"github.com/dora-dev/dora/pipelines/objstore"
)

// adoptable says whether the Parquet files can become the table's data files as they are: no
// field IDs of their own (DuckDB writes none, which arrow-go reads as -1) (the table's name mapping gives them the table's), and every column
// of the table's exact Iceberg type, nullable unless the table's column is required. Anything
// else (an int the table holds as long, a timestamp without zone in a timestamptz column, a
// nanosecond timestamp) is rewritten, which converts it.
func adoptable(files []string, schema *iceberg.Schema) bool {
	for _, f := range files {
		sc, err := readSchema(f)
		if err != nil {
			return false
		}
		for _, fld := range sc.Fields() {
			if id, ok := fld.Metadata.GetValue("PARQUET:field_id"); ok && id != "-1" {
				return false // IDs of the writer's own, which need not be the table's
			}
			col, ok := schema.FindFieldByName(fld.Name)
			if !ok || !primitive(fld.Type) {
				return false
			}
			typ, err := table.ArrowTypeToIceberg(fld.Type, false)
			if err != nil || !col.Type.Equals(typ) || col.Required && fld.Nullable {
				return false
			}
		}
	}
	return true
}

// primitive leaves out nested columns, whose element IDs a name mapping would have to reach.
func primitive(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST, arrow.STRUCT, arrow.MAP, arrow.DENSE_UNION, arrow.SPARSE_UNION:
		return false
	}
	return true
}

// adopt stages in txn a snapshot whose data files are the given files, replacing every data
// file of the current snapshot. The files are first put into the table's data folder: moved
// when the warehouse is local, uploaded when it is on S3. On an error nothing is left in the
// warehouse and the files are where they were.
func adopt(ctx context.Context, txn *table.Transaction, staged *table.Table, files []string, props iceberg.Properties) (err error) {
	// Readers resolve the files' columns by name: the mapping must know the columns of the
	// schema this snapshot is written with (a mapping set before a column was added would not).
	mapping, err := json.Marshal(staged.Schema().NameMapping())
	if err != nil {
		return err
	}
	if staged.Properties()[table.DefaultNameMappingKey] != string(mapping) {
		if err := txn.SetProperties(iceberg.Properties{table.DefaultNameMappingKey: string(mapping)}); err != nil {
			return err
		}
	}
	var current []string
	if staged.CurrentSnapshot() != nil {
		tasks, err := staged.Scan().PlanFiles(ctx)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, t := range tasks {
			if p := t.File.FilePath(); !seen[p] {
				seen[p] = true
				current = append(current, p)
			}
		}
	}
	loc, err := staged.LocationProvider()
	if err != nil {
		return err
	}
	var placed []string
	defer func() {
		if err != nil {
			unplace(ctx, staged, files, placed)
		}
	}()
	for _, f := range files {
		dst := loc.NewDataLocation(fmt.Sprintf("00000-0-%s-dora.parquet", randomID()))
		if err := announce(dst); err != nil {
			return err
		}
		if err := place(ctx, f, dst); err != nil {
			return err
		}
		placed = append(placed, dst)
	}
	return txn.ReplaceDataFiles(ctx, current, placed, props)
}

// place puts a local file at dst in the warehouse: a rename (a copy across file systems) for a
// local warehouse, an upload for S3.
func place(ctx context.Context, src, dst string) error {
	if local, ok := localPath(dst); ok {
		if err := os.MkdirAll(dirOf(local), 0o755); err != nil {
			return err
		}
		if err := os.Rename(src, local); err == nil {
			return nil
		}
		return copyTo(ctx, objstore.Local{}, src, local)
	}
	if !strings.HasPrefix(dst, "s3://") {
		return fmt.Errorf("cannot put a data file at %s", dst)
	}
	s3, err := objstore.NewS3(ctx)
	if err != nil {
		return err
	}
	return copyTo(ctx, s3, src, dst)
}

func copyTo(ctx context.Context, st objstore.Store, src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return st.Put(ctx, dst, in)
}

// unplace undoes place: local files move back to where they were, uploads are removed.
func unplace(ctx context.Context, staged *table.Table, files, placed []string) {
	fs, _ := staged.FS(ctx)
	for i, dst := range placed {
		if local, ok := localPath(dst); ok {
			if _, err := os.Stat(files[i]); errors.Is(err, os.ErrNotExist) {
				if os.Rename(local, files[i]) == nil {
					continue
				}
			}
			os.Remove(local)
			continue
		}
		if fs != nil {
			_ = fs.Remove(dst)
		}
	}
}

func dirOf(p string) string {
	if i := strings.LastIndex(p, "/"); i > 0 {
		return p[:i]
	}
	return "."
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
