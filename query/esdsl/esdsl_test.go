package esdsl

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/golden"
	"github.com/dora-dev/dora/query"
)

// shipments is the schema the translation tests run against: one field of each kind dora maps.
var shipments = query.Schema{Table: "shipments", Fields: []query.Field{
	{Name: "category", Type: query.TypeString, Aggregatable: true, Raw: "keyword"},
	{Name: "region", Type: query.TypeString, Aggregatable: true, Raw: "keyword"},
	{Name: "title", Type: query.TypeText, Keyword: "title.keyword", Raw: "text"},
	{Name: "body", Type: query.TypeText, Raw: "text"},
	{Name: "price", Type: query.TypeFloat, Aggregatable: true, Raw: "double"},
	{Name: "qty", Type: query.TypeInt, Aggregatable: true, Raw: "long"},
	{Name: "shipped_at", Type: query.TypeTime, Aggregatable: true, Raw: "date"},
	{Name: "paid", Type: query.TypeBool, Aggregatable: true, Raw: "boolean"},
	{Name: "user.name", Type: query.TypeString, Aggregatable: true, Raw: "keyword"},
	{Name: "client_id", Type: query.TypeString, Aggregatable: true, Raw: "keyword"},
}}

func plan(t testing.TB, sql string, opts Options) *Search {
	t.Helper()
	spec, err := query.Parse(sql)
	if err != nil {
		t.Fatalf("parse %q: %v", sql, err)
	}
	if spec, err = query.Validate(spec, shipments); err != nil {
		t.Fatalf("validate %q: %v", sql, err)
	}
	s, err := Plan(spec, shipments, opts)
	if err != nil {
		t.Fatalf("plan %q: %v", sql, err)
	}
	return s
}

var goldenCases = []struct {
	name  string
	sql   string
	opts  Options
	other bool
}{
	{name: "raw_all", sql: "SELECT * FROM shipments"},
	{name: "raw_columns_order_limit", sql: "SELECT shipped_at, price, \"user.name\" FROM shipments WHERE price > 10 ORDER BY shipped_at DESC, title LIMIT 5"},
	{name: "raw_paged", sql: "SELECT * FROM shipments ORDER BY qty LIMIT 25000"},
	{name: "global_metrics", sql: "SELECT count(*), count(qty), count(body), sum(qty), sum(price), avg(price), min(shipped_at), max(price), count(DISTINCT title), percentile(price, 0.95), median(price) FROM shipments"},
	{name: "topn_count", sql: "SELECT category, count(*), avg(price) FROM shipments WHERE region = 'West' GROUP BY category ORDER BY count(*) DESC LIMIT 10"},
	{name: "topn_metric_text_keyword", sql: "SELECT title, count(DISTINCT client_id) AS clients, sum(price) AS revenue FROM shipments GROUP BY title ORDER BY clients DESC, title LIMIT 5"},
	{name: "topn_other", sql: "SELECT region, count(*), count(qty), sum(qty), avg(price) FROM shipments GROUP BY region ORDER BY count(qty) DESC LIMIT 3", other: true},
	{name: "composite_percentile_order", sql: "SELECT category, percentile(price, 0.99) AS p99 FROM shipments GROUP BY category ORDER BY p99 DESC LIMIT 3"},
	{name: "topn_count_distinct_asc", sql: "SELECT region, count(DISTINCT client_id) AS clients FROM shipments GROUP BY region ORDER BY clients LIMIT 4"},
	{name: "composite_month_tz", sql: "SELECT date_trunc('month', shipped_at, 'America/Los_Angeles') AS month, category, count(*), sum(price) FROM shipments GROUP BY 1, 2"},
	{name: "composite_having", sql: "SELECT region, max(price) FROM shipments GROUP BY region HAVING count(*) > 3 ORDER BY max(price) DESC LIMIT 2"},
	{name: "composite_ordered_limit", sql: "SELECT category, region, count(*) FROM shipments GROUP BY category, region ORDER BY category DESC LIMIT 20"},
	{name: "composite_limit_no_order", sql: "SELECT paid, count(*) FROM shipments GROUP BY paid LIMIT 1"},
	{name: "composite_paged", sql: "SELECT \"user.name\", qty, count(*) FROM shipments GROUP BY 1, 2", opts: Options{PageSize: 2}},
	{name: "time_bucket_15_minutes", sql: "SELECT time_bucket('15 minutes', shipped_at) AS t, count(*) FROM shipments GROUP BY 1 ORDER BY t"},
	{name: "time_bucket_7_days", sql: "SELECT time_bucket('7 days', shipped_at, 'Europe/Berlin') AS t, count(*) FROM shipments GROUP BY 1"},
	{name: "time_bucket_5_hours_fixed_zone", sql: "SELECT time_bucket('5 hours', shipped_at, 'Asia/Kolkata') AS t, count(*) FROM shipments GROUP BY 1"},
	{name: "time_bucket_2_days", sql: "SELECT time_bucket('2 days', shipped_at) AS t, count(*) FROM shipments GROUP BY 1"},
	{name: "time_bucket_3_months", sql: "SELECT time_bucket('3 months', shipped_at) AS q, avg(qty) FROM shipments GROUP BY 1"},
	{name: "date_trunc_week", sql: "SELECT date_trunc('week', shipped_at) AS w, min(qty), max(shipped_at) FROM shipments GROUP BY 1"},
	{name: "histogram_having", sql: "SELECT histogram(price, 25), sum(price) FROM shipments GROUP BY histogram(price, 25) HAVING sum(price) >= 100.5"},
	{name: "filters_every_form", sql: `SELECT count(*) FROM shipments WHERE category IN ('x', 'y') AND NOT qty BETWEEN -1 AND 2.5 OR region IS NOT NULL AND title LIKE 'pre\%x%' ESCAPE '\' AND match(body, 'red dress') AND paid != TRUE AND price <= 9.5 AND qty < 3 AND "user.name" IS NULL`},
	{name: "filters_lucene_specials", sql: `SELECT * FROM shipments WHERE category = 'a OR b' AND title = 'title:(x)' AND "user.name" IN ('*', '?', 'back\slash', 'quo"te', 'it''s', '{"json": [1]}') AND region LIKE 'we*st?%' AND match(client_id, 'a*b c?d')`},
	{name: "filters_not_or", sql: "SELECT count(*) FROM shipments WHERE NOT (qty = 1 OR region IS NULL) AND NOT (paid = TRUE AND price > 2)"},
	{name: "filters_time_date_math", sql: "SELECT count(*) FROM shipments WHERE shipped_at >= TIMESTAMP '2024-03-10 02:30:00' AND shipped_at < now() - INTERVAL '1 quarter' AND shipped_at != DATE '2024-01-31' AND shipped_at IN ('2024-02-01', '2024-02-02 10:00')"},
	{name: "filters_time_resolved", sql: "SELECT count(*) FROM shipments WHERE shipped_at > now() - INTERVAL '7 days'", opts: Options{Now: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}},
	{name: "group_by_only", sql: "SELECT category FROM shipments GROUP BY category"},
	{name: "filters_caseless_unicode", sql: "SELECT count(*) FROM shipments WHERE region ILIKE 'ÜNÏ_ode%' AND category ILIKE 'dress' AND match(client_id, 'Straße kit')"},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := query.Parse(tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			if spec, err = query.Validate(spec, shipments); err != nil {
				t.Fatal(err)
			}
			spec.Other = tc.other
			s, err := Plan(spec, shipments, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := s.Explain() + "\n"
			if !json.Valid([]byte(got)) {
				t.Fatalf("Explain is not JSON:\n%s", got)
			}
			golden.CheckFile(t, tc.name+".json", got)
		})
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		sql  string
		want string // in the error
	}{
		{"SELECT time_bucket('2 months', shipped_at), count(*) FROM shipments GROUP BY 1", "not 2"},
		{"SELECT time_bucket('5 years', shipped_at), count(*) FROM shipments GROUP BY 1", "years one at a time"},
		{"SELECT time_bucket('2 days', shipped_at, 'America/Los_Angeles'), count(*) FROM shipments GROUP BY 1", "daylight-saving"},
		{"SELECT time_bucket('2 weeks', shipped_at, 'Europe/Berlin'), count(*) FROM shipments GROUP BY 1", "daylight-saving"},
		{"SELECT count(*) FROM shipments WHERE body = 'x'", "body"},
		{"SELECT count(*) FROM shipments WHERE body IN ('x')", "no keyword sub-field"},
		{"SELECT count(*) FROM shipments WHERE body LIKE 'x%'", "match(body"},
	}
	for _, tc := range tests {
		spec, err := query.Parse(tc.sql)
		if err != nil {
			t.Fatal(err)
		}
		if spec, err = query.Validate(spec, shipments); err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		_, err = Plan(spec, shipments, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one containing %q", tc.sql, err, tc.want)
		}
	}
}

