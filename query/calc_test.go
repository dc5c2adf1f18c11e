package query

import (
	"math"
	"reflect"
	"testing"
	"time"
)

// The queries and their combinations: each parses, prints one canonical line, and that
// line parses back to the same Spec.
var wideSQL = []string{
	"SELECT DISTINCT origin FROM flights ORDER BY origin",
	"SELECT DISTINCT origin, year(date) AS y FROM flights ORDER BY y DESC NULLS FIRST LIMIT 3 OFFSET 1",
	"SELECT origin, count(*) FILTER (WHERE delay > 0) AS late FROM flights GROUP BY origin",
	"SELECT origin, sum(delay) / count(*) AS d FROM flights GROUP BY origin ORDER BY d DESC LIMIT 3",
	"SELECT extract(month FROM date) AS m, count(*) FROM flights GROUP BY m",
	"SELECT year(date) AS y, count(*) FROM flights GROUP BY 1",
	"SELECT date_part('dow', date) AS d, count(*) FROM flights GROUP BY 1 ORDER BY 1",
	"SELECT CASE WHEN delay > 15 THEN 'late' ELSE 'ok' END AS s, count(*) FROM flights GROUP BY s",
	"SELECT origin, round(avg(delay), 1) FROM flights GROUP BY origin",
	"SELECT origin, stddev(delay), variance(delay), stddev_pop(delay), var_samp(delay) FROM flights GROUP BY origin",
	"SELECT coalesce(origin, 'none') AS o, count(*) FROM flights GROUP BY o",
	"SELECT origin, count(*) FROM flights WHERE origin LIKE '%F%' GROUP BY origin",
	"SELECT origin, count(*) FROM flights WHERE origin ILIKE 'f_o%' AND dest NOT LIKE '%x\\_%' ESCAPE '\\' GROUP BY origin",
	"SELECT origin, count(*) FROM flights GROUP BY origin ORDER BY 2 DESC NULLS LAST LIMIT 3 OFFSET 3",
	"SELECT origin, sum(CASE WHEN delay > 0 THEN delay ELSE 0 END) AS s, count(CASE WHEN delay > 0 THEN 1 END) AS n FROM flights GROUP BY origin",
	"SELECT origin, 100.0 * count(*) FILTER (WHERE delay > 15) / count(*) AS pct FROM flights GROUP BY origin HAVING count(*) // 2 > 3 ORDER BY pct DESC",
	"SELECT origin, -sum(delay) % 7 AS r, abs(min(delay)) - max(delay) * 2 FROM flights GROUP BY origin HAVING sum(delay) / count(*) > 1.5",
	"SELECT origin || '-' || dest AS route, upper(origin), length(dest), substr(dest, 2, 3) FROM flights",
	"SELECT CAST(delay AS DOUBLE) / 60, delay::VARCHAR, greatest(delay, 0), least(delay, 10), nullif(delay, 0) FROM flights ORDER BY 1 DESC LIMIT 5",
	"SELECT origin, CASE WHEN count(*) > 10 THEN 'big' WHEN sum(delay) IS NULL THEN 'none' ELSE 'small' END AS size FROM flights GROUP BY origin",
	"SELECT CASE origin WHEN 'SFO' THEN 1 WHEN 'LAX' THEN 2 END AS k, avg(delay) FROM flights GROUP BY 1",
	"SELECT hour(date) AS h, count(*) FROM flights WHERE date >= now() - INTERVAL '7' DAY GROUP BY h",
	"SELECT trunc(delay / 60.0), ceil(delay * 1.5), floor(-delay), round(delay, -1) FROM flights OFFSET 10",
	"SELECT concat(origin, dest, 1), isodow(date) FROM flights ORDER BY isodow(date), origin NULLS FIRST",
	"SELECT origin, max(delay) - min(delay) AS spread FROM flights GROUP BY origin ORDER BY max(delay) - min(delay) DESC",
	"SELECT origin, avg(CASE WHEN dest = 'SFO' THEN delay END) FROM flights GROUP BY origin HAVING CASE WHEN count(*) > 3 THEN 1 ELSE 0 END = 1",
	"SELECT origin, count(*) FROM flights WHERE month(date) IN (6, 7, 8) AND NOT extract(dow FROM date) BETWEEN 1 AND 5 OR date_part('hour', date) >= 18 GROUP BY origin",
	"SELECT count(DISTINCT upper(origin)), percentile(delay * 2, 0.9), sum(delay * 60) FILTER (WHERE isodow(date) != 7) FROM flights",
}

func TestWideRoundTrip(t *testing.T) {
	for _, sql := range wideSQL {
		s, err := Parse(sql)
		if err != nil {
			t.Errorf("Parse(%q): %v", sql, err)
			continue
		}
		line := s.SQL()
		back, err := Parse(line)
		if err != nil {
			t.Errorf("Parse(%q) ok, but its line %q does not parse: %v", sql, line, err)
			continue
		}
		if !reflect.DeepEqual(s, back) {
			t.Errorf("round trip of %q through %q:\n got %#v\nwant %#v", sql, line, back, s)
		}
		if back.SQL() != line {
			t.Errorf("printing is not stable: %q then %q", line, back.SQL())
		}
	}
}

