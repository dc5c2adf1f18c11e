package tui_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/tui"
	"github.com/dora-dev/dora/tui/format"
)

// The trips between screens, on the real binary under tmux at 120x40 and at 80x24.

var seamSizes = [][2]int{{120, 40}, {80, 24}}

// seams is a workbench started in folder cwd with args, its config, state and data in the
// test's folder, and no AWS settings (so Loads lists the working folder).
func seams(t *testing.T, name, cwd, args string, size [2]int, env ...string) *testenv.Tmux {
	t.Helper()
	dir := t.TempDir()
	env = append([]string{"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_STATE_HOME=" + filepath.Join(dir, "state"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data")}, env...)
	var line strings.Builder
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&line, " %s=%q", k, v)
	}
	unset := ""
	for _, k := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "DORA_BACKEND", "NO_COLOR"} {
		unset += " -u " + k
	}
	script := fmt.Sprintf("cd %q && env%s TERM=xterm-256color%s %q %s; echo \"dora exited $?\"; sleep 120", cwd, unset, line.String(), doraBinary(t), args)
	return testenv.StartTmux(t, fmt.Sprintf("%s-%dx%d", name, size[0], size[1]), script, size[0], size[1])
}

// smallWarehouse is a demo warehouse of 2,000 shipments in dir.
func smallWarehouse(t *testing.T, dir string) string {
	t.Helper()
	wh := filepath.Join(dir, "test.duckdb")
	if err := duckdb.BuildDemoAt(context.Background(), wh, 2000, time.Now()); err != nil {
		t.Fatal(err)
	}
	return wh
}

// regionCounts is what DuckDB itself says SELECT region, count(*) … GROUP BY region gives, as
// the explorer prints each row: "West  1,234".
func regionCounts(t *testing.T, wh string) []string {
	t.Helper()
	db, err := sql.Open("duckdb", wh+"?access_mode=READ_ONLY")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, r := range testenv.Rows(t, db, "SELECT region, count(*) FROM shipments GROUP BY region ORDER BY region") {
		out = append(out, fmt.Sprint(r[0]), format.Int(r[1].(int64)))
	}
	return out
}

// TestSeamLoadIsListedInTheExplorer: a load from the Loads screen shows in the explorer's table
// list as soon as it is published, and o opens it with every row of the file.
func TestSeamLoadIsListedInTheExplorer(t *testing.T) {
	for _, size := range seamSizes {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			dir := t.TempDir()
			wh := smallWarehouse(t, dir)
			files := tui.OrdersFolder(t, dir)
			s := seams(t, "dora-seam-load", files, "--backend duckdb:"+wh, size)
			s.WaitText("1 Explore", "shipments")
			s.Keys("2")
			s.WaitText("location: "+files, "orders.csv")
			s.Keys("n")
			s.WaitText("new load", "the mapping inferred")
			s.Keys("Enter")
			s.WaitText("published as orders")
			s.Keys("1")
			if size[0] < 100 {
				s.Keys("C-b") // the side lists fold away at 80 columns
			}
			s.WaitFor("orders in the explorer's tables list", func(scr string) bool {
				in := false
				for _, l := range strings.Split(scr, "\n") {
					if i := strings.Index(l, "╭─ tables"); i >= 0 {
						in = true
						continue
					}
					if in && strings.HasPrefix(strings.TrimSpace(l), "╰") {
						return false
					}
					if in && strings.Contains(strings.SplitN(l, "││", 2)[0], " orders") {
						return true
					}
				}
				return false
			})
			if size[0] < 100 {
				s.Keys("C-b")
			}
			s.Keys("2", "o")
			s.WaitText("SELECT * FROM orders", "57 rows")
		})
	}
}

