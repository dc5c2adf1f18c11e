package esdsl

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/dora-dev/dora/internal/golden"
	"github.com/dora-dev/dora/query"
)

// wideCases are the native mappings of the wider SQL: each request is a golden file
// (testdata/wide_*.json, rewritten with -update), uses no script, and its plan says who does
// what.
var wideCases = []struct {
	name, sql    string
	engine, dora []string // parts the plan must give each tier
}{
	{"filter_count", "SELECT category, count(*) FILTER (WHERE price > 10) AS n FROM shipments GROUP BY category",
		[]string{"filter aggregation around doc_count"}, nil},
	{"filter_count_top", "SELECT category, count(*) FILTER (WHERE price > 10) AS n FROM shipments GROUP BY category ORDER BY n DESC LIMIT 3",
		[]string{"filter aggregation around doc_count"}, nil},
	{"filter_sum_avg", "SELECT region, sum(qty) FILTER (WHERE paid = TRUE), avg(price) FILTER (WHERE category IN ('a', 'b')) FROM shipments GROUP BY 1",
		[]string{"filter aggregation around sum and value_count", "filter aggregation around avg"}, nil},
	{"case_sum_else_zero", "SELECT category, sum(CASE WHEN price > 10 THEN qty ELSE 0 END) AS s FROM shipments GROUP BY 1",
		[]string{"filter aggregation around sum and value_count"}, nil},
	{"case_count_then_one", "SELECT count(CASE WHEN region = 'West' THEN 1 END), count(CASE WHEN paid = TRUE THEN qty END) FROM shipments",
		[]string{"filter aggregation around doc_count", "filter aggregation around value_count"}, nil},
	{"extended_stats", "SELECT category, stddev(price), variance(price), stddev_pop(qty), var_samp(qty) FROM shipments GROUP BY 1",
		[]string{"stddev(price) (extended_stats)", "var_samp(qty) (extended_stats)"}, nil},
	{"like_anywhere", `SELECT count(*) FROM shipments WHERE category LIKE '%dr_ss%' AND region ILIKE 'we%' AND "user.name" NOT LIKE 'a\%%' ESCAPE '\' AND client_id LIKE 'exact'`,
		[]string{"WHERE"}, nil},
	{"nulls_first_ordered", "SELECT category, count(*) FROM shipments GROUP BY 1 ORDER BY 1 DESC NULLS FIRST LIMIT 5 OFFSET 2",
		[]string{"composite terms"}, []string{"OFFSET and LIMIT"}},
	{"year_calendar", "SELECT year(shipped_at) AS y, count(*), avg(price), count(DISTINCT client_id) FROM shipments GROUP BY y",
		[]string{"date_histogram, calendar_interval year", "avg(price) (stats)", "cardinality"}, []string{"GROUP BY year(shipped_at): reads the key"}},
	{"month_and_dow", "SELECT month(shipped_at) AS m, extract(dow FROM shipped_at) AS d, sum(price) FROM shipments GROUP BY 1, 2",
		[]string{"calendar_interval day"}, []string{"GROUP BY month(shipped_at)"}},
	{"case_group", "SELECT CASE WHEN price > 100 THEN 'high' ELSE 'low' END AS band, count(*), max(qty), stddev(qty) FROM shipments GROUP BY band",
		[]string{"a filters aggregation", "max(qty) (max)"}, nil},
	{"case_group_first_true", "SELECT CASE WHEN price > 100 THEN 'high' WHEN qty > 5 OR region = 'West' THEN 'busy' END AS band, count(DISTINCT client_id), median(price) FROM shipments GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
		[]string{"a filters aggregation", "cardinality", "percentiles"}, []string{"OFFSET and LIMIT"}},
	{"case_group_two_keys", "SELECT region, CASE WHEN price > 100 THEN 'high' ELSE 'low' END AS band, count(*) FROM shipments GROUP BY 1, 2",
		[]string{"groups by price (composite terms)"}, []string{"merges"}},
	{"coalesce_key", "SELECT coalesce(category, 'none') AS c, count(*) FROM shipments GROUP BY c",
		[]string{"groups by category (composite terms)"}, nil},
	{"coalesce_top", "SELECT coalesce(category, 'none') AS c, count(*), sum(qty) FROM shipments GROUP BY c ORDER BY 2 DESC LIMIT 3",
		[]string{"terms, top N, with missing"}, nil},
	{"after_aggregation", "SELECT category, sum(price) / count(*) AS avg_price, round(avg(qty), 1) FROM shipments GROUP BY 1 HAVING count(*) // 2 > 3 ORDER BY avg_price DESC NULLS LAST LIMIT 3",
		[]string{"sum(price) (sum and value_count)"}, []string{"sum(price) / count(*) computed after aggregation", "HAVING"}},
	{"distinct", "SELECT DISTINCT region, paid FROM shipments ORDER BY 1, 2",
		[]string{"GROUP BY region (composite terms)"}, nil},
	{"rows_order_by_expression", "SELECT category, price * qty AS v FROM shipments WHERE region = 'West' ORDER BY v DESC NULLS FIRST, client_id LIMIT 10 OFFSET 5",
		[]string{"rows"}, []string{"ORDER BY over every matching row"}},
	{"rows_expressions", "SELECT category, upper(region) AS r, qty * 2 FROM shipments ORDER BY category NULLS FIRST LIMIT 10 OFFSET 5",
		[]string{"rows"}, []string{"upper(region) computed for each row", "OFFSET 5"}},
}

