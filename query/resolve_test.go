package query

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// Words that real warehouses use as column names are identifiers wherever a column can stand.
func TestOrdinaryWordsAreColumns(t *testing.T) {
	for _, w := range []string{"date", "timestamp", "time", "year", "month", "day", "hour", "interval", "key",
		"value", "count", "first", "last", "type", "name", "over", "partition", "delete", "now", "match", "median"} {
		for _, sql := range []string{
			"SELECT " + w + ", delay FROM flights WHERE " + w + " IS NOT NULL ORDER BY " + w,
			"SELECT " + w + " AS x FROM flights WHERE " + w + " IN (1, 2) AND " + w + " BETWEEN 1 AND 3",
			"SELECT " + w + ", count(" + w + "), max(" + w + ") FROM flights GROUP BY " + w + " HAVING count(*) > 1 ORDER BY " + w,
			"SELECT date_trunc('month', " + w + ") " + w + ", count(*) FROM flights GROUP BY " + w,
		} {
			s, err := Parse(sql)
			if err != nil {
				t.Errorf("Parse(%q): %v", sql, err)
				continue
			}
			if s.Outputs()[0].Name() != w && !strings.Contains(sql, "AS x") {
				t.Errorf("Parse(%q): first output is %q, want %q", sql, s.Outputs()[0].Name(), w)
			}
			roundTrip(t, s)
		}
	}
	s, err := Parse("SELECT date FROM t WHERE date >= DATE '2024-01-01' AND timestamp < TIMESTAMP '2024-02-01 00:00:00'")
	if err != nil {
		t.Fatal(err)
	}
	want := And{Terms: []Expr{
		Compare{Column: "date", Op: OpGe, Value: Value{Kind: KindTime, Time: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Date: true}},
		Compare{Column: "timestamp", Op: OpLt, Value: Time(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))},
	}}
	if !reflect.DeepEqual(s.Where, want) {
		t.Errorf("DATE and TIMESTAMP literals beside columns of those names: %#v", s.Where)
	}
}