// TestSeamETLVersionAndBack: e opens an ETL version in the explorer; esc comes back to the view
// on the workbench's backend with its own rows, and V then opens a saved view there too.
func TestSeamETLVersionAndBack(t *testing.T) {
	for _, size := range seamSizes {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			dir := t.TempDir()
			wh := smallWarehouse(t, dir)
			counts := regionCounts(t, wh)
			src := filepath.Join(dir, "movies.parquet")
			db, err := sql.Open("duckdb", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(fmt.Sprintf("COPY (SELECT i AS movie_id, 'm' || i AS title FROM range(12) t(i)) TO '%s' (FORMAT parquet)", src)); err != nil {
				t.Fatal(err)
			}
			db.Close()
			pipes := filepath.Join(dir, "pipelines")
			os.MkdirAll(pipes, 0o755)
			os.WriteFile(filepath.Join(pipes, "movies.yaml"), []byte("table: film.movies\nsource: "+src+"\n"), 0o644)
			config := filepath.Join(dir, "config")
			views := filepath.Join(config, "dora", "views.yaml")
			os.MkdirAll(filepath.Dir(views), 0o755)
			os.WriteFile(views, []byte("views:\n  - name: regions\n    sql: SELECT region, count(*) FROM shipments GROUP BY region ORDER BY region\n"), 0o644)
			first := "SELECT region, count(*) FROM shipments GROUP BY region"
			s := seams(t, "dora-seam-etl", dir, fmt.Sprintf("--backend duckdb:%s --pipelines %s --sql %q", wh, pipes, first), size,
				"DORA_CATALOG=sqlite:"+filepath.Join(dir, "catalog.db"), "DORA_WAREHOUSE="+filepath.Join(dir, "warehouse"), "XDG_CONFIG_HOME="+config)
			s.WaitText(first, "✓ "+fmt.Sprint(len(counts)/2)+" rows")
			s.Keys("3")
			s.WaitText("pipelines · 1", "movies")
			s.Keys("p")
			s.WaitText("published version")
			s.Keys("Escape", "Tab", "e")
			s.WaitText("SELECT * FROM film_movies_rows", "12 rows")
			s.Keys("Escape")
			scr := s.WaitText(first, "✓ "+fmt.Sprint(len(counts)/2)+" rows")
			for _, c := range counts {
				if !strings.Contains(scr, c) {
					t.Errorf("after esc the rows are not the SQL line's (%v from DuckDB):\n%s", counts, scr)
					break
				}
			}
			if strings.Contains(scr, "film_movies") {
				t.Errorf("after esc the version is still on screen:\n%s", scr)
			}
			s.Keys("3", "e")
			s.WaitText("SELECT * FROM film_movies_rows", "12 rows")
			s.Keys("V")
			s.WaitText("regions")
			s.Keys("Enter")
			scr = s.WaitText("ORDER BY region", "opened view regions", "✓ "+fmt.Sprint(len(counts)/2)+" rows")
			for _, c := range counts {
				if !strings.Contains(scr, c) {
					t.Errorf("after V the rows are not the view's (%v from DuckDB):\n%s", counts, scr)
					break
				}
			}
		})
	}
}

// TestSeamWorkbenchWithoutItsBackend: an unreachable backend still draws the workbench, says so
// in the header, and the screens that do not need it work.
func TestSeamWorkbenchWithoutItsBackend(t *testing.T) {
	for _, size := range seamSizes {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			s := seams(t, "dora-seam-down", t.TempDir(), "--backend http://127.0.0.1:1", size)
			s.WaitFor("the header to say the backend is down", func(scr string) bool {
				head := strings.SplitN(scr, "\n", 2)[0]
				return strings.Contains(head, "1 Explore") && (strings.Contains(head, "http://127.0.0.1:1 unreachable") || strings.Contains(head, "✗ backend down"))
			})
			s.WaitText("unavailable")
			s.Keys("4")
			s.WaitText("no jobs")
			s.Keys("3")
			s.WaitText("pipelines · ")
		})
	}
}

// TestSeamNewDuckDBFile: a duckdb: path that does not exist is created, with its folder, after a
// line saying so, and the workbench opens on it.
func TestSeamNewDuckDBFile(t *testing.T) {
	for _, size := range seamSizes {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "new", "work.duckdb")
			s := seams(t, "dora-seam-new", dir, "--backend duckdb:"+path, size)
			s.WaitText("1 Explore", "no tables")
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the file was not created: %v", err)
			}
			s.Keys("q")                                                  // the notice stays on the terminal under the workbench
			s.WaitFor("the notice and the exit", func(scr string) bool { // a long path wraps the notice
				return strings.Contains(strings.ReplaceAll(scr, "\n", ""), "does not exist: creating a new DuckDB workspace there") &&
					strings.Contains(scr, "dora exited 0")
			})
		})
	}
}
