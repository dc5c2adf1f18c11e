package tui

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbles/v2/key"
	bt "charm.land/bubbletea/v2"
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/session"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/tui/etlscreen"
	"github.com/dora-dev/dora/tui/explorer"
	"github.com/dora-dev/dora/tui/loads"
	"github.com/dora-dev/dora/tui/screen"
	"github.com/dora-dev/dora/tui/screen/screentest"
)

// shellScreen drives the whole shell with screentest, as Bubble Tea would run it.
type shellScreen struct{ *Model }

func (s shellScreen) Update(msg bt.Msg) (screen.Screen, bt.Cmd) {
	_, cmd := s.Model.Update(msg)
	return s, cmd
}
func (s shellScreen) View() string             { return s.Model.render() }
func (s shellScreen) SetSize(w, h int)         { s.Model.Update(bt.WindowSizeMsg{Width: w, Height: h}) }
func (s shellScreen) Focus()                   {}
func (s shellScreen) Blur()                    {}
func (s shellScreen) ShortHelp() []tea.Binding { return nil }
func (s shellScreen) Title() string            { return "shell" }
func (s shellScreen) InputFocused() bool       { return false }
func (s shellScreen) Status() string           { return "" }

// workshop is a workbench on a DuckDB file of its own, with a folder to load from, pipelines,
// a catalog and a views file, all in the test's folder.
type workshop struct {
	*screentest.Driver
	t   *testing.T
	dir string
	db  string // the DuckDB file
	m   *Model
}

func newWorkshop(t *testing.T, b backends.Backend, opts Options) *workshop {
	t.Helper()
	old := Watch
	Watch = 100 * time.Millisecond
	t.Cleanup(func() { Watch = old })
	w := &workshop{t: t, m: New(t.Context(), b, opts),
		Driver: screentest.New(t, screentest.Options{Deadline: 60 * time.Second, Route: true})}
	s := shellScreen{w.m}
	s.SetSize(120, 40)
	w.Start(s)
	return w
}

// baseWarehouse is a DuckDB file with a shipments table of 30 rows over three regions.
func baseWarehouse(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "base.duckdb")
	exec(t, path, `CREATE TABLE shipments AS SELECT i AS id, ['West', 'East', 'North'][i % 3 + 1] AS region, i * 1.5 AS price FROM range(30) t(i)`)
	return path
}

// exec runs statements on a DuckDB file, read-write, outside dora.
func exec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// direct is the SQL line's rows as DuckDB itself answers it on the file: the independent answer.
func direct(t *testing.T, path, sqlText string) [][]any {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=READ_ONLY")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return testenv.Rows(t, db, sqlText)
}

func (w *workshop) explorer() *explorer.Model { return w.m.Screen(0).(*explorer.Model) }

// settled waits for the explorer to answer its SQL line, and checks that the rows on screen are
// the rows DuckDB gives for that line on the file the explorer is on.
func (w *workshop) settled(what, file string) {
	w.t.Helper()
	x := w.explorer()
	w.Until(what, func() bool {
		return !x.Running() && x.Result() != nil && x.Err() == nil && x.SQL() != "" && len(x.Tables()) > 0 && x.Consistent() == nil
	})
	if got, want := x.Backend().Name(), "duckdb:"+file; got != want {
		w.t.Fatalf("%s: the explorer is on %s, want %s", what, got, want)
	}
	want := direct(w.t, file, x.SQL())
	got := x.Result().Rows
	if len(got) != len(want) {
		w.t.Fatalf("%s: %d rows on screen for %q, DuckDB gives %d", what, len(got), x.SQL(), len(want))
	}
	for i := range want {
		if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
			w.t.Fatalf("%s: row %d is %v on screen, %v from DuckDB, for %q", what, i, got[i], want[i], x.SQL())
		}
	}
}

func (w *workshop) tableListed(name string) bool {
	return slices.ContainsFunc(w.explorer().Tables(), func(t backends.Table) bool { return t.Name == name })
}

