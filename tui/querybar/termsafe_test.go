package querybar

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/styles"
)

// TestSQLLineShowsControlsAsEscapes: a filter on a value picked from the data quotes it on the
// SQL line, escaped.
func TestSQLLineShowsControlsAsEscapes(t *testing.T) {
	m := New(&common.Common{Styles: styles.Default(true, false)})
	m.SetSize(200, 2)
	m.SetSQL("SELECT n FROM esc WHERE name = '" + testenv.Hostile[0] + "' OR name = '" + testenv.Hostile[2] + "'")
	out := m.View()
	testenv.NoRawControls(t, "the SQL line", out)
	if plain := ansi.Strip(out); !strings.Contains(plain, testenv.EscapedHostile[0]) || !strings.Contains(plain, testenv.EscapedHostile[2]) {
		t.Errorf("the SQL line should show the values escaped:\n%s", plain)
	}
}
