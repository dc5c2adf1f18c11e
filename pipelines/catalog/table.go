package catalog

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
)

// Table is one loaded version of a table's metadata. It does not follow later commits: Load
// again to see them.
type Table struct {
	name string
	tbl  *table.Table
}

// Snapshot is one published version of a table.
type Snapshot struct {
	ID, ParentID int64 // ParentID is 0 for the first
	At           time.Time
	Operation    string            // append, overwrite, delete, replace
	Summary      map[string]string // the Iceberg summary, with the properties the writer passed
	Rows         int64             // total-records
	Current      bool
}

// Column is one top-level column of a table's current schema.
type Column struct {
	Name     string
	Type     string // the Iceberg type: long, string, timestamptz, decimal(10, 2), ...
	Required bool
}

// Name is the table's "ns.table".
func (t *Table) Name() string { return t.name }

// Current is the current snapshot, nil when the table has none.
func (t *Table) Current() *Snapshot {
	s := t.tbl.CurrentSnapshot()
	if s == nil {
		return nil
	}
	out := toSnapshot(*s, s.SnapshotID)
	return &out
}

// Snapshots lists every snapshot, oldest first, with Current set on the current one.
func (t *Table) Snapshots() []Snapshot {
	cur := int64(0)
	if s := t.tbl.CurrentSnapshot(); s != nil {
		cur = s.SnapshotID
	}
	var out []Snapshot
	for _, s := range t.tbl.Metadata().Snapshots() {
		out = append(out, toSnapshot(s, cur))
	}
	slices.SortStableFunc(out, func(a, b Snapshot) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Snapshot finds a snapshot by its ID.
func (t *Table) Snapshot(id int64) (*Snapshot, error) {
	s := t.tbl.SnapshotByID(id)
	if s == nil {
		return nil, fmt.Errorf("table %s has no snapshot %d", t.name, id)
	}
	cur := int64(0)
	if c := t.tbl.CurrentSnapshot(); c != nil {
		cur = c.SnapshotID
	}
	out := toSnapshot(*s, cur)
	return &out, nil
}

// Columns lists the top-level columns of the current schema.
func (t *Table) Columns() []Column {
	var out []Column
	for _, f := range t.tbl.Schema().Fields() {
		out = append(out, Column{Name: f.Name, Type: f.Type.String(), Required: f.Required})
	}
	return out
}

// Files returns the Parquet data files of a snapshot (0 = current) as local paths that DuckDB's
// read_parquet can open: the warehouse's own files when it is local, copies downloaded into dir
// when it is on S3. A table with no snapshot, or an empty snapshot, gives none. dora writes
// copy-on-write, so a snapshot with delete files is refused.
func (t *Table) Files(ctx context.Context, snapshotID int64, dir string) ([]string, error) {
	if snapshotID == 0 {
		cur := t.tbl.CurrentSnapshot()
		if cur == nil {
			return nil, nil
		}
		snapshotID = cur.SnapshotID
	} else if t.tbl.SnapshotByID(snapshotID) == nil {
		return nil, fmt.Errorf("table %s has no snapshot %d", t.name, snapshotID)
	}
	tasks, err := t.tbl.Scan(table.WithSnapshotID(snapshotID)).PlanFiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the files of %s at snapshot %d: %w", t.name, snapshotID, err)
	}
	var remote []string
	var out []string
	for _, task := range tasks {
		if n := len(task.DeleteFiles) + len(task.EqualityDeleteFiles) + len(task.DeletionVectorFiles); n > 0 {
			return nil, fmt.Errorf("table %s at snapshot %d has %d delete file(s) (written by another engine with merge-on-read); dora reads only copy-on-write tables: compact it first (for example Spark's rewrite_data_files)", t.name, snapshotID, n)
		}
		p := task.File.FilePath()
		if local, ok := localPath(p); ok {
			out = append(out, local)
		} else {
			remote = append(remote, p)
		}
	}
	if len(remote) == 0 {
		return out, nil
	}
	fs, err := t.tbl.FS(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening the warehouse of %s: %w", t.name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for i, p := range remote {
		dst := filepath.Join(dir, fmt.Sprintf("%d-%05d-%s", snapshotID, i, filepath.Base(p)))
		if err := download(fs, p, dst); err != nil {
			return nil, fmt.Errorf("downloading %s of %s: %w", p, t.name, err)
		}
		out = append(out, dst)
	}
	return out, nil
}

// localPath turns a file:// URL or a plain path into a path; false for object stores.
func localPath(p string) (string, bool) {
	if rest, ok := strings.CutPrefix(p, "file://"); ok {
		return rest, true
	}
	if strings.Contains(p, "://") {
		return "", false
	}
	return p, true
}

func download(fs icebergio.IO, src, dst string) error {
	in, err := fs.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".part"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

func toSnapshot(s table.Snapshot, current int64) Snapshot {
	out := Snapshot{
		ID:      s.SnapshotID,
		At:      time.UnixMilli(s.TimestampMs).UTC(),
		Current: s.SnapshotID == current,
		Summary: map[string]string{},
	}
	if s.ParentSnapshotID != nil {
		out.ParentID = *s.ParentSnapshotID
	}
	if s.Summary != nil {
		out.Operation = string(s.Summary.Operation)
		maps.Copy(out.Summary, s.Summary.Properties)
		out.Summary["operation"] = out.Operation
	}
	out.Rows, _ = strconv.ParseInt(out.Summary["total-records"], 10, 64)
	return out
}
