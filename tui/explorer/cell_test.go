package explorer

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCellActions: in the rows pane, + keeps only the value under the cursor, - drops it and F
// groups by its column, each as an edit of the SQL line that u takes back; on a month bucket, +
// keeps that month's range.
func TestCellActions(t *testing.T) {
	h := newHarness(t, Options{}, 120, 40)
	h.keys("down", "enter")
	h.wantSQL("SELECT * FROM shipments LIMIT 100")
	h.focusOn(focusResults)
	h.keys("right") // shipped_at, then region
	h.keys("+")
	h.wantSQL("SELECT * FROM shipments WHERE region = 'West' LIMIT 100")
	h.keys("down", "down", "-") // the third row's region
	h.wantSQL("SELECT * FROM shipments WHERE region = 'West' AND region != 'South' LIMIT 100")
	h.keys("u", "u")
	h.wantSQL("SELECT * FROM shipments LIMIT 100")
	h.keys("F")
	h.wantSQL("SELECT region, count(*) FROM shipments GROUP BY region ORDER BY count(*) DESC LIMIT 10")

	// A metric is not a cell to filter on: the status line says so and the view stays.
	h.focusOn(focusResults)
	h.keys("right", "+")
	h.wantSQL("SELECT region, count(*) FROM shipments GROUP BY region ORDER BY count(*) DESC LIMIT 10")
	h.wantScreen("count(*) is a metric")

	h.keys("u", "t", "month", "enter")
	h.wantSQL("SELECT date_trunc('month', shipped_at), count(*) FROM shipments GROUP BY date_trunc('month', shipped_at)")
	h.focusOn(focusResults)
	h.keys("left", "home", "+")
	h.wantSQL("SELECT date_trunc('month', shipped_at), count(*) FROM shipments WHERE shipped_at >= TIMESTAMP '2024-01-01 00:00:00' AND shipped_at < TIMESTAMP '2024-02-01 00:00:00' GROUP BY date_trunc('month', shipped_at)")
}

// TestQuittingAsksForAnUnsavedView: a view changed by hand is named as unsaved until it is saved;
// one opened and left as it is is not.
func TestQuittingAsksForAnUnsavedView(t *testing.T) {
	h := newHarness(t, Options{ViewsPath: filepath.Join(t.TempDir(), "views.yaml")}, 120, 40)
	h.keys("down", "enter")
	if u := h.m.Unsaved(); u != "" {
		t.Errorf("a table just opened is not a change: %q", u)
	}
	h.keys("g", "region", "enter")
	if u := h.m.Unsaved(); u != "the view on shipments" {
		t.Errorf("Unsaved() = %q after g", u)
	}
	h.keys("S", "by-region", "enter")
	h.wantScreen("saved view by-region")
	if u := h.m.Unsaved(); u != "" {
		t.Errorf("a saved view is not unsaved: %q", u)
	}
	h.keys("m", "avg", "enter", "price", "enter")
	if u := h.m.Unsaved(); u != "the changes to view by-region" {
		t.Errorf("Unsaved() = %q after changing the saved view", u)
	}
}

// TestTheHelpBarSaysWhatGDoesInTheFieldsList: g and f act at once on the field under the
// cursor in the fields list, and the help bar says so; elsewhere they open a picker.
func TestTheHelpBarSaysWhatGDoesInTheFieldsList(t *testing.T) {
	h := newHarness(t, Options{}, 120, 40)
	h.keys("down", "enter")
	h.focusOn(focusFields)
	h.keys("down")
	h.wantScreen("g group by region", "f filter region")
	h.focusOn(focusTables)
	h.wantScreen("g group ", "f filter ")
	if s := h.screen(); strings.Contains(s, "g group by region") {
		t.Errorf("the tables list's help bar should not name a field:\n%s", s)
	}
}
