package backends_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/elastic"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/query"
)

// The cross-backend test loads one dataset into DuckDB and Elasticsearch and holds the answers
// to a corpus of queries side by side: identical rows for exact metrics, and approximate metrics
// within their documented error and flagged as approximate.

const crossRows = 100_000

// crossDataSQL builds the dataset inside DuckDB: strings with Lucene and JSON specials, numbers
// that sum exactly in any order (quarters), timestamps across both 2024 US DST changes, booleans
// and nulls.
const crossDataSQL = `CREATE TABLE events AS
SELECT i AS id,
  TIMESTAMP '2024-03-01 00:00:00' + to_seconds(CAST(hash(i, 'ts') % (275 * 86400) AS BIGINT)) AS ts,
  CASE WHEN hash(i, 'c') % 20 = 0 THEN NULL
       ELSE ['Dresses','Tops','Jeans','Knits','Outerwear','Shoes','Bags','Hats'][CAST(floor(sqrt(hash(i, 'c2') % 64)) AS INTEGER) + 1] END AS category,
  ['West','South','Northeast','Midwest','Pacific'][CAST(hash(i, 'r') % 5 AS INTEGER) + 1] AS region,
  CASE WHEN i % 1000 = 1 THEN 'a OR b' WHEN i % 1000 = 2 THEN 'x*' WHEN i % 1000 = 3 THEN 'back\slash'
       WHEN i % 1000 = 4 THEN 'quote''s "double"' WHEN i % 1000 = 5 THEN 'title:(x)' WHEN i % 1000 = 6 THEN 'wh?t'
       WHEN i % 1000 = 7 THEN '{"json": [1]}' ELSE 'name-' || CAST(hash(i, 'n') % 500 AS VARCHAR) END AS name,
  CAST(hash(i, 'a') % 40000 AS DOUBLE) / 4 AS amount,
  CASE WHEN hash(i, 'q') % 10 = 0 THEN NULL ELSE CAST(hash(i, 'q2') % 12 AS BIGINT) END AS qty,
  CASE WHEN hash(i, 'f') % 7 = 0 THEN NULL ELSE hash(i, 'f2') % 3 = 0 END AS flag,
  CAST(hash(i, 's') % 100000 AS DOUBLE) / 4 AS score,
  ['red summer dress', 'blue denim jeans', 'warm wool knit', 'red leather bag', 'summer hat'][CAST(hash(i, 't') % 5 AS INTEGER) + 1] AS note
FROM range(1, ` + "100001" + `) t(i)`

func TestCrossBackend(t *testing.T) {
	_, duck := openDuck(t, "cross.duckdb", crossDataSQL)
	for _, node := range testenv.SearchNodes() {
		t.Run(node.Name, func(t *testing.T) {
			es, esURL := openSearch(t, node)
			table := fmt.Sprintf("dora-cross-%d", os.Getpid())
			t.Cleanup(func() { testenv.DeleteIndices(esURL, table+"-*") })
			copyTable(t, duck, es, "events", table)

			for i, tc := range crossCorpus {
				t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
					sqlText := strings.ReplaceAll(tc.sql, "events", "TABLE")
					d := runOn(t, duck, strings.ReplaceAll(sqlText, "TABLE", "events"), tc.other)
					e := runOn(t, es, strings.ReplaceAll(sqlText, "TABLE", `"`+table+`"`), tc.other)
					compare(t, tc, d, e)
				})
			}
		})
	}
	if len(crossCorpus) < 30 {
		t.Errorf("the corpus has %d queries, want at least 30", len(crossCorpus))
	}
}

// openDuck builds a DuckDB file from dataSQL and opens it as a backend, closed when the test
// ends.
func openDuck(t *testing.T, file, dataSQL string) (path string, duck backends.Backend) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), file)
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(dataSQL); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if duck, err = backends.Open(ctx, "duckdb:"+path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { duck.Close() })
	return path, duck
}

// openSearch opens the search node (started by the project's scripts when not given) as a
// backend, closed when the test ends, and checks that dora recognised the engine it runs.
func openSearch(t *testing.T, node testenv.SearchNode) (es backends.Backend, url string) {
	t.Helper()
	url = node.URL(t)
	es, err := backends.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { es.Close() })
	e := es.(*elastic.Backend).Engine()
	if e.Distribution != node.Engine || e.Major != node.Major {
		t.Fatalf("%s at %s: dora took it for %s (%s %d), want %s %d", node.Name, url, e, e.Distribution, e.Major, node.Engine, node.Major)
	}
	return es, url
}

