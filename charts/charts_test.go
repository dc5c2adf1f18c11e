package charts

import (
	"slices"
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
