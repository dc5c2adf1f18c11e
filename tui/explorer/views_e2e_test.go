package explorer_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dora-dev/dora/internal/testenv"
)

// TestSavedViewEndToEnd drives the real binary in tmux: S saves the view on screen with its
// chart, dora views ls lists it, and dora --view opens it again drawn the same way.
func TestSavedViewEndToEnd(t *testing.T) {
	dir := t.TempDir()
	bin := testenv.BuildDora(t, dir)
	wh := filepath.Join(dir, "test.duckdb")
	buildWarehouse(t, wh, 5000)
	cfg := t.TempDir()
	sql := "SELECT date_trunc('month', shipped_at) AS month, count(*), avg(price) FROM shipments GROUP BY month"

	// The workbench opens the run store under XDG_STATE_HOME; the demo (XDG_DATA_HOME) is not used.
	state, data := t.TempDir(), t.TempDir()
	env := fmt.Sprintf("env TERM=xterm-256color XDG_CONFIG_HOME=%q XDG_STATE_HOME=%q XDG_DATA_HOME=%q DORA_BACKEND=duckdb:%s", cfg, state, data, wh)
	script := fmt.Sprintf("cd %q && %s %q --sql %q; echo \"first run ended $?\"; read x; %s %q --view monthly; echo \"dora exited $?\"; sleep 120",
		dir, env, bin, sql, env, bin)
	s := testenv.StartTmux(t, "dora-views-e2e", script, 100, 30)

	s.WaitText("count(*) by month · lines", "rows · ")
	s.Keys("c")
	s.WaitText("· columns")
	s.Keys("S")
	s.WaitText("save the view as")
	s.Text("monthly")
	s.Keys("Enter")
	s.WaitText("saved view monthly to")
	s.Keys("q")
	s.WaitText("first run ended 0")

	ls := exec.Command(bin, "views", "ls", "--format", "csv")
	ls.Env = append(os.Environ(), "XDG_CONFIG_HOME="+cfg, "XDG_STATE_HOME="+state, "XDG_DATA_HOME="+data)
	out, err := ls.CombinedOutput()
	if err != nil {
		t.Fatalf("dora views ls: %v\n%s", err, out)
	}
	want := "name,chart,sql,backend\nmonthly,columns,\"" + sql + "\",duckdb:" + wh + "\n"
	if string(out) != want {
		t.Errorf("dora views ls after S:\n%s\nwant:\n%s", out, want)
	}

	s.Keys("Enter") // the second run: dora --view monthly
	scr := s.WaitText("count(*) by month · columns", "rows · ")
	if !strings.Contains(scr, "SELECT date_trunc('month', shipped_at) AS month, count(*), avg(price) FROM shipments") {
		t.Errorf("dora --view should open the saved SQL line:\n%s", scr)
	}
	s.Keys("q")
	s.WaitText("dora exited 0")
}
