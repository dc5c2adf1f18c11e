package etl

import (
	"slices"
	"strings"
	"testing"

	"github.com/dora-dev/dora/pipelines/catalog"
)

// TestJobDefinition: a pipeline as a job is one `dora etl run` handed the file's content, the
// catalog (a postgres password in PGPASSWORD, not in the URL the run record shows) and the
// launching environment; a container run that would need this machine's files is refused.
func TestJobDefinition(t *testing.T) {
	p, err := ParsePipeline("m.yaml", []byte("table: film.movies\nsource: s3://b/movies/\nload_to: {backend: \"duckdb:/w.duckdb\", table: movies}\n"))
	if err != nil {
		t.Fatal(err)
	}
	o := JobOptions{Pipeline: p, Data: []byte("the file"), File: "/p/m.yaml", AsOf: "2024-01-02", Runner: "local", Dora: "/bin/dora",
		Catalog: catalog.Config{Catalog: "postgres://u:secret@db:5432/c", Warehouse: "s3://w/root"}, Env: map[string]string{"AWS_REGION": "x"}}
	def, env, err := JobDefinition(o)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/bin/dora", "etl", "run", "--as-of", "2024-01-02"}; !slices.Equal(def.Command, want) || def.Image != "" || def.Name != "etl film.movies" {
		t.Errorf("definition %+v, want the command %q", def, want)
	}
	for k, want := range map[string]string{PipelineEnv: "the file", PipelineFileEnv: "/p/m.yaml", "DORA_CATALOG": "postgres://u@db:5432/c",
		"PGPASSWORD": "secret", "DORA_WAREHOUSE": "s3://w/root", "AWS_REGION": "x"} {
		if env[k] != want {
			t.Errorf("env %s = %q, want %q", k, env[k], want)
		}
	}
	if _, ok := o.Env["DORA_CATALOG"]; ok {
		t.Error("the caller's env was written")
	}

	o.Runner, o.Image, o.Dora = "docker", "dora:dev", ""
	if _, _, err := JobDefinition(o); err == nil || !strings.Contains(err.Error(), "cannot reach the DuckDB file /w.duckdb of this machine (load_to:)") {
		t.Errorf("load_to into a DuckDB file from a container: %v", err)
	}
	p.LoadTo.Backend = "http://es:9200"
	def, _, err = JobDefinition(o)
	if err != nil || def.Command[0] != "etl" || def.Image != "dora:dev" {
		t.Errorf("docker: %+v %v (the image's entrypoint is dora)", def, err)
	}
}
