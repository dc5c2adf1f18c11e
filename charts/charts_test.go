package charts

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestNames: the names each file format holds do not change (saved views and dashboard files
// written by older versions keep reading), and each name reads back to its kind.
func TestNames(t *testing.T) {
	if got, want := ViewNames(), []string{"number", "bars", "lines", "columns", "stacked bars", "heatmap"}; !slices.Equal(got, want) {
		t.Errorf("ViewNames %q, want %q", got, want)
	}
	if got, want := DashboardNames(), []string{"stat", "bars", "lines", "stacked", "heatmap", "sparkline", "table"}; !slices.Equal(got, want) {
		t.Errorf("DashboardNames %q, want %q", got, want)
	}
	for k := None; k <= Heatmap; k++ {
		if got, ok := ParseView(k.String()); !ok || got != k {
			t.Errorf("ParseView(%q) = %v, %v; want %v", k.String(), got, ok, k)
		}
	}
	for _, name := range []string{"", "stat", "sparkline", "table", "Bars"} {
		if k, ok := ParseView(name); ok {
			t.Errorf("ParseView(%q) = %v, want no explorer kind", name, k)
		}
	}
	for name, want := range map[string]Kind{"stat": Number, "bars": Bars, "stacked": Columns, "table": Table} {
		if got, ok := ParseDashboard(name); !ok || got != want {
			t.Errorf("ParseDashboard(%q) = %v, %v; want %v", name, got, ok, want)
		}
	}
	for _, name := range []string{"", "number", "stacked bars"} {
		if k, ok := ParseDashboard(name); ok {
			t.Errorf("ParseDashboard(%q) = %v, want no panel kind", name, k)
		}
	}
	for k, want := range map[Kind]string{None: "", Number: "stat", Columns: "stacked", Stacked: "stacked", Table: "table"} {
		if got := k.Dashboard(); got != want {
			t.Errorf("%v.Dashboard() = %q, want %q", k, got, want)
		}
	}
}

// Shapes of answer the tests below choose charts for.
var (
	raw       = Shape{Raw: true}
	one       = Shape{}                          // no group-by: one row of metrics
	category  = Shape{Time: []bool{false}}       // GROUP BY category
	overTime  = Shape{Time: []bool{true}}        // GROUP BY date_trunc('day', t)
	timeByCat = Shape{Time: []bool{true, false}} // time first, then a category
	catByTime = Shape{Time: []bool{false, true}} // a category, then time
	twoCats   = Shape{Time: []bool{false, false}}
)

// TestKinds: the explorer's kinds for each shape, the default first, in the order c cycles.
func TestKinds(t *testing.T) {
	for _, c := range []struct {
		name string
		sh   Shape
		want []Kind
	}{
		{"raw", raw, []Kind{None}},
		{"one row", one, []Kind{Number}},
		{"category", category, []Kind{Bars}},
		{"time", overTime, []Kind{Lines, Columns, Bars}},
		{"time by category", timeByCat, []Kind{Lines, Columns, Heatmap}},
		{"category by time", catByTime, []Kind{Lines, Columns, Heatmap}},
		{"two categories", twoCats, []Kind{Stacked, Heatmap, Bars}},
		{"three categories", Shape{Time: []bool{false, false, true}}, []Kind{Stacked, Heatmap, Bars}},
	} {
		if got := Kinds(c.sh); !slices.Equal(got, c.want) {
			t.Errorf("%s: Kinds = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestPanel: a dashboard panel's default chart, which looks only at the first group-by for time
// (a category over time is stacked bars on a dashboard, lines in the explorer), and fits.
func TestPanel(t *testing.T) {
	for _, c := range []struct {
		name string
		sh   Shape
		want Kind
	}{
		{"raw", raw, Table}, {"one row", one, Number}, {"category", category, Bars}, {"time", overTime, Lines},
		{"time by category", timeByCat, Lines}, {"category by time", catByTime, Stacked}, {"two categories", twoCats, Stacked},
	} {
		got := Panel(c.sh)
		if got != c.want {
			t.Errorf("%s: Panel = %v, want %v", c.name, got, c.want)
		}
		if err := got.Fits(c.sh); err != nil {
			t.Errorf("%s: the default %v does not fit: %v", c.name, got, err)
		}
	}
}

// TestFits: what a dashboard file may ask of each shape, and the error in its words otherwise.
func TestFits(t *testing.T) {
	for _, c := range []struct {
		k    Kind
		sh   Shape
		want string // "" when it fits
	}{
		{Table, raw, ""}, {Table, twoCats, ""},
		{Bars, raw, "chart bars needs a metric (count(*), sum(...)): this query returns raw rows; use chart: table"},
		{Number, one, ""},
		{Number, category, "chart stat needs a query without GROUP BY (one value); use bars or table for groups"},
		{Sparkline, one, "chart sparkline needs a GROUP BY; a query without one is a stat"},
		{Columns, one, "chart stacked needs a GROUP BY; a query without one is a stat"},
		{Lines, category, ""}, {Stacked, overTime, ""}, {Sparkline, overTime, ""},
		{Heatmap, overTime, "chart heatmap needs two group-bys (across and down)"},
		{Heatmap, catByTime, ""},
	} {
		got := ""
		if err := c.k.Fits(c.sh); err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%v.Fits(%+v) = %q, want %q", c.k, c.sh, got, c.want)
		}
	}
}

// TestOn: a dashboard's "stacked" draws columns over a first group-by in time and stacked bars
// over categories; every other kind draws as itself. Series are the kinds that mark partial
// buckets.
func TestOn(t *testing.T) {
	for _, k := range []Kind{Columns, Stacked} {
		if got := k.On(timeByCat); got != Columns {
			t.Errorf("%v over time by category draws as %v, want columns", k, got)
		}
		if got := k.On(catByTime); got != Stacked {
			t.Errorf("%v over a category by time draws as %v, want stacked bars", k, got)
		}
	}
	for k := range Kind(len(names)) {
		if k != Columns && k != Stacked && k.On(catByTime) != k {
			t.Errorf("%v draws as %v", k, k.On(catByTime))
		}
		if want := k == Lines || k == Columns || k == Stacked; k.Series() != want {
			t.Errorf("%v.Series() = %v", k, k.Series())
		}
	}
}

// TestLeaf: charts stays a leaf that every layer may import: its non-test files import only the
// standard library (nothing of dora's, no TUI library).
func TestLeaf(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		read++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s: charts imports only the standard library", name, path)
			}
		}
	}
	if read == 0 {
		t.Fatal("no source files read")
	}
}
