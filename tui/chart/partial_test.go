package chart

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/styles"
)

// monthly is count(*) by month over January to June 2025, with its spec.
func monthly(t *testing.T) (query.Spec, *query.Result) {
	t.Helper()
	schema := query.Schema{Table: "shipments", Fields: []query.Field{{Name: "shipped_at", Type: query.TypeTime, Aggregatable: true}}}
	spec, err := query.Parse("SELECT date_trunc('month', shipped_at) AS month, count(*) FROM shipments GROUP BY month ORDER BY month")
	if err != nil {
		t.Fatal(err)
	}
	if spec, err = query.Validate(spec, schema); err != nil {
		t.Fatal(err)
	}
	res := &query.Result{Columns: query.ResultColumns(spec, schema)}
	for m, n := range []int64{310, 400, 420, 410, 430, 200} {
		res.Rows = append(res.Rows, []any{time.Date(2025, time.Month(m+1), 1, 0, 0, 0, 0, time.UTC), n})
	}
	return spec, res
}

// TestPartialBucketsAreMarked: data from the 6th of January to the 20th of June makes January
// and June partial months; the chart says so under the lines, and whole data says nothing.
func TestPartialBucketsAreMarked(t *testing.T) {
	spec, res := monthly(t)
	e := Extent{From: time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC), To: time.Date(2025, 6, 20, 17, 0, 0, 0, time.UTC)}
	first := res.Rows[0][0].(time.Time)
	last := res.Rows[5][0].(time.Time)
	if p := PartialEnds(first, last, "month", e); !p.First || !p.Last {
		t.Errorf("PartialEnds = %+v, want both ends partial", p)
	}
	whole := Extent{From: first, To: time.Date(2025, 6, 30, 23, 59, 59, 0, time.UTC)}
	if p := PartialEnds(first, last, "month", whole); p.First || p.Last {
		t.Errorf("data covering every month: PartialEnds = %+v, want none", p)
	}
	s := styles.Default(true, true)
	out := ansi.Strip(RenderWith(s, charts.Lines, spec, res, Options{Extent: e, Figures: true, pivots: &pivotCache{}}, 80, 20))
	if !strings.Contains(out, "◌ partial: first month 2025-01, last month 2025-06 (left out of last and change)") {
		t.Errorf("the chart should name its partial months:\n%s", out)
	}
	if n := strings.Count(out, "\n") + 1; n != 20 {
		t.Errorf("the chart is %d lines, want 20", n)
	}
	out = ansi.Strip(RenderWith(s, charts.Lines, spec, res, Options{Extent: whole, pivots: &pivotCache{}}, 80, 20))
	if strings.Contains(out, "partial") {
		t.Errorf("whole months are not partial:\n%s", out)
	}
}

// TestPartialBarsAreHatched: on columns and stacked bars the partial first and last buckets'
// bars are drawn '░' (read without colour too), the whole ones solid, and whole data hatches
// nothing; CountPartial changes the line under the chart to say they are counted.
func TestPartialBarsAreHatched(t *testing.T) {
	spec, res := monthly(t)
	e := Extent{From: time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC), To: time.Date(2025, 6, 20, 17, 0, 0, 0, time.UTC)}
	whole := Extent{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 6, 30, 23, 59, 59, 0, time.UTC)}
	s := styles.Default(true, true)
	// columns: each of the six months is a run of cells in the bottom row of the bars
	out := ansi.Strip(RenderWith(s, charts.Columns, spec, res, Options{Extent: e, pivots: &pivotCache{}}, 62, 16))
	lines := strings.Split(out, "\n")
	var bottom []rune // the bars' bottom row, the last with bar cells
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], "│") && strings.ContainsAny(lines[i], "█░") {
			bottom = []rune(lines[i])
			break
		}
	}
	var runs []rune // the rune of each bar, left to right
	for i, r := range bottom {
		if (r == '█' || r == '░') && (i == 0 || bottom[i-1] != r) {
			runs = append(runs, r)
		}
	}
	if string(runs) != "░████░" {
		t.Errorf("columns: the first and last bars should be hatched and the middle solid, bars are %q:\n%s", string(runs), out)
	}
	if !strings.Contains(out, "◌ partial: first month 2025-01, last month 2025-06") {
		t.Errorf("columns should name the partial months:\n%s", out)
	}
	if out := ansi.Strip(RenderWith(s, charts.Columns, spec, res, Options{Extent: whole, pivots: &pivotCache{}}, 62, 16)); strings.Contains(out, "░") {
		t.Errorf("whole months are not hatched:\n%s", out)
	}
	// stacked: one row per month; the first and last rows hatched
	out = ansi.Strip(RenderWith(s, charts.Stacked, spec, res, Options{Extent: e, Figures: true, CountPartial: true, pivots: &pivotCache{}}, 90, 12))
	var rows []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "2025-") {
			rows = append(rows, l)
		}
	}
	if len(rows) != 6 {
		t.Fatalf("stacked: want 6 month rows:\n%s", out)
	}
	for i, r := range rows {
		hatched := strings.Contains(r, "░") && !strings.Contains(r, "█")
		if want := i == 0 || i == 5; hatched != want {
			t.Errorf("stacked row %d hatched = %v, want %v: %q", i, hatched, want, r)
		}
	}
	if !strings.Contains(out, "(counted in last and change)") {
		t.Errorf("with CountPartial the line should say they are counted:\n%s", out)
	}
}