// copyTable reads the DuckDB table and writes it through the Elasticsearch Sink, with ids.
func copyTable(t *testing.T, from, to backends.Backend, src, dst string) {
	t.Helper()
	n := testenv.CopyTable(t, from, to, src, dst, func(f *query.Field) {
		if f.Name == "note" {
			f.Type = query.TypeText // full text with a keyword sub-field on Elasticsearch
		}
	})
	if n != crossRows {
		t.Fatalf("read %d rows from DuckDB", n)
	}
}

func runOn(t *testing.T, b backends.Backend, sqlText string, other bool) *query.Result {
	t.Helper()
	ctx := context.Background()
	spec, err := query.Parse(sqlText)
	if err != nil {
		t.Fatal(err)
	}
	spec.Other = other
	if spec, err = backends.Prepare(ctx, b, spec); err != nil {
		t.Fatalf("%s on %s: %v", sqlText, b.Name(), err)
	}
	res, err := b.Run(ctx, spec)
	if err != nil {
		t.Fatalf("%s on %s: %v", sqlText, b.Name(), err)
	}
	return res
}

type crossCase struct {
	sql string
	// tolerance for approximate metric columns, as a fraction of the DuckDB value; 0 means exact
	approx float64
	other  bool     // ask for an "Other" row
	cols   []string // when set, the answer's column names, in order
}

