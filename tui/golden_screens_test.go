package tui

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	_ "github.com/duckdb/duckdb-go/v2" // writes the ETL sources' Parquet files

	"github.com/dora-dev/dora/internal/golden"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/etl"
	"github.com/dora-dev/dora/tui/etlscreen"
	"github.com/dora-dev/dora/tui/loads"
)

// drain feeds msg to the shell and runs what it leads to, synchronously (a batch's commands at
// once), until every answer is in. Every screen's poll tick (a type named tickMsg) and the
// spinner's ticks are dropped, so the screens are built with a short poll that answers at once.
func drain(m *Model, msg tea.Msg) {
	var run func(tea.Cmd)
	var feed func(tea.Msg)
	feed = func(msg tea.Msg) {
		switch msg := msg.(type) {
		case nil, spinner.TickMsg:
		case tea.BatchMsg:
			var wg sync.WaitGroup
			results := make([]tea.Msg, len(msg))
			for i, c := range msg {
				if c != nil {
					wg.Add(1)
					go func() { defer wg.Done(); results[i] = c() }()
				}
			}
			wg.Wait()
			for _, r := range results {
				feed(r)
			}
		default:
			if isTick(msg) || strings.HasSuffix(reflect.TypeOf(msg).String(), ".tickMsg") {
				return
			}
			_, next := m.Update(msg)
			run(next)
		}
	}
	run = func(c tea.Cmd) {
		if c != nil {
			feed(c())
		}
	}
	if i, ok := msg.(initCmdMsg); ok {
		run(i.cmd)
		return
	}
	_, cmd := m.Update(msg)
	run(cmd)
}

// keys presses each key in turn, draining what each leads to.
func keys(m *Model, names ...string) {
	for _, k := range names {
		for _, msg := range testenv.Keys(k) {
			drain(m, msg)
		}
	}
}

// goldenCSV is a CSV file of orders from..from+n-1, the same bytes every time.
func goldenCSV(from, n int) string {
	var b strings.Builder
	b.WriteString("order_id,region,amount,shipped_at\n")
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "%d,%s,%d.%02d,2026-02-%02dT%02d:00:00Z\n", i, []string{"West", "South", "East"}[i%3], i%400, i%100, 1+i%28, i%24)
	}
	return b.String()
}

// goldenLanding writes a folder landing/ in the working folder: three CSV files of orders of
// fixed sizes and a folder archive/ of two more.
func goldenLanding(t testing.TB) {
	t.Helper()
	files := map[string]string{
		"landing/orders-2026-02-27.csv":         goldenCSV(1, 120),
		"landing/orders-2026-02-28.csv":         goldenCSV(121, 300),
		"landing/orders-2026-03-01.csv":         goldenCSV(421, 45),
		"landing/archive/orders-2026-01-31.csv": goldenCSV(1001, 2000),
		"landing/archive/orders-2026-02-01.csv": goldenCSV(3001, 1500),
	}
	for name, text := range files {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGoldenLoadsScreen pins the Loads screen in the shell (no colour) at 80x24 and 120x40,
// browsing a local folder given by a relative path (so nothing on screen depends on where the
// test runs), and its new-load form for that folder with the mapping inferred.
func TestGoldenLoadsScreen(t *testing.T) {
	cases := []struct {
		name string
		keys []string
		w, h int
	}{
		{"loads_80x24", nil, 80, 24},
		{"loads_120x40", []string{"down"}, 120, 40},
		{"loads_form_80x24", []string{"tab", "n"}, 80, 24},
		{"loads_form_120x40", []string{"tab", "n"}, 120, 40},
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			goldenLanding(t)
			m := New(t.Context(), stubBackend{}, Options{NoColor: true, Screen: 2, Loads: loads.Options{Start: "landing",
				History: "history.ndjson", DeadLetterDir: "dead-letter", Poll: time.Millisecond}})
			m.Update(tea.WindowSizeMsg{Width: c.w, Height: c.h})
			ls := m.Screen(1).(*loads.Model)
			drain(m, initCmdMsg{ls.Init()})
			if got := len(ls.Entries()); got != 4 {
				t.Fatalf("%d entries listed, want 4: %+v (%v)", got, ls.Entries(), ls.Err())
			}
			keys(m, c.keys...)
			if strings.HasPrefix(c.name, "loads_form") {
				p, err := ls.Plan()
				if err != nil || p == nil || len(p.Objects) != 5 {
					t.Fatalf("the preview: %+v, %v", p, err)
				}
			}
			got := ansi.Strip(m.View().Content)
			testenv.Fits(t, got, c.w, c.h)
			os.Chdir(wd)
			golden.Check(t, c.name, got)
		})
	}
}

