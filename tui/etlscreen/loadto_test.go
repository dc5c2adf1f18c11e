package etlscreen

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestPublishRunsLoadTo: a pipeline published from the screen runs its load_to: as dora etl
// run does (the one entry point, etl.Run): the version lands in the backend, held against
// DuckDB reading the pipeline's source file itself.
func TestPublishRunsLoadTo(t *testing.T) {
	dir := t.TempDir()
	wh := filepath.Join(dir, "w.duckdb")
	h := newHarness(t, map[string]string{"movies": "table: film.movies\nsource: $SRC/movies\nload_to:\n  backend: duckdb:" + wh + "\n  table: movies\n"})
	h.source("movies", moviesRows)
	h.Keys("enter")
	h.Until("the plan", func() bool { return h.m.Detail() != nil })
	h.publish()
	r := h.m.Detail()
	if r == nil || r.Err != nil || !r.Summary.Published {
		t.Fatalf("run: %+v", r)
	}
	lt := r.Summary.Load
	if lt == nil || !lt.Published || lt.RowsLoaded != 6 || !strings.HasPrefix(lt.Source, "iceberg:film.movies@") {
		t.Fatalf("load_to: %+v", lt)
	}

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`ATTACH '` + wh + `' AS w (READ_ONLY)`); err != nil {
		t.Fatal(err)
	}
	q := `SELECT count(*) || ' ' || sum(coalesce(movie_id, -1)) || ' ' || sum(imdb_rating) || ' ' || string_agg(title, ',' ORDER BY title) FROM `
	var loaded, want string
	if err := db.QueryRow(q + `w.movies`).Scan(&loaded); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(q + `read_parquet('` + filepath.Join(h.dir, "src", "movies", "*.parquet") + `')`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if loaded != want {
		t.Errorf("load_to loaded %s; the source holds %s", loaded, want)
	}
}