var crossCorpus = []crossCase{
	{sql: "SELECT category, count(*) FROM events GROUP BY category"},
	{sql: "SELECT category, count(*) FROM events GROUP BY category ORDER BY count(*) DESC LIMIT 3"},
	{sql: "SELECT region, count(*), sum(amount), avg(amount), min(amount), max(amount) FROM events GROUP BY region ORDER BY region"},
	{sql: "SELECT region, category, count(*), sum(qty) FROM events GROUP BY region, category"},
	{sql: "SELECT region, category, flag, count(*) FROM events GROUP BY 1, 2, 3"},
	{sql: "SELECT region, category, avg(amount) FROM events GROUP BY 1, 2 ORDER BY avg(amount) DESC LIMIT 5"},
	{sql: "SELECT date_trunc('month', ts) AS month, count(*), sum(amount) FROM events GROUP BY month"},
	{sql: "SELECT date_trunc('day', ts, 'America/Los_Angeles') AS day, count(*) FROM events WHERE ts BETWEEN '2024-03-08' AND '2024-03-13' GROUP BY day"},
	{sql: "SELECT date_trunc('day', ts, 'America/Los_Angeles') AS day, count(*) FROM events WHERE ts >= '2024-11-01' AND ts < '2024-11-06' GROUP BY day"},
	{sql: "SELECT date_trunc('hour', ts, 'America/Los_Angeles') AS h, count(*) FROM events WHERE ts >= '2024-03-10 06:00:00' AND ts < '2024-03-10 14:00:00' GROUP BY h"},
	{sql: "SELECT date_trunc('week', ts) AS w, region, count(*) FROM events WHERE ts < '2024-05-01' GROUP BY w, region"},
	{sql: "SELECT date_trunc('quarter', ts) AS q, max(amount) FROM events GROUP BY q"},
	{sql: "SELECT date_trunc('month', ts, 'America/Los_Angeles') AS m, category, count(*) FROM events GROUP BY m, category"},
	{sql: "SELECT time_bucket('6 hours', ts) AS b, count(*) FROM events WHERE ts < '2024-03-05' GROUP BY b"},
	{sql: "SELECT time_bucket('15 minutes', ts) AS b, count(*), avg(score) FROM events WHERE ts BETWEEN '2024-06-01 10:00:00' AND '2024-06-01 14:00:00' GROUP BY b"},
	{sql: "SELECT histogram(amount, 500), count(*) FROM events GROUP BY 1"},
	{sql: "SELECT histogram(score, 1250), count(*), min(amount) FROM events WHERE region = 'West' GROUP BY 1"},
	{sql: "SELECT count(*), count(qty), count(flag), sum(qty) FROM events"},
	{sql: "SELECT qty, count(*) FROM events GROUP BY qty ORDER BY qty"},
	{sql: "SELECT flag, count(*) FROM events WHERE flag = TRUE OR flag IS NULL GROUP BY flag"},
	{sql: "SELECT region, count(*) FROM events WHERE category != 'Tops' GROUP BY region"},
	{sql: "SELECT region, count(*) FROM events WHERE NOT category = 'Tops' AND qty > 3 GROUP BY region"},
	{sql: "SELECT category, count(*) FROM events WHERE category IN ('Dresses', 'Hats') OR category IS NULL GROUP BY category"},
	{sql: "SELECT category, count(*) FROM events WHERE category NOT IN ('Dresses', 'Hats') GROUP BY category"},
	{sql: "SELECT region, count(*) FROM events WHERE amount BETWEEN 100 AND 2000.5 AND score < 12500 GROUP BY region"},
	{sql: "SELECT region, count(*) FROM events WHERE qty IS NOT NULL AND qty <= 2 AND amount >= 9000 GROUP BY region"},
	{sql: "SELECT region, count(*) FROM events WHERE name LIKE 'name-4%' GROUP BY region"},
	{sql: "SELECT name, count(*) FROM events WHERE name IN ('a OR b', 'x*', 'back\\slash', 'quote''s \"double\"', 'title:(x)', 'wh?t', '{\"json\": [1]}') GROUP BY name"},
	{sql: "SELECT name, count(*) FROM events WHERE name = 'x*' OR name LIKE 'wh?%' OR name = 'title:(x)' GROUP BY name"},
	{sql: "SELECT region, count(*) FROM events WHERE match(note, 'summer') GROUP BY region"},
	{sql: "SELECT region, count(*) FROM events WHERE match(note, 'red dress') GROUP BY region"},
	{sql: "SELECT category, count(*) AS n FROM events GROUP BY category HAVING n > 10000 ORDER BY n DESC"},
	{sql: "SELECT region, category, sum(amount) AS s FROM events GROUP BY 1, 2 HAVING sum(amount) > 5000000 ORDER BY s DESC LIMIT 4"},
	{sql: "SELECT region, min(ts), max(ts) FROM events GROUP BY region"},
	{sql: "SELECT id, ts, category, amount, flag FROM events WHERE region = 'South' ORDER BY id LIMIT 25"},
	{sql: "SELECT id, amount FROM events WHERE qty IS NULL ORDER BY amount DESC, id LIMIT 30"},
	{sql: "SELECT id, name FROM events WHERE amount < 3000 ORDER BY id LIMIT 12000"},
	{sql: "SELECT category, count(*), count(qty), sum(amount), avg(amount) FROM events GROUP BY category ORDER BY count(*) DESC LIMIT 3", other: true},
	{sql: "SELECT region, category, sum(qty), max(amount) FROM events GROUP BY 1, 2 ORDER BY sum(qty) DESC LIMIT 4", other: true},
	// the "Other" row of conditional aggregates: FILTER and CASE metrics add up too
	{sql: "SELECT category, count(*) FILTER (WHERE qty > 2) AS f, sum(CASE WHEN region = 'West' THEN qty ELSE 0 END) AS w, count(CASE WHEN flag = TRUE THEN 1 END) AS t, sum(qty) FILTER (WHERE amount > 100) FROM events GROUP BY category ORDER BY count(*) DESC LIMIT 3", other: true},
	{sql: "SELECT region, category, count(*) FILTER (WHERE qty > 2) AS f, sum(CASE WHEN flag = TRUE THEN 2 ELSE 1 END) FROM events GROUP BY 1, 2 ORDER BY f DESC, 1, 2 LIMIT 4", other: true},
	// The SELECT list is the answer: hidden group keys, HAVING- and ORDER BY-only metrics,
	// reordering, repeats, aliases on raw columns, ordinary words as names, implicit grouping.
	{sql: "SELECT max(amount) FROM events GROUP BY region ORDER BY 1", cols: []string{"max(amount)"}},
	{sql: "SELECT count(qty) FROM events GROUP BY category HAVING count(*) > 10000 ORDER BY count(*) DESC", cols: []string{"count(qty)"}},
	{sql: "SELECT count(*) AS n, sum(amount), region FROM events GROUP BY region", cols: []string{"n", "sum(amount)", "region"}},
	{sql: "SELECT region, region, sum(amount) FROM events GROUP BY region", cols: []string{"region", "region", "sum(amount)"}},
	{sql: "SELECT category, avg(score), avg(score) FROM events GROUP BY 1 ORDER BY 2 DESC LIMIT 4", cols: []string{"category", "avg(score)", "avg(score)"}},
	{sql: "SELECT name AS n FROM events WHERE region = 'West' ORDER BY id LIMIT 20", cols: []string{"n"}},
	{sql: "SELECT region AS r, count(*) FROM events GROUP BY r ORDER BY region", cols: []string{"r", "count(*)"}},
	{sql: "SELECT date_trunc('month', ts, 'America/Los_Angeles') AS month, count(*) AS count FROM events GROUP BY month ORDER BY month", cols: []string{"month", "count"}},
	{sql: "SELECT sum(qty) FROM events GROUP BY date_trunc('week', ts), region HAVING sum(qty) > 1000 ORDER BY sum(qty) DESC LIMIT 5", cols: []string{"sum(qty)"}},
	{sql: "SELECT count(*), sum(amount) FROM events HAVING count(*) > 5 ORDER BY count(*)", cols: []string{"count(*)", "sum(amount)"}},
	{sql: "SELECT count(*) FROM events WHERE region = 'West' HAVING count(*) > 100", cols: []string{"count(*)"}},
	{sql: "SELECT id, ts AS time, ts, amount AS value FROM events WHERE flag = TRUE ORDER BY amount DESC, id LIMIT 10", cols: []string{"id", "time", "ts", "value"}},
	{sql: "SELECT region, count(DISTINCT name) FROM events GROUP BY region", approx: 0.02},
	{sql: "SELECT category, percentile(score, 0.9), median(amount) FROM events GROUP BY category", approx: 0.02},
}

