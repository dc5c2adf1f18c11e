package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dora-dev/dora/query"
)

// hostile holds the values: OSC 52 (write the clipboard), clear screen and red, a
// right-to-left override, a C1 CSI and a newline, in a value and in a column name.
func hostile() *query.Result {
	return &query.Result{
		Columns: []query.Column{{Name: "na\x1b[8mme", Type: query.TypeString}, {Name: "n", Type: query.TypeInt}},
		Rows: [][]any{
			{"\x1b]52;c;aGFja2Vk\x07", int64(1)},
			{"\x1b[2J\x1b[31m", int64(2)},
			{"abc\u202edcba", int64(3)},
			{"\u009b1m|two\nlines", int64(4)},
		},
		Meta: query.Meta{Complete: true},
	}
}

// controlFree fails when out holds a byte that drives a terminal: any C0 control but newline,
// DEL, a C1 control or a bidi control.
func controlFree(t *testing.T, what, out string) {
	t.Helper()
	for i, r := range out {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || r == utf8.RuneError {
			t.Fatalf("%s writes %U at byte %d:\n%q", what, r, i, out)
		}
	}
}

func TestTableEscapesControls(t *testing.T) {
	var b bytes.Buffer
	if err := Table(&b, hostile(), 200); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	controlFree(t, "table", out)
	want := "na\\x1b[8mme             n\n" +
		"\\x1b]52;c;aGFja2Vk\\x07  1\n" +
		"\\x1b[2J\\x1b[31m         2\n" +
		"abc\\u202edcba           3\n" +
		"\\u009b1m|two\\nlines     4\n" +
		"(4 rows, 0 ms, exact)\n"
	if out != want {
		t.Errorf("table:\n%s\nwant (widths count the escapes):\n%s", out, want)
	}
}

func TestMarkdownEscapesControls(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, hostile()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	controlFree(t, "markdown", out)
	for _, want := range []string{`| na\x1b[8mme | n |`, `| \x1b]52;c;aGFja2Vk\x07 | 1 |`, `| \u009b1m\|two\nlines | 4 |`} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
}

// TestMachineFormatsKeepBytes: CSV, JSON and NDJSON are for programs, so the values come back
// exactly as they went in.
func TestMachineFormatsKeepBytes(t *testing.T) {
	res := hostile()
	var b bytes.Buffer
	if err := CSV(&b, res); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][0] != res.Columns[0].Name {
		t.Errorf("csv header %q, want %q", recs[0][0], res.Columns[0].Name)
	}
	for i, row := range res.Rows {
		if recs[i+1][0] != row[0] {
			t.Errorf("csv row %d: %q, want %q", i, recs[i+1][0], row[0])
		}
	}
	b.Reset()
	if err := NDJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatal(err)
		}
		if v[res.Columns[0].Name] != res.Rows[i][0] {
			t.Errorf("ndjson row %d: %q, want %q", i, v[res.Columns[0].Name], res.Rows[i][0])
		}
	}
	b.Reset()
	if err := JSON(&b, res); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Rows [][]any }
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for i, row := range res.Rows {
		if doc.Rows[i][0] != row[0] {
			t.Errorf("json row %d: %q, want %q", i, doc.Rows[i][0], row[0])
		}
	}
}