// The SELECT list is the answer: its order, repeats and aliases, and nothing else.
func TestSelectListIsTheOutput(t *testing.T) {
	tests := []struct {
		sql     string
		outputs []string // output names
		dims    int
		metrics []string
		order   []string
		canon   string
	}{
		{"SELECT max(salary) FROM emp GROUP BY gender", []string{"max(salary)"}, 1, []string{"max(salary)"}, nil,
			"SELECT max(salary) FROM emp GROUP BY gender"},
		{"SELECT count(delay) FROM t GROUP BY d HAVING count(*) > 200 ORDER BY count(*) DESC", []string{"count(delay)"}, 1,
			[]string{"count(delay)", "count(*)"}, []string{"count(*)"},
			"SELECT count(delay) FROM t GROUP BY d HAVING count(*) > 200 ORDER BY count(*) DESC"},
		{"SELECT count(*) AS n, sum(x), dest FROM t GROUP BY dest", []string{"n", "sum(x)", "dest"}, 1, []string{"count(*)", "sum(x)"}, nil,
			"SELECT count(*) AS n, sum(x), dest FROM t GROUP BY dest"},
		{"SELECT gender, gender, sum(salary) FROM emp GROUP BY gender", []string{"gender", "gender", "sum(salary)"}, 1, []string{"sum(salary)"}, nil,
			"SELECT gender, gender, sum(salary) FROM emp GROUP BY gender"},
		{"SELECT origin, avg(d), avg(d) FROM t GROUP BY 1", []string{"origin", "avg(d)", "avg(d)"}, 1, []string{"avg(d)"}, nil,
			"SELECT origin, avg(d), avg(d) FROM t GROUP BY origin"},
		{"SELECT last_name AS l FROM emp ORDER BY emp_no", []string{"l"}, 0, nil, []string{"emp_no"},
			"SELECT last_name AS l FROM emp ORDER BY emp_no"},
		{"SELECT last_name AS l, last_name, emp_no FROM emp ORDER BY l DESC, 3", []string{"l", "last_name", "emp_no"}, 0, nil, []string{"last_name", "emp_no"},
			"SELECT last_name AS l, last_name, emp_no FROM emp ORDER BY last_name DESC, emp_no"},
		{"SELECT gender AS g, count(*) FROM emp GROUP BY g ORDER BY gender", []string{"g", "count(*)"}, 1, []string{"count(*)"}, []string{"gender"},
			"SELECT gender AS g, count(*) FROM emp GROUP BY g ORDER BY g"},
		{"SELECT date_trunc('month', ts) AS m, count(*) FROM t GROUP BY date_trunc('month', ts) ORDER BY 1", []string{"m", "count(*)"}, 1,
			[]string{"count(*)"}, []string{"date_trunc('month', ts)"},
			"SELECT date_trunc('month', ts) AS m, count(*) FROM t GROUP BY m ORDER BY m"},
		{"SELECT count(*) FROM t HAVING count(*) > 5 ORDER BY count(*)", []string{"count(*)"}, 0, []string{"count(*)"}, []string{"count(*)"},
			"SELECT count(*) FROM t HAVING count(*) > 5 ORDER BY count(*)"},
		{"SELECT sum(x) AS total FROM t HAVING avg(x) > 1", []string{"total"}, 0, []string{"sum(x)", "avg(x)"}, nil,
			"SELECT sum(x) AS total FROM t HAVING avg(x) > 1"},
		{"SELECT region, count(*) AS n FROM t GROUP BY region, category HAVING n > 3 ORDER BY category, n DESC", []string{"region", "n"}, 2,
			[]string{"count(*)"}, []string{"category", "count(*)"},
			"SELECT region, count(*) AS n FROM t GROUP BY region, category HAVING count(*) > 3 ORDER BY category, n DESC"},
		{"SELECT a AS b, b AS a FROM t ORDER BY a, b", []string{"b", "a"}, 0, nil, []string{"b", "a"},
			"SELECT a AS b, b AS a FROM t ORDER BY a, b"},
		{"SELECT median(delay) FROM t GROUP BY carrier ORDER BY median(delay)", []string{"median(delay)"}, 1, []string{"median(delay)"}, []string{"median(delay)"},
			"SELECT median(delay) FROM t GROUP BY carrier ORDER BY median(delay)"},
		{"SELECT count(*) c, region FROM t GROUP BY region, region ORDER BY c DESC", []string{"c", "region"}, 1, []string{"count(*)"}, []string{"count(*)"},
			"SELECT count(*) AS c, region FROM t GROUP BY region ORDER BY c DESC"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.sql)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.sql, err)
			continue
		}
		var outs, metrics, order []string
		for _, o := range s.Outputs() {
			outs = append(outs, o.Name())
		}
		for _, m := range s.Metrics {
			metrics = append(metrics, m.Name())
		}
		for _, o := range s.OrderBy {
			order = append(order, o.Name)
		}
		if !reflect.DeepEqual(outs, tt.outputs) || len(s.GroupBy) != tt.dims || !reflect.DeepEqual(metrics, tt.metrics) || !reflect.DeepEqual(order, tt.order) {
			t.Errorf("Parse(%q): outputs %q, %d dims, metrics %q, order %q; want %q, %d, %q, %q",
				tt.sql, outs, len(s.GroupBy), metrics, order, tt.outputs, tt.dims, tt.metrics, tt.order)
		}
		if got := s.SQL(); got != tt.canon {
			t.Errorf("SQL() of %q\n got %s\nwant %s", tt.sql, got, tt.canon)
		}
		roundTrip(t, s)
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		sql, msg  string
		line, col int
	}{
		{"SELECT a AS x, b AS x FROM t ORDER BY x", `ORDER BY x is ambiguous: it could be a AS x (select item 1) or b AS x (select item 2)`, 1, 39},
		{"SELECT a AS x, count(*) AS x FROM t GROUP BY x", "GROUP BY x is ambiguous", 1, 46},
		{"SELECT region AS r, category AS r, count(*) FROM t GROUP BY 1, 2 HAVING r = 'x'", "HAVING r is ambiguous", 1, 73},
		{"SELECT a AS b, b FROM t ORDER BY b", "ORDER BY b is ambiguous", 1, 34},
		{"SELECT a, b FROM t ORDER BY 3", "ORDER BY 3: the SELECT list has only 2 items", 1, 29},
		{"SELECT a, count(*) FROM t GROUP BY a ORDER BY 0", "column position", 1, 47},
		{"SELECT a, count(*) FROM t GROUP BY 5", "GROUP BY 5: the SELECT list has only 2 items", 1, 36},
		{"SELECT a, b, count(*) FROM t GROUP BY a", "b must appear in GROUP BY or be used in an aggregate function", 1, 11},
		{"SELECT a, count(*) FROM t", "add GROUP BY a", 1, 8},
		{"SELECT count(*) FROM t GROUP BY a ORDER BY b", "b must appear in GROUP BY or be used in an aggregate function to order by it", 1, 44},
		{"SELECT order FROM t", `found the reserved word ORDER; a column of that name must be double-quoted: "order"`, 1, 8},
		{"SELECT a FROM t WHERE from = 1", `reserved word FROM; a column of that name must be double-quoted: "from"`, 1, 23},
		{"SELECT count(*) FROM t GROUP BY a HAVING limit > 1", `reserved word LIMIT`, 1, 42},
		{"SELECT count(*) FROM t GROUP BY count(*)", "cannot group by an aggregate", 1, 33},
		{"SELECT count(*) AS n FROM t GROUP BY n", "names the aggregate count(*)", 1, 38},
		{"SELECT * FROM t ORDER BY 1", "name the column", 1, 26},
		{"SELECT a FROM t WHERE a = date", "not with other columns", 1, 27},
	}
	checkParseErrors(t, tests)
}

