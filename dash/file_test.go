package dash

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/charts"
)

const example = `title: Styling ops
time: {column: shipped_at, from: now-30d, to: now}   # default range
refresh: 30s
layout: {columns: 3}
where: region = 'West'
panels:
  - {title: Shipments, sql: "SELECT count(*) FROM shipments", chart: stat}
  - {title: Kept by region, view: kept-by-region, width: 2}
  - {title: Weekly revenue, chart: lines, height: 2,
     sql: "SELECT date_trunc('week', shipped_at) AS w, sum(price) FROM shipments GROUP BY w"}
  - {title: Top stylists, chart: bars, sql: "SELECT stylist, avg(rating) FROM shipments GROUP BY stylist ORDER BY 2 DESC LIMIT 8",
     thresholds: [{value: 4.5, color: green}, {value: 3.5, color: yellow}]}
  - title: Returns
    time: returned_at
    sql: |
      SELECT category, count(*)
      FROM shipments
      GROUP BY category
`

func views(name string) (SavedView, error) {
	if name == "kept-by-region" {
		return SavedView{SQL: "SELECT region, sum(items_kept), count(*) FROM shipments GROUP BY region", Chart: charts.Bars, Metric: "count(*)"}, nil
	}
	return SavedView{}, fmt.Errorf("no saved view named %q", name)
}

func TestParseExample(t *testing.T) {
	d, err := Parse("ops.yaml", []byte(example), views)
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Styling ops" || d.TimeColumn != "shipped_at" || d.Refresh != 30*time.Second || d.Columns != 3 {
		t.Errorf("dashboard = %+v", d)
	}
	if got := d.Range.String(); got != "now-30d..now" {
		t.Errorf("range = %s", got)
	}
	if d.WhereText != "region = 'West'" || d.Where == nil {
		t.Errorf("where = %q %v", d.WhereText, d.Where)
	}
	want := []struct {
		title string
		chart charts.Kind
		w, h  int
	}{{"Shipments", charts.Number, 1, 1}, {"Kept by region", charts.Bars, 2, 1}, {"Weekly revenue", charts.Lines, 1, 2},
		{"Top stylists", charts.Bars, 1, 1}, {"Returns", charts.Bars, 1, 1}}
	if len(d.Panels) != len(want) {
		t.Fatalf("%d panels", len(d.Panels))
	}
	for i, w := range want {
		p := d.Panels[i]
		if p.Title != w.title || p.Chart != w.chart || p.Width != w.w || p.Height != w.h {
			t.Errorf("panel %d = %q %s %dx%d, want %q %s %dx%d", i, p.Title, p.Chart, p.Width, p.Height, w.title, w.chart, w.w, w.h)
		}
	}
	if p := d.Panels[1]; p.View != "kept-by-region" || p.Spec.Table != "shipments" || p.Metric != "count(*)" {
		t.Errorf("the saved view was not resolved: %+v", p)
	}
	if p := d.Panels[3]; len(p.Thresholds) != 2 || p.Color(4.6) != "green" || p.Color(4.0) != "yellow" || p.Color(2) != "" {
		t.Errorf("thresholds = %+v", p.Thresholds)
	}
	if p := d.Panels[4]; p.TimeColumn != "returned_at" || p.Spec.SQL() != "SELECT category, count(*) FROM shipments GROUP BY category" {
		t.Errorf("block panel = %+v", p)
	}
}

