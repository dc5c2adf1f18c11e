package dashscreen

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dora-dev/dora/assets/dashboards"
	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/dash"
)

// The screen's tests run on a real demo warehouse, built as on day, so its answers are the same
// whatever the day the tests run; now is the moment the dashboards are drawn at.
var (
	warehouse string
	day       = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now       = day.Add(9*time.Hour + 30*time.Minute)
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dora-dash")
	if err != nil {
		panic(err)
	}
	warehouse = filepath.Join(dir, "demo.duckdb")
	if err := duckdb.BuildDemoAt(context.Background(), warehouse, 20000, day); err != nil {
		fmt.Fprintf(os.Stderr, "building the test warehouse: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// opener opens a DuckDB file, as `dora dash --backend duckdb:PATH` does.
func opener(path string) dash.Opener {
	return func(ctx context.Context) (backends.Backend, error) { return backends.Open(ctx, "duckdb:"+path) }
}

func demoDashboard(t testing.TB) *dash.Dashboard {
	t.Helper()
	d, err := dash.Parse(dashboards.DemoName, dashboards.Demo, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
