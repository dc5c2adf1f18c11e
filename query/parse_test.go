package query

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		sql  string
		want Spec
	}{
		{"SELECT * FROM shipments", Spec{Table: "shipments"}},
		{"select shipped_at, price from shipments where price > 10 order by shipped_at desc limit 5",
			Spec{Table: "shipments", Select: []Output{{Ref: "shipped_at"}, {Ref: "price"}},
				Where:   Compare{Column: "price", Op: OpGt, Value: Int(10)},
				OrderBy: []Order{{Name: "shipped_at", Desc: true}}, Limit: 5}},
		{"SELECT category, count(*), avg(price) FROM shipments WHERE region = 'West' GROUP BY category ORDER BY count(*) DESC LIMIT 10",
			Spec{Table: "shipments", GroupBy: []Dimension{{Column: "category"}},
				Select:  []Output{{OutDimension, "category", ""}, {OutMetric, "count(*)", ""}, {OutMetric, "avg(price)", ""}},
				Metrics: []Metric{{Func: AggCount}, {Func: AggAvg, Column: "price"}},
				Where:   Compare{Column: "region", Op: OpEq, Value: String("West")},
				OrderBy: []Order{{Name: "count(*)", Desc: true}}, Limit: 10}},
		{`SELECT date_trunc('month', shipped_at) AS month, "user.name", count(DISTINCT client_id) n FROM "logs-*" GROUP BY 1, 2 ORDER BY month`,
			Spec{Table: "logs-*", GroupBy: []Dimension{{Kind: DimDateTrunc, Column: "shipped_at", Unit: "month"}, {Column: "user.name"}},
				Select:  []Output{{OutDimension, "date_trunc('month', shipped_at)", "month"}, {OutDimension, "user.name", ""}, {OutMetric, "count(DISTINCT client_id)", "n"}},
				Metrics: []Metric{{Func: AggCountDistinct, Column: "client_id"}},
				OrderBy: []Order{{Name: "date_trunc('month', shipped_at)"}}}},
		{"SELECT time_bucket('15 minutes', ts, 'America/Los_Angeles'), percentile(latency, 0.95), median(latency) FROM t GROUP BY 1",
			Spec{Table: "t", TimeZone: "America/Los_Angeles",
				GroupBy: []Dimension{{Kind: DimTimeBucket, Column: "ts", Every: Interval{15, "minute"}}},
				Select:  []Output{{OutDimension, "time_bucket('15 minutes', ts)", ""}, {OutMetric, "percentile(latency, 0.95)", ""}, {OutMetric, "median(latency)", ""}},
				Metrics: []Metric{{Func: AggPercentile, Column: "latency", P: 0.95}, {Func: AggPercentile, Column: "latency", P: 0.5, Median: true}}}},
		{"SELECT histogram(price, 25), sum(price) FROM shipments GROUP BY histogram(price, 25) HAVING sum(price) >= 100.5",
			Spec{Table: "shipments", GroupBy: []Dimension{{Kind: DimHistogram, Column: "price", Width: 25}},
				Select:  []Output{{OutDimension, "histogram(price, 25.0)", ""}, {OutMetric, "sum(price)", ""}},
				Metrics: []Metric{{Func: AggSum, Column: "price"}},
				Having:  Compare{Column: "sum(price)", Op: OpGe, Value: Float(100.5)}}},
		{"SELECT region, max(price) FROM shipments GROUP BY region HAVING count(*) > 3",
			Spec{Table: "shipments", GroupBy: []Dimension{{Column: "region"}},
				Select:  []Output{{OutDimension, "region", ""}, {OutMetric, "max(price)", ""}},
				Metrics: []Metric{{Func: AggMax, Column: "price"}, {Func: AggCount}},
				Having:  Compare{Column: "count(*)", Op: OpGt, Value: Int(3)}}},
		{`SELECT count(*) FROM t WHERE a IN ('x', 'y') AND NOT b BETWEEN -1 AND 2.5 OR c IS NOT NULL AND d LIKE 'pre\%x%' AND match(e, 'red dress') AND f != TRUE`,
			Spec{Table: "t", Metrics: []Metric{{Func: AggCount}}, Select: countStar,
				Where: Or{Terms: []Expr{
					And{Terms: []Expr{In{Column: "a", Values: []Value{String("x"), String("y")}}, Not{X: Between{Column: "b", Low: Int(-1), High: Float(2.5)}}}},
					And{Terms: []Expr{IsNull{Column: "c", Not: true}, Like{Column: "d", Pattern: `pre\%x%`}, Match{Column: "e", Text: "red dress"}, Compare{Column: "f", Op: OpNe, Value: Bool(true)}}},
				}}}},
		{"SELECT count(*) FROM t WHERE (a = 1 OR a = 2) AND ts >= TIMESTAMP '2024-03-10 02:30:00' AND ts < now() - INTERVAL '7 days' AND d = DATE '2024-01-31'",
			Spec{Table: "t", Metrics: []Metric{{Func: AggCount}}, Select: countStar,
				Where: And{Terms: []Expr{
					Or{Terms: []Expr{Compare{Column: "a", Op: OpEq, Value: Int(1)}, Compare{Column: "a", Op: OpEq, Value: Int(2)}}},
					Compare{Column: "ts", Op: OpGe, Value: Time(time.Date(2024, 3, 10, 2, 30, 0, 0, time.UTC))},
					Compare{Column: "ts", Op: OpLt, Value: Ago(Interval{7, "day"})},
					Compare{Column: "d", Op: OpEq, Value: Value{Kind: KindTime, Time: time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC), Date: true}},
				}}}},
		{"-- a comment\nSELECT /* inline */ count(*) FROM t WHERE s = 'x''); DROP TABLE shipments; --';",
			Spec{Table: "t", Metrics: []Metric{{Func: AggCount}}, Select: countStar, Where: Compare{Column: "s", Op: OpEq, Value: String("x'); DROP TABLE shipments; --")}}},
		{"SELECT a FROM t WHERE x NOT IN (1, 2) AND y <> 'z' AND NOT (p = 1 AND q = 2)",
			Spec{Table: "t", Select: []Output{{Ref: "a"}}, Where: And{Terms: []Expr{
				Not{X: In{Column: "x", Values: []Value{Int(1), Int(2)}}},
				Compare{Column: "y", Op: OpNe, Value: String("z")},
				Not{X: And{Terms: []Expr{Compare{Column: "p", Op: OpEq, Value: Int(1)}, Compare{Column: "q", Op: OpEq, Value: Int(2)}}}},
			}}}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.sql)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.sql, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.sql, got, tt.want)
		}
		roundTrip(t, got)
	}
}