// TestGroupByTextNeedsKeyword checks that validation, before any translation, names the field
// and says why it cannot be grouped.
func TestGroupByTextNeedsKeyword(t *testing.T) {
	spec, err := query.Parse("SELECT body, count(*) FROM shipments GROUP BY body")
	if err != nil {
		t.Fatal(err)
	}
	_, err = query.Validate(spec, shipments)
	if err == nil || !strings.Contains(err.Error(), "body") || !strings.Contains(err.Error(), "no keyword sub-field") {
		t.Fatalf("got %v, want an error naming body and its missing keyword sub-field", err)
	}
}

func BenchmarkPlan(b *testing.B) {
	shapes := map[string]string{
		"raw":       "SELECT shipped_at, price FROM shipments WHERE price > 10 ORDER BY shipped_at DESC LIMIT 100",
		"topn":      "SELECT category, count(*), avg(price) FROM shipments WHERE region = 'West' GROUP BY category ORDER BY count(*) DESC LIMIT 10",
		"composite": "SELECT date_trunc('month', shipped_at, 'America/Los_Angeles') AS month, category, region, count(*), sum(price), count(DISTINCT client_id) FROM shipments WHERE paid = TRUE GROUP BY 1, 2, 3 HAVING count(*) > 3",
		"filters":   filtersSQL,
	}
	for name, sql := range shapes {
		spec, err := query.Parse(sql)
		if err != nil {
			b.Fatal(err)
		}
		if spec, err = query.Validate(spec, shipments); err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s, err := Plan(spec, shipments, Options{})
				if err != nil {
					b.Fatal(err)
				}
				_ = s.Body()
			}
		})
	}
}

const filtersSQL = `SELECT count(*) FROM shipments WHERE category IN ('x', 'y') AND NOT qty BETWEEN -1 AND 2.5 OR region IS NOT NULL AND title LIKE 'pre%' AND match(body, 'red dress') AND paid != TRUE AND shipped_at > now() - INTERVAL '7 days'`
