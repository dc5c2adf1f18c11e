package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/decode"
	"github.com/dora-dev/dora/pipelines/objstore"
)

// icebergScheme starts a source that names an Iceberg table: iceberg:NAMESPACE.TABLE[@SNAPSHOT].
const icebergScheme = "iceberg:"

// IsIceberg reports whether a load source names an Iceberg table rather than files.
func IsIceberg(source string) bool { return strings.HasPrefix(source, icebergScheme) }

// IcebergRef is a parsed iceberg:NAMESPACE.TABLE[@SNAPSHOT] source.
type IcebergRef struct {
	Table    string // namespace.table
	Snapshot int64  // 0: the current snapshot
}

// String is the source as a load names it: iceberg:ns.table, with @SNAPSHOT when pinned.
func (r IcebergRef) String() string {
	if r.Snapshot == 0 {
		return icebergScheme + r.Table
	}
	return icebergScheme + r.Table + "@" + strconv.FormatInt(r.Snapshot, 10)
}

// ParseIceberg reads iceberg:NAMESPACE.TABLE[@SNAPSHOT].
func ParseIceberg(source string) (IcebergRef, error) {
	bad := func(why string) (IcebergRef, error) {
		return IcebergRef{}, fmt.Errorf("source %q: %s; want iceberg:NAMESPACE.TABLE or iceberg:NAMESPACE.TABLE@SNAPSHOT (dora etl versions TABLE lists the snapshot ids)", source, why)
	}
	rest, ok := strings.CutPrefix(source, icebergScheme)
	if !ok {
		return bad("not an Iceberg source")
	}
	name, snap, pinned := strings.Cut(rest, "@")
	parts := strings.Split(name, ".")
	if len(parts) < 2 || slices.Contains(parts, "") {
		return bad(fmt.Sprintf("%q is not NAMESPACE.TABLE", name))
	}
	ref := IcebergRef{Table: name}
	if pinned {
		id, err := strconv.ParseInt(snap, 10, 64)
		if err != nil || id <= 0 {
			return bad(fmt.Sprintf("snapshot %q is not a snapshot id (a positive number)", snap))
		}
		ref.Snapshot = id
	}
	return ref, nil
}

// RunIceberg loads a snapshot of an Iceberg table of cat, opts.Source being
// iceberg:NAMESPACE.TABLE[@SNAPSHOT] (the current snapshot when none is given), through the same
// path as files: a new version, the alias swap, ids, dead letters and the reconciliation. The
// snapshot's Parquet data files are read where the warehouse keeps them when it is local, and
// from copies in a temporary folder, removed afterwards, when it is on S3. The summary's Source
// names the snapshot loaded.
func RunIceberg(ctx context.Context, b backends.Backend, cat *catalog.Catalog, opts Options) (Summary, error) {
	ref, err := ParseIceberg(opts.Source)
	if err != nil {
		return Summary{}, err
	}
	dir, err := os.MkdirTemp("", "dora-iceberg-")
	if err != nil {
		return Summary{}, err
	}
	defer os.RemoveAll(dir)
	ref, files, err := IcebergFiles(ctx, cat, ref, dir)
	if err != nil {
		return Summary{}, err
	}
	opts.Source = ref.String()
	if opts.Format == "" || opts.Format == decode.FormatAuto {
		opts.Format = decode.FormatParquet
	}
	if opts.Format != decode.FormatParquet {
		return Summary{}, fmt.Errorf("%s holds Parquet files: --format %s does not apply", opts.Source, opts.Format)
	}
	return run(ctx, b, opts, func(context.Context) (objstore.Store, []objstore.Object, error) {
		return snapshotObjects(ref, files)
	})
}

// IcebergFiles resolves ref in cat to its snapshot (the current one when ref names none, and
// then ref comes back pinned to it) and the local paths of its Parquet data files, downloading
// them into dir when the warehouse is on S3. An unknown table, an unknown snapshot (the error
// lists the known ones) and a table without any snapshot are errors in words.
func IcebergFiles(ctx context.Context, cat *catalog.Catalog, ref IcebergRef, dir string) (IcebergRef, []string, error) {
	ref, t, err := pin(ctx, cat, ref)
	if err != nil {
		return ref, nil, err
	}
	files, err := t.Files(ctx, ref.Snapshot, dir)
	if err != nil {
		return ref, nil, err
	}
	if len(files) == 0 {
		return ref, nil, fmt.Errorf("%s has no rows: nothing to load", ref)
	}
	return ref, files, nil
}

