package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dora-dev/dora/internal/testenv"
)

// escNDJSON is the file: a name that writes the clipboard (OSC 52), one that clears the
// screen and turns the text red, and a plain one.
const escNDJSON = `{"name":"\u001b]52;c;aGFja2Vk\u0007","n":1}
{"name":"\u001b[2J\u001b[31m","n":2}
{"name":"plain","n":3}
`

// TestQueryEscapesControlSequences is the repro: loaded with dora load and shown with
// dora query, the values reach the terminal as visible escapes in the table and markdown formats,
// and byte for byte in CSV and NDJSON.
func TestQueryEscapesControlSequences(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "esc.ndjson")
	if err := os.WriteFile(src, []byte(escNDJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"DORA_BACKEND=duckdb:" + filepath.Join(dir, "w.duckdb")}
	if r := dora(t, "", env, "load", src, "--table", "esc"); r.code != 0 {
		t.Fatalf("load: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	q := "SELECT name, n FROM esc ORDER BY n"
	r := dora(t, "", env, "query", q)
	if r.code != 0 {
		t.Fatalf("query: %d\n%s", r.code, r.stderr)
	}
	want := "name                    n\n" +
		`\x1b]52;c;aGFja2Vk\x07  1` + "\n" +
		`\x1b[2J\x1b[31m         2` + "\n" +
		"plain                   3\n"
	if !strings.HasPrefix(r.stdout, want) || strings.ContainsRune(r.stdout, 0x1b) || strings.ContainsRune(r.stdout, 0x07) {
		t.Errorf("table:\n%q\nwant it to start:\n%q", r.stdout, want)
	}
	r = dora(t, "", env, "query", q, "--format", "markdown")
	if !strings.Contains(r.stdout, `| \x1b[2J\x1b[31m | 2 |`) || strings.ContainsRune(r.stdout, 0x1b) {
		t.Errorf("markdown:\n%q", r.stdout)
	}
	r = dora(t, "", env, "query", q, "--format", "ndjson")
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var v struct{ Name string }
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("ndjson %q: %v", line, err)
		}
		got = append(got, v.Name)
	}
	if strings.Join(got, "|") != "\x1b]52;c;aGFja2Vk\x07|\x1b[2J\x1b[31m|plain" {
		t.Errorf("ndjson names %q are not the bytes loaded", got)
	}
	r = dora(t, "", env, "query", q, "--format", "csv")
	if !strings.Contains(r.stdout, "\x1b[2J\x1b[31m,2\n") {
		t.Errorf("csv is not byte-exact:\n%q", r.stdout)
	}
}

// hostileJob prints what a container's output could hold: OSC 52, a clear screen, a colour and
// a right-to-left override.
const hostileJob = `name: hostile
command: ["/bin/sh", "-c", "printf '\\033]52;c;aGFja2Vk\\007 osc\\n\\033[2Jcleared\\n\\033[31mred\\033[0m\\n\\342\\200\\256bidi\\n'"]
`

// TestJobsLogsToATerminalEscapesControls: dora jobs logs into a pipe is the log byte for byte;
// into a terminal (a tmux pane) its controls show as escapes.
func TestJobsLogsToATerminalEscapesControls(t *testing.T) {
	h := newJobsHome(t, map[string]string{"hostile.yaml": hostileJob})
	r := h.dora("jobs", "run", "hostile", "--wait")
	if r.code != 0 {
		t.Fatalf("run: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	id := firstLine(r.stdout)
	raw := "\x1b]52;c;aGFja2Vk\x07 osc\n\x1b[2Jcleared\n\x1b[31mred\x1b[0m\n\u202ebidi\n"
	if !strings.Contains(r.stdout, raw) {
		t.Errorf("run --wait into a pipe should pass the log byte for byte:\n%q", r.stdout)
	}
	if logs := h.dora("jobs", "logs", id); !strings.Contains(logs.stdout, raw) {
		t.Errorf("jobs logs into a pipe should be byte for byte:\n%q", logs.stdout)
	}
	env := ""
	for _, e := range h.env {
		env += "'" + e + "' "
	}
	tm := testenv.StartTmux(t, "doralogs", "env "+env+"'"+doraBin+"' jobs logs "+id+"; echo \"dora exited $?\"; sleep 60", 100, 20)
	scr := tm.WaitText("dora exited")
	for _, want := range []string{`\x1b]52;c;aGFja2Vk\x07 osc`, `\x1b[2Jcleared`, "red", `\u202ebidi`, "dora exited 0"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the terminal should show %q:\n%s", want, scr)
		}
	}
}