var countStar = []Output{{OutMetric, "count(*)", ""}}

func roundTrip(t *testing.T, s Spec) {
	t.Helper()
	line := s.SQL()
	back, err := Parse(line)
	if err != nil {
		t.Errorf("printed %q does not parse: %v", line, err)
		return
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip of %q\n got %#v\nwant %#v", line, back, s)
	}
}

func TestCanonicalSQL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"select CATEGORY , COUNT(*) from shipments group by 1 order by 2 desc limit 3",
			`SELECT "CATEGORY", count(*) FROM shipments GROUP BY "CATEGORY" ORDER BY count(*) DESC LIMIT 3`},
		{`SELECT "Order", "select" FROM "my table"`, `SELECT "Order", "select" FROM "my table"`},
		{"SELECT date_trunc('WEEK', ts) w, sum(x) FROM t GROUP BY w",
			"SELECT date_trunc('week', ts) AS w, sum(x) FROM t GROUP BY w"},
		{"SELECT a FROM t WHERE b LIKE 'it''s 100\\%%'", `SELECT a FROM t WHERE b LIKE 'it''s 100\%%'`},
		{"SELECT a FROM t WHERE ts >= CURRENT_DATE - INTERVAL '30' DAY AND ts < current_timestamp + interval '2 hours' AND u > current_date",
			"SELECT a FROM t WHERE ts >= current_date - INTERVAL '30 days' AND ts < now() + INTERVAL '2 hours' AND u > current_date"},
		{"SELECT a FROM t WHERE ts >= DATE '2024-01-31' + INTERVAL '1' MONTH AND ts < TIMESTAMP '2024-03-31 10:00:00' - INTERVAL '1 month'",
			"SELECT a FROM t WHERE ts >= TIMESTAMP '2024-02-29 00:00:00' AND ts < TIMESTAMP '2024-02-29 10:00:00'"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		roundTrip(t, s)
		if got := s.SQL(); got != tt.want {
			t.Errorf("SQL() of %q\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		sql, msg  string
		line, col int
	}{
		{"SELEC * FROM t", "expected SELECT", 1, 1},
		{"SELECT * FROM", "expected a table name", 1, 14},
		{"SELECT a,\n  b FROM t WHERE", "expected a column", 2, 17},
		{"SELECT a FROM t WHERE a = 'open", "unterminated string", 1, 27},
		{"SELECT * FROM a JOIN b ON a.x = b.x", "does not support JOIN", 1, 17},
		{"SELECT * FROM a, b", "does not support JOIN", 1, 16},
		{"SELECT * FROM (SELECT * FROM t)", "does not support subqueries", 1, 15},
		{"SELECT a FROM t WHERE a IN (SELECT b FROM u)", "does not support subqueries", 1, 29},
		{"SELECT a, row_number() OVER (ORDER BY a) FROM t", "does not support the function row_number", 1, 11},
		{"SELECT a, sum(b) OVER (PARTITION BY a) FROM t GROUP BY a", "window functions", 1, 18},
		{"SELECT a FROM t UNION SELECT a FROM u", "does not support UNION", 1, 17},
		{"WITH x AS (SELECT 1) SELECT * FROM x", "does not support WITH", 1, 1},
		{"SELECT price * FROM t", "expected a column", 1, 16},
		{"SELECT a FROM t LIMIT 10 OFFSET x", "OFFSET needs a whole number", 1, 33},
		{"SELECT a FROM t ORDER BY a NULLS MIDDLE", "expected FIRST or LAST", 1, 34},
		{"SELECT DISTINCT a, count(*) FROM t", "SELECT DISTINCT with aggregates", 1, 20},
		{"SELECT DISTINCT a FROM t GROUP BY a", "drop DISTINCT", 1, 8},
		{"SELECT a + 1, count(*) FROM t GROUP BY a + 2", "must appear in GROUP BY", 1, 8},
		{"SELECT sum(count(*)) FROM t", "cannot hold another aggregate", 1, 12},
		{"SELECT round(a, b) FROM t", "whole number of digits", 1, 8},
		{"SELECT nullif(a) FROM t", "nullif takes 2 arguments", 1, 8},
		{"SELECT CAST(a AS blob) FROM t", "expected a type", 1, 18},
		{"SELECT extract(eon FROM ts) FROM t", "needs a date part", 1, 16},
		{"SELECT a FROM t WHERE a LIKE 'x' ESCAPE 'ab'", "ESCAPE needs one character", 1, 41},
		{"SELECT a FROM t WHERE a + 1 > 2", "expressions in WHERE", 1, 23},
		{"SELECT CASE WHEN a THEN 1 END FROM t", "expected a comparison", 1, 20},
		{"SELECT CASE ELSE 1 END FROM t", "expected WHEN", 1, 13},
		{"SELECT sum(CASE WHEN a + 1 > 2 THEN 1 END) FROM t", "not an expression", 1, 22},
		{"SELECT a, count(*) FROM t", "must appear in GROUP BY", 1, 8},
		{"SELECT a FROM t WHERE a = NULL", "use IS NULL", 1, 27},
		{"SELECT a FROM t WHERE count(*) > 1", "belong in HAVING", 1, 23},
		{"SELECT a FROM t WHERE a = b", "not with other columns", 1, 27},
		{"SELECT a FROM t LIMIT 0", "positive whole number", 1, 23},
		{"SELECT percentile(a, 95) FROM t", "between 0 and 1", 1, 22},
		{"SELECT date_trunc('fortnight', a) FROM t GROUP BY 1", "needs a unit", 1, 19},
		{"SELECT a FROM t WHERE ts > TIMESTAMP 'yesterday'", "cannot read", 1, 38},
		{"DELETE FROM t", "only reads", 1, 1},
		{"SELECT a FROM t extra junk", "expected end of query", 1, 23},
		{"SELECT a FROM t WHERE a = 1 @", "unexpected character", 1, 29},
	}
	checkParseErrors(t, tests)
}

// checkParseErrors parses each query and checks its error's message, place and caret.
func checkParseErrors(t *testing.T, tests []struct {
	sql, msg  string
	line, col int
}) {
	t.Helper()
	for _, tt := range tests {
		_, err := Parse(tt.sql)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %v, want a ParseError", tt.sql, err)
			continue
		}
		if !strings.Contains(pe.Msg, tt.msg) || pe.Line != tt.line || pe.Column != tt.col {
			t.Errorf("Parse(%q): line %d col %d %q; want line %d col %d containing %q", tt.sql, pe.Line, pe.Column, pe.Msg, tt.line, tt.col, tt.msg)
		}
		if !strings.Contains(err.Error(), "^") {
			t.Errorf("Parse(%q): no caret in %q", tt.sql, err)
		}
	}
}

