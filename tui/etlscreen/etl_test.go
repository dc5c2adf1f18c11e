package etlscreen

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/screen/screentest"
)

// harness drives the screen as Bubble Tea would, on a real SQLite catalog over a local
// warehouse: commands run in goroutines and their messages come back through Update.
type harness struct {
	*screentest.Driver
	t   *testing.T
	m   *Model
	dir string
	cfg catalog.Config
}

func newHarness(t *testing.T, pipelines map[string]string) *harness {
	t.Helper()
	dir := settledDir(t)
	h := &harness{t: t, dir: dir, Driver: screentest.New(t, screentest.Options{Deadline: 60 * time.Second}),
		cfg: catalog.Config{Catalog: "sqlite:" + filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")}}
	os.MkdirAll(filepath.Join(dir, "pipelines"), 0o755)
	for name, yaml := range pipelines {
		h.writePipeline(name, yaml)
	}
	h.m = New(common.New(h.Ctx, nil, true), Options{Dir: filepath.Join(dir, "pipelines"), Catalog: h.cfg,
		StateDir: filepath.Join(dir, "state"), WorkDir: dir, Poll: 50 * time.Millisecond})
	h.m.Focus()
	h.m.SetSize(100, 30)
	h.Start(h.m)
	h.Until("the pipelines to be listed", func() bool { return h.m.loaded && h.m.qualityIdle() })
	return h
}

// settledDir is a temporary folder removed once the test's screen has let go of it. A read
// of the catalog the screen's poll started just before the test ended may still make SQLite's
// journal in it, which t.TempDir's removal reports as "directory not empty" (CI run 6): the
// driver's cleanup, registered later so run first, cancels the screen's context, and the folder
// is removed once nothing writes into it any more.
func settledDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "etlscreen-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var err error
		for range 100 {
			if err = os.RemoveAll(dir); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("removing %s: %v", dir, err)
	})
	return dir
}

// qualityIdle says no metrics read is pending for the selected table.
func (m *Model) qualityIdle() bool {
	p := m.selected()
	return p == nil || len(p.Versions) == 0 || !m.qualityBusy
}

func (h *harness) writePipeline(name, yaml string) {
	h.t.Helper()
	yaml = strings.ReplaceAll(yaml, "$SRC", filepath.Join(h.dir, "src"))
	if err := os.WriteFile(filepath.Join(h.dir, "pipelines", name+".yaml"), []byte(yaml), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// source writes the rows of a SELECT as the Parquet file of source name.
func (h *harness) source(name, selectSQL string) {
	h.t.Helper()
	folder := filepath.Join(h.dir, "src", name)
	os.MkdirAll(folder, 0o755)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		h.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet)", selectSQL, filepath.Join(folder, "part-0.parquet"))); err != nil {
		h.t.Fatal(err)
	}
}

// publish presses p and waits for the run to end and the versions to be read again.
func (h *harness) publish() {
	h.t.Helper()
	h.Keys("p")
	if h.m.Running() == nil {
		h.t.Fatalf("p started no run:\n%s", h.Screen())
	}
	if got := h.m.Status(); !strings.HasPrefix(got, "running ") {
		h.t.Errorf("Status while running = %q", got)
	}
	h.Until("the run to end and the versions to be read", func() bool {
		// the newest listing asked is applied: the one the run's end asked for, or a later one
		return h.m.Running() == nil && h.m.listed == h.m.listSeq && h.m.qualityIdle()
	})
}

func (h *harness) versions() int { return len(h.m.Selected().Versions) }

const movies = `table: film.movies
source: $SRC/movies
validate:
  rules:
    - not_null: [movie_id]
    - range: {column: imdb_rating, min: 0, max: 10}
quality:
  checks:
    - {check: "row_count > 0", level: error}
    - {check: "row_count >= previous(row_count)", level: error}
journal:
  key: [movie_id]
  strategy: check
  hard_deletes: ignore
`

const moviesRows = `SELECT * FROM (VALUES (1, 'Alien', 8.5), (2, 'Heat', 8.3), (3, 'Ran', 8.2), (4, 'Big', 11.0), (NULL, 'Nobody', 5.0), (5, 'Up', 8.3)) t(movie_id, title, imdb_rating)`

const shows = `table: tv.shows
source: $SRC/shows
`

