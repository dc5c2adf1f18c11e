// Package dash is dora's dashboards as data: a dashboard file parsed and checked, the time range
// and filter that every panel shares, applied to each panel's Spec, and the runner that answers
// the panels concurrently. The screen that draws them is tui/dashscreen.
package dash

import (
	"time"

	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/query"
)

// Dashboard is one dashboard file: panels on a grid, one time range and one filter for all.
type Dashboard struct {
	File       string
	Title      string
	TimeColumn string // the time column the range applies to, where a panel's table has it
	Range      Range  // the default range; the zero Range is all time
	Where      query.Expr
	WhereText  string
	Refresh    time.Duration // 0: no automatic refresh
	Columns    int           // grid columns, at least 1
	Panels     []Panel
}

// Panel is one cell of the grid: a question and how to draw it.
type Panel struct {
	Title      string
	SQL        string // the SQL line as written (or as the saved view has it)
	View       string // the saved view it came from, if any
	Metric     string // the metric a chart draws, by its result column name; "" for the first
	Spec       query.Spec
	Chart      charts.Kind // the kind drawn: a file's "stacked" is Columns over time, Stacked over categories
	TimeColumn string      // the panel's own time column, used when its table lacks the dashboard's
	Width      int         // grid columns it spans, at least 1
	Height     int         // grid rows it spans, at least 1
	Thresholds []Threshold
	Line       int // where the panel starts in the file
}

// Threshold colours a value at or above Value.
type Threshold struct {
	Value float64
	Color string // a colour name (green, yellow, red, ...) or #rrggbb
}

// Color returns the colour of the highest threshold v reaches, or "" when it reaches none.
func (p Panel) Color(v float64) string {
	best, color := 0.0, ""
	for _, t := range p.Thresholds {
		if v >= t.Value && (color == "" || t.Value > best) {
			best, color = t.Value, t.Color
		}
	}
	return color
}

// SavedView is what a panel takes from a saved view.
type SavedView struct {
	SQL    string
	Chart  charts.Kind // the view's chart (an explorer kind); charts.None for the default
	Metric string      // the metric the chart draws, by its result column name; "" for the first
}

// ViewLookup finds a saved view by name; the error says why there is none (no such name, with
// the nearest, or a views file that does not read).
type ViewLookup func(name string) (SavedView, error)
