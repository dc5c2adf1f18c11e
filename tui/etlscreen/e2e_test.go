package etlscreen_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends/duckdb/demo"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/catalog"
)

// duckDB runs fn on a DuckDB database at path ("" for one in memory).
func duckDB(t *testing.T, path string, fn func(*sql.DB) error) {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := fn(db); err != nil {
		t.Fatal(err)
	}
}

// TestETLScreenEndToEnd drives the real binary under tmux on a real SQLite catalog named by
// DORA_CATALOG: 3 shows the ETL screen, enter plans the pipeline, p publishes it, and the
// version the catalog holds is the one the screen lists.
func TestETLScreenEndToEnd(t *testing.T) {
	dir := t.TempDir()
	bin := testenv.BuildDora(t, t.TempDir())
	wh := filepath.Join(dir, "demo.duckdb")
	duckDB(t, wh, func(db *sql.DB) error { return demo.Build(context.Background(), db, 200) })
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	duckDB(t, "", func(db *sql.DB) error {
		_, err := db.Exec(fmt.Sprintf(`COPY (SELECT * FROM (VALUES (1, 'Alien', 8.5), (2, 'Heat', 8.3), (3, 'Ran', 8.2), (4, 'Big', 11.0),
			(NULL, 'Nobody', 5.0), (5, 'Up', 8.3)) t(movie_id, title, imdb_rating)) TO '%s' (FORMAT parquet)`, filepath.Join(src, "part-0.parquet")))
		return err
	})
	pipes := filepath.Join(dir, "pipelines")
	os.MkdirAll(pipes, 0o755)
	pipeline := fmt.Sprintf(`table: film.movies
source: %s
validate:
  rules:
    - not_null: [movie_id]
    - range: {column: imdb_rating, min: 0, max: 10}
quality:
  checks:
    - {check: "row_count > 0", level: error}
journal:
  key: [movie_id]
  strategy: check
`, src)
	if err := os.WriteFile(filepath.Join(pipes, "movies.yaml"), []byte(pipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := catalog.Config{Catalog: "sqlite:" + filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")}

	script := fmt.Sprintf("cd %q && env TERM=xterm-256color XDG_CONFIG_HOME=%q XDG_STATE_HOME=%q XDG_DATA_HOME=%q DORA_CATALOG=%q DORA_WAREHOUSE=%q %q --backend duckdb:%s --pipelines %q; echo \"dora exited $?\"; sleep 120",
		dir, t.TempDir(), t.TempDir(), t.TempDir(), cfg.Catalog, cfg.Warehouse, bin, wh, pipes)
	s := testenv.StartTmux(t, "dora-etl-e2e", script, 100, 30)
	s.WaitText("tables", "shipments")

	s.Keys("3")
	s.WaitText("pipelines · 1", "movies", "no version yet: p publishes one")

	s.Keys("Enter")
	s.WaitText("plan · film.movies", "plan of a new table (nothing written)", "validate  6 -> 4 (2 quarantined)", "checks    pass  row_count > 0", "journal   4 -> 4 (4 inserted")

	s.Keys("p")
	scr := s.WaitText("run · film.movies", "✓ film.movies: published version")
	m := regexp.MustCompile(`published version (\d+)`).FindStringSubmatch(scr)
	if m == nil {
		t.Fatalf("no version in:\n%s", scr)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)

	s.Keys("Escape")
	s.WaitText("versions · film.movies", "1 versions", fmt.Sprintf("quality · version %d", id), "row_count", "✓ pass row_count > 0")

	cat, err := catalog.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	tb, err := cat.Load(context.Background(), "film.movies")
	if err != nil {
		t.Fatal(err)
	}
	if cur := tb.Current(); cur == nil || cur.ID != id || cur.Rows != 4 {
		t.Errorf("the catalog's current version is %+v, want %d with 4 rows", cur, id)
	}

	s.Resize(80, 24)
	scr = s.WaitText("pipelines · 1", "quality · version")
	for i, line := range strings.Split(strings.TrimRight(scr, "\n"), "\n") {
		if w := len([]rune(line)); w > 80 {
			t.Errorf("line %d is %d cells at 80x24: %q", i, w, line)
		}
	}
	s.Keys("q")
	s.WaitText("dora exited 0")
}