// goldenPipeline is the ETL screen's golden pipeline: validated, checked and journalled.
const goldenPipeline = `table: film.movies
source: $SRC
validate:
  rules:
    - not_null: [movie_id]
    - range: {column: imdb_rating, min: 0, max: 10}
quality:
  checks:
    - {check: "row_count > 0", level: error}
    - {check: "row_count >= previous(row_count)", level: warn}
journal:
  key: [movie_id]
  strategy: check
  hard_deletes: ignore
`

// The source's rows at each run: two published, then the one the plan reads.
var goldenMovies = []string{
	`SELECT * FROM (VALUES (1, 'Alien', 8.5), (2, 'Heat', 8.3), (3, 'Ran', 8.2), (4, 'Big', 11.0), (NULL, 'Nobody', 5.0), (5, 'Up', 8.3)) t(movie_id, title, imdb_rating)`,
	`SELECT * FROM (VALUES (1, 'Alien', 8.5), (2, 'Heat', 8.4), (3, 'Ran', 8.2), (5, 'Up', 8.3), (6, 'Jaws', 8.1), (7, 'Brazil', 7.9)) t(movie_id, title, imdb_rating)`,
	`SELECT * FROM (VALUES (1, 'Alien', 8.5), (2, 'Heat', 8.4), (3, 'Ran', 8.0), (5, 'Up', 8.3), (6, 'Jaws', 8.1), (7, 'Brazil', 7.9), (8, 'Fargo', 8.1), (NULL, 'Nobody', 5.0)) t(movie_id, title, imdb_rating)`,
}

// etlBench is a folder holding pipelines/, a SQLite catalog and a local warehouse, and the
// source folder one pipeline reads.
type etlFolder struct {
	dir, src string
	cfg      catalog.Config
}

