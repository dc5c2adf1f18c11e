package listview

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/tui/styles"
)

// TestNamesShowControlsAsEscapes: the field and table lists and the pickers draw names and
// values from the data as visible escapes.
func TestNamesShowControlsAsEscapes(t *testing.T) {
	m := New(styles.Default(true, false))
	var rows []Row
	for _, h := range testenv.Hostile {
		rows = append(rows, Row{Glyph: "A", Text: h, Detail: h[:3]})
	}
	m.SetRows(rows)
	m.SetSize(50, 5)
	out := m.View()
	testenv.NoRawControls(t, "the list", out)
	plain := ansi.Strip(out)
	for _, want := range testenv.EscapedHostile {
		if !strings.Contains(plain, want) {
			t.Errorf("the list should show %q:\n%s", want, plain)
		}
	}
	testenv.Fits(t, plain, 50, 5)
}
