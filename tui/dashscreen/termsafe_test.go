package dashscreen

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/dash"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/styles"
)

// TestSnapshotShowsControlsAsEscapes: what dora dash --once prints (and the screen draws):
// titles, a table panel's values and names, and a panel's error, all with their controls shown
// as escapes.
func TestSnapshotShowsControlsAsEscapes(t *testing.T) {
	d, err := dash.Parse("esc.yaml", []byte("title: \"ops \\e[2J\"\npanels:\n  - {title: \"names \\u202e\", chart: table, sql: \"SELECT name FROM esc\"}\n  - {title: broken, sql: \"SELECT count(*) FROM esc\"}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	res := &query.Result{Columns: []query.Column{{Name: "na\x1b]0;title\x07me", Role: query.RoleDimension, Type: query.TypeString}}, Meta: query.Meta{Complete: true}}
	for _, v := range testenv.Hostile {
		res.Rows = append(res.Rows, []any{v})
	}
	spec, _ := query.Parse("SELECT name FROM esc")
	answers := []dash.Answer{
		{Result: res, Applied: dash.Applied{Spec: spec}},
		{Err: errors.New("no such value " + testenv.Hostile[0])},
	}
	sn := Snapshot{Dashboard: d, Range: dash.Range{}, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Answers: answers}
	out := sn.Render(styles.Default(true, false), 100, 0)
	testenv.NoRawControls(t, "the dashboard", out)
	plain := ansi.Strip(out)
	for _, want := range append([]string{`ops \x1b[2J`, `names \u202e`, `na\x1b]0;title\x07me`}, testenv.EscapedHostile...) {
		if !strings.Contains(plain, want) {
			t.Errorf("the dashboard should show %q:\n%s", want, plain)
		}
	}
	failed := strings.Join(sn.Failed(), "\n")
	testenv.NoRawControls(t, "the failed panels' errors", failed)
	if !strings.Contains(failed, testenv.EscapedHostile[0]) {
		t.Errorf("the error should quote the value escaped: %q", failed)
	}
}