func newETLFolder(t testing.TB, dir, name, pipeline string) *etlFolder {
	t.Helper()
	f := &etlFolder{dir: dir, src: filepath.Join(dir, "src", name),
		cfg: catalog.Config{Catalog: "sqlite:" + filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")}}
	if err := os.MkdirAll(filepath.Join(dir, "pipelines"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(f.src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pipelines", name+".yaml"), []byte(strings.ReplaceAll(pipeline, "$SRC", f.src)), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// source writes the rows of a SELECT as the source's one Parquet file.
func (f *etlFolder) source(t testing.TB, selectSQL string) {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet)", selectSQL, filepath.Join(f.src, "part-0.parquet"))); err != nil {
		t.Fatal(err)
	}
}

// publish runs the pipeline name and publishes its version, as dora etl run does.
func (f *etlFolder) publish(t testing.TB, name string) {
	t.Helper()
	ctx := context.Background()
	p, err := etl.ReadPipeline(filepath.Join(f.dir, "pipelines", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(ctx, f.cfg.Resolve())
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	sum, err := etl.Run(ctx, p, cat, etl.Options{WorkDir: f.dir})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Published {
		t.Fatalf("the run of %s published nothing: %+v", name, sum)
	}
}

// Fixed stand-ins for what the catalog and the runs draw themselves: snapshot ids, their times,
// a run's id and how long it took.
var (
	goldenVersionAt = time.Date(2026, 3, 1, 6, 0, 0, 0, time.Local) // drawn in local time
	goldenRunID     = "20260302T093000Z-000000"
)

// pinVersions replaces the ids and times of the screen's versions with fixed ones (version i,
// oldest first, is 1000+i at goldenVersionAt plus i hours), and rekeys the metrics read by id.
func pinVersions(m *etlscreen.Model) map[int64]int64 {
	ids := map[int64]int64{}
	for _, p := range m.Pipelines() {
		for i := range p.Versions {
			v := &p.Versions[i]
			ids[v.ID] = int64(1001 + i)
			v.At = goldenVersionAt.Add(time.Duration(i) * time.Hour)
		}
		for i := range p.Versions {
			v := &p.Versions[i]
			v.ID = ids[v.ID]
			if v.ParentID != 0 {
				v.ParentID = ids[v.ParentID]
			}
		}
	}
	q := m.Quality()
	for old, id := range ids {
		if v, ok := q[old]; ok {
			delete(q, old)
			q[id] = v
		}
	}
	return ids
}

// TestGoldenETLScreen pins the ETL screen in the shell (no colour) at 80x24 and 120x40: one
// pipeline published twice (its versions and the newest version's quality beside the one
// before), and the plan of its next run. Snapshot ids, version times, the run id and the plan's
// duration are drawn by the catalog and the clock, so they are replaced with fixed ones before
// the frame is drawn; the pipelines folder is a relative path.
func TestGoldenETLScreen(t *testing.T) {
	cases := []struct {
		name string
		plan bool
		w, h int
	}{
		{"etl_80x24", false, 80, 24},
		{"etl_120x40", false, 120, 40},
		{"etl_plan_80x24", true, 80, 24},
		{"etl_plan_120x40", true, 120, 40},
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			f := newETLFolder(t, dir, "movies", goldenPipeline)
			for _, rows := range goldenMovies[:2] {
				f.source(t, rows)
				f.publish(t, "movies")
			}
			f.source(t, goldenMovies[2])
			m := New(t.Context(), stubBackend{}, Options{NoColor: true, Screen: 3, ETL: etlscreen.Options{Dir: "pipelines", Catalog: f.cfg,
				StateDir: filepath.Join(dir, "state"), WorkDir: dir, Poll: time.Millisecond}})
			m.Update(tea.WindowSizeMsg{Width: c.w, Height: c.h})
			es := m.Screen(2).(*etlscreen.Model)
			drain(m, initCmdMsg{es.Init()})
			if ps := es.Pipelines(); len(ps) != 1 || len(ps[0].Versions) != 2 || ps[0].Err != nil {
				t.Fatalf("pipelines: %+v", ps)
			}
			if len(es.Quality()) != 2 {
				t.Fatalf("metrics read for %d versions, want 2", len(es.Quality()))
			}
			ids := pinVersions(es)
			if c.plan {
				keys(m, "enter")
				r := es.Detail()
				if r == nil || r.Err != nil || r.Run || r.Summary == nil {
					t.Fatalf("the plan: %+v", r)
				}
				r.Summary.RunID, r.Summary.Took = goldenRunID, 1234*time.Millisecond
				r.Summary.QuarantineFile = filepath.Join("state", "etl", "quarantine", "film.movies-"+goldenRunID+".ndjson")
				if id, ok := ids[r.Summary.BaseSnapshot]; ok {
					r.Summary.BaseSnapshot = id
				} else {
					t.Fatalf("the plan is against version %d, not one listed", r.Summary.BaseSnapshot)
				}
			}
			got := ansi.Strip(m.View().Content)
			testenv.Fits(t, got, c.w, c.h)
			os.Chdir(wd)
			golden.Check(t, c.name, got)
		})
	}
}
