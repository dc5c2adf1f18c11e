package loads

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/etl"
)

// TestLoadAnIcebergSourceFromTheForm: the form's source may be iceberg:NAMESPACE.TABLE, as for
// dora load; the screen loads the table's current snapshot from the catalog it is given (the
// one load entry point, load.Run, picks the catalog path). The rows are held against DuckDB
// reading the ETL's source file itself.
func TestLoadAnIcebergSourceFromTheForm(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	var csv strings.Builder
	csv.WriteString("movie_id,title,rating\n")
	for i := 1; i <= 500; i++ {
		csv.WriteString(strings.Join([]string{strconv.Itoa(i), "m" + strconv.Itoa(i), strconv.Itoa(i % 10)}, ",") + "\n")
	}
	writeFiles(t, src, map[string]string{"movies.csv": csv.String()})
	cfg := catalog.Config{Catalog: "sqlite:" + filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")}
	cat, err := catalog.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := etl.ParsePipeline("movies.yaml", []byte("table: film.movies\nsource: "+src+"\nformat: csv\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := etl.Run(context.Background(), p, cat, etl.Options{WorkDir: dir})
	cat.Close()
	if err != nil || !s.Published {
		t.Fatalf("publishing film.movies: %v %+v", err, s)
	}

	wh := filepath.Join(dir, "w.duckdb")
	b, err := duckdb.OpenToWrite(context.Background(), wh)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, b, src, filepath.Join(dir, "h.ndjson"))
	h.m.opts.Catalog = cfg
	h.Until("the folder", func() bool { return len(h.m.Entries()) == 1 })
	h.Keys("n")
	h.m.fields[fieldSource].SetValue("iceberg:film.movies")
	h.m.fields[fieldTable].SetValue("movies")
	h.Keys("enter")
	h.Until("the load to finish", func() bool { return h.m.Current() != nil && h.m.Current().Done })
	r := h.m.Current()
	if r.Err != nil || !r.Summary.Published || r.Summary.Indexed != 500 {
		t.Fatalf("the load: %+v %v", r.Summary, r.Err)
	}
	if want := "iceberg:film.movies@"; !strings.HasPrefix(r.Summary.Source, want) {
		t.Errorf("the summary's source %q should name the snapshot loaded (%s...)", r.Summary.Source, want)
	}
	b.Close()

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var loaded, want string
	q := `SELECT count(*) || ' ' || sum(movie_id) || ' ' || sum(rating) || ' ' || max(title) FROM `
	if _, err := db.Exec(`ATTACH '` + wh + `' AS w (READ_ONLY)`); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(q + `w.movies`).Scan(&loaded); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(q + `read_csv('` + filepath.Join(src, "movies.csv") + `')`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if loaded != want {
		t.Errorf("loaded %s, the source file holds %s", loaded, want)
	}
}
