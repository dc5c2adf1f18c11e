package backends_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
)

// wrapper stands for another backend, as the workbench's session does.
type wrapper struct {
	backends.Backend
	inner backends.Backend
}

func (w wrapper) Unwrap() backends.Backend { return w.inner }

// TestAsLooksThroughWrappers: a capability is found on the backend itself or on the one a
// wrapper stands for, and not on a wrapper that holds none.
func TestAsLooksThroughWrappers(t *testing.T) {
	b, err := duckdb.OpenToWrite(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if n, ok := backends.As[backends.VersionNamer](b); !ok || n.VersionTable("t", "v1") != "t" {
		t.Errorf("DuckDB should name a version of t as t itself: %v", ok)
	}
	if _, ok := backends.As[backends.VersionNamer](wrapper{Backend: b, inner: b}); !ok {
		t.Error("not found through a wrapper")
	}
	if _, ok := backends.As[backends.VersionPruner](b); ok {
		t.Error("DuckDB keeps no versions to prune")
	}
	if _, ok := backends.As[backends.VersionNamer](wrapper{}); ok {
		t.Error("found on a wrapper holding nothing")
	}
}
