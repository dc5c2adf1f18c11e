package explorer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/views"
)

const daily = "SELECT date_trunc('day', shipped_at), count(*), avg(price) FROM shipments GROUP BY date_trunc('day', shipped_at)"

func readViews(t *testing.T, path string) []views.View {
	t.Helper()
	f, err := views.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return f.List()
}

// S saves the view on screen with its chart; V lists the saved views and opens one, chart and all.
func TestSaveAViewThenOpenIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dora", "views.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("# my views\nviews:\n  - name: old # keep me\n    sql: SELECT * FROM clients\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Options{SQL: daily, ViewsPath: path, Backend: "local"}, 100, 30)
	h.keys("c") // columns
	h.focusOn(focusChart)
	h.keys("n") // chart avg(price)
	if k, mt := h.m.chart.Kind(), h.m.chart.Metric(); k != charts.Columns || mt != "avg(price)" {
		t.Fatalf("chart %s of %q", k, mt)
	}

	h.keys("S")
	p := h.m.Picker()
	if p == nil || p.Title() != "save the view as" || len(p.Items()) != 2 || p.Items()[0].Label != `use "shipments-by-day"` || p.Items()[1].Label != "old" {
		t.Fatalf("S should suggest a name and offer the saved views: %+v", p.Items())
	}
	h.keys("daily", "enter")
	if h.m.Picker() != nil {
		t.Fatal("the prompt should close")
	}
	h.wantScreen("saved view daily to /tmp/")
	if want := "saved view daily to " + tildePath(path); h.m.note != want {
		t.Errorf("status note %q, want %q", h.m.note, want)
	}
	got := readViews(t, path)
	want := views.View{Name: "daily", SQL: daily, Chart: "columns", Metric: "avg(price)", Backend: "local"}
	if len(got) != 2 || got[0].Name != "old" || got[1] != want {
		t.Fatalf("views file holds %+v", got)
	}
	if data, _ := os.ReadFile(path); !strings.HasPrefix(string(data), "# my views\nviews:\n  - name: old # keep me\n") {
		t.Errorf("the file's comments went:\n%s", data)
	}

	// Change the view, then open the saved one from the list.
	h.keys("g", "region", "enter", "c")
	if h.m.SQL() == daily {
		t.Fatal("the view should have changed")
	}
	h.keys("V")
	p = h.m.Picker()
	if p == nil || len(p.Items()) != 2 || p.Items()[1].Label != "daily" || p.Items()[1].Detail != "shipments · columns" {
		t.Fatalf("V should list the saved views: %+v", p)
	}
	h.keys("daily", "enter")
	h.wantSQL(daily)
	h.wantScreen("opened view daily")
	if k, mt := h.m.chart.Kind(), h.m.chart.Metric(); k != charts.Columns || mt != "avg(price)" {
		t.Errorf("the saved view opened with chart %s of %q, want columns of avg(price)", k, mt)
	}

	// S again offers the view's name: enter replaces it in place.
	h.keys("c", "S")
	if p := h.m.Picker(); p == nil || len(p.Items()) != 2 || p.Items()[0].Label != "daily" || p.Items()[0].Detail != "replace" {
		t.Fatalf("S should offer the name of the view it came from: %+v", p.Items())
	}
	h.keys("enter")
	got = readViews(t, path)
	if len(got) != 2 || got[1].Name != "daily" || got[1].Chart != "bars" {
		t.Errorf("the view should be replaced with its new chart: %+v", got)
	}
}

// S then enter alone saves under a new name made from the view, never over a saved view.
func TestSaveSuggestsANewName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "views.yaml")
	if err := os.WriteFile(path, []byte("views:\n  - {name: shipments-by-region, sql: SELECT * FROM clients}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Options{SQL: "SELECT region, count(*) FROM shipments GROUP BY region", ViewsPath: path}, 100, 30)
	h.keys("S", "enter")
	got := readViews(t, path)
	if len(got) != 2 || got[0].SQL != "SELECT * FROM clients" || got[1].Name != "shipments-by-region-2" || got[1].Chart != "bars" {
		t.Errorf("views after S enter: %+v", got)
	}
	// Typing replaces the suggestion.
	h.keys("S", "mine", "enter")
	if got := readViews(t, path); len(got) != 3 || got[2].Name != "mine" {
		t.Errorf("views after S mine: %+v", got)
	}
}

// dora --view NAME hands the explorer a saved view: it opens with its chart, and S offers its name.
func TestOptionsOpenASavedView(t *testing.T) {
	path := filepath.Join(t.TempDir(), "views.yaml")
	v := views.View{Name: "by region", SQL: "SELECT date_trunc('week', shipped_at), region, count(*) FROM shipments GROUP BY date_trunc('week', shipped_at), region", Chart: "heatmap"}
	h := newHarness(t, Options{View: v, ViewsPath: path}, 100, 30)
	h.wantSQL(v.SQL)
	if k := h.m.chart.Kind(); k != charts.Heatmap {
		t.Errorf("chart %s, want the saved heatmap", k)
	}
	h.keys("S")
	if p := h.m.Picker(); p == nil || !strings.Contains(h.screen(), `use "by region"`) {
		t.Fatalf("S should offer the view's name:\n%s", h.screen())
	}
	h.keys("enter")
	if got := readViews(t, path); len(got) != 1 || got[0] != v {
		t.Errorf("saved %+v, want %+v", got, v)
	}
}

// A broken views file is reported where it is broken; the explorer stays usable.
func TestBrokenViewsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "views.yaml")
	if err := os.WriteFile(path, []byte("views:\n  - name: a\n    sql: SELECT FROM\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Options{Table: "shipments", ViewsPath: path}, 100, 30)
	h.keys("V")
	h.wantScreen(`views.yaml:3:`, `view "a"`)
	h.keys("esc", "S", "new", "enter")
	h.wantScreen("could not save view new: " + path + ":3:")
	if data, _ := os.ReadFile(path); string(data) != "views:\n  - name: a\n    sql: SELECT FROM\n" {
		t.Errorf("the broken file was rewritten:\n%s", data)
	}
	h.keys("g", "region", "enter")
	h.wantScreen("✓ 4 rows")
}

func TestNothingToSave(t *testing.T) {
	h := newHarness(t, Options{ViewsPath: filepath.Join(t.TempDir(), "views.yaml")}, 100, 30)
	h.keys("S")
	if h.m.Picker() != nil {
		t.Fatal("S with no table open should not prompt")
	}
	h.wantScreen("nothing to save yet")
	h.keys("V")
	h.wantScreen("no saved views yet: S saves the view on screen")
}

// The chart kinds a views file may name are the chart package's, spelled the same.
func TestViewChartsAreChartKinds(t *testing.T) {
	for k := charts.Number; k <= charts.Heatmap; k++ {
		if err := views.Check(views.View{Name: "a", SQL: "SELECT * FROM t", Chart: k.String()}); err != nil {
			t.Errorf("chart kind %s: %v", k, err)
		}
	}
	if len(charts.ViewNames()) != int(charts.Heatmap) {
		t.Errorf("views.Charts %v, chart kinds number..heatmap: %d", charts.ViewNames(), charts.Heatmap)
	}
	for _, name := range charts.ViewNames() {
		if _, ok := charts.ParseView(name); !ok {
			t.Errorf("views.Charts has %q, which the chart package does not know", name)
		}
	}
}