func TestWideGolden(t *testing.T) {
	for _, tc := range wideCases {
		t.Run(tc.name, func(t *testing.T) {
			s := plan(t, tc.sql, Options{})
			got := s.Explain() + "\n"
			for _, bad := range []string{`"script`, "runtime_mappings", "painless"} {
				if strings.Contains(got, bad) {
					t.Errorf("%s: the request uses %s where a native query suffices:\n%s", tc.sql, bad, got)
				}
			}
			golden.CheckFile(t, "wide_"+tc.name+".json", got)
			var engine, dora []string
			for _, st := range s.Plan() {
				if st.Tier == TierEngine {
					engine = append(engine, st.What)
				} else {
					dora = append(dora, st.What)
				}
			}
			for _, w := range tc.engine {
				if !strings.Contains(strings.Join(engine, "\n"), w) {
					t.Errorf("%s: the plan does not give Elasticsearch %q:\n%s", tc.sql, w, strings.Join(engine, "\n"))
				}
			}
			for _, w := range tc.dora {
				if !strings.Contains(strings.Join(dora, "\n"), w) {
					t.Errorf("%s: the plan does not give dora %q:\n%s", tc.sql, w, strings.Join(dora, "\n"))
				}
			}
		})
	}
}

// TestNeedsScripting: what Elasticsearch can answer only with scripting is refused, naming the
// part.
func TestNeedsScripting(t *testing.T) {
	tests := []struct{ sql, part string }{
		{"SELECT coalesce(category, 'none') AS k, count(DISTINCT client_id) FROM shipments GROUP BY k", "count(DISTINCT client_id) grouped by an expression"},
		{"SELECT month(shipped_at) AS m, median(price) FROM shipments GROUP BY m", "median(price) grouped by an expression"},
		{"SELECT sum(price * qty) FROM shipments", "sum(price * qty)"},
		{"SELECT avg(CASE WHEN qty > 1 THEN price WHEN qty > 0 THEN 0 END) FROM shipments", "avg(CASE WHEN"},
		{"SELECT count(*) FROM shipments WHERE extract(dow FROM shipped_at) IN (0, 6)", "WHERE extract(dow FROM shipped_at) IN (0, 6)"},
	}
	for _, tt := range tests {
		spec, err := query.Parse(tt.sql)
		if err == nil {
			spec, err = query.Validate(spec, shipments)
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		_, err = Plan(spec, shipments, Options{})
		var ns *NeedsScriptingError
		if !errors.As(err, &ns) || !strings.Contains(err.Error(), tt.part) {
			t.Errorf("%s: got %v, want scripting needed for %q", tt.sql, err, tt.part)
		}
	}
}

// TestScriptingTier: on a cluster with scripting the same SQL is planned with Painless scripts
// for exactly the parts that need them; user text goes into the script's params, never its
// source; and the plan gives those parts to the script tier.
func TestScriptingTier(t *testing.T) {
	tests := []struct{ sql, part, literal string }{
		{"SELECT region, CASE WHEN price > 1 THEN 'a' END AS k, count(DISTINCT client_id) FROM shipments GROUP BY 1, k", "GROUP BY CASE WHEN price > 1.0 THEN 'a' END (a composite terms source", ""},
		{"SELECT month(shipped_at) AS m, median(price) FROM shipments GROUP BY m", "GROUP BY month(shipped_at) (a composite", ""},
		{"SELECT sum(price * qty) FROM shipments", "sum(price * qty) (sum and value_count over a Painless script)", ""},
		{"SELECT region, count(DISTINCT upper(category) || 'x''y') FROM shipments GROUP BY 1", "count(DISTINCT upper(category) || 'x''y') (cardinality over", "x'y"},
		{"SELECT count(*) FROM shipments WHERE month(shipped_at) IN (1, 2) AND region = 'West'", "WHERE month(shipped_at) IN (1, 2) (a script query)", ""},
		{"SELECT avg(CASE WHEN qty > 1 THEN price WHEN qty > 0 THEN 0 END) FILTER (WHERE region = 'North') FROM shipments", "avg(CASE WHEN", "North"},
	}
	for _, tt := range tests {
		spec, err := query.Parse(tt.sql)
		if err == nil {
			spec, err = query.Validate(spec, shipments)
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		s, err := Plan(spec, shipments, Options{Scripting: true})
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		body := s.Explain()
		if !strings.Contains(body, `"lang": "painless"`) {
			t.Errorf("%s: no Painless script in\n%s", tt.sql, body)
		}
		var scripted []string
		for _, st := range s.Plan() {
			if st.Tier == TierScript {
				scripted = append(scripted, st.What)
			}
		}
		if !strings.Contains(strings.Join(scripted, "\n"), tt.part) {
			t.Errorf("%s: the plan's script tier does not hold %q: %q", tt.sql, tt.part, scripted)
		}
		var req map[string]any
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			t.Fatal(err)
		}
		for _, src := range scriptSources(req) {
			for _, user := range []string{"shipped_at", "price", "category", "West", tt.literal} {
				if user != "" && strings.Contains(src, user) {
					t.Errorf("%s: the script's source holds the user's text %q; it belongs in params", tt.sql, user)
				}
			}
		}
	}
	// the native forms stay native with scripting at hand
	for _, tc := range wideCases {
		if s := plan(t, tc.sql, Options{Scripting: true}); strings.Contains(s.Explain(), "painless") {
			t.Errorf("%s: scripted although Elasticsearch answers it natively", tc.sql)
		}
	}
}

// scriptSources finds every script source in a request body.
func scriptSources(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if src, ok := x["source"].(string); ok && x["lang"] == "painless" {
			out = append(out, src)
		}
		for _, y := range x {
			out = append(out, scriptSources(y)...)
		}
	case []any:
		for _, y := range x {
			out = append(out, scriptSources(y)...)
		}
	}
	return out
}
