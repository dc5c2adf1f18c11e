package tui

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/golden"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/tui/jobscreen"
)

// TestGoldenHelp pins the help bar and the ? overlay of the Explore and Jobs screens at 80x24,
// 120x40 and 200x60: the bar leaves out whole what does not fit (never "…"), always ends in
// "? help", and ? lays its columns out without cutting any.
func TestGoldenHelp(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}, {200, 60}} {
		for _, sc := range []struct {
			name   string
			screen int
		}{{"explore", 1}, {"jobs", 4}} {
			name := fmt.Sprintf("%s_help_%dx%d", sc.name, size.w, size.h)
			t.Run(name, func(t *testing.T) {
				t.Chdir(t.TempDir())
				goldenStore(t, ".")
				m := New(t.Context(), stubBackend{}, Options{NoColor: true, Screen: sc.screen, Jobs: jobscreen.Options{Dir: "jobs", StorePath: "runs.db",
					StateDir: "state", Now: func() time.Time { return goldenNow }, Poll: time.Hour}})
				m.Update(tea.WindowSizeMsg{Width: size.w, Height: size.h})
				settle(t, m, m.Screen(sc.screen-1).Init())
				lines := strings.Split(ansi.Strip(m.View().Content), "\n")
				bar := lines[len(lines)-1]
				if strings.Contains(bar, "…") || !strings.HasSuffix(strings.TrimRight(bar, " "), "? help") {
					t.Errorf("the help bar cuts a key or lacks ? help: %q", bar)
				}
				press(m, "?")
				full := ansi.Strip(m.View().Content)
				testenv.Fits(t, full, size.w, size.h)
				os.Chdir(wd)
				golden.Check(t, name, bar+"\n"+full)
			})
		}
	}
}