func compare(t *testing.T, tc crossCase, d, e *query.Result) {
	t.Helper()
	if tc.cols != nil {
		var names []string
		for _, c := range d.Columns {
			names = append(names, c.Name)
		}
		if !slices.Equal(names, tc.cols) {
			t.Errorf("%s\ncolumns %q, want %q", tc.sql, names, tc.cols)
		}
	}
	if len(d.Columns) != len(e.Columns) {
		t.Fatalf("%s\ncolumns: duckdb %v, elasticsearch %v", tc.sql, d.Columns, e.Columns)
	}
	for i := range d.Columns {
		if d.Columns[i].Name != e.Columns[i].Name || d.Columns[i].Role != e.Columns[i].Role {
			t.Errorf("column %d: duckdb %+v, elasticsearch %+v", i, d.Columns[i], e.Columns[i])
		}
	}
	if len(d.Rows) != len(e.Rows) {
		t.Fatalf("%s\nrows: duckdb %d, elasticsearch %d\nduckdb: %v\nelasticsearch: %v", tc.sql, len(d.Rows), len(e.Rows), head(d.Rows), head(e.Rows))
	}
	if len(d.Rows) == 0 {
		t.Fatalf("%s returned no rows: a corpus query must have an answer to compare", tc.sql)
	}
	bad := 0
	for r := range d.Rows {
		for c := range d.Rows[r] {
			dv, ev := d.Rows[r][c], e.Rows[r][c]
			approx := tc.approx > 0 && d.Columns[c].Role == query.RoleMetric
			if !same(dv, ev, approx, tc.approx) {
				if bad < 5 {
					t.Errorf("%s\nrow %d column %s: duckdb %v (%T), elasticsearch %v (%T)", tc.sql, r, d.Columns[c].Name, dv, dv, ev, ev)
				}
				bad++
			}
		}
	}
	if tc.approx > 0 && !e.Meta.Approximate {
		t.Errorf("%s: elasticsearch answer is approximate but not flagged", tc.sql)
	}
	if d.Meta.Complete != e.Meta.Complete {
		t.Errorf("%s: complete: duckdb %v, elasticsearch %v", tc.sql, d.Meta.Complete, e.Meta.Complete)
	}
}

func head(rows [][]any) [][]any { return rows[:min(len(rows), 6)] }

func same(a, b any, approx bool, tol float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch x := a.(type) {
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case int64, float64:
		fx, fy := toF(a), toF(b)
		if math.IsNaN(fy) {
			return false
		}
		if approx {
			return math.Abs(fx-fy) <= tol*math.Max(1, math.Abs(fx))
		}
		if _, ok := b.(string); ok {
			return false
		}
		return fx == fy && typeMatch(a, b)
	}
	return a == b
}

func typeMatch(a, b any) bool {
	_, ai := a.(int64)
	_, bi := b.(int64)
	return ai == bi
}

func toF(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}
