package querybar

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/styles"
)

func press(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		for _, msg := range testenv.Keys(k) {
			cmd = m.Update(msg)
		}
	}
	return cmd
}

func newEditor(t *testing.T) *Model {
	t.Helper()
	m := New(&common.Common{Styles: styles.Default(true, true)})
	m.SetSize(80, 8)
	m.SetCompletions([]string{"shipments", "clients"}, []string{"shipped_at", "region", "revenue", "rating"})
	m.Edit()
	return m
}

// TestCompletion: tab completes the word under the cursor from the columns, the tables after
// FROM, functions (with their parenthesis) and keywords.
func TestCompletion(t *testing.T) {
	m := newEditor(t)
	press(m, "SELECT re")
	if got := m.Completions(); strings.Join(got, ",") != "region,revenue" {
		t.Fatalf("completions of re: %v", got)
	}
	press(m, "down", "tab") // the second: revenue
	press(m, ", su", "tab")
	press(m, "revenue) fr", "tab", " sh", "tab")
	if got := m.Value(); got != "SELECT revenue, sum(revenue) FROM shipments" {
		t.Errorf("typed with completion: %q", got)
	}
	if got := m.Completions(); len(got) != 0 {
		t.Errorf("a whole word has no completions: %v", got)
	}
}

// TestMultiLineAndCaret: ctrl+o breaks the line; a parse error draws a caret under its place on
// its own line of the text; typing removes it.
func TestMultiLineAndCaret(t *testing.T) {
	m := newEditor(t)
	press(m, "SELECT region", "ctrl+o", "FROM shipments", "ctrl+o", "GROUP BY region ORDER")
	sql := m.Value()
	if strings.Count(sql, "\n") != 2 {
		t.Fatalf("three lines expected: %q", sql)
	}
	_, err := query.Parse(sql)
	pe, ok := err.(*query.ParseError)
	if !ok {
		t.Fatalf("want a parse error, got %v", err)
	}
	m.SetError(pe.Msg, pe.Line, pe.Column)
	out := strings.Split(ansi.Strip(m.View()), "\n")
	at := -1
	for i, l := range out {
		if strings.Contains(l, "GROUP BY region ORDER") {
			at = i
		}
	}
	if at < 0 || at+1 >= len(out) || !strings.Contains(out[at+1], "^ "+pe.Msg) {
		t.Fatalf("the caret should be under the third line:\n%s", strings.Join(out, "\n"))
	}
	if want := strings.Index(out[at], "GROUP") + pe.Column - 1; strings.Index(out[at+1], "^") != want {
		t.Errorf("the caret is at cell %d, want %d (column %d):\n%s", strings.Index(out[at+1], "^"), want, pe.Column, strings.Join(out, "\n"))
	}
	press(m, " BY region")
	if strings.Contains(ansi.Strip(m.View()), "^") {
		t.Error("typing should take the caret away")
	}
}

// TestHistoryPersistsPerBackend: lines run are written to the backend's history file and read
// back by a new editor; up at the first line walks back through them, down returns to the draft.
func TestHistoryPersistsPerBackend(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	path := HistoryPath("duckdb:/tmp/w.duckdb")
	if other := HistoryPath("http://127.0.0.1:9200"); other == path || filepath.Dir(other) != filepath.Dir(path) {
		t.Fatalf("each backend has its own file in one folder: %s, %s", path, other)
	}
	m := newEditor(t)
	m.SetHistory(LoadHistory(path)().(HistoryMsg))
	for i := range 3 {
		if cmd := m.Remember(fmt.Sprintf("SELECT %d FROM shipments", i)); cmd != nil {
			cmd()
		}
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the history file: %v %v", info, err)
	}
	n := New(&common.Common{Styles: styles.Default(true, true)})
	n.SetSize(80, 8)
	n.SetHistory(LoadHistory(path)().(HistoryMsg))
	n.Edit()
	press(n, "SELECT draft")
	press(n, "up")
	if got := n.Value(); got != "SELECT 2 FROM shipments" {
		t.Errorf("up: %q", got)
	}
	press(n, "up", "up", "up")
	if got := n.Value(); got != "SELECT 0 FROM shipments" {
		t.Errorf("up at the oldest: %q", got)
	}
	press(n, "down", "down", "down")
	if got := n.Value(); got != "SELECT draft" {
		t.Errorf("down past the newest: %q", got)
	}
}