// A load from the Loads screen is in the explorer's table list as soon as it is published, and
// o opens it there with the rows DuckDB has.
func TestALoadIsListedInTheExplorer(t *testing.T) {
	dir := t.TempDir()
	db := baseWarehouse(t, dir)
	src := OrdersFolder(t, dir)
	b, err := backends.Open(t.Context(), "duckdb:"+db)
	if err != nil {
		t.Fatal(err)
	}
	sql := "SELECT region, count(*) FROM shipments GROUP BY region ORDER BY region"
	w := newWorkshop(t, b, Options{NoColor: true, Jobs: testJobs(t), ETL: etlscreen.Options{Dir: t.TempDir(), StateDir: t.TempDir()},
		Loads: loads.Options{Start: src, History: filepath.Join(dir, "history.ndjson"), DeadLetterDir: dir}, Explorer: explorer.Options{SQL: sql}})
	w.settled("the explorer's first view", db)
	if w.tableListed("orders") {
		t.Fatal("orders is listed before it is loaded")
	}
	ls := w.m.Screen(1).(*loads.Model)
	w.Keys("2")
	w.Until("the folder to be listed", func() bool { return len(ls.Entries()) == 1 })
	w.Keys("n")
	w.Until("the form's preview", func() bool { p, err := ls.Plan(); return p != nil || err != nil })
	w.Keys("enter")
	w.Until("the load to finish", func() bool { return ls.Current() != nil && ls.Current().Done })
	if r := ls.Current(); r.Err != nil || !r.Summary.Published {
		t.Fatalf("the load: %+v %v", r.Summary, r.Err)
	}
	w.Until("the explorer to list orders", func() bool { return w.tableListed("orders") })
	w.Keys("1")
	if scr := w.Screen(); !strings.Contains(scr, "orders") {
		t.Errorf("the tables list does not show orders:\n%s", scr)
	}
	w.settled("the explorer's view, unchanged by the load", db)
	w.Keys("2", "o")
	w.Until("the explorer to open orders", func() bool { return w.explorer().Spec().Table == "orders" })
	w.settled("the table loaded, opened with o", db)
	if n := len(w.explorer().Result().Rows); n != 57 {
		t.Errorf("orders shows %d rows, the file has 57", n)
	}
	w.Keys("u")
	w.settled("u, back to the view before", db)
	if w.explorer().SQL() != sql {
		t.Errorf("u went back to %q, want %q", w.explorer().SQL(), sql)
	}
}

// A table made or dropped by another process is listed, or not, a moment later.
func TestTablesChangedElsewhereAreListed(t *testing.T) {
	dir := t.TempDir()
	db := baseWarehouse(t, dir)
	s := session.New("duckdb:"+db, func(ctx context.Context) (backends.Backend, error) { return backends.Open(ctx, "duckdb:"+db) })
	w := newWorkshop(t, s, Options{NoColor: true, Jobs: testJobs(t), ETL: etlscreen.Options{Dir: t.TempDir(), StateDir: t.TempDir()}, Loads: testLoads(t)})
	w.Until("the tables", func() bool { return w.tableListed("shipments") })
	elsewhere(t, db, "CREATE TABLE returns AS SELECT 1 AS id")
	w.Until("returns to be listed", func() bool { return w.tableListed("returns") })
	elsewhere(t, db, "DROP TABLE returns")
	w.Until("returns to go from the list", func() bool { return !w.tableListed("returns") })
}

