package explorer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dora-dev/dora/backends"
	_ "github.com/dora-dev/dora/backends/duckdb"
	_ "github.com/dora-dev/dora/backends/elastic"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/tui/format"
)

// TestExplorerOnSearchEngines drives the real binary inside tmux on Elasticsearch, OpenSearch 2
// and OpenSearch 3: the shipments of a small warehouse, copied into the engine through dora's
// Sink, are listed as a table, opened, grouped by category with a SQL line, and every group's
// numbers on screen are plain SQL's on DuckDB over the same rows.
func TestExplorerOnSearchEngines(t *testing.T) {
	dir := t.TempDir()
	bin := testenv.BuildDora(t, dir)
	wh := filepath.Join(dir, "test.duckdb")
	buildWarehouse(t, wh, 3000)
	byCategory := expected(t, wh, "SELECT category, count(*), avg(price) FROM shipments GROUP BY category")
	ctx := context.Background()
	duck, err := backends.Open(ctx, "duckdb:"+wh)
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()

	for _, node := range testenv.SearchNodes() {
		t.Run(node.Name, func(t *testing.T) {
			url := node.URL(t)
			es, err := backends.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer es.Close()
			table := fmt.Sprintf("dora-tui-%d", os.Getpid())
			t.Cleanup(func() { testenv.DeleteIndices(url, table+"-*") })
			testenv.CopyTable(t, duck, es, "shipments", table, nil)

			script := fmt.Sprintf("cd %q && env TERM=xterm-256color XDG_CONFIG_HOME=%q XDG_STATE_HOME=%q XDG_DATA_HOME=%q %q --backend %s; echo \"dora exited $?\"; sleep 120",
				dir, t.TempDir(), t.TempDir(), t.TempDir(), bin, url)
			s := testenv.StartTmux(t, "dora-e2e-"+node.Name, script, 120, 40)
			s.WaitText("tables", url)

			s.Keys(":")
			s.Keys("C-u")
			s.Text(fmt.Sprintf(`SELECT category, count(*), avg(price) FROM "%s" GROUP BY category ORDER BY count(*) DESC`, table))
			s.Keys("Enter")
			scr := s.WaitText("GROUP BY category ORDER BY count(*) DESC", fmt.Sprintf("✓ %d rows", len(byCategory)), "exact")
			for cat, g := range byCategory {
				row := regexp.MustCompile(regexp.QuoteMeta(cat) + `\s+` + regexp.QuoteMeta(format.Int(g.count)) + `\s+` + regexp.QuoteMeta(format.Float(g.avg)) + `\s`)
				if !row.MatchString(scr) {
					t.Errorf("%s on %s should show %s and %s:\n%s", cat, node.Name, format.Int(g.count), format.Float(g.avg), scr)
				}
			}
			// An approximate answer says so on the status line.
			s.Keys(":")
			s.Keys("C-u")
			s.Text(fmt.Sprintf(`SELECT region, count(DISTINCT client_id) FROM "%s" GROUP BY region`, table))
			s.Keys("Enter")
			s.WaitText("count(DISTINCT client_id)", "approximate")
			if strings.Contains(s.Screen(), "error") {
				t.Errorf("an error on screen:\n%s", s.Screen())
			}

			s.Keys("q") // the view was changed and not saved: dora asks first
			s.WaitText("Quit anyway? (y/n)")
			s.Keys("y")
			s.WaitText("dora exited 0")
		})
	}
}
