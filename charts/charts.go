// Package charts declares dora's chart kinds once: the name each file format gives them (the
// explorer's title and a saved view (views.yaml) say "number", "columns", "stacked bars"; a
// dashboard file says "stat" and "stacked"), which shapes of answer each one draws, and which one
// an answer gets when nothing names one. The explorer's chart widget, saved views and dashboards
// all take their kinds, names and choices from here; drawing stays in tui/chart. It imports
// nothing of dora's.
package charts

import (
	"errors"
	"fmt"
)

// Kind is a way to draw a result.
type Kind int

// The chart kinds. Those with a view name (None to Heatmap) are the explorer's; Sparkline and
// Table only a dashboard panel draws. A new kind is a constant here, a row in names, its place
// in Kinds, Panel and Fits, and its drawing in tui/chart.
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

// ViewNames are the chart names a saved view can hold (the explorer's kinds but None), in kind
// order.
func ViewNames() []string {
	var out []string
	for k := range names {
		if n := names[k].view; n != "" && Kind(k) != None {
			out = append(out, n)
		}
	}
	return out
}

// ParseView reads an explorer kind by the name String gives it, as saved views spell it
// ("none" reads as None, which a saved view does not hold).
func ParseView(name string) (Kind, bool) {
	for k := range names {
		if name != "" && names[k].view == name {
			return Kind(k), true
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

// Shape is what an answer looks like to a chart: whether it is raw rows (no metric to chart) and,
// in order, whether each of its group-bys is a time bucket.
type Shape struct {
	Raw  bool
	Time []bool // one per group-by (dimension), in order: true for a time bucket
}

// Kinds lists the explorer's kinds that suit an answer of this shape, the default first, in the
// order the chart key cycles through them.
func Kinds(sh Shape) []Kind {
	switch dims := sh.Time; {
	case sh.Raw:
		return []Kind{None}
	case len(dims) == 0:
		return []Kind{Number}
	case len(dims) == 1 && dims[0]:
		return []Kind{Lines, Columns, Bars}
	case len(dims) == 1:
		return []Kind{Bars}
	case dims[0] || dims[1]:
		return []Kind{Lines, Columns, Heatmap}
	}
	return []Kind{Stacked, Heatmap, Bars}
}

// Panel is the kind a dashboard panel gets when it names none: a stat without group-bys, lines
// over a first group-by in time, stacked bars for two group-bys, bars for one, a table for raw
// rows. Only the first group-by counts as time here, where the explorer's Kinds looks at two.
func Panel(sh Shape) Kind {
	switch dims := sh.Time; {
	case sh.Raw:
		return Table
	case len(dims) == 0:
		return Number
	case dims[0]:
		return Lines
	case len(dims) > 1:
		return Stacked
	}
	return Bars
}

// Fits says why a dashboard panel of kind k cannot draw an answer of this shape, in the words of
// a dashboard file; nil when it can. Columns and Stacked, the one "stacked" of a dashboard,
// fit alike.
func (k Kind) Fits(sh Shape) error {
	switch {
	case k == Table:
		return nil
	case sh.Raw:
		return fmt.Errorf("chart %s needs a metric (count(*), sum(...)): this query returns raw rows; use chart: table", k.Dashboard())
	case k == Number && len(sh.Time) > 0:
		return errors.New("chart stat needs a query without GROUP BY (one value); use bars or table for groups")
	case k != Number && len(sh.Time) == 0:
		return fmt.Errorf("chart %s needs a GROUP BY; a query without one is a stat", k.Dashboard())
	case k == Heatmap && len(sh.Time) < 2:
		return errors.New("chart heatmap needs two group-bys (across and down)")
	}
	return nil
}

// On is the kind drawn for an answer of this shape: a dashboard's "stacked" (Columns or
// Stacked) is columns over a first group-by in time and stacked bars over categories; every
// other kind is itself.
func (k Kind) On(sh Shape) Kind {
	if k != Columns && k != Stacked {
		return k
	}
	if len(sh.Time) > 0 && sh.Time[0] {
		return Columns
	}
	return Stacked
}

// Series reports whether the kind draws series over time buckets (lines, columns, stacked bars):
// the kinds that mark a partial first or last bucket, so need the time the data spans.
func (k Kind) Series() bool { return k == Lines || k == Columns || k == Stacked }