// An ETL version opened with e is a view on a DuckDB file of its own; esc goes back to the view
// on the workbench's backend, and so does V (a saved view) and u, each time with the rows of the
// SQL line shown.
func TestAnETLVersionOpensAsAViewThatEscLeaves(t *testing.T) {
	dir := t.TempDir()
	db := baseWarehouse(t, dir)
	exec(t, filepath.Join(dir, "movies.duckdb"), fmt.Sprintf("COPY (SELECT i AS movie_id, 'm' || i AS title FROM range(12) t(i)) TO '%s' (FORMAT parquet)", filepath.Join(dir, "movies.parquet")))
	pipes := filepath.Join(dir, "pipelines")
	os.MkdirAll(pipes, 0o755)
	os.WriteFile(filepath.Join(pipes, "movies.yaml"), []byte("table: film.movies\nsource: "+filepath.Join(dir, "movies.parquet")+"\n"), 0o644)
	viewsPath := filepath.Join(dir, "views.yaml")
	viewSQL := "SELECT region, sum(price) FROM shipments GROUP BY region ORDER BY region"
	os.WriteFile(viewsPath, []byte("views:\n  - name: price-by-region\n    sql: "+viewSQL+"\n"), 0o644)
	b, err := backends.Open(t.Context(), "duckdb:"+db)
	if err != nil {
		t.Fatal(err)
	}
	first := "SELECT region, count(*) FROM shipments GROUP BY region ORDER BY region"
	w := newWorkshop(t, b, Options{NoColor: true, Jobs: testJobs(t), Loads: testLoads(t), Explorer: explorer.Options{SQL: first, ViewsPath: viewsPath},
		ETL: etlscreen.Options{Dir: pipes, StateDir: filepath.Join(dir, "state"), WorkDir: dir,
			Catalog: catalog.Config{Catalog: "sqlite:" + filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")}}})
	w.settled("the explorer's first view", db)
	e := w.m.Screen(2).(*etlscreen.Model)
	w.Keys("3")
	w.Until("the pipelines", func() bool { return len(e.Pipelines()) == 1 && e.Pipelines()[0].P != nil })
	w.Keys("p")
	w.Until("the version to be published and listed", func() bool {
		return e.Running() == nil && len(e.Pipelines()) == 1 && len(e.Pipelines()[0].Versions) == 1
	})

	open := func() string {
		t.Helper()
		n := len(w.Opened)
		w.Keys("3", "esc", "tab", "e")
		w.Until("the version to open in the explorer", func() bool { return len(w.Opened) > n && w.explorer().Frames() == 1 && w.m.Current() == 0 })
		file := strings.TrimPrefix(w.Opened[len(w.Opened)-1].BackendURL, "duckdb:")
		w.settled("the version opened with e", file)
		if got := len(w.explorer().Result().Rows); got != 12 {
			t.Fatalf("the version shows %d rows, it has 12", got)
		}
		w.Keys("tab") // back to the versions pane's neighbour for the next e
		return file
	}
	open()
	w.Keys("1", "esc")
	w.settled("esc, back from the version", db)
	if x := w.explorer(); x.Frames() != 0 || x.SQL() != first {
		t.Fatalf("esc left %d frames, SQL %q, want %q", x.Frames(), x.SQL(), first)
	}

	open()
	w.Keys("1", "V")
	w.Until("the saved views", func() bool { return w.explorer().Picker() != nil && len(w.explorer().Picker().Items()) > 0 })
	w.Keys("enter")
	w.Until("the saved view", func() bool { return w.explorer().SQL() == viewSQL })
	w.settled("V, a saved view after the version", db)
	if x := w.explorer(); x.Frames() != 0 {
		t.Fatalf("V left %d frames", x.Frames())
	}

	open()
	w.Keys("1", "u")
	w.settled("u, back from the version", db)
	if x := w.explorer(); x.Frames() != 0 || x.SQL() != viewSQL {
		t.Fatalf("u left %d frames, SQL %q, want %q", x.Frames(), x.SQL(), viewSQL)
	}
}

// A workbench whose backend is not there yet draws, says so in the header, keeps the other
// screens usable, and comes up by itself once the backend is there.
func TestTheWorkbenchOpensWithoutItsBackendAndRecovers(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "later.duckdb")
	s := session.New("duckdb:"+db, func(ctx context.Context) (backends.Backend, error) { return backends.Open(ctx, "duckdb:"+db) })
	w := newWorkshop(t, s, Options{NoColor: true, Jobs: testJobs(t), Loads: testLoads(t), ETL: etlscreen.Options{Dir: t.TempDir(), StateDir: t.TempDir()}})
	w.Until("the header to say the backend is down", func() bool { return w.m.Down() != nil })
	header := strings.SplitN(w.Screen(), "\n", 2)[0]
	if !strings.Contains(header, "✗ backend down") { // the file's long name does not fit
		t.Errorf("the header does not say the backend is unreachable: %q", header)
	}
	for i, want := range []string{"location: ", "pipelines · ", "no jobs: write NAME.yaml"} {
		w.Keys(fmt.Sprint(i + 2))
		if scr := w.Screen(); !strings.Contains(scr, want) {
			t.Errorf("screen %d does not work without the backend:\n%s", i+2, scr)
		}
	}
	w.Keys("1")
	w.Until("the explorer to say the backend is unavailable", func() bool { return strings.Contains(w.Screen(), "unavailable") })
	exec(t, db, "CREATE TABLE arrivals AS SELECT 1 AS id")
	w.Until("the backend to come up and its tables to be listed", func() bool { return w.m.Down() == nil && w.tableListed("arrivals") })
	if header := strings.SplitN(w.Screen(), "\n", 2)[0]; strings.Contains(header, "unreachable") {
		t.Errorf("the header still says unreachable: %q", header)
	}
	if x := w.explorer(); x.Err() != nil {
		t.Errorf("the explorer still shows an error: %v", x.Err())
	}
}

// elsewhere runs a statement on a DuckDB file from another process (this test binary, running
// TestHelperProcessWrites), waiting out the workbench's read lock as a second dora would.
func elsewhere(t *testing.T, path, stmt string) {
	t.Helper()
	cmd := osexec.Command(os.Args[0], "-test.run=^TestHelperProcessWrites$")
	cmd.Env = append(os.Environ(), "DORA_HELPER_DB="+path, "DORA_HELPER_SQL="+stmt)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("writing %s from another process: %v\n%s", path, err, out)
	}
}

// TestHelperProcessWrites is elsewhere's other process; run by the tests, it does nothing.
func TestHelperProcessWrites(t *testing.T) {
	path, stmt := os.Getenv("DORA_HELPER_DB"), os.Getenv("DORA_HELPER_SQL")
	if path == "" {
		return
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		db, err := sql.Open("duckdb", path)
		if err == nil {
			_, err = db.Exec(stmt)
			db.Close()
		}
		if err == nil {
			return
		}
		if time.Now().After(deadline) || !strings.Contains(err.Error(), "lock") {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// OrdersFolder is a folder "files" in dir holding orders.csv, 57 orders; the end-to-end tests
// load it too.
func OrdersFolder(t testing.TB, dir string) string {
	t.Helper()
	src := filepath.Join(dir, "files")
	os.MkdirAll(src, 0o755)
	var csv strings.Builder
	csv.WriteString("order_id,amount\n")
	for i := 1; i <= 57; i++ {
		fmt.Fprintf(&csv, "%d,%d.25\n", i, i*3)
	}
	if err := os.WriteFile(filepath.Join(src, "orders.csv"), []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return src
}
