package jobscreen

import (
	"strings"
	"testing"

	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/tui/styles"
)

// hostileLog prints what a job's output could hold: OSC 52 (write the clipboard), a clear
// screen, a colour, a right-to-left override and a bell.
const hostileLog = `name: hostile
command: ["/bin/sh", "-c", "printf '\\033]52;c;aGFja2Vk\\007 osc\\n\\033[2Jcleared\\n\\033[31mred\\033[0m\\n\\342\\200\\256bidi\\n'"]
`

// TestTheLogDrawsControlsAsEscapes: the Jobs screen shows a log's controls as escapes and keeps
// only its colours, rebuilt.
func TestTheLogDrawsControlsAsEscapes(t *testing.T) {
	h := newHarness(t, map[string]string{"hostile": hostileLog})
	h.m.styles = styles.Default(true, false) // colours on: the log's own must survive
	h.Keys("n", "ctrl+r")
	h.Until("the whole log", func() bool {
		return h.m.Detail() != nil && h.m.Detail().State == jobs.Succeeded && strings.Contains(strings.Join(h.m.Log(), "\n"), "bidi")
	})
	view := h.m.View()
	for _, bad := range []string{"\x1b]", "\x07", "\x1b[2J", "\u202e"} {
		if strings.Contains(view, bad) {
			t.Errorf("the screen passes %q to the terminal:\n%q", bad, view)
		}
	}
	if !strings.Contains(view, "\x1b[31mred\x1b[0m") {
		t.Errorf("the log's colour should be kept:\n%q", view)
	}
	scr := h.Screen()
	for _, want := range []string{`\x1b]52;c;aGFja2Vk\x07 osc`, `\x1b[2Jcleared`, `\u202ebidi`} {
		if !strings.Contains(scr, want) {
			t.Errorf("the screen should show %q:\n%s", want, scr)
		}
	}
}