// Every error names the file, line and column, quotes the line and puts a caret under the spot.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string // each error's first line
		caret     string   // the caret line of the first error, if checked
	}{
		{"unknown top key", "titel: x\npanels:\n  - {sql: \"SELECT count(*) FROM t\"}\n",
			[]string{`f.yaml:1:1: unknown key "titel" in the dashboard; did you mean "title"? (known keys: title, time, refresh, layout, where, panels)`}, "    | ^"},
		{"unknown panel key", "panels:\n  - {title: A, sqll: \"SELECT 1\"}\n",
			[]string{"f.yaml:2:5: panel 1 needs sql: a SQL line, or view: the name of a saved view", `f.yaml:2:16: unknown key "sqll" in panel 1; did you mean "sql"? (known keys: title, sql, view, chart, time, width, height, thresholds)`}, ""},
		{"sql error in a quoted scalar", "panels:\n  - {title: A, sql: \"SELECT count(*) FROM shipments WHERE price >\"}\n",
			[]string{"f.yaml:2:66: expected a value (a 'string', a number, TRUE, FALSE, TIMESTAMP '...', now()), found end of query"}, "    |                                                                  ^"},
		{"sql error in a block scalar", "panels:\n  - title: A\n    sql: |\n      SELECT count(*)\n      FROM shipments\n      WHERE price >> 3\n",
			[]string{"f.yaml:6:20: expected a value (a 'string', a number, TRUE, FALSE, TIMESTAMP '...', now()), found '>'"}, "    |                    ^"},
		{"sql error in a single-quoted scalar", "panels:\n  - {sql: 'SELECT count(*) FROM t WHERE a = ''x'' AND AND'}\n",
			[]string{`f.yaml:2:55: expected a column, found the reserved word AND; a column of that name must be double-quoted: "AND"`}, ""},
		{"bad chart", "panels:\n  - {sql: \"SELECT count(*) FROM t\", chart: pie}\n",
			[]string{"f.yaml:2:44: unknown chart \"pie\": use stat, bars, lines, stacked, heatmap, sparkline, table"}, ""},
		{"chart does not fit", "panels:\n  - {sql: \"SELECT region, count(*) FROM t GROUP BY region\", chart: stat}\n",
			[]string{"f.yaml:2:68: chart stat needs a query without GROUP BY (one value); use bars or table for groups"}, ""},
		{"bad range", "time: {column: ts, from: now-30x}\npanels:\n  - {sql: \"SELECT count(*) FROM t\"}\n",
			[]string{`f.yaml:1:26: time.from: cannot read "now-30x": write now-30d (units s, m, h, d, w, M, q, y)`}, ""},
		{"empty range", "time: {column: ts, from: 2024-02-01, to: 2024-01-01}\npanels:\n  - {sql: \"SELECT count(*) FROM t\"}\n",
			[]string{"f.yaml:1:26: the range 2024-02-01..2024-01-01 is empty: its start must come before its end"}, ""},
		{"range without column", "time: {from: now-1d}\npanels:\n  - {sql: \"SELECT count(*) FROM t\"}\n",
			[]string{"f.yaml:1:7: time needs a column: the time column the range applies to, as in {column: shipped_at, from: now-30d}"}, ""},
		{"wide panel", "layout: {columns: 2}\npanels:\n  - {sql: \"SELECT count(*) FROM t\", width: 3}\n",
			[]string{"f.yaml:3:44: width 3 is wider than the grid's 2 columns (layout.columns)"}, ""},
		{"bad refresh and colour", "refresh: often\npanels:\n  - {sql: \"SELECT count(*) FROM t\", thresholds: [{value: 1, color: mauve}]}\n",
			[]string{`f.yaml:1:10: refresh should be a duration such as 30s, 5m or 1h (or off), not "often"`,
				`f.yaml:3:68: unknown colour "mauve": use green, yellow, orange, red, blue, magenta, purple, cyan, gray, grey, white or #rrggbb`}, ""},
		{"missing view", "panels:\n  - {view: nope}\n", []string{`f.yaml:2:12: no saved view named "nope"`}, ""},
		{"bad filter", "where: region = \npanels:\n  - {sql: \"SELECT count(*) FROM t\"}\n",
			[]string{"f.yaml:1:16: expected a value (a 'string', a number, TRUE, FALSE, TIMESTAMP '...', now()), found end of the filter"}, ""},
		{"yaml syntax", "panels:\n  - {sql: \"SELECT 1\"\n", []string{"f.yaml:1:1: did not find expected ',' or '}'"}, ""},
		{"no panels", "title: x\n", []string{"f.yaml:1:1: the dashboard has no panels: add a list under panels:"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(c.src), views)
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("want Errors, got %v", err)
			}
			var got []string
			for _, e := range es {
				got = append(got, strings.Split(e.Error(), "\n")[0])
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if c.caret != "" {
				lines := strings.Split(es[0].Error(), "\n")
				if len(lines) < 3 || strings.TrimRight(lines[2], " ") != strings.TrimRight("  "+strings.Repeat(" ", len(
					strings.TrimSpace(strings.SplitN(lines[1], "|", 2)[0])))+c.caret[3:], " ") {
					t.Errorf("caret line %q, want %q\n%s", lines[min(2, len(lines)-1)], c.caret, es[0])
				}
			}
		})
	}
}

func TestErrorShowsTheLine(t *testing.T) {
	_, err := Parse("ops.yaml", []byte("panels:\n  - {title: A, sql: \"SELECT count(*) FROM t WHERE\"}\n"), nil)
	want := "ops.yaml:2:50: expected a column, found end of query\n  2 |   - {title: A, sql: \"SELECT count(*) FROM t WHERE\"}\n    |                                                  ^"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}
