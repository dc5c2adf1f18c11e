package inspect

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/styles"
)

// TestRequestShowsControlsAsEscapes: the inspect view quotes the request sent, which holds the
// filter's values from the data: their controls show as escapes.
func TestRequestShowsControlsAsEscapes(t *testing.T) {
	spec := query.Spec{Table: "esc", Where: query.Compare{Column: "name", Op: query.OpEq, Value: query.String(testenv.Hostile[0])}}
	res := &query.Result{Meta: query.Meta{Backend: "duckdb:x", Complete: true,
		Request: "SELECT name FROM esc WHERE name = '" + strings.Join(testenv.Hostile, "', '") + "'"}}
	m := New(&common.Common{Styles: styles.Default(true, false)})
	m.SetSize(120, 20)
	m.SetContent(spec, res, "")
	out := m.View()
	testenv.NoRawControls(t, "the inspect view", out)
	plain := ansi.Strip(out)
	for _, want := range testenv.EscapedHostile {
		if !strings.Contains(plain, want) {
			t.Errorf("the inspect view should show %q:\n%s", want, plain)
		}
	}
}
