package testenv

import (
	"strings"
	"testing"
)

// Hostile values a table, a name or an error can hold, from the issue: OSC 52 (write the
// clipboard), a clear screen with a colour, a right-to-left override. EscapedHostile is each as
// termsafe shows it.
var (
	Hostile        = []string{"\x1b]52;c;aGFja2Vk\x07", "\x1b[2J\x1b[31m", "abc\u202edcba"}
	EscapedHostile = []string{`\x1b]52;c;aGFja2Vk\x07`, `\x1b[2J\x1b[31m`, `abc\u202edcba`}
)

// NoRawControls fails when out passes one of the Hostile values' controls to the terminal: an
// OSC, a bell, a clear screen, a bidi override or a C1 CSI. The styles' own SGR colours are
// allowed.
func NoRawControls(t testing.TB, what, out string) {
	t.Helper()
	for _, bad := range []string{"\x1b]", "\x07", "\x1b[2J", "\u202e", "\u009b"} {
		if strings.Contains(out, bad) {
			t.Errorf("%s passes %q to the terminal:\n%q", what, bad, out)
		}
	}
}
