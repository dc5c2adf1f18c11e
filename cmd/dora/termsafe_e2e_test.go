package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