func TestProject(t *testing.T) {
	schema := Schema{Table: "t", Fields: []Field{{Name: "region", Type: TypeString}, {Name: "ts", Type: TypeTime},
		{Name: "x", Type: TypeInt}, {Name: "y", Type: TypeFloat}}}
	tests := []struct {
		sql      string
		computed [][]any
		cols     []Column
		rows     [][]any
	}{
		{"SELECT count(*) AS n, sum(x), region, region FROM t GROUP BY region, ts HAVING avg(y) > 1",
			[][]any{{"West", nil, int64(3), int64(7), 1.5}},
			[]Column{{"n", RoleMetric, TypeInt}, {"sum(x)", RoleMetric, TypeInt}, {"region", RoleDimension, TypeString}, {"region", RoleDimension, TypeString}},
			[][]any{{int64(3), int64(7), "West", "West"}}},
		{"SELECT y AS b, x, y FROM t ORDER BY region",
			[][]any{{1.5, int64(2)}},
			[]Column{{"b", RoleDimension, TypeFloat}, {"x", RoleDimension, TypeInt}, {"y", RoleDimension, TypeFloat}},
			[][]any{{1.5, int64(2), 1.5}}},
		{"SELECT date_trunc('month', ts, 'America/Los_Angeles') m, count(*) FROM t GROUP BY 1",
			[][]any{{time.Date(2025, 12, 1, 8, 0, 0, 0, time.UTC), int64(4)}},
			[]Column{{"m", RoleDimension, TypeTime}, {"count(*)", RoleMetric, TypeInt}},
			nil},
		{"SELECT date_trunc('month', ts, 'America/Los_Angeles'), count(*) FROM t GROUP BY 1",
			[][]any{{time.Date(2025, 12, 1, 8, 0, 0, 0, time.UTC), int64(4)}},
			[]Column{{"date_trunc('month', ts, 'America/Los_Angeles')", RoleDimension, TypeTime}, {"count(*)", RoleMetric, TypeInt}},
			nil},
	}
	for _, tt := range tests {
		s, err := Parse(tt.sql)
		if err != nil {
			t.Fatal(err)
		}
		if s, err = Validate(s, schema); err != nil {
			t.Fatal(err)
		}
		if got := ResultColumns(s, schema); !reflect.DeepEqual(got, tt.cols) {
			t.Errorf("ResultColumns(%q) = %v, want %v", tt.sql, got, tt.cols)
		}
		got := Project(s, tt.computed)
		if tt.rows != nil && !reflect.DeepEqual(got, tt.rows) {
			t.Errorf("Project(%q) = %v, want %v", tt.sql, got, tt.rows)
		}
		if tt.rows == nil {
			m := got[0][0].(time.Time)
			if m.Format(time.RFC3339) != "2025-12-01T00:00:00-08:00" || !m.Equal(tt.computed[0][0].(time.Time)) {
				t.Errorf("a Los Angeles month key is %s, want 2025-12-01T00:00:00-08:00", m.Format(time.RFC3339))
			}
		}
	}
}