func TestWideSpec(t *testing.T) {
	s, err := Parse("SELECT origin, sum(delay) / count(*) AS d FROM flights GROUP BY origin ORDER BY d DESC NULLS FIRST LIMIT 3 OFFSET 2")
	if err != nil {
		t.Fatal(err)
	}
	calc := Binary{Op: "/", L: Ref{Name: "sum(delay)"}, R: Ref{Name: "count(*)"}}
	want := Spec{Table: "flights",
		Select:  []Output{{OutDimension, "origin", ""}, {OutCalc, "sum(delay) / count(*)", "d"}},
		GroupBy: []Dimension{{Kind: DimColumn, Column: "origin"}},
		Metrics: []Metric{{Func: AggSum, Column: "delay"}, {Func: AggCount}},
		Calcs:   []Calc{calc},
		OrderBy: []Order{{Name: "sum(delay) / count(*)", Desc: true, Nulls: NullsFirst}},
		Limit:   3, Offset: 2}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %#v\nwant %#v", s, want)
	}
	d, err := Parse("SELECT DISTINCT a, b FROM t")
	if err != nil {
		t.Fatal(err)
	}
	if !d.Distinct || len(d.GroupBy) != 2 || len(d.Metrics) != 0 || d.SQL() != "SELECT DISTINCT a, b FROM t" {
		t.Errorf("DISTINCT: %#v prints %q", d, d.SQL())
	}
	f, err := Parse("SELECT count(*) FILTER (WHERE a > 1), year(ts) AS y FROM t GROUP BY y")
	if err != nil {
		t.Fatal(err)
	}
	if f.Metrics[0].Filter == nil || f.GroupBy[0].Kind != DimExpr || f.GroupBy[0].Column != "ts" {
		t.Errorf("FILTER and year(): %#v", f)
	}
}

// TestEvalCalc holds the evaluator to answers DuckDB gives (checked with DuckDB 1.x by hand).
func TestEvalCalc(t *testing.T) {
	ts := time.Date(2024, 3, 3, 13, 4, 5, 0, time.UTC) // a Sunday
	row := map[string]any{"i": int64(7), "j": int64(2), "z": int64(0), "f": 7.5, "n": nil, "s": "Ünïcode", "t": ts}
	get := func(n string) any { return row[n] }
	tests := []struct {
		sql  string
		want any
	}{
		{"i / j", 3.5}, {"i // j", int64(3)}, {"-i // j", int64(-3)}, {"-i % 3", int64(-1)}, {"i // z", nil},
		{"i % z", nil}, {"i / z", math.Inf(1)}, {"f // j", 3.75}, {"f // z", nil}, {"i + n", nil},
		{"round(f)", 8.0}, {"round(-f)", -8.0}, {"round(2.45, 1)", 2.5}, {"round(i, -1)", int64(10)},
		{"trunc(-f)", -7.0}, {"ceil(f)", 8.0}, {"floor(-f)", -8.0}, {"abs(-i)", int64(7)},
		{"coalesce(n, i)", int64(7)}, {"nullif(i, 7)", nil}, {"greatest(i, n, j)", int64(7)}, {"least(i, f)", 7.0},
		{"lower(s)", "ünïcode"}, {"upper(s)", "ÜNÏCODE"}, {"length(s)", int64(7)}, {"substr(s, 2, 3)", "nïc"},
		{"substr(s, 0, 2)", "Ü"}, {"s || n", nil}, {"concat(s, n, i)", "Ünïcode7"}, {"'x' || f", "x7.5"},
		{"CAST(f AS BIGINT)", int64(8)}, {"CAST(2.5 AS BIGINT)", int64(2)}, {"i::DOUBLE", 7.0}, {"CAST(i AS VARCHAR)", "7"},
		{"year(t)", int64(2024)}, {"month(t)", int64(3)}, {"extract(dow FROM t)", int64(0)}, {"isodow(t)", int64(7)},
		{"date_part('hour', t)", int64(13)}, {"quarter(t)", int64(1)}, {"day(t)", int64(3)},
		{"CASE WHEN i > 5 THEN 'big' ELSE 'small' END", "big"}, {"CASE WHEN n > 5 THEN 1 END", nil},
		{"CASE WHEN n IS NULL THEN 1 ELSE 2 END", int64(1)}, {"CASE i WHEN 7 THEN 'seven' END", "seven"},
		{"CASE WHEN s ILIKE '%ü%' THEN 1 ELSE 0 END", int64(1)}, {"CASE WHEN s LIKE '_n%' THEN 1 ELSE 0 END", int64(1)},
	}
	for _, tt := range tests {
		s, err := Parse("SELECT " + tt.sql + " FROM x")
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		got := EvalCalc(s.Calcs[0], get, time.Time{})
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %#v, want %#v", tt.sql, got, tt.want)
		}
	}
}

func TestLikeMatch(t *testing.T) {
	tests := []struct {
		s, pat, esc string
		ilike, want bool
	}{
		{"abc", "a%", "", false, true}, {"abc", "%b%", "", false, true}, {"abc", "a_c", "", false, true},
		{"abc", "A%", "", false, false}, {"abc", "A%", "", true, true}, {"a%c", `a\%c`, `\`, false, true},
		{"abc", `a\%c`, `\`, false, false}, {`a\bc`, `a\%`, "", false, true}, {"", "%", "", false, true},
		{"", "", "", false, true}, {"ab", "a", "", false, false}, {"aXbXc", "%X%c", "", false, true},
		{"Ünïcode", "%ü%", "", true, true}, {"mississippi", "%ss%pi", "", false, true}, {"x", "__", "", false, false},
	}
	for _, tt := range tests {
		if got := LikeMatch(tt.s, tt.pat, tt.esc, tt.ilike); got != tt.want {
			t.Errorf("LikeMatch(%q, %q, %q, %v) = %v", tt.s, tt.pat, tt.esc, tt.ilike, got)
		}
	}
}
