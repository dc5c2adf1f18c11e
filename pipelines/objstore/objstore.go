// Package objstore reads and writes the objects a load or an ETL run works on, in S3
// (s3://bucket/prefix) or on the local disk, behind one small interface.
package objstore

import (
	"context"
	"errors"
	"io"
	"strings"
)

// Object is one stored file.
type Object struct {
	Key  string // the full name: s3://bucket/path/x.parquet or /abs/path/x.parquet
	Size int64
	// ETag changes when the content changes: the S3 ETag (unquoted), or for local files a
	// token built from the modification time and size.
	ETag string
}

// Store lists, reads and writes objects. Keys and prefixes are full names in the store's own
// form (s3://bucket/... or absolute paths), as Open and List return them.
type Store interface {
	// List returns the objects under prefix, recursively, sorted by key. A prefix names a
	// single object or a folder: s3://b/events lists s3://b/events itself or everything under
	// s3://b/events/, never s3://b/events_old/. Objects whose name, or a folder's name below
	// the prefix, starts with "_" or "." (_SUCCESS, _temporary/, .crc files) are skipped.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Open streams an object's content.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// ReaderAt reads ranges of an object of the given size, as Parquet footers need. If the
	// result also implements io.Closer the caller must close it.
	ReaderAt(ctx context.Context, key string, size int64) (io.ReaderAt, error)
	// Put writes an object from r, replacing any object of that name. Readers never see a
	// partly written object.
	Put(ctx context.Context, key string, r io.Reader) error
}

// Errors that the stores map their failures onto; test them with errors.Is.
var (
	ErrNotFound       = errors.New("not found")                    // no such bucket, object or path
	ErrCredentials    = errors.New("credentials rejected")         // missing or wrong keys
	ErrAccessDenied   = errors.New("access denied")                // valid keys without permission
	ErrInvalidAddress = errors.New("invalid object store address") // a URL Open cannot parse
)

// Open returns the store for a URL and the prefix within it that the URL names: an
// s3://bucket/prefix URL, a file:// URL, or a local file or folder path.
func Open(ctx context.Context, url string) (Store, string, error) {
	switch {
	case strings.HasPrefix(url, "s3://"):
		s, err := NewS3(ctx)
		if err != nil {
			return nil, "", err
		}
		if _, _, err := splitS3(url); err != nil {
			return nil, "", err
		}
		return s, url, nil
	case strings.Contains(url, "://") && !strings.HasPrefix(url, "file://"):
		return nil, "", &storeError{kind: ErrInvalidAddress,
			msg: "unsupported object store address " + url + " (use s3://bucket/prefix or a local path)"}
	default:
		l := Local{}
		p, err := l.abs(url)
		if err != nil {
			return nil, "", err
		}
		return l, p, nil
	}
}

// hidden reports whether a path relative to a listing's root has a component that starts with
// "_" or ".", the Hadoop convention for markers and temporary files.
func hidden(rel string) bool {
	for part := range strings.SplitSeq(rel, "/") {
		if strings.HasPrefix(part, "_") || strings.HasPrefix(part, ".") {
			return true
		}
	}
	return false
}

// storeError is an error with a message meant for users, matching one of the package's sentinel
// errors and keeping the driver's error for errors.As.
type storeError struct {
	kind  error
	msg   string
	cause error
}

func (e *storeError) Error() string   { return e.msg }
func (e *storeError) Unwrap() []error { return []error{e.kind, e.cause} }
