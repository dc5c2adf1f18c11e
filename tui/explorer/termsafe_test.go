package explorer

import (
	"errors"
	"strings"
	"testing"

	"github.com/dora-dev/dora/internal/testenv"
)

// TestErrorLineShowsControlsAsEscapes: an error that quotes a value from the data is shown on
// the error line with the value's controls escaped.
func TestErrorLineShowsControlsAsEscapes(t *testing.T) {
	for i, h := range testenv.Hostile {
		got := describe(errors.New("no rows match name = '" + h + "'"))
		testenv.NoRawControls(t, "the error line", got)
		if !strings.Contains(got, testenv.EscapedHostile[i]) {
			t.Errorf("describe = %q, want it to show %q", got, testenv.EscapedHostile[i])
		}
	}
}