func TestPipelinesAreListedWithTheirVersions(t *testing.T) {
	h := newHarness(t, map[string]string{"movies": movies, "shows": shows, "broken": "table: x.y\nsorce: nowhere\n"})
	h.source("movies", moviesRows)
	ps := h.m.Pipelines()
	if len(ps) != 3 || ps[0].Name() != "broken" || ps[1].Name() != "movies" || ps[2].Name() != "shows" {
		t.Fatalf("pipelines: %v", ps)
	}
	if ps[0].Err == nil || ps[0].P != nil {
		t.Errorf("a broken file should be listed with its error: %+v", ps[0])
	}
	if len(ps[1].Versions) != 0 || ps[1].Err != nil {
		t.Errorf("a table not published yet has no versions and no error: %+v", ps[1])
	}
	scr := h.Screen()
	for _, want := range []string{"pipelines · 3", "movies", "shows", "✗ file"} {
		if !strings.Contains(scr, want) {
			t.Errorf("screen lacks %q:\n%s", want, scr)
		}
	}
	h.Keys("down")
	if !strings.Contains(h.Screen(), "no version yet") {
		t.Errorf("movies has no version yet:\n%s", h.Screen())
	}
	h.publish()
	h.Keys("down", "up") // away and back: the versions were read again
	if h.versions() != 1 || !h.m.Selected().Versions[0].Current {
		t.Fatalf("movies after a run: %+v", h.m.Selected().Versions)
	}
	scr = h.Screen()
	for _, want := range []string{"versions · film.movies", "1 versions", "quality · version", "row_count", "✓ pass row_count > 0"} {
		if !strings.Contains(scr, want) {
			t.Errorf("screen lacks %q:\n%s", want, scr)
		}
	}
}

func TestEnterShowsThePlan(t *testing.T) {
	h := newHarness(t, map[string]string{"movies": movies})
	h.source("movies", moviesRows)
	h.Keys("enter")
	if !strings.Contains(h.Screen(), "planning film.movies") {
		t.Errorf("a plan in flight should say so:\n%s", h.Screen())
	}
	h.Until("the plan", func() bool { return h.m.Detail() != nil })
	r := h.m.Detail()
	if r.Err != nil || r.Run || r.Summary.Quarantined != 2 || r.Summary.RowsIn != 6 {
		t.Fatalf("plan: %+v %v", r.Summary, r.Err)
	}
	scr := h.Screen()
	for _, want := range []string{"plan · film.movies", "plan of a new table (nothing written)", "read      6 rows",
		"cleanse   6 -> 6 (0 cleansed away, 0 quarantined)", "validate  6 -> 4 (2 quarantined)", "1 x not_null: movie_id", "1 x range: imdb_rating",
		"rows and reasons in ", "checks    pass  row_count > 0  (error, row_count = 4)", "journal   4 -> 4 (4 inserted, 0 changed", "o opens the quarantined rows", "p runs it"} {
		if !strings.Contains(scr, want) {
			t.Errorf("plan lacks %q:\n%s", want, scr)
		}
	}
	if h.versions() != 0 {
		t.Errorf("a plan published something")
	}
	// The quarantine opens in the explorer, loaded into a DuckDB file of its own.
	h.Keys("o")
	h.Until("the quarantine to open", func() bool { return len(h.Opened) == 1 || h.m.noteBad })
	if len(h.Opened) != 1 {
		t.Fatalf("no Open: %s", h.m.note)
	}
	o := h.Opened[0]
	if o.Table != "film_movies_quarantine" || !strings.HasPrefix(o.BackendURL, "duckdb:") {
		t.Errorf("open: %+v", o)
	}
	if n := count(t, strings.TrimPrefix(o.BackendURL, "duckdb:"), o.Table); n != 2 {
		t.Errorf("the quarantine table holds %d rows, want 2", n)
	}
	h.Keys("esc")
	if h.m.Detail() != nil {
		t.Errorf("esc should go back to the lists")
	}
}

