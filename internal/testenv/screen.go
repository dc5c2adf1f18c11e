package testenv

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// Fits fails the test unless a drawn screen is h lines, none wider than w cells.
func Fits(t testing.TB, screen string, w, h int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) != h {
		t.Errorf("%dx%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("%dx%d: line %d is %d wide: %q", w, h, i, lw, l)
		}
	}
}
