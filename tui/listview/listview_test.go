package listview

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/tui/styles"
)

// TestScrollArrowsDoNotCoverText: a list longer than its height draws its arrows in a column of
// their own, so the last letter of a name or a detail ("events 4", "stylist k") stays whole.
func TestScrollArrowsDoNotCoverText(t *testing.T) {
	m := New(styles.Default(true, true))
	var rows []Row
	for i := range 10 {
		rows = append(rows, Row{Text: fmt.Sprintf("events%d", i), Detail: "4"})
	}
	m.SetRows(rows)
	m.SetSize(12, 4)
	m.Update(tea.KeyPressMsg(tea.Key{Code: tea.KeyDown}), DefaultNavKeyMap())
	for range 5 {
		m.Update(tea.KeyPressMsg(tea.Key{Code: tea.KeyDown}), DefaultNavKeyMap())
	}
	lines := strings.Split(ansi.Strip(m.View()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w != 12 {
			t.Errorf("line %d is %d cells wide: %q", i, w, l)
		}
		if !strings.Contains(l, " 4") {
			t.Errorf("line %d lost its detail: %q", i, l)
		}
	}
	if !strings.HasSuffix(lines[0], "↑") || !strings.HasSuffix(lines[3], "↓") {
		t.Errorf("the arrows should end the first and last lines:\n%s", strings.Join(lines, "\n"))
	}
}