// count is the rows of a table of a DuckDB file.
func count(t *testing.T, path, table string) int64 {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(fmt.Sprintf(`SELECT count(*) FROM "%s"`, table)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRunPublishesAndAFailingCheckDoesNot(t *testing.T) {
	h := newHarness(t, map[string]string{"movies": movies})
	h.source("movies", moviesRows)
	h.Keys("enter")
	h.Until("the plan", func() bool { return h.m.Detail() != nil })
	h.publish()
	r := h.m.Detail()
	if r == nil || !r.Run || !r.Summary.Published || h.versions() != 1 {
		t.Fatalf("run: %+v, %d versions", r, h.versions())
	}
	first := r.Summary.SnapshotID
	if h.m.Selected().Current().ID != first {
		t.Errorf("current %d, want the published %d", h.m.Selected().Current().ID, first)
	}
	if scr := h.Screen(); !strings.Contains(scr, fmt.Sprintf("✓ film.movies: published version %d", first)) {
		t.Errorf("the run's outcome should show:\n%s", scr)
	}

	// A day with more movies publishes a second version; the versions list grows.
	h.source("movies", `SELECT * FROM (VALUES (1, 'Alien', 8.5), (2, 'Heat', 8.4), (3, 'Ran', 8.2), (5, 'Up', 8.3), (6, 'Jaws', 8.1)) t(movie_id, title, imdb_rating)`)
	h.publish()
	if h.versions() != 2 || !h.m.Detail().Summary.Published {
		t.Fatalf("second run: %d versions, %+v", h.versions(), h.m.Detail())
	}

	// Fewer rows than before: row_count >= previous(row_count) fails, nothing is published.
	h.source("movies", `SELECT * FROM (VALUES (1, 'Alien', 8.5)) t(movie_id, title, imdb_rating)`)
	h.publish()
	r = h.m.Detail()
	if r.Stopped() == "" || r.Summary.Published {
		t.Fatalf("the failing check should stop the run: %+v %v", r.Summary, r.Err)
	}
	if h.versions() != 2 {
		t.Errorf("a stopped run added a version: %d", h.versions())
	}
	scr := h.Screen()
	for _, want := range []string{"✗ film.movies: NOT published: check \"row_count >= previous(row_count)\" failed", "fail  row_count >= previous(row_count)", "the versions stay as they were"} {
		if !strings.Contains(scr, want) {
			t.Errorf("screen lacks %q:\n%s", want, scr)
		}
	}
	if note, bad := h.m.Note(); !bad || !strings.Contains(note, "NOT published") {
		t.Errorf("note %q (bad %v)", note, bad)
	}
}

func TestRollbackAsksAndMakesTheVersionCurrent(t *testing.T) {
	h := newHarness(t, map[string]string{"shows": shows})
	h.source("shows", `SELECT * FROM range(3) t(id)`)
	h.publish()
	h.source("shows", `SELECT * FROM range(7) t(id)`)
	h.publish()
	h.Keys("esc")
	vs := h.m.Selected().Versions
	if len(vs) != 2 || !vs[1].Current || vs[0].Rows != 3 || vs[1].Rows != 7 {
		t.Fatalf("versions: %+v", vs)
	}
	h.Keys("tab", "down") // the older version
	h.Keys("R")
	if !h.m.Confirming() || !strings.Contains(h.Screen(), fmt.Sprintf("roll tv.shows back to version %d (3 rows", vs[0].ID)) {
		t.Fatalf("R should ask first:\n%s", h.Screen())
	}
	h.Keys("n")
	if h.m.Confirming() || !h.m.Selected().Versions[1].Current {
		t.Fatalf("n should cancel")
	}
	h.Keys("R", "y")
	seq := h.m.listSeq
	h.Until("the rollback's answer", func() bool {
		// A periodic listing can see the rollback before its own answer comes: wait for both.
		note, bad := h.m.Note()
		return h.m.listed >= seq && h.m.Selected().Versions[0].Current && (bad || !strings.HasPrefix(note, "rolling"))
	})
	if note, bad := h.m.Note(); bad || !strings.Contains(note, fmt.Sprintf("version %d (3 rows) is current again", vs[0].ID)) {
		t.Errorf("note %q", note)
	}
	if h.versions() != 2 {
		t.Errorf("a rollback adds no version: %d", h.versions())
	}

	// The current version's rows open in the explorer.
	h.Keys("e")
	h.Until("the version to open", func() bool { return len(h.Opened) == 1 || h.m.noteBad })
	if len(h.Opened) != 1 {
		t.Fatalf("no Open: %s", h.m.note)
	}
	if n := count(t, strings.TrimPrefix(h.Opened[0].BackendURL, "duckdb:"), h.Opened[0].Table); n != 3 {
		t.Errorf("the explored version holds %d rows, want 3", n)
	}
}

func TestAPipelineFilesOwnCatalogWins(t *testing.T) {
	dir := settledDir(t)
	own := "sqlite:" + filepath.Join(dir, "own.db")
	h := newHarness(t, map[string]string{"shows": shows + "catalog: " + own + "\nwarehouse: " + filepath.Join(dir, "wh") + "\n"})
	if got := h.m.Pipelines()[0].Config.Catalog; got != own {
		t.Errorf("catalog %q, want the file's %q", got, own)
	}
}

// The plan says what the CLI's plan says, casts to NULL included: the screen draws the same
// report, line for line.
func TestPlanShowsWhatTheCLISays(t *testing.T) {
	h := newHarness(t, map[string]string{"sales": "table: shop.sales\nsource: $SRC/sales\ncleanse:\n  cast: {amount: DOUBLE}\n"})
	h.source("sales", `SELECT * FROM (VALUES ('a', '10'), ('b', 'notanumber'), ('c', '2.5')) t(id, amount)`)
	h.Keys("enter")
	h.Until("the plan", func() bool { return h.m.Detail() != nil })
	r := h.m.Detail()
	if r.Err != nil || r.Summary.CastFailures["amount"] != 1 {
		t.Fatalf("plan: %+v %v", r.Summary, r.Err)
	}
	scr := h.Screen()
	if !strings.Contains(scr, "1 values of amount did not cast (now NULL)") {
		t.Errorf("the plan hides the cast to NULL:\n%s", scr)
	}
	for _, line := range r.Summary.Report(func(n int64) string { return fmt.Sprint(n) }) {
		if !strings.Contains(scr, strings.TrimRight(line, " ")) {
			t.Errorf("the screen lacks the CLI's line %q:\n%s", line, scr)
		}
	}
}

// p publishes the pipeline file as it is on disk when pressed, not as it was listed or planned,
// and says the file changed since the plan shown.
func TestPublishReadsTheFileNow(t *testing.T) {
	h := newHarness(t, map[string]string{"shows": shows})
	h.source("shows", `SELECT * FROM range(3) t(id)`)
	h.source("other", `SELECT * FROM range(7) t(id)`)
	h.Keys("enter")
	h.Until("the plan", func() bool { return h.m.Detail() != nil })
	if n := h.m.Detail().Summary.RowsIn; n != 3 {
		t.Fatalf("the plan read %d rows, want 3", n)
	}
	h.writePipeline("shows", "table: tv.shows\nsource: $SRC/other\n")
	h.publish()
	r := h.m.Detail()
	if r == nil || !r.Run || !r.Summary.Published || r.Summary.RowsIn != 7 {
		t.Fatalf("the run should have read the file as it is now (7 rows): %+v", r)
	}
	if cur := h.m.Selected().Current(); cur == nil || cur.Rows != 7 {
		t.Errorf("the version published: %+v, want 7 rows", cur)
	}
	note, _ := h.m.Note()
	if !r.Changed || !strings.Contains(note, "changed since the plan shown") || !strings.Contains(h.Screen(), "changed since the plan shown") {
		t.Errorf("the change since the plan is not said: changed %v, note %q\n%s", r.Changed, note, h.Screen())
	}
	// Planned again, the file is the plan's: the next p says nothing of a change.
	h.Keys("esc", "enter")
	h.Until("the plan", func() bool { return h.m.Detail() != nil && !h.m.Detail().Run })
	h.publish()
	if r := h.m.Detail(); r.Changed {
		t.Errorf("a run of the file planned says it changed")
	}
}

// enter on a pipeline file that does not read shows its error whole: the line and the caret
// under the spot, as dora etl plan prints it.
func TestABrokenFileShowsItsCaret(t *testing.T) {
	h := newHarness(t, map[string]string{"broken": "table: x.y\nsorce: nowhere\n"})
	h.Keys("enter")
	scr := h.Screen()
	lines := strings.Split(scr, "\n")
	found := false
	for i, l := range lines {
		if strings.Contains(l, "sorce: nowhere") && i+1 < len(lines) && strings.Contains(lines[i+1], "^") {
			found = true
		}
	}
	if !found || !strings.Contains(scr, "broken.yaml:2:1") {
		t.Errorf("the file's error has no caret under its line:\n%s", scr)
	}
}

// r reads the pipelines and versions again by hand, as it reads a list on every screen.
func TestRReadsTheListAgain(t *testing.T) {
	h := newHarness(t, map[string]string{"shows": shows})
	h.writePipeline("movies", movies)
	before := h.m.listSeq
	h.Keys("r")
	if h.m.listSeq == before {
		t.Fatal("r should ask for the pipelines again")
	}
	h.Until("the new pipeline", func() bool { return len(h.m.Pipelines()) == 2 })
}
