package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Local is the local file system. Keys are absolute paths.
type Local struct{}

var _ Store = Local{}

// abs turns a path or file:// URL into a clean absolute path.
func (Local) abs(key string) (string, error) {
	p := strings.TrimPrefix(key, "file://")
	a, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", key, err)
	}
	return a, nil
}

// List implements Store.
func (l Local) List(ctx context.Context, prefix string) ([]Object, error) {
	root, err := l.abs(prefix)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(root)
	if err != nil {
		return nil, localError("listing", root, err)
	}
	if !info.IsDir() {
		return []Object{localObject(root, info)}, nil
	}
	var out []Object
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if path == root {
			return nil
		}
		if hidden(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		// Follow symlinks to files, as a user who linked a file in expects; skip sockets and such.
		if d.IsDir() || !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			out = append(out, localObject(path, info))
		}
		return nil
	})
	if err != nil {
		return nil, localError("listing", root, err)
	}
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

func localObject(path string, info fs.FileInfo) Object {
	return Object{
		Key:  path,
		Size: info.Size(),
		ETag: strconv.FormatInt(info.ModTime().UnixNano(), 36) + "-" + strconv.FormatInt(info.Size(), 36),
	}
}

// Open implements Store.
func (l Local) Open(_ context.Context, key string) (io.ReadCloser, error) {
	p, err := l.abs(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, localError("opening", p, err)
	}
	return f, nil
}

// ReaderAt implements Store; the result is an *os.File the caller closes.
func (l Local) ReaderAt(ctx context.Context, key string, _ int64) (io.ReaderAt, error) {
	rc, err := l.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	return rc.(*os.File), nil
}

// Put implements Store: it writes a temporary file beside the target and renames it over the
// target, so readers see the old or the new content, never a part.
func (l Local) Put(_ context.Context, key string, r io.Reader) (err error) {
	p, err := l.abs(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return localError("writing", p, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(p)+".tmp-*")
	if err != nil {
		return localError("writing", p, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, r); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return localError("writing", p, err)
	}
	if err := tmp.Close(); err != nil {
		return localError("writing", p, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return localError("writing", p, err)
	}
	return nil
}

// localError words a file system error for users and maps it onto the package's sentinels.
func localError(verb, path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &storeError{kind: ErrNotFound, msg: fmt.Sprintf("%s %s: no such file or folder", verb, path), cause: err}
	case errors.Is(err, fs.ErrPermission):
		return &storeError{kind: ErrAccessDenied, msg: fmt.Sprintf("%s %s: permission denied", verb, path), cause: err}
	}
	return fmt.Errorf("%s %s: %w", verb, path, err)
}
