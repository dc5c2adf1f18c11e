package styles

import (
	"testing"

	"charm.land/lipgloss/v2"
)

func TestThemesLoad(t *testing.T) {
	for _, name := range []string{"dark", "light"} {
		th, err := LoadTheme(name)
		if err != nil {
			t.Fatal(err)
		}
		if th.Name != name || len(th.Series) < 4 || len(th.Heat) < 4 || th.Accent == "" {
			t.Errorf("theme %s is incomplete: %+v", name, th)
		}
	}
	if _, err := LoadTheme("nope"); err == nil {
		t.Error("an unknown theme should fail")
	}
}

func TestNoColorUsesNoColour(t *testing.T) {
	s := Default(true, true)
	for _, st := range []lipgloss.Style{s.Text, s.Accent, s.Series(3), s.Status.Error, s.Box.BorderFocus} {
		if _, ok := st.GetForeground().(lipgloss.NoColor); !ok {
			t.Errorf("NO_COLOR style has a colour: %v", st.GetForeground())
		}
	}
	if !s.List.Selected.GetReverse() {
		t.Error("without colour the selection should be reverse video")
	}
	if len(s.Chart.Heat) != 0 {
		t.Error("without colour the heatmap should use shades, not a colour scale")
	}
	if d, l := Default(true, false), Default(false, false); d.Text.GetForeground() == l.Text.GetForeground() {
		t.Error("dark and light themes should differ")
	}
}
