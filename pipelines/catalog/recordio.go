package catalog

import (
	"context"
	"io/fs"
	"net/url"

	icebergio "github.com/apache/iceberg-go/io"
)

func init() {
	// Every iceberg-go IO for a local or S3 location records the files it creates in the open
	// intents whose table holds them. Init order has the factories registered by now (this
	// package imports io/gocloud/s3).
	for _, scheme := range []string{"", "file", "s3", "s3a", "s3n"} {
		factory, ok := icebergio.Lookup(scheme)
		if !ok {
			continue
		}
		icebergio.Unregister(scheme)
		icebergio.Register(scheme, func(ctx context.Context, u *url.URL, props map[string]string) (icebergio.IO, error) {
			inner, err := factory(ctx, u, props)
			if err != nil {
				return nil, err
			}
			return recording(inner), nil
		})
	}
}

// recording wraps an iceberg-go IO so the files it creates are announced first. IOs without the
// interfaces iceberg-go's writers use are left as they are.
func recording(inner icebergio.IO) icebergio.IO {
	switch inner.(type) {
	case recordingIO, recordingBulkIO:
		return inner
	}
	if _, ok := inner.(icebergio.WriteFileIO); !ok {
		return inner
	}
	if _, ok := inner.(icebergio.ReadFileIO); !ok {
		return inner
	}
	if _, ok := inner.(icebergio.StatIO); !ok {
		return inner
	}
	if _, ok := inner.(icebergio.ListableIO); !ok {
		return inner
	}
	r := recordingIO{inner}
	if _, ok := inner.(icebergio.BulkRemovableIO); ok {
		return recordingBulkIO{r}
	}
	return r
}

// recordingIO announces each file before creating it and otherwise is the IO it wraps.
type recordingIO struct{ icebergio.IO }

var (
	_ icebergio.WriteFileIO     = recordingIO{}
	_ icebergio.ReadFileIO      = recordingIO{}
	_ icebergio.StatIO          = recordingIO{}
	_ icebergio.ListableIO      = recordingIO{}
	_ icebergio.BulkRemovableIO = recordingBulkIO{}
)

// Create implements icebergio.WriteFileIO.
func (r recordingIO) Create(name string) (icebergio.FileWriter, error) {
	if err := announce(name); err != nil {
		return nil, err
	}
	return r.IO.(icebergio.WriteFileIO).Create(name)
}

// WriteFile implements icebergio.WriteFileIO.
func (r recordingIO) WriteFile(name string, p []byte) error {
	if err := announce(name); err != nil {
		return err
	}
	return r.IO.(icebergio.WriteFileIO).WriteFile(name, p)
}

// ReadFile implements icebergio.ReadFileIO.
func (r recordingIO) ReadFile(name string) ([]byte, error) {
	return r.IO.(icebergio.ReadFileIO).ReadFile(name)
}

// Stat implements icebergio.StatIO.
func (r recordingIO) Stat(name string) (fs.FileInfo, error) {
	return r.IO.(icebergio.StatIO).Stat(name)
}

// WalkDir implements icebergio.ListableIO.
func (r recordingIO) WalkDir(root string, fn fs.WalkDirFunc) error {
	return r.IO.(icebergio.ListableIO).WalkDir(root, fn)
}

// recordingBulkIO is a recordingIO over an IO that deletes in batches.
type recordingBulkIO struct{ recordingIO }

// DeleteFiles implements icebergio.BulkRemovableIO.
func (r recordingBulkIO) DeleteFiles(ctx context.Context, paths []string) ([]string, error) {
	return r.IO.(icebergio.BulkRemovableIO).DeleteFiles(ctx, paths)
}
