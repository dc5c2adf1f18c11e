package dashscreen

import (
	"fmt"
	"testing"
	"time"

	"github.com/dora-dev/dora/backends/session"
	"github.com/dora-dev/dora/dash"
	"github.com/dora-dev/dora/tui/screen"
)

// In the shell a dashboard asks the backend nothing until its screen is first shown.
func TestInTheShellThePanelsStartWhenFirstShown(t *testing.T) {
	d, s := shellScreen(t)
	if s.Started() || s.Status() != "" {
		t.Fatalf("Init should run no panel in the shell: started %v, status %q", s.Started(), s.Status())
	}
	if _, cmd := s.Update(screen.ShownMsg{}); cmd != nil || s.Started() {
		t.Fatal("another screen being shown should not start the panels")
	}
	s.Focus()
	_, cmd := s.Update(screen.ShownMsg{})
	if cmd == nil || !s.Started() {
		t.Fatal("being shown should start the panels")
	}
	if want := fmt.Sprintf("%d refreshing", len(d.Panels)); s.Status() != want {
		t.Errorf("status %q, want %q", s.Status(), want)
	}
	s.Blur()
	s.Focus()
	if _, cmd := s.Update(screen.ShownMsg{}); cmd != nil {
		t.Error("being shown again should not run the panels again")
	}
}

// Tables changed elsewhere (a load, an ETL publish) run a started dashboard's panels again, and
// leave one not started yet alone.
func TestTablesChangedElsewhereRunThePanelsAgain(t *testing.T) {
	d, s := shellScreen(t)
	if _, cmd := s.Update(screen.Changed{What: "a load of shipments"}); cmd != nil || s.Started() {
		t.Fatal("a dashboard not shown yet should not run on news of a change")
	}
	s.Focus()
	s.Update(screen.ShownMsg{})
	for i := range s.panels { // as if every answer had come
		s.panels[i].running = false
	}
	if s.Status() != "" {
		t.Fatalf("status %q with no panel running", s.Status())
	}
	_, cmd := s.Update(screen.Changed{What: "a load of shipments"})
	if want := fmt.Sprintf("%d refreshing", len(d.Panels)); cmd == nil || s.Status() != want {
		t.Errorf("a change elsewhere should run every panel again: status %q, want %q", s.Status(), want)
	}
}

// shellScreen is the demo dashboard as a screen of the workbench, sized and initialised.
func shellScreen(t *testing.T) (*dash.Dashboard, *Model) {
	t.Helper()
	d := demoDashboard(t)
	r := dash.NewRunner(session.New("", opener(warehouse)), dash.Parallel)
	t.Cleanup(func() { r.Close() })
	s := newScreen(r, d, Options{Range: d.Range, Now: func() time.Time { return now }})
	s.SetSize(120, 38)
	s.Init()
	return d, s
}
