package common

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/tui/styles"
)

func TestBoxIsExactlyItsSize(t *testing.T) {
	s := styles.Default(true, false)
	for _, size := range [][2]int{{10, 3}, {30, 8}, {5, 2}, {80, 24}} {
		out := Box(s, "a rather long title that overflows", "line one that is very long indeed\nü wide 漢字 text", size[0], size[1], true)
		lines := strings.Split(out, "\n")
		if len(lines) != size[1] {
			t.Fatalf("%v: %d lines", size, len(lines))
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w != size[0] {
				t.Errorf("%v line %d: width %d: %q", size, i, w, ansi.Strip(l))
			}
		}
	}
}

func TestFit(t *testing.T) {
	if got := Fit("hello world", 5); ansi.StringWidth(got) != 5 || !strings.HasSuffix(got, "…") {
		t.Errorf("Fit = %q", got)
	}
	if got := FitLeft("42", 5); got != "   42" {
		t.Errorf("FitLeft = %q", got)
	}
}
