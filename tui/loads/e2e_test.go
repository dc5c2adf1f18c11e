package loads

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/load"
)

// TestLoadsEndToEnd drives the real binary under tmux on a real bucket: 2 switches to Loads,
// browse to a prefix, n opens the form with the preview, enter starts the load, the
// reconciliation shows, and o lands in the explorer on the loaded table.
func TestLoadsEndToEnd(t *testing.T) {
	bucket, _ := warehouse(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "dora")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/dora-dev/dora/cmd/dora").CombinedOutput(); err != nil {
		t.Fatalf("building dora: %v\n%s", err, out)
	}
	wh := filepath.Join(dir, "w.duckdb")
	if err := duckdb.BuildDemo(context.Background(), wh, 1000); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	script := fmt.Sprintf("cd %q && env TERM=xterm-256color XDG_CONFIG_HOME=%q XDG_STATE_HOME=%q %q --backend duckdb:%s; echo \"dora exited $?\"; sleep 120",
		dir, t.TempDir(), state, bin, wh)
	s := testenv.StartTmux(t, "dora-loads-e2e", script, 100, 30)
	s.WaitText("tables", "shipments")

	s.Keys("2")
	s.WaitText("location: s3://", "files · ", "bucket")
	s.Keys("/")
	s.Text("s3://" + bucket + "/sales/") // typing replaces the location shown
	s.Keys("Enter")
	s.WaitText("location: s3://"+bucket+"/sales/", "orders/", "3 files")

	s.Keys("n")
	s.WaitText("new load", "orders", "3 files", "the mapping inferred (3 columns)", "order_id")
	s.Keys("Enter")
	scr := s.WaitText("load · finished", "rows read 30,000 = indexed 30,000 + dead-lettered 0  ✓ reconciles", "published as orders")
	if strings.Contains(scr, "✗") {
		t.Errorf("the load should have no failure:\n%s", scr)
	}

	s.Keys("o")
	scr = s.WaitText("SELECT * FROM orders", "order_id", "region")
	if !strings.Contains(scr, "1 Explore") {
		t.Errorf("o should land in the explorer:\n%s", scr)
	}
	// The explorer counts what the load wrote: every row of the three files.
	s.Keys(":")
	s.Keys("C-u")
	s.Text("SELECT count(*) AS loaded, count(DISTINCT order_id) AS ids FROM orders")
	s.Keys("Enter")
	scr = s.WaitText("AS ids FROM orders", "✓ 1 rows")
	if !strings.Contains(scr, "30,000") && !strings.Contains(scr, "30000") {
		t.Errorf("the explorer should count 30,000 loaded rows:\n%s", scr)
	}

	recs, err := load.History(context.Background(), filepath.Join(state, "dora", "loads", "history.ndjson"))
	if err != nil || len(recs) != 1 || recs[0].Table != "orders" || recs[0].Indexed != 30000 || recs[0].Backend != "duckdb:"+wh {
		t.Errorf("the history: %+v, %v", recs, err)
	}
}
