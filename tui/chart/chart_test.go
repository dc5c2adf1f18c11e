package chart

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/internal/benchcpu"
	"github.com/dora-dev/dora/internal/golden"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/styles"
)

// check strips colour, checks every line fits the size, and returns the plain text.
func check(t *testing.T, out string, w, h int) string {
	t.Helper()
	plain := ansi.Strip(out)
	lines := strings.Split(plain, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw != w {
			t.Errorf("line %d is %d wide, want %d: %q", i, lw, w, l)
		}
	}
	return plain
}

func categories() (query.Spec, *query.Result) {
	spec, _ := query.Parse("SELECT category, count(*), avg(price) FROM shipments GROUP BY category ORDER BY count(*) DESC")
	res := &query.Result{Columns: []query.Column{
		{Name: "category", Role: query.RoleDimension, Type: query.TypeString},
		{Name: "count(*)", Role: query.RoleMetric, Type: query.TypeInt},
		{Name: "avg(price)", Role: query.RoleMetric, Type: query.TypeFloat},
	}}
	for i, c := range []string{"Dresses", "Tops", "Jeans", "Knits", "Outerwear and very long category names", "Shoes"} {
		res.Rows = append(res.Rows, []any{c, int64(48211 - i*7000), 84.1 - float64(i)*6.5})
	}
	return spec, res
}

func timeSeries(buckets int, unit string, regions []string) (query.Spec, *query.Result) {
	sql := fmt.Sprintf("SELECT date_trunc('%s', shipped_at), region, count(*) FROM shipments GROUP BY date_trunc('%s', shipped_at), region", unit, unit)
	if len(regions) == 0 {
		sql = fmt.Sprintf("SELECT date_trunc('%s', shipped_at), count(*) FROM shipments GROUP BY date_trunc('%s', shipped_at)", unit, unit)
	}
	spec, err := query.Parse(sql)
	if err != nil {
		panic(err)
	}
	res := &query.Result{Columns: []query.Column{{Name: spec.GroupBy[0].Name(), Role: query.RoleDimension, Type: query.TypeTime}}}
	if len(regions) > 0 {
		res.Columns = append(res.Columns, query.Column{Name: "region", Role: query.RoleDimension, Type: query.TypeString})
	}
	res.Columns = append(res.Columns, query.Column{Name: "count(*)", Role: query.RoleMetric, Type: query.TypeInt})
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < buckets; i++ {
		t := t0.AddDate(0, i, 0)
		if unit == "day" {
			t = t0.AddDate(0, 0, i)
		}
		if len(regions) == 0 {
			res.Rows = append(res.Rows, []any{t, int64(1000 + (i*37)%500 + i*10)})
			continue
		}
		for r, reg := range regions {
			res.Rows = append(res.Rows, []any{t, reg, int64((r + 1) * (500 + (i*53+r*17)%300))})
		}
	}
	return spec, res
}

func twoCategories() (query.Spec, *query.Result) {
	spec, _ := query.Parse("SELECT category, region, count(*) FROM shipments GROUP BY category, region")
	res := &query.Result{Columns: []query.Column{
		{Name: "category", Role: query.RoleDimension, Type: query.TypeString},
		{Name: "region", Role: query.RoleDimension, Type: query.TypeString},
		{Name: "count(*)", Role: query.RoleMetric, Type: query.TypeInt},
	}}
	for i, c := range []string{"Dresses", "Tops", "Jeans", "Knits"} {
		for j, r := range []string{"West", "East", "South"} {
			res.Rows = append(res.Rows, []any{c, r, int64(1000*(4-i) + 300*j)})
		}
	}
	return spec, res
}

// TestGoldenCharts renders each chart kind at fixed sizes with no colour, so the goldens hold
// exactly what a NO_COLOR terminal shows.
func TestGoldenCharts(t *testing.T) {
	s := styles.Default(true, true)
	catSpec, catRes := categories()
	lineSpec, lineRes := timeSeries(24, "month", []string{"West", "East", "South"})
	oneSpec, oneRes := timeSeries(12, "month", nil)
	twoSpec, twoRes := twoCategories()
	cases := []struct {
		name string
		kind charts.Kind
		spec query.Spec
		res  *query.Result
		w, h int
	}{
		{"bars_80x8", charts.Bars, catSpec, catRes, 80, 8},
		{"bars_40x5", charts.Bars, catSpec, catRes, 40, 5},
		{"lines_100x14", charts.Lines, lineSpec, lineRes, 100, 14},
		{"lines_one_60x10", charts.Lines, oneSpec, oneRes, 60, 10},
		{"columns_80x10", charts.Columns, lineSpec, lineRes, 80, 10},
		{"stacked_80x6", charts.Stacked, twoSpec, twoRes, 80, 6},
		{"heatmap_80x8", charts.Heatmap, twoSpec, twoRes, 80, 8},
		{"heatmap_time_80x7", charts.Heatmap, lineSpec, lineRes, 80, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := Render(s, c.kind, c.spec, c.res, 0, c.w, c.h)
			golden.Check(t, c.name, check(t, out, c.w, c.h))
		})
	}
}

// TestChartsFitInColour checks the coloured renders keep to their size too, from tiny to large.
func TestChartsFitInColour(t *testing.T) {
	s := styles.Default(true, false)
	catSpec, catRes := categories()
	lineSpec, lineRes := timeSeries(60, "day", []string{"West", "East"})
	twoSpec, twoRes := twoCategories()
	wideSpec, wideRes := twoCategories()
	for i, row := range wideRes.Rows { // labels two cells wide per character
		row[0] = []string{"婦人服", "紳士服のとても長いカテゴリー名", "子供服", "靴"}[i/3]
	}
	for _, size := range [][2]int{{10, 3}, {30, 6}, {80, 10}, {200, 60}} {
		for _, k := range []charts.Kind{charts.Bars, charts.Lines, charts.Columns, charts.Stacked, charts.Heatmap} {
			for _, d := range []struct {
				spec query.Spec
				res  *query.Result
			}{{catSpec, catRes}, {lineSpec, lineRes}, {twoSpec, twoRes}, {wideSpec, wideRes}} {
				check(t, Render(s, k, d.spec, d.res, 0, size[0], size[1]), size[0], size[1])
			}
		}
	}
}

func TestKinds(t *testing.T) {
	catSpec, catRes := categories()
	if k := Kinds(catSpec, catRes); k[0] != charts.Bars {
		t.Errorf("one category: %v", k)
	}
	lineSpec, lineRes := timeSeries(3, "month", []string{"a"})
	if k := Kinds(lineSpec, lineRes); k[0] != charts.Lines || len(k) != 3 {
		t.Errorf("time and category: %v", k)
	}
	twoSpec, twoRes := twoCategories()
	if k := Kinds(twoSpec, twoRes); k[0] != charts.Stacked {
		t.Errorf("two categories: %v", k)
	}
}

// BenchmarkView1000Buckets draws a 1,000-bucket line chart at 200x60, uncached, as a resize does.
func BenchmarkView1000Buckets(b *testing.B) {
	s := styles.Default(true, false)
	spec, res := timeSeries(1000, "day", []string{"West", "East", "South"})
	for _, k := range []charts.Kind{charts.Lines, charts.Columns, charts.Heatmap} {
		b.Run(k.String(), func(b *testing.B) {
			done := benchcpu.Start(b)
			for b.Loop() {
				_ = Render(s, k, spec, res, 0, 200, 60)
			}
			done()
		})
	}
}
