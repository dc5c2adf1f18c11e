// Package charts names dora's chart kinds once, with the name each file format gives them: the
// explorer's title and a saved view (views.yaml) say "number", "columns", "stacked bars"; a
// dashboard file says "stat" and "stacked". The explorer's chart widget, saved views and
// dashboards all take their kinds and names from here. It imports nothing.
package charts

// Kind is a way to draw a result.
type Kind int

// The chart kinds. None to Heatmap are the explorer's; Sparkline and Table only a dashboard panel
// draws.
const (
	None      Kind = iota // raw rows: nothing to chart
	Number                // no group-by: the metrics as numbers (a panel's stat)
	Bars                  // horizontal bars, one per category
	Lines                 // one line per series over time
	Columns               // vertical bars over time, stacked by series
	Stacked               // horizontal bars stacked by a second group-by
	Heatmap               // first group-by across, second down, colour for the value
	Sparkline             // the latest value over a small line of the series
	Table                 // the rows
)

// names are each kind's names: as the explorer and a saved view spell it, and as a dashboard file
// does ("" where that format has no such kind). A dashboard's "stacked" is both the explorer's
// columns and its stacked bars: the panel picks by whether the first group-by is time.
var names = [...]struct{ view, dashboard string }{
	None:      {"none", ""},
	Number:    {"number", "stat"},
	Bars:      {"bars", "bars"},
	Lines:     {"lines", "lines"},
	Columns:   {"columns", "stacked"},
	Stacked:   {"stacked bars", "stacked"},
	Heatmap:   {"heatmap", "heatmap"},
	Sparkline: {"", "sparkline"},
	Table:     {"", "table"},
}

// String names the kind as the explorer's chart title and a saved view say it; a kind only a
// dashboard draws goes by its dashboard name.
func (k Kind) String() string {
	if names[k].view != "" {
		return names[k].view
	}
	return names[k].dashboard
}

// Dashboard names the kind as a dashboard file says it; "" for None.
func (k Kind) Dashboard() string { return names[k].dashboard }

// ViewNames are the chart names a saved view can hold (Number to Heatmap), in kind order.
func ViewNames() []string {
	var out []string
	for k := Number; k <= Heatmap; k++ {
		out = append(out, names[k].view)
	}
	return out
}

// ParseView reads an explorer kind (None to Heatmap) by the name String gives it, as saved views
// spell it.
func ParseView(name string) (Kind, bool) {
	for k := None; k <= Heatmap; k++ {
		if names[k].view == name {
			return k, true
		}
	}
	return None, false
}

// ParseDashboard reads a kind by the name a dashboard file gives it; "stacked" reads as
// Columns, the first kind of that name, which a panel draws as Stacked when its first group-by is
// not time.
func ParseDashboard(name string) (Kind, bool) {
	for k := range names {
		if name != "" && names[k].dashboard == name {
			return Kind(k), true
		}
	}
	return None, false
}

// DashboardNames are the chart names a dashboard panel can hold, each once, in kind order (the
// order the docs name them).
func DashboardNames() []string {
	var out []string
	for k := range names {
		if n := names[k].dashboard; n != "" && (len(out) == 0 || out[len(out)-1] != n) {
			out = append(out, n)
		}
	}
	return out
}
