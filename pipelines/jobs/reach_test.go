package jobs

import (
	"strings"
	"testing"
)

// TestReach: a run in a container reaches only what is on the network; the local runner
// reaches everything. Each refusal names what cannot be reached and what to do.
func TestReach(t *testing.T) {
	ok := Reach{Who: "a pipeline", Runner: "docker", Image: "dora:dev", Catalog: "postgres://u@db/c", Warehouse: "s3://w/root",
		Source: "s3://b/src/", Backend: "http://es:9200"}
	if err := ok.Check(); err != nil {
		t.Fatalf("everything on the network: %v", err)
	}
	for _, c := range []struct {
		change func(*Reach)
		want   string
	}{
		{func(r *Reach) { r.Image = "" }, "a pipeline on the docker runner needs an image"},
		{func(r *Reach) { r.Catalog = "sqlite:/c.db" }, "cannot reach the catalog sqlite:/c.db, a file of this machine"},
		{func(r *Reach) { r.Warehouse = "/data/w" }, "cannot reach the warehouse /data/w, a folder of this machine"},
		{func(r *Reach) { r.Source = "/data/src" }, "cannot read the source /data/src"},
		{func(r *Reach) { r.Backend, r.BackendKey = "duckdb:/w.duckdb", "load_to:" }, "cannot reach the DuckDB file /w.duckdb of this machine (load_to:)"},
		{func(r *Reach) { r.Files = []File{{Flag: "--mapping", Path: "/m.json", Instead: "let it be inferred"}} }, "--mapping names a file of this machine"},
	} {
		r := ok
		c.change(&r)
		if err := r.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", r, err, c.want)
		}
		r.Runner = DefaultRunner
		if err := r.Check(); err != nil {
			t.Errorf("the local runner reaches this machine's files: %v", err)
		}
	}
}