// PinIceberg checks that ref names a snapshot of a table of cat, and names the current one when
// ref names none, so that every step of a load job reads the same version.
func PinIceberg(ctx context.Context, cat *catalog.Catalog, ref IcebergRef) (IcebergRef, error) {
	ref, _, err := pin(ctx, cat, ref)
	return ref, err
}

func pin(ctx context.Context, cat *catalog.Catalog, ref IcebergRef) (IcebergRef, *catalog.Table, error) {
	t, err := cat.Load(ctx, ref.Table)
	if errors.Is(err, catalog.ErrNoSuchTable) {
		return ref, nil, fmt.Errorf("%w: no Iceberg table %s in the %s (dora etl tables lists them)", backends.ErrNoSuchTable, ref.Table, cat.Config())
	}
	if err != nil {
		return ref, nil, err
	}
	if ref.Snapshot == 0 {
		cur := t.Current()
		if cur == nil {
			return ref, nil, fmt.Errorf("%w: the Iceberg table %s has no version yet: nothing to load (dora etl run publishes one)", backends.ErrNoSuchTable, ref.Table)
		}
		ref.Snapshot = cur.ID
	} else if _, err := t.Snapshot(ref.Snapshot); err != nil {
		var known []string
		for _, s := range t.Snapshots() {
			k := fmt.Sprintf("%d (%s, %d rows", s.ID, s.At.Format("2006-01-02 15:04:05Z"), s.Rows)
			if s.Current {
				k += ", current"
			}
			known = append(known, k+")")
		}
		return ref, nil, fmt.Errorf("%w: the Iceberg table %s has no snapshot %d; its snapshots are %s", backends.ErrNoSuchTable, ref.Table, ref.Snapshot, strings.Join(known, ", "))
	}
	return ref, t, nil
}

// snapshotObjects names a snapshot's local files as objects of one store. A file's key is the
// snapshot and the file's name (iceberg:ns.t@SNAP/NAME.parquet), not the folder it was read
// from, so row ids, the checkpoint and dead letters stay the same whether the files were read in
// place or downloaded again; Iceberg data files never change, so the name and size are its ETag.
func snapshotObjects(ref IcebergRef, files []string) (objstore.Store, []objstore.Object, error) {
	s := snapshotStore{}
	var objs []objstore.Object
	for _, f := range files {
		info, err := os.Stat(f)
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", ref, err)
		}
		key := ref.String() + "/" + filepath.Base(f)
		s[key] = f
		objs = append(objs, objstore.Object{Key: key, Size: info.Size(), ETag: filepath.Base(f) + "-" + strconv.FormatInt(info.Size(), 36)})
	}
	// Sorted as stores list, so shards of the same snapshot split it the same way.
	slices.SortFunc(objs, func(a, b objstore.Object) int { return strings.Compare(a.Key, b.Key) })
	return s, objs, nil
}

// snapshotStore reads a snapshot's files by key from their local paths.
type snapshotStore map[string]string

func (s snapshotStore) path(key string) (string, error) {
	p, ok := s[key]
	if !ok {
		return "", fmt.Errorf("%w: %s is not a file of the snapshot", objstore.ErrNotFound, key)
	}
	return p, nil
}

// List implements objstore.Store; the snapshot's files are all there is.
func (s snapshotStore) List(context.Context, string) ([]objstore.Object, error) {
	return nil, errors.New("a snapshot's files are listed by the catalog, not the store")
}

// Open implements objstore.Store.
func (s snapshotStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	return objstore.Local{}.Open(ctx, p)
}

// ReaderAt implements objstore.Store.
func (s snapshotStore) ReaderAt(ctx context.Context, key string, size int64) (io.ReaderAt, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	return objstore.Local{}.ReaderAt(ctx, p, size)
}

// Put implements objstore.Store: a snapshot is read, never written.
func (s snapshotStore) Put(context.Context, string, io.Reader) error {
	return errors.New("a snapshot's files are read-only")
}

var _ objstore.Store = snapshotStore{}