func TestParseErrorCaret(t *testing.T) {
	_, err := Parse("SELECT a\nFROM t WHERE a >> 1")
	want := "line 2, column 17: expected a value ('string', a number, TRUE, FALSE, TIMESTAMP '...', now()), found '>'\n  FROM t WHERE a >> 1\n                  ^"
	want = strings.Replace(want, "value (", "value (a ", 1)
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM t", "SELECT category, count(*) FROM shipments GROUP BY 1 ORDER BY 2 DESC LIMIT 5",
		"SELECT a FROM t WHERE x IN (1, 'a', TRUE) AND NOT y BETWEEN 1 AND 2 OR z IS NULL",
		"SELECT date_trunc('month', ts, 'Europe/Paris') m, percentile(p, 0.9) FROM t GROUP BY m HAVING percentile(p, 0.9) > 1",
		"SELECT a FROM t WHERE ts > now() - INTERVAL '7 days' AND s LIKE 'a\\%%' AND match(b, 'x')",
		"SELECT \"a.b\" FROM \"x-*\" -- c\n/* d */",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		s, err := Parse(sql)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Line < 1 || pe.Column < 1 {
				t.Fatalf("Parse(%q): error without a position: %v", sql, err)
			}
			return
		}
		line := s.SQL()
		back, err := Parse(line)
		if err != nil {
			t.Fatalf("Parse(%q) ok but its SQL %q does not parse: %v", sql, line, err)
		}
		if back.SQL() != line {
			t.Fatalf("printing is not stable: %q then %q", line, back.SQL())
		}
	})
}

func BenchmarkParse(b *testing.B) {
	sql := "SELECT category, date_trunc('month', shipped_at, 'America/Los_Angeles') AS month, count(*), avg(price) FROM shipments WHERE region IN ('West', 'South') AND price > 10 AND shipped_at > now() - INTERVAL '90 days' GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 10"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(sql); err != nil {
			b.Fatal(err)
		}
	}
}
