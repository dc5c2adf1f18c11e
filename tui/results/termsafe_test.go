package results

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/styles"
)

// TestCellsAndHeadersShowControlsAsEscapes: values and column names from the data reach the
// screen as visible escapes, in the table's widths.
func TestCellsAndHeadersShowControlsAsEscapes(t *testing.T) {
	spec, _ := query.Parse("SELECT name FROM esc")
	res := &query.Result{Columns: []query.Column{{Name: "na\x1b[8mme", Role: query.RoleDimension, Type: query.TypeString}}}
	for _, v := range testenv.Hostile {
		res.Rows = append(res.Rows, []any{v})
	}
	m := New(&common.Common{Styles: styles.Default(true, false)})
	m.SetSize(60, 8)
	m.SetResult(spec, res)
	out := m.View()
	testenv.NoRawControls(t, "the results table", out)
	plain := ansi.Strip(out)
	for _, want := range append([]string{`na\x1b[8mme`}, testenv.EscapedHostile...) {
		if !strings.Contains(plain, want) {
			t.Errorf("the table should show %q:\n%s", want, plain)
		}
	}
	testenv.Fits(t, plain, 60, 8)
}
