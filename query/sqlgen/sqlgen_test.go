package sqlgen

import (
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/golden"
	"github.com/dora-dev/dora/query"
)

var schema = query.Schema{Table: "shipments", Fields: []query.Field{
	{Name: "shipped_at", Type: query.TypeTime}, {Name: "day", Type: query.TypeDate},
	{Name: "category", Type: query.TypeString}, {Name: "region", Type: query.TypeString},
	{Name: "price", Type: query.TypeFloat}, {Name: "items_kept", Type: query.TypeInt},
	{Name: "rating", Type: query.TypeInt}, {Name: "is_first_fix", Type: query.TypeBool},
	{Name: "notes", Type: query.TypeString}, {Name: "user.name", Type: query.TypeString},
}}

func TestGolden(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]string{
		"raw_all":         "SELECT * FROM shipments",
		"raw_columns":     `SELECT shipped_at, "user.name" FROM shipments WHERE price >= 10 ORDER BY shipped_at DESC LIMIT 50`,
		"top_n":           "SELECT category, count(*), avg(price) FROM shipments WHERE region = 'West' GROUP BY category ORDER BY count(*) DESC LIMIT 10",
		"two_levels":      "SELECT region, category, sum(items_kept), sum(price), count(DISTINCT rating) FROM shipments GROUP BY 1, 2",
		"month_utc":       "SELECT date_trunc('month', shipped_at) AS month, count(*) FROM shipments GROUP BY month ORDER BY month",
		"day_la":          "SELECT date_trunc('day', shipped_at, 'America/Los_Angeles'), count(*) FROM shipments GROUP BY 1",
		"bucket_15m":      "SELECT time_bucket('15 minutes', shipped_at), max(price) FROM shipments WHERE shipped_at > now() - INTERVAL '7 days' GROUP BY 1",
		"histogram":       "SELECT histogram(price, 25), count(*) FROM shipments GROUP BY 1",
		"percentiles":     "SELECT category, percentile(price, 0.95), median(price) FROM shipments GROUP BY category",
		"having":          "SELECT category, count(*) AS n FROM shipments GROUP BY category HAVING n > 100 AND avg(price) < 80 ORDER BY n DESC LIMIT 3",
		"filters":         "SELECT count(*) FROM shipments WHERE category IN ('Dresses', 'Tops') AND NOT price BETWEEN 10 AND 20 OR rating IS NULL AND notes LIKE '50\\%%' ESCAPE '\\' AND match(notes, 'Red dress!') AND is_first_fix = TRUE AND day = DATE '2024-03-10'",
		"injection":       "SELECT count(*) FROM shipments WHERE category = 'x''); DROP TABLE shipments; --'",
		"quoted_identity": `SELECT "user.name", count(*) FROM shipments GROUP BY 1`,
	}
	for name, sql := range cases {
		t.Run(name, func(t *testing.T) {
			spec, err := query.Parse(sql)
			if err != nil {
				t.Fatal(err)
			}
			if spec, err = query.Validate(spec, schema); err != nil {
				t.Fatal(err)
			}
			q, err := Generate(spec, Options{Now: now, MaxRows: 10000, DateColumns: map[string]bool{"day": true}, FloatColumns: map[string]bool{"price": true}})
			if err != nil {
				t.Fatal(err)
			}
			got := q.Explain() + "\n"
			golden.CheckFile(t, name+".sql", got)
			if strings.Contains(q.SQL, "DROP") || strings.Contains(q.SQL, "West") || strings.Contains(q.SQL, "Dresses") {
				t.Errorf("a user value reached the SQL text: %s", q.SQL)
			}
		})
	}
}

func BenchmarkTranslate(b *testing.B) {
	spec, _ := query.Parse("SELECT category, date_trunc('month', shipped_at, 'America/Los_Angeles'), count(*), avg(price) FROM shipments WHERE region IN ('West', 'South') AND price > 10 GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 10")
	spec, _ = query.Validate(spec, schema)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(spec, Options{MaxRows: 10000}); err != nil {
			b.Fatal(err)
		}
	}
}
