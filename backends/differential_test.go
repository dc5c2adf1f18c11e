package backends_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/backends/elastic"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/query"
)

// The differential test holds dora to DuckDB itself. A seeded generator writes random queries in
// dora's SQL subset; each runs through dora on DuckDB, through dora on Elasticsearch and, as the
// same SQL text, straight through DuckDB, and the answers must have the same columns in the same
// order and the same rows: exact values to the last digit, float sums and averages to 1e-9
// (Kahan and plain sums of quarters agree, but not every engine divides alike), and
// Elasticsearch's t-digest percentiles within fzPercentileBound.
//
//	DORA_FUZZ_N       queries to run (default 500; make fuzz-sql N=... runs more)
//	DORA_FUZZ_SEED    seed to replay (default: the clock); every failure prints it
//	DORA_FUZZ_ONLY    run only query number i of the seed

const (
	fzRows       = 3000
	fzTable      = "diff"
	fzMaxFails   = 10
	fzFloatRel   = 1e-9
	fzShownRows  = 6
	fzDefaultRun = 1000
)

// fzPercentileBound is how far a search engine's percentile may sit from DuckDB's
// quantile_cont, as a fraction of the column's whole range, or one step between integers:
// t-digest interpolates between centroids, not between the two nearest values. It is set per
// engine and version by fzPercentileBoundFor before each engine's run. In a group of fewer than
// fzSmallGroup values a centroid is a value or two, and the percentile need only lie between
// the group's least and greatest value.
var fzPercentileBound = 0.01

const fzSmallGroup = 100

// fzPercentileBoundFor is the percentile tolerance of an engine:
//   - Elasticsearch 8 (its own merging t-digest): 1% of the range (measured over 3,000
//     queries: at most 0.42 of a step on a 0-11 integer column, 0.4% of the range otherwise);
//   - OpenSearch 2.19 (t-digest 3.2's AVL tree digest) and 3.6 (t-digest 3.3's merging
//     digest): 5% of the range (measured over 1,500 queries: up to 2.45% of the range on a float
//     column in groups of 100 values or more);
//   - Elasticsearch 7.10, whose t-digest OpenSearch forked: 5% of the range, as OpenSearch (a
//     p99 was 1.5% of the range off in a CI run, seed 1796607148380648083 query 282).
func fzPercentileBoundFor(engine string, major int) float64 {
	if engine == "opensearch" || major < 8 {
		return 0.05
	}
	return 0.01
}

// fzPercentileBetween, set for OpenSearch 3, holds a percentile of an integer column only to lie
// between the group's least and greatest value: t-digest 3.3 interpolates between the centroids of
// neighbouring distinct values even when each holds hundreds of rows (the median of 250 rows of 4
// and 260 of 10 is 7.2 there, 10 on DuckDB, Elasticsearch and OpenSearch 2; the p50 of {1, 9} is
// 9.0 there and 5.0 on 2.19.6). Its float columns keep fzPercentileBound.
var fzPercentileBetween bool

// fzScripting says the current engine runs Painless: queries that need scripting must then be
// answered (and agree with DuckDB), not refused.
var fzScripting bool

// fzWorstPercentile is the largest percentile error seen in the current engine's run, as a
// fraction of the column's range, over groups of fzSmallGroup values or more of a float column
// (an integer column's may be a step off): the run logs it, so the bounds above stay measured.
var fzWorstPercentile float64

// fzDataSQL builds the test table (hash('x' || i), not hash(i, 'x'), so columns do not move
// together): nullable ints, doubles that are multiples of 0.25 (their sums
// are exact in any order), nullable booleans, timestamps across both 2024 US and EU DST changes,
// a nullable DATE, low-cardinality strings, strings that need escaping in SQL, JSON and Lucene,
// and columns named like SQL words (date, type, name, value, count).
const fzDataSQL = `CREATE TABLE diff AS
SELECT i AS id,
  TIMESTAMP '2024-03-01 00:00:00' + to_seconds(CAST(hash('ts' || i) % (275 * 86400) AS BIGINT)) AS ts,
  CASE WHEN hash('d' || i) % 12 = 0 THEN NULL ELSE DATE '2024-01-01' + CAST(hash('d2' || i) % 400 AS INTEGER) END AS date,
  CASE WHEN hash('c' || i) % 10 = 0 THEN NULL
       ELSE ['Dresses', 'Tops', 'Jeans', 'Knits', 'Shoes', 'Bags'][CAST(floor(sqrt(hash('c2' || i) % 36)) AS INTEGER) + 1] END AS category,
  ['web', 'store', 'phone'][CAST(hash('y' || i) % 3 AS INTEGER) + 1] AS type,
  CASE WHEN hash('n' || i) % 15 = 0 THEN NULL
       ELSE ['plain', 'quote''s', 'say "hi"', 'back\slash', '100%', 'under_score', 'a OR b', 'x*', 'wh?t',
             'title:(x)', '{"json": [1]}', 'semi;colon', 'Ünïcode', 'trailing ', ' leading', '', 'NULL', 'AND',
             'it''s a ''test''', 'slash/ed', '+plus -minus', 'caret^2~', 'a&&b||c', '<tag>'][CAST(hash('n2' || i) % 24 AS INTEGER) + 1] END AS name,
  CASE WHEN hash('q' || i) % 8 = 0 THEN NULL ELSE CAST(hash('q2' || i) % 12 AS BIGINT) END AS qty,
  CASE WHEN hash('v' || i) % 9 = 0 THEN NULL ELSE CAST(hash('v2' || i) % 101 AS BIGINT) - 50 END AS value,
  CAST(hash('k' || i) % 1000 AS BIGINT) AS count,
  CAST(hash('a' || i) % 40000 AS DOUBLE) / 4 AS amount,
  CASE WHEN hash('s' || i) % 6 = 0 THEN NULL ELSE (CAST(hash('s2' || i) % 8001 AS DOUBLE) - 4000) / 4 END AS score,
  CASE WHEN hash('f' || i) % 7 = 0 THEN NULL ELSE hash('f2' || i) % 3 = 0 END AS flag,
  ['red summer dress', 'blue denim jeans', 'warm wool knit', 'red leather bag', 'summer hat'][CAST(hash('t' || i) % 5 AS INTEGER) + 1] AS note
FROM range(1, 3001) t(i)`

type fzKind int

const (
	fzInt fzKind = iota
	fzFloat
	fzBool
	fzTime
	fzDate
	fzString
	fzText // analysed full text on Elasticsearch: match() only
)

// fzColumn is a column of the test table and what the generator may do with it.
type fzColumn struct {
	name     string
	kind     fzKind
	null     bool
	key      bool     // few enough values to group by
	min, max float64  // numeric range, for percentile bounds
	lits     []string // literals for filters and thresholds, from the data (fzFillLiterals)
}

var fzColumns = []*fzColumn{
	{name: "id", kind: fzInt, min: 1, max: fzRows},
	{name: "ts", kind: fzTime},
	{name: "date", kind: fzDate, null: true, key: true},
	{name: "category", kind: fzString, null: true, key: true},
	{name: "type", kind: fzString, key: true},
	{name: "name", kind: fzString, null: true, key: true},
	{name: "qty", kind: fzInt, null: true, key: true, min: 0, max: 11},
	{name: "value", kind: fzInt, null: true, key: true, min: -50, max: 50},
	{name: "count", kind: fzInt, min: 0, max: 999},
	{name: "amount", kind: fzFloat, min: 0, max: 9999.75},
	{name: "score", kind: fzFloat, null: true, min: -1000, max: 1000},
	{name: "flag", kind: fzBool, null: true, key: true},
	{name: "note", kind: fzText},
}

func fzCol(name string) *fzColumn {
	for _, c := range fzColumns {
		if c.name == name {
			return c
		}
	}
	panic("no column " + name)
}

func TestDifferential(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("DORA_FUZZ_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("DORA_FUZZ_SEED=%q: %v", s, err)
		}
	}
	n := fzEnvInt(t, "DORA_FUZZ_N", fzDefaultRun)
	only := fzEnvInt(t, "DORA_FUZZ_ONLY", -1)
	t.Logf("seed=%d queries=%d (replay: DORA_FUZZ_SEED=%d)", seed, n, seed)

	path, duck := openDuck(t, "diff.duckdb", fzDataSQL)
	direct := fzOpenDirect(t, path)
	fzFillLiterals(t, direct)
	// Every engine answers the same queries of the same seed.
	for _, node := range testenv.SearchNodes() {
		t.Run(node.Name, func(t *testing.T) {
			es, esURL := openSearch(t, node)
			fzPercentileBound, fzWorstPercentile = fzPercentileBoundFor(node.Engine, node.Major), 0
			fzPercentileBetween = node.Engine == "opensearch" && node.Major >= 3
			// scripts/opensearch starts 3.x with lang-painless; the integ-test builds of
			// Elasticsearch and OpenSearch 2 have no scripting: dora must learn the same
			fzScripting = node.Engine == "opensearch" && node.Major >= 3
			if got := es.(*elastic.Backend).Scripting(context.Background()); got != fzScripting {
				t.Fatalf("%s: dora learned scripting=%v, want %v (lang-painless on every node)", node.Name, got, fzScripting)
			}
			fzRun(t, seed, n, only, direct, duck, es, esURL)
			t.Logf("%s: the largest percentile error on a float column in groups of %d or more was %.2f%% of the range (bound %.0f%%)",
				node.Name, fzSmallGroup, 100*fzWorstPercentile, 100*fzPercentileBound)
		})
	}
}

// fzRun loads the table into the search engine es and holds it to DuckDB on queries first..n of
// the seed (only the one numbered only, when that is not -1).
func fzRun(t *testing.T, seed uint64, n, only int, direct *sql.DB, duck, es backends.Backend, esURL string) {
	ctx := context.Background()
	index := fmt.Sprintf("dora-diff-%d", os.Getpid())
	t.Cleanup(func() { testenv.DeleteIndices(esURL, index+"-*") })
	fzLoad(t, direct, duck, es, index)

	start := time.Now()
	stats := fzStats{forms: map[string]int{}}
	first, end := 0, n
	if only >= 0 {
		first, end = only, only+1
	}
	for i := first; i < end; i++ {
		q := fzGenerate(rand.New(rand.NewPCG(seed, uint64(i))))
		stats.shapes[q.shape]++
		if q.script {
			stats.scripted++
		}
		for _, f := range fzForms {
			if strings.Contains(strings.ToLower(q.dora), strings.ToLower(f)) {
				stats.forms[f]++
			}
		}
		for _, msg := range fzCheck(ctx, q, direct, duck, es, index) {
			stats.fails++
			if stats.fails <= fzMaxFails {
				t.Errorf("seed=%d query %d (replay: DORA_FUZZ_SEED=%d DORA_FUZZ_ONLY=%d): %s", seed, i, seed, i, msg)
			}
		}
		if stats.fails >= fzMaxFails {
			t.Fatalf("seed=%d: stopping after %d failures in %d queries", seed, stats.fails, i+1)
		}
	}
	t.Logf("seed=%d: %d grouped, %d implicit, %d raw queries in %v (%d needing scripting, scripting=%v); %d failures; forms: %v",
		seed, stats.shapes[fzGrouped], stats.shapes[fzImplicit], stats.shapes[fzRaw], time.Since(start).Round(time.Millisecond),
		stats.scripted, fzScripting, stats.fails, stats.forms)
	if end-first >= 500 {
		if stats.scripted == 0 {
			t.Errorf("seed=%d: no query of %d needed scripting: the generator no longer writes such forms", seed, end-first)
		}
		for _, f := range fzForms {
			if stats.forms[f] == 0 {
				t.Errorf("seed=%d: no query of %d used %q: the generator no longer writes it", seed, end-first, f)
			}
		}
	}
}

// fzForms are spellings every run of 500 queries or more must have used at least once.
var fzForms = []string{"FILTER (WHERE", "CASE WHEN", "stddev", "var_", "variance(", "OFFSET", "NULLS FIRST", "NULLS LAST",
	" ILIKE ", "NOT LIKE", "ESCAPE", "SELECT DISTINCT", " / ", " // ", " % ", "round(", "year(", "extract(", "date_part(",
	"coalesce(", "upper(", "length(", "substr(", "CAST(", "::", "greatest(", "nullif(", " || ", "/ 0"}

type fzStats struct {
	shapes   [3]int
	fails    int
	scripted int // queries that need scripting on a search engine
	forms    map[string]int
}

func fzEnvInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, s, err)
	}
	return n
}

// fzOpenDirect opens the file read-only in UTC, on one connection so the setting holds.
func fzOpenDirect(t *testing.T, path string) *sql.DB {
	t.Helper()
	conn, err := duckdbdrv.NewConnector(path+"?access_mode=READ_ONLY", func(ex driver.ExecerContext) error {
		_, err := ex.ExecContext(context.Background(), "SET TimeZone = 'UTC'", nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close(); conn.Close() })
	return db
}

// fzLoad copies the table into an Elasticsearch index through dora's Sink, reading the rows
// straight from DuckDB so the copy does not depend on the query path under test.
func fzLoad(t *testing.T, direct *sql.DB, duck, es backends.Backend, index string) {
	t.Helper()
	ctx := context.Background()
	schema, err := duck.Schema(ctx, fzTable)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range schema.Fields {
		if f.Name == "note" {
			schema.Fields[i].Type = query.TypeText
		}
	}
	schema.Table = index
	names := schema.Names()
	cols := make([]string, len(names))
	for i, n := range names {
		cols[i] = `"` + n + `"`
	}
	rows, err := fzQuery(direct, "SELECT "+strings.Join(cols, ", ")+" FROM diff ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != fzRows {
		t.Fatalf("read %d rows from DuckDB, want %d", len(rows), fzRows)
	}
	sink, err := es.Sink(ctx, index, schema, backends.SinkOptions{Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(rows))
	batch := make([]backends.Row, len(rows))
	for i, r := range rows {
		ids[i] = fmt.Sprint(r[0])
		batch[i] = r
	}
	if err := sink.Write(ctx, batch, ids); err != nil {
		t.Fatal(err)
	}
	if err := sink.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// fzFillLiterals gives every column a pool of literals taken from its own values, so filters
// and HAVING thresholds hit rows, plus values that are in no row.
func fzFillLiterals(t *testing.T, db *sql.DB) {
	t.Helper()
	for _, c := range fzColumns {
		rows, err := fzQuery(db, fmt.Sprintf(`SELECT DISTINCT "%s" FROM diff WHERE "%s" IS NOT NULL ORDER BY hash("%s") LIMIT 30`, c.name, c.name, c.name))
		if err != nil {
			t.Fatal(err)
		}
		c.lits = nil
		for _, r := range rows {
			c.lits = append(c.lits, fzLiteral(c, r[0]))
		}
		switch c.kind {
		case fzString:
			c.lits = append(c.lits, fzQuote("Nope"), fzQuote("it's"), fzQuote(""))
		case fzTime:
			c.lits = append(c.lits, "TIMESTAMP '2024-03-10 02:30:00'", "TIMESTAMP '2024-11-03 01:30:00'",
				"'2024-10-27 01:00:00'", "TIMESTAMP '2024-06-01'", "'2024-07-04 12:00:00'", "TIMESTAMP '2023-12-31 23:59:59'")
		case fzDate:
			c.lits = append(c.lits, "DATE '2024-03-10'", "DATE '2024-11-03'", "DATE '2025-12-31'", "'2024-06-15'")
		case fzInt:
			c.lits = append(c.lits, "2.5", "-3", "0", "1000000")
		case fzFloat:
			c.lits = append(c.lits, "0", "1234.6", "-0.25", "5000")
		}
	}
}

func fzLiteral(c *fzColumn, v any) string {
	switch x := v.(type) {
	case string:
		return fzQuote(x)
	case bool:
		return strings.ToUpper(strconv.FormatBool(x))
	case time.Time:
		if c.kind == fzDate {
			return "DATE '" + x.Format("2006-01-02") + "'"
		}
		return "TIMESTAMP '" + x.Format("2006-01-02 15:04:05") + "'"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func fzQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// fzQuery runs SQL straight on DuckDB and returns normalized rows.
func fzQuery(db *sql.DB, text string) ([][]any, error) {
	rows, err := db.Query(text)
	if err != nil {
		return nil, err
	}
	out, err := testenv.ScanRows(rows)
	for _, r := range out {
		for i := range r {
			r[i] = duckdb.Normalize(r[i])
		}
	}
	return out, err
}

// The query shapes.
const (
	fzGrouped = iota
	fzImplicit
	fzRaw
)

// fzCmp says how an output column is compared.
type fzCmp int

const (
	fzExact fzCmp = iota
	fzRel         // float sums and averages: 1e-9 relative
	fzPct         // percentiles: 1e-9 on DuckDB, fzPercentileBound on Elasticsearch
)

// fzOut is one expected output column.
type fzOut struct {
	name string
	cmp  fzCmp
	span float64 // fzPct: the column's range, for the Elasticsearch bound
	step float64 // fzPct: 1 for an integer column, whose percentiles t-digest may put a step off
	// fzPct: where the bounds query's row holds count(col), min(col) and max(col) for this
	// column's group; 0 when there is no bounds query
	bound int
}

// fzQ is one generated query: dora's text (with {T} for the table) and DuckDB's, the expected
// columns, and whether row order is fully determined.
type fzQ struct {
	shape   int
	dora    string
	duck    string
	outs    []fzOut
	ordered bool
	star    bool // SELECT *: Elasticsearch lists fields in its own order
	direct  bool // false when a filter (match) means something else to DuckDB
	// bounds is the DuckDB text with count, min and max of each percentile's column appended
	// to the select list, for judging Elasticsearch's percentiles; empty when there are none
	bounds string
	// script: the query needs scripting on a search engine (a count distinct or percentile
	// grouped by an expression, arithmetic inside an aggregate): a node with Painless answers it
	// with scripts, any other must refuse it, saying which part needs scripting
	script bool
}

func (q fzQ) doraOn(table string) string { return strings.Replace(q.dora, "{T}", table, 1) }

// fzCheck runs q everywhere and returns what differs.
func fzCheck(ctx context.Context, q fzQ, direct *sql.DB, duck, es backends.Backend, index string) []string {
	var fails []string
	duckSQL := q.doraOn(fzTable)
	esSQL := q.doraOn(`"` + index + `"`)
	show := "\n  sql:    " + duckSQL
	if q.duck != duckSQL {
		show += "\n  duckdb: " + q.duck
	}
	d, dErr := backends.Query(ctx, duck, duckSQL)
	e, eErr := backends.Query(ctx, es, esSQL)
	if q.direct {
		want, err := fzQuery(direct, q.duck)
		if err != nil {
			return []string{"the generated SQL is not valid DuckDB: " + err.Error() + show}
		}
		if dErr != nil {
			fails = append(fails, "dora on DuckDB: "+dErr.Error()+show)
		} else if msg := fzCompare(q, want, d, false); msg != "" {
			fails = append(fails, "dora on DuckDB differs from DuckDB: "+msg+show)
		}
		if q.bounds != "" {
			if want, err = fzQuery(direct, q.bounds); err != nil {
				return append(fails, "the generated bounds SQL is not valid DuckDB: "+err.Error()+"\n  bounds: "+q.bounds+show)
			}
		}
		// The generator marks what may need a script; a plan that finds a native way (a coalesce
		// top-N through terms with missing) must answer exactly, one that does not must say so.
		if q.script && !fzScripting && eErr != nil {
			if !strings.Contains(eErr.Error(), "needs scripting") {
				fails = append(fails, fmt.Sprintf("dora on Elasticsearch failed (%v) where it needs scripting%s", eErr, show))
			}
			return fails
		}
		if eErr != nil {
			fails = append(fails, "dora on Elasticsearch: "+eErr.Error()+show)
		} else if msg := fzCompare(q, want, e, true); msg != "" {
			fails = append(fails, "dora on Elasticsearch differs from DuckDB: "+msg+show)
		}
		return fails
	}
	// match() means word search to dora: hold Elasticsearch to dora on DuckDB.
	switch {
	case dErr != nil:
		fails = append(fails, "dora on DuckDB: "+dErr.Error()+show)
	case q.script && !fzScripting && eErr != nil:
		if !strings.Contains(eErr.Error(), "needs scripting") {
			fails = append(fails, fmt.Sprintf("dora on Elasticsearch failed (%v) where it needs scripting%s", eErr, show))
		}
	case eErr != nil:
		fails = append(fails, "dora on Elasticsearch: "+eErr.Error()+show)
	default:
		want := make([][]any, len(d.Rows))
		for i, r := range d.Rows {
			want[i] = make([]any, len(r))
			for j, v := range r {
				want[i][j] = duckdb.Normalize(v)
			}
		}
		if msg := fzCompare(q, want, d, false); msg != "" {
			fails = append(fails, "dora on DuckDB: "+msg+show)
		} else if msg := fzCompare(q, want, e, true); msg != "" {
			fails = append(fails, "dora on Elasticsearch differs from dora on DuckDB: "+msg+show)
		}
	}
	return fails
}

// fzCompare holds a dora result to the wanted rows and returns what differs, or "".
func fzCompare(q fzQ, want [][]any, res *query.Result, es bool) string {
	var names, wantNames []string
	for _, c := range res.Columns {
		names = append(names, c.Name)
	}
	for _, o := range q.outs {
		wantNames = append(wantNames, o.name)
	}
	got := make([][]any, len(res.Rows))
	for i, r := range res.Rows {
		got[i] = make([]any, len(r))
		for j, v := range r {
			got[i][j] = duckdb.Normalize(v)
		}
	}
	if q.star && es && len(names) == len(wantNames) {
		// SELECT * lists Elasticsearch's fields in its mapping's order: compare by name.
		got = fzReorder(got, names, wantNames)
		names = wantNames
	}
	cols := fmt.Sprintf("\n  columns: dora %q\n  want     %q", names, wantNames)
	rows := func() string {
		return fmt.Sprintf("\n  dora rows (%d): %s\n  want rows (%d): %s", len(got), fzShowRows(got), len(want), fzShowRows(fzTrim(want, len(q.outs))))
	}
	unmatched := func() string {
		extra, missing := fzUnmatched(q, got, want, es)
		return fmt.Sprintf("\n  rows dora has and DuckDB does not (%d): %s\n  rows DuckDB has and dora does not (%d): %s",
			len(extra), fzShowRows(extra), len(missing), fzShowRows(fzTrim(missing, len(q.outs))))
	}
	if len(names) != len(q.outs) {
		return fmt.Sprintf("%d columns, want %d%s%s", len(names), len(q.outs), cols, rows())
	}
	for i, n := range names {
		if fzName(n) != fzName(q.outs[i].name) {
			return fmt.Sprintf("column %d is named %q, want %q%s", i+1, n, q.outs[i].name, cols)
		}
	}
	for _, r := range got {
		if len(r) != len(q.outs) {
			return fmt.Sprintf("a row has %d values for %d columns: %s%s", len(r), len(q.outs), fzShowRows([][]any{r}), cols)
		}
	}
	if !q.ordered {
		got, want = fzSorted(q, got), fzSorted(q, want)
	}
	if len(got) != len(want) {
		return fmt.Sprintf("%d rows, want %d%s%s%s", len(got), len(want), cols, unmatched(), rows())
	}
	r, c := fzFirstDiff(q, got, want, es)
	switch {
	case r < 0:
		return ""
	case q.ordered:
		return fmt.Sprintf("row %d column %d (%s) differs: dora %s, want %s%s%s", r+1, c+1, q.outs[c].name,
			fzShow(got[r][c]), fzShow(want[r][c]), cols, rows())
	}
	if extra, _ := fzUnmatched(q, got, want, es); len(extra) == 0 {
		return "" // a tolerance upset the canonical sort, not the rows
	}
	return "rows differ (compared as multisets)" + cols + unmatched() + rows()
}

// fzName is a column name as compared: the item as written or its alias, where case, double
// quotes, spaces and how a number is spelled (3 or 3.0) do not count.
func fzName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(s))
	return fzPointZero.ReplaceAllString(s, "$1")
}

var fzUncombinable = regexp.MustCompile(`(?i)count\(DISTINCT|percentile\(|median\(`)

var fzPointZero = regexp.MustCompile(`([0-9])\.0+\b`)

func fzReorder(rows [][]any, have, want []string) [][]any {
	idx := make([]int, len(want))
	for i, w := range want {
		idx[i] = slices.Index(have, w)
		if idx[i] < 0 {
			return rows
		}
	}
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = make([]any, len(idx))
		for j, k := range idx {
			if k < len(r) {
				out[i][j] = r[k]
			}
		}
	}
	return out
}

// fzTrim drops the bounds columns from rows, for showing them.
func fzTrim(rows [][]any, width int) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = r[:min(len(r), width)]
	}
	return out
}

func fzShowRows(rows [][]any) string {
	var b strings.Builder
	for i, r := range rows[:min(len(rows), fzShownRows)] {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString("[")
		for j, v := range r {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(fzShow(v))
		}
		b.WriteString("]")
	}
	if len(rows) > fzShownRows {
		b.WriteString(" ...")
	}
	return b.String()
}

func fzShow(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return strconv.Quote(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprintf("%v (%T)", v, v)
}

func fzFirstDiff(q fzQ, got, want [][]any, es bool) (int, int) {
	for r := range got {
		for c := range got[r] {
			if !fzEqual(q.outs[c], got[r][c], want[r], c, es) {
				return r, c
			}
		}
	}
	return -1, -1
}

// fzUnmatched pairs rows of got with equal rows of want, as multisets, and returns the rows of
// each that found no partner. Rows pair only with rows of the same exact values; among those,
// approximate values decide, by maximum bipartite matching (a tolerance can make a canonical
// sort, or a first fit, pair the wrong rows).
func fzUnmatched(q fzQ, got, want [][]any, es bool) (extra, missing [][]any) {
	exactKey := func(r []any) string {
		var b strings.Builder
		for c, o := range q.outs {
			if o.cmp == fzExact {
				b.WriteString(fzSortKey(r[c], 17))
				b.WriteByte(0)
			}
		}
		return b.String()
	}
	buckets := map[string][]int{}
	for j, w := range want {
		k := exactKey(w)
		buckets[k] = append(buckets[k], j)
	}
	partner := make([]int, len(want)) // want row -> got row, -1 when free
	for j := range partner {
		partner[j] = -1
	}
	equal := func(g, w []any) bool {
		for c := range g {
			if !fzEqual(q.outs[c], g[c], w, c, es) {
				return false
			}
		}
		return true
	}
	// try finds got row i a partner, moving earlier pairs along augmenting paths (Kuhn).
	var try func(i int, cands []int, seen map[int]bool) bool
	try = func(i int, cands []int, seen map[int]bool) bool {
		for _, j := range cands {
			if seen[j] || !equal(got[i], want[j]) {
				continue
			}
			seen[j] = true
			if partner[j] < 0 || try(partner[j], cands, seen) {
				partner[j] = i
				return true
			}
		}
		return false
	}
	for i, g := range got {
		if !try(i, buckets[exactKey(g)], map[int]bool{}) {
			extra = append(extra, g)
		}
	}
	for j, w := range want {
		if partner[j] < 0 {
			missing = append(missing, w)
		}
	}
	return extra, missing
}

// fzSorted sorts rows canonically: exact columns first, then the rest rounded.
func fzSorted(q fzQ, rows [][]any) [][]any {
	type keyed struct {
		key string
		row []any
	}
	ks := make([]keyed, len(rows))
	for i, r := range rows {
		var b strings.Builder
		for pass := range 2 {
			for c, v := range r[:len(q.outs)] {
				if (q.outs[c].cmp == fzExact) != (pass == 0) {
					continue
				}
				digits := 12
				if q.outs[c].cmp == fzPct {
					digits = 2
				}
				b.WriteString(fzSortKey(v, digits))
				b.WriteByte(0)
			}
		}
		ks[i] = keyed{b.String(), r}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	out := make([][]any, len(rows))
	for i, k := range ks {
		out[i] = k.row
	}
	return out
}

func fzSortKey(v any, digits int) string {
	switch x := v.(type) {
	case nil:
		return "~null"
	case int64:
		return "n" + strconv.FormatFloat(float64(x), 'g', digits, 64)
	case float64:
		return "n" + strconv.FormatFloat(x, 'g', digits, 64)
	case time.Time:
		return "t" + x.UTC().Format(time.RFC3339Nano)
	case string:
		return "s" + x
	}
	return fmt.Sprintf("%T%v", v, v)
}

// fzEqual compares one value of dora's with column c of DuckDB's row.
func fzEqual(o fzOut, got any, row []any, c int, es bool) bool {
	want := row[c]
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	if gf, ok := got.(float64); ok {
		if wf, ok := want.(float64); ok && (math.IsNaN(gf) || math.IsInf(gf, 0) || math.IsNaN(wf) || math.IsInf(wf, 0)) {
			return gf == wf || math.IsNaN(gf) && math.IsNaN(wf) // division by zero: the same Inf or NaN
		}
	}
	switch w := want.(type) {
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.Equal(w)
	case int64, float64:
		if gi, ok := got.(int64); ok {
			if wi, ok := want.(int64); ok {
				return gi == wi
			}
		}
		g, ok := fzFloat64(got)
		if !ok {
			return false
		}
		wf, _ := fzFloat64(want)
		switch {
		case o.cmp == fzPct && es:
			if o.bound == 0 || len(row) < o.bound+3 {
				return true // no bounds (a match() query): a number where DuckDB has one
			}
			n, _ := row[o.bound].(int64)
			lo, _ := fzFloat64(row[o.bound+1])
			hi, _ := fzFloat64(row[o.bound+2])
			if g < lo-fzFloatRel*math.Abs(lo) || g > hi+fzFloatRel*math.Abs(hi) {
				return false
			}
			if n >= fzSmallGroup && o.span > 0 && o.step == 0 {
				fzWorstPercentile = max(fzWorstPercentile, math.Abs(g-wf)/o.span)
			}
			return n < fzSmallGroup || fzPercentileBetween && o.step > 0 || math.Abs(g-wf) <= math.Max(fzPercentileBound*o.span, o.step)
		case o.cmp == fzRel || o.cmp == fzPct:
			return math.Abs(g-wf) <= fzFloatRel*math.Max(1, math.Abs(wf))
		}
		return g == wf
	}
	return got == want
}

func fzFloat64(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// fzSQL is one fragment in both spellings: dora's and DuckDB's.
type fzSQL struct{ dora, duck string }

func fzBoth(s string) fzSQL { return fzSQL{s, s} }

// fzGen writes one query.
type fzGen struct {
	r      *rand.Rand
	match  bool // a match() filter was written: DuckDB proper cannot answer
	nAlias int
	used   map[string]bool // aliases taken
	// scripted: the aggregates written that only a script computes on a search engine
	// (scriptAgg); the query needs scripting when its text holds one
	scripted []string
}

func (g *fzGen) p(prob float64) bool { return g.r.Float64() < prob }

func (g *fzGen) pick(n int) int { return g.r.IntN(n) }

func fzPick[T any](g *fzGen, xs []T) T { return xs[g.r.IntN(len(xs))] }

// ref writes a column reference, sometimes double-quoted.
func (g *fzGen) ref(name string) string {
	if g.p(0.15) {
		return `"` + name + `"`
	}
	return name
}

// fn writes a function name, now and then in upper or mixed case.
func (g *fzGen) fn(name string) string {
	switch {
	case g.p(0.08):
		return strings.ToUpper(name)
	case g.p(0.04):
		return strings.ToUpper(name[:1]) + name[1:]
	}
	return name
}

var fzAliasWords = []string{"n", "total", "month", "day", "week", "year", "key", "first", "last", `"Total Sales"`, `"x.y"`}

// alias draws a fresh output alias: a1, a2, ... or a word that used to be a keyword, or a quoted
// name. No alias is a column's name, so no reference is ambiguous.
func (g *fzGen) alias() string {
	g.nAlias++
	if g.p(0.3) {
		w := fzPick(g, fzAliasWords)
		if g.used[w] {
			w = strings.TrimSuffix(w, `"`) + strconv.Itoa(g.nAlias)
			if strings.HasPrefix(w, `"`) {
				w += `"`
			}
		}
		g.used[w] = true
		return w
	}
	return fmt.Sprintf("a%d", g.nAlias)
}

// fzKey is a group key.
type fzKey struct {
	id   string // tells keys apart
	col  string // a plain column key's column
	time bool   // a time bucket: one to a query, so one time zone
	wide bool   // an expression of columns (always aliased when selected)
	expr func(g *fzGen) fzSQL
}

func (g *fzGen) keys(n int) []fzKey {
	var out []fzKey
	hasTime := false
	for tries := 0; len(out) < n && tries < 20; tries++ {
		var k fzKey
		switch x := g.r.Float64(); {
		case x < 0.2:
			k = g.exprKey()
		case x < 0.55:
			var cols []*fzColumn
			for _, c := range fzColumns {
				if c.key {
					cols = append(cols, c)
				}
			}
			c := fzPick(g, cols)
			k = fzKey{id: "c:" + c.name, col: c.name, expr: func(g *fzGen) fzSQL { return fzBoth(g.ref(c.name)) }}
		case x < 0.7:
			if hasTime {
				continue
			}
			col := fzPick(g, []string{"ts", "ts", "date"})
			unit := fzPick(g, []string{"month", "day", "week", "month", "quarter", "year"})
			if col == "date" && unit == "day" {
				unit = "week"
			}
			tz := ""
			if col == "ts" && g.p(0.3) {
				tz = fzPick(g, []string{"America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata"})
			}
			k = fzKey{id: "t:" + unit + col, time: true, expr: func(g *fzGen) fzSQL {
				c := g.ref(col)
				if tz == "" {
					return fzBoth(fmt.Sprintf("date_trunc('%s', %s)", unit, c))
				}
				return fzSQL{
					dora: fmt.Sprintf("date_trunc('%s', %s, '%s')", unit, c, tz),
					duck: fmt.Sprintf("timezone('%s', date_trunc('%s', timezone('%s', timezone('UTC', %s))))", tz, unit, tz, c),
				}
			}}
			hasTime = true
		case x < 0.78:
			if hasTime {
				continue
			}
			// The same text in DuckDB: buckets from its origin, Monday 2000-01-03.
			every := fzPick(g, []string{"6 hours", "12 hours", "1 day", "2 days", "7 days"})
			k = fzKey{id: "b:" + every, time: true, expr: func(g *fzGen) fzSQL {
				return fzBoth(fmt.Sprintf("time_bucket('%s', %s)", every, g.ref("ts")))
			}}
			hasTime = true
		default:
			hs := []struct {
				col string
				w   string
			}{{"amount", "500"}, {"amount", "2500"}, {"score", "250"}, {"score", "100"}, {"value", "5"}, {"value", "25"},
				{"value", "2.5"}, {"count", "100"}, {"qty", "3"}}
			h := fzPick(g, hs)
			k = fzKey{id: "h:" + h.col + h.w, expr: func(g *fzGen) fzSQL {
				c := g.ref(h.col)
				return fzSQL{dora: fmt.Sprintf("histogram(%s, %s)", c, h.w), duck: fmt.Sprintf("floor(%s / %s) * %s", c, h.w, h.w)}
			}}
		}
		if slices.ContainsFunc(out, func(o fzKey) bool { return o.id == k.id }) {
			continue
		}
		out = append(out, k)
	}
	return out
}

// fzAgg is an aggregate.
type fzAgg struct {
	col   *fzColumn // nil for count(*)
	fn    string
	out   fzOut
	exact bool // Elasticsearch gives the same value: fit for HAVING and ORDER BY with LIMIT
	wide  bool // a spread statistic, FILTER or CASE (always aliased when selected)
	expr  func(g *fzGen) fzSQL
}

func (g *fzGen) agg() fzAgg {
	if g.p(0.3) {
		return g.wideAgg()
	}
	return g.plainAgg()
}

func (g *fzGen) plainAgg() fzAgg {
	numeric := []string{"qty", "value", "count", "amount", "score", "id"}
	switch x := g.r.Float64(); {
	case x < 0.2:
		return fzAgg{fn: "count", exact: true, expr: func(g *fzGen) fzSQL { return fzBoth(g.fn("count") + "(*)") }}
	case x < 0.3:
		c := fzCol(fzPick(g, []string{"qty", "value", "score", "flag", "category", "name", "date"}))
		return fzAgg{col: c, fn: "count", exact: true, expr: func(g *fzGen) fzSQL {
			return fzBoth(g.fn("count") + "(" + g.ref(c.name) + ")")
		}}
	case x < 0.4:
		c := fzCol(fzPick(g, []string{"category", "type", "name", "qty", "value", "flag", "date", "count"}))
		return fzAgg{col: c, fn: "count", exact: true, expr: func(g *fzGen) fzSQL {
			return fzBoth(g.fn("count") + "(DISTINCT " + g.ref(c.name) + ")")
		}}
	case x < 0.85:
		fn := fzPick(g, []string{"sum", "avg", "min", "max", "sum", "min", "max"})
		cols := numeric
		if fn == "min" || fn == "max" {
			cols = append(cols, "ts", "date")
		}
		c := fzCol(fzPick(g, cols))
		a := fzAgg{col: c, fn: fn, exact: true, expr: func(g *fzGen) fzSQL {
			return fzBoth(g.fn(fn) + "(" + g.ref(c.name) + ")")
		}}
		if fn == "avg" || fn == "sum" && c.kind == fzFloat {
			a.out.cmp = fzRel
		}
		return a
	}
	c := fzCol(fzPick(g, []string{"amount", "score", "value", "count", "qty"}))
	a := fzAgg{col: c, fn: "percentile", out: fzOut{cmp: fzPct, span: c.max - c.min}}
	if c.kind == fzInt {
		a.out.step = 1
	}
	if g.p(0.4) {
		a.expr = func(g *fzGen) fzSQL { return fzBoth(g.fn("median") + "(" + g.ref(c.name) + ")") }
		return a
	}
	p := fzPick(g, []string{"0.1", "0.25", "0.9", "0.95", "0.99"})
	a.expr = func(g *fzGen) fzSQL {
		r := g.ref(c.name)
		return fzSQL{dora: g.fn("percentile") + "(" + r + ", " + p + ")", duck: "quantile_cont(" + r + ", " + p + ")"}
	}
	return a
}

// exactAgg draws an aggregate that is fit for HAVING and ORDER BY.
func (g *fzGen) exactAgg() fzAgg {
	for {
		if a := g.agg(); a.exact {
			return a
		}
	}
}

// fzItem is one select item.
type fzItem struct {
	text  fzSQL
	alias string
	key   int    // index into the keys, -1 for an aggregate
	agg   *fzAgg // nil for a key
	col   string // raw rows: the column
	out   fzOut
	calc  bool // an expression after aggregation (or of a row's columns)
	// calcExact: the expression's values are the same on every engine, fit for HAVING and
	// ORDER BY
	calcExact bool
}

func (it fzItem) render() fzSQL {
	if it.alias == "" {
		return it.text
	}
	as := " AS "
	if strings.HasPrefix(it.alias, "a") && len(it.alias) < 4 {
		as = " " // AS is optional
	}
	return fzSQL{it.text.dora + as + it.alias, it.text.duck + as + it.alias}
}

func fzJoin(parts []fzSQL, sep string) fzSQL {
	var d, k []string
	for _, p := range parts {
		d = append(d, p.dora)
		k = append(k, p.duck)
	}
	return fzSQL{strings.Join(d, sep), strings.Join(k, sep)}
}

func fzGenerate(r *rand.Rand) fzQ {
	g := &fzGen{r: r, used: map[string]bool{}}
	var q fzQ
	switch x := g.r.Float64(); {
	case x < 0.55:
		q = g.grouped(1 + g.pick(2))
	case x < 0.62:
		q = g.distinct()
	case x < 0.72:
		q = g.grouped(0)
	default:
		q = g.raw()
	}
	q.direct = !g.match
	q.script = q.script || slices.ContainsFunc(g.scripted, func(s string) bool { return strings.Contains(q.dora, s) })
	return q
}

// fzGroupQuery is an aggregate query being written: its group keys and select items.
type fzGroupQuery struct {
	g     *fzGen
	keys  []fzKey
	items []fzItem
}

// grouped writes an aggregate query over nkeys group keys (none: implicit grouping).
func (g *fzGen) grouped(nkeys int) fzQ {
	q := fzQ{shape: fzGrouped}
	if nkeys == 0 {
		q.shape = fzImplicit
	}
	b := &fzGroupQuery{g: g, keys: g.keys(nkeys)}
	b.selectList()
	sel := make([]fzSQL, len(b.items))
	var extras []string // count, min and max of each percentile's column, for the bounds query
	for i, it := range b.items {
		sel[i] = it.render()
		if it.out.cmp == fzPct {
			it.out.bound = len(b.items) + len(extras)
			c := `"` + it.agg.col.name + `"`
			extras = append(extras, "count("+c+")", "min("+c+")", "max("+c+")")
		}
		q.outs = append(q.outs, it.out)
	}
	list := fzJoin(sel, ", ")
	text := fzSQL{"SELECT " + list.dora + " FROM {T}", "SELECT " + list.duck + " FROM " + fzTable}
	if w := g.where(); w.dora != "" {
		text = fzJoin([]fzSQL{text, w}, " WHERE ")
	}
	if len(b.keys) > 0 {
		var gb []fzSQL
		order := g.r.Perm(len(b.keys))
		for _, i := range order {
			gb = append(gb, b.keyRef(i))
		}
		if g.p(0.05) {
			gb = append(gb, b.keyRef(order[0])) // GROUP BY a, a groups once
		}
		text = fzJoin([]fzSQL{text, fzJoin(gb, ", ")}, " GROUP BY ")
	}
	if h := b.having(); h.dora != "" {
		text = fzJoin([]fzSQL{text, h}, " HAVING ")
	}
	limit := q.shape == fzImplicit && g.p(0.2) || g.p(0.35)
	ob, total := b.orderBy(limit)
	q.ordered = total || q.shape == fzImplicit
	if len(ob) > 0 {
		text = fzJoin([]fzSQL{text, fzJoin(ob, ", ")}, " ORDER BY ")
	}
	if limit && q.ordered {
		text = fzJoin([]fzSQL{text, fzBoth(fmt.Sprint(fzPick(g, []int{1, 2, 3, 5, 10, 50})))}, " LIMIT ")
		if g.p(0.3) {
			text = fzJoin([]fzSQL{text, fzBoth(fmt.Sprint(fzPick(g, []int{1, 2, 4, 20})))}, " OFFSET ")
		}
	}
	q.dora, q.duck = text.dora, text.duck
	// a count distinct or percentile grouped by an expression needs scripting on Elasticsearch
	// (a query grouped by one CASE of values alone is a filters aggregation, which needs none)
	caseOnly := len(b.keys) == 1 && strings.HasPrefix(b.keys[0].id, "e:CASE ")
	q.script = slices.ContainsFunc(b.keys, func(k fzKey) bool { return k.wide && !strings.Contains(k.id, "year") }) && fzUncombinable.MatchString(q.dora) && !caseOnly
	if len(extras) > 0 {
		head := "SELECT " + list.duck
		q.bounds = head + ", " + strings.Join(extras, ", ") + strings.TrimPrefix(q.duck, head)
	}
	return q
}

// selectList draws the select items: some of the keys (the rest are hidden), aggregates, now
// and then a repeat, in any order, some with aliases.
func (b *fzGroupQuery) selectList() {
	g := b.g
	selected := make([]bool, len(b.keys))
	for i := range b.keys {
		selected[i] = g.p(0.7)
	}
	naggs := 1 + g.pick(3)
	if len(b.keys) > 0 && g.p(0.1) {
		naggs = 0 // SELECT k FROM t GROUP BY k
		selected[g.pick(len(b.keys))] = true
	}
	for i, k := range b.keys {
		if selected[i] {
			b.items = append(b.items, fzItem{text: k.expr(g), key: i})
		}
	}
	for range naggs {
		a := g.agg()
		b.items = append(b.items, fzItem{text: a.expr(g), key: -1, agg: &a})
	}
	for range 2 {
		if g.p(0.3) {
			b.items = append(b.items, b.calcItem())
		}
	}
	if len(b.items) > 0 && g.p(0.15) {
		it := b.items[g.pick(len(b.items))]
		switch {
		case it.calc:
		case it.agg != nil:
			it.text = it.agg.expr(g)
		default:
			it.text = b.keys[it.key].expr(g)
		}
		b.items = append(b.items, it)
	}
	g.r.Shuffle(len(b.items), func(i, j int) { b.items[i], b.items[j] = b.items[j], b.items[i] })
	for i := range b.items {
		it := &b.items[i]
		if g.p(0.3) || it.calc || it.agg != nil && it.agg.wide || it.key >= 0 && b.keys[it.key].wide {
			it.alias = g.alias()
		}
		if it.agg != nil {
			it.out = it.agg.out
		}
		it.out.name = it.text.dora
		if it.alias != "" {
			it.out.name = strings.Trim(it.alias, `"`)
		}
	}
}

// keyRef writes a reference to key i: its position or alias when it is selected, or its column
// or expression.
func (b *fzGroupQuery) keyRef(i int) fzSQL {
	forms := []fzSQL{b.keys[i].expr(b.g), b.keys[i].expr(b.g)}
	for p, it := range b.items {
		if it.key == i {
			forms = append(forms, fzBoth(strconv.Itoa(p+1)))
			if it.alias != "" {
				forms = append(forms, fzBoth(it.alias))
			}
		}
	}
	return fzPick(b.g, forms)
}

// aggRef writes a reference to an aggregate HAVING or ORDER BY may use: a selected one by
// expression, alias or (ORDER BY) position, or one that is not selected. Percentiles are left
// out: Elasticsearch's are approximate, so they could pass or order other groups.
func (b *fzGroupQuery) aggRef(orderBy bool) (fzSQL, *fzAgg) {
	type form struct {
		text fzSQL
		agg  *fzAgg
	}
	var forms []form
	for p, it := range b.items {
		if it.calc && it.calcExact {
			count := &fzAgg{fn: "count"} // thresholds as for a count
			forms = append(forms, form{it.text, count})
			if it.alias != "" {
				forms = append(forms, form{fzBoth(it.alias), count})
			}
			if orderBy {
				forms = append(forms, form{fzBoth(strconv.Itoa(p + 1)), count})
			}
		}
		if it.agg == nil || !it.agg.exact {
			continue
		}
		forms = append(forms, form{it.agg.expr(b.g), it.agg})
		if it.alias != "" {
			forms = append(forms, form{fzBoth(it.alias), it.agg})
		}
		if orderBy {
			forms = append(forms, form{fzBoth(strconv.Itoa(p + 1)), it.agg})
		}
	}
	if len(forms) == 0 || b.g.p(0.4) {
		a := b.g.exactAgg()
		return a.expr(b.g), &a
	}
	f := fzPick(b.g, forms)
	return f.text, f.agg
}

// having writes an optional HAVING condition: one or two comparisons of aggregates (selected or
// not) or group columns, maybe negated.
func (b *fzGroupQuery) having() fzSQL {
	g := b.g
	if !g.p(0.3) {
		return fzSQL{}
	}
	var conds []fzSQL
	for range 1 + g.pick(2) {
		conds = append(conds, b.havingCond())
	}
	h := fzJoin(conds, fzPick(g, []string{" AND ", " OR "}))
	if len(conds) == 1 && g.p(0.15) {
		h = fzSQL{"NOT (" + h.dora + ")", "NOT (" + h.duck + ")"}
	}
	return h
}

// havingCond writes one HAVING condition: an aggregate against a threshold, or a group column.
func (b *fzGroupQuery) havingCond() fzSQL {
	g := b.g
	var colKeys []int
	for i, k := range b.keys {
		if k.col != "" {
			colKeys = append(colKeys, i)
		}
	}
	if len(colKeys) > 0 && g.p(0.15) {
		return g.atom(fzCol(b.keys[fzPick(g, colKeys)].col))
	}
	a, agg := b.aggRef(false)
	// The threshold: a count, or a literal of the aggregated column's type.
	var lit string
	switch agg.fn {
	case "count":
		lit = fzPick(g, []string{"0", "1", "2", "3", "5", "10", "20", "50", "100", "300"})
	case "sum":
		f, _ := strconv.ParseFloat(fzPick(g, agg.col.lits), 64)
		lit = strconv.FormatFloat(f*float64(fzPick(g, []int{1, 5, 20, 100})), 'f', -1, 64)
	case "script":
		lit = fzPick(g, []string{"-3", "0", "1", "5", "100", "1000"})
	default:
		lit = fzPick(g, agg.col.lits)
	}
	switch {
	case g.p(0.05):
		return fzSQL{a.dora + " IS NOT NULL", a.duck + " IS NOT NULL"}
	case agg.fn == "count" && g.p(0.05):
		return fzSQL{a.dora + " BETWEEN 1 AND " + lit, a.duck + " BETWEEN 1 AND " + lit}
	}
	op := " " + fzPick(g, []string{">", ">=", "<", "<=", "!=", "=", ">", ">"}) + " "
	return fzSQL{a.dora + op + lit, a.duck + op + lit}
}

// orderBy writes an optional ORDER BY of aggregates and keys, and reports whether it orders the
// rows totally (names every key). With a LIMIT it always does: only then is the same LIMIT sure
// to cut the same rows on every engine.
func (b *fzGroupQuery) orderBy(limit bool) ([]fzSQL, bool) {
	g := b.g
	if !limit && !g.p(0.6) {
		return nil, false
	}
	var ob []fzSQL
	covered := make([]bool, len(b.keys))
	for range 1 + g.pick(2) {
		if len(b.keys) == 0 || g.p(0.5) {
			a, _ := b.aggRef(true)
			ob = append(ob, a)
			continue
		}
		i := g.pick(len(b.keys))
		ob = append(ob, b.keyRef(i))
		covered[i] = true
	}
	for i := range b.keys {
		if limit && !covered[i] {
			ob = append(ob, b.keyRef(i))
			covered[i] = true
		}
	}
	for i := range ob {
		dir := fzPick(g, []string{"", " ASC", " DESC", " DESC"}) + fzNulls(g)
		ob[i] = fzSQL{ob[i].dora + dir, ob[i].duck + dir}
	}
	return ob, !slices.Contains(covered, false)
}

// raw writes a raw-rows query: columns in any order, repeated, aliased, or *; ordered by any
// columns (selected or not) and then id, a total order, so LIMIT cuts the same rows everywhere.
func (g *fzGen) raw() fzQ {
	q := fzQ{shape: fzRaw}
	var items []fzItem
	sel := fzBoth("*")
	if g.p(0.05) {
		q.star = true
		for _, c := range fzColumns {
			q.outs = append(q.outs, fzOut{name: c.name})
		}
	} else {
		for _, i := range g.r.Perm(len(fzColumns))[:1+g.pick(5)] {
			c := fzColumns[i]
			items = append(items, fzItem{text: fzBoth(g.ref(c.name)), key: -1, col: c.name})
		}
		if g.p(0.15) {
			it := items[g.pick(len(items))]
			it.text = fzBoth(g.ref(it.col))
			items = append(items, it)
		}
		for range 2 {
			if g.p(0.3) {
				items = append(items, g.rawCalc())
			}
		}
		parts := make([]fzSQL, len(items))
		for i := range items {
			name := items[i].col
			if g.p(0.25) || items[i].calc {
				items[i].alias = g.alias()
				name = strings.Trim(items[i].alias, `"`)
			}
			q.outs = append(q.outs, fzOut{name: name, cmp: items[i].out.cmp})
			parts[i] = items[i].render()
		}
		sel = fzJoin(parts, ", ")
	}
	text := fzSQL{"SELECT " + sel.dora + " FROM {T}", "SELECT " + sel.duck + " FROM " + fzTable}
	if w := g.where(); w.dora != "" {
		text = fzJoin([]fzSQL{text, w}, " WHERE ")
	}
	if !g.p(0.6) {
		q.dora, q.duck = text.dora, text.duck
		return q
	}
	colRef := func(name string) fzSQL {
		forms := []fzSQL{fzBoth(g.ref(name))}
		for p, it := range items {
			if it.col == name {
				forms = append(forms, fzBoth(strconv.Itoa(p+1)))
				if it.alias != "" {
					forms = append(forms, fzBoth(it.alias))
				}
			}
		}
		return fzPick(g, forms)
	}
	var ob []fzSQL
	for p, it := range items {
		if it.calc && g.p(0.4) { // an expression over rows: dora sorts every matching row
			ob = append(ob, fzBoth(fzPick(g, []string{it.alias, strconv.Itoa(p + 1)})))
			break
		}
	}
	for range g.pick(3) {
		if c := fzPick(g, fzColumns); c.kind != fzText && c.name != "id" {
			ob = append(ob, colRef(c.name))
		}
	}
	ob = append(ob, colRef("id"))
	for i := range ob {
		dir := fzPick(g, []string{"", " ASC", " DESC"}) + fzNulls(g)
		ob[i] = fzSQL{ob[i].dora + dir, ob[i].duck + dir}
	}
	text = fzJoin([]fzSQL{text, fzJoin(ob, ", ")}, " ORDER BY ")
	if g.p(0.7) {
		text = fzJoin([]fzSQL{text, fzBoth(fmt.Sprint(fzPick(g, []int{1, 5, 20, 100})))}, " LIMIT ")
	}
	if g.p(0.2) {
		text = fzJoin([]fzSQL{text, fzBoth(fmt.Sprint(fzPick(g, []int{1, 3, 50})))}, " OFFSET ")
	}
	q.ordered = true
	q.dora, q.duck = text.dora, text.duck
	return q
}

// where writes an optional WHERE condition of every form the subset has.
func (g *fzGen) where() fzSQL {
	if g.p(0.35) {
		return fzSQL{}
	}
	return g.cond(0)
}

func (g *fzGen) cond(depth int) fzSQL {
	x := g.r.Float64()
	switch {
	case depth < 2 && x < 0.25:
		parts := []fzSQL{g.cond(depth + 1), g.cond(depth + 1)}
		if g.p(0.3) {
			parts = append(parts, g.cond(depth+1))
		}
		for i, p := range parts {
			if strings.Contains(p.dora, " OR ") || strings.Contains(p.dora, " AND ") || g.p(0.1) {
				parts[i] = fzSQL{"(" + p.dora + ")", "(" + p.duck + ")"}
			}
		}
		return fzJoin(parts, fzPick(g, []string{" AND ", " OR "}))
	case depth < 2 && x < 0.32:
		in := g.cond(depth + 1)
		return fzSQL{"NOT (" + in.dora + ")", "NOT (" + in.duck + ")"}
	case x < 0.33:
		return fzBoth("id < 0") // nothing: aggregates of no rows
	case x < 0.345:
		return g.partAtom()
	case x < 0.36:
		g.match = true
		w := fzPick(g, []string{"red", "summer", "denim jeans", "wool", "Red Bag", "hat"})
		return fzBoth("match(" + g.ref("note") + ", " + fzQuote(w) + ")")
	}
	var cols []*fzColumn
	for _, c := range fzColumns {
		if c.kind != fzText {
			cols = append(cols, c)
		}
	}
	return g.atom(fzPick(g, cols))
}

// atom writes one predicate on c.
func (g *fzGen) atom(c *fzColumn) fzSQL {
	ref := g.ref(c.name)
	lit := func() string { return fzPick(g, c.lits) }
	lits := func() string {
		n := 1 + g.pick(4)
		var ls []string
		for range n {
			ls = append(ls, lit())
		}
		return strings.Join(ls, ", ")
	}
	if c.null && g.p(0.12) {
		return fzBoth(ref + fzPick(g, []string{" IS NULL", " IS NOT NULL"}))
	}
	if c.kind == fzBool {
		v := fzPick(g, []string{"TRUE", "FALSE"})
		return fzBoth(ref + fzPick(g, []string{" = ", " != ", " <> "}) + v)
	}
	switch x := g.r.Float64(); {
	case x < 0.3:
		return fzBoth(ref + " " + fzPick(g, []string{"=", "!=", "<>"}) + " " + lit())
	case x < 0.55:
		return fzBoth(ref + " " + fzPick(g, []string{"<", "<=", ">", ">="}) + " " + lit())
	case x < 0.7:
		return fzBoth(ref + fzPick(g, []string{" IN (", " NOT IN (", " IN ("}) + lits() + ")")
	case x < 0.8 || c.kind != fzString:
		a, b := lit(), lit()
		return fzBoth(ref + fzPick(g, []string{" BETWEEN ", " BETWEEN ", " NOT BETWEEN "}) + a + " AND " + b)
	}
	if g.p(0.6) {
		return g.likeAtom(ref, c)
	}
	// LIKE 'prefix%': DuckDB reads _ and % in the prefix as wildcards and dora reads \ as an
	// escape, so prefixes hold neither.
	v := strings.Trim(fzPick(g, c.lits), "'")
	v = strings.ReplaceAll(v, "''", "'")
	if i := strings.IndexAny(v, `_%\`); i >= 0 {
		v = v[:i]
	}
	rs := []rune(v)
	v = string(rs[:g.pick(len(rs)+1)])
	return fzBoth(ref + fzPick(g, []string{" LIKE ", " LIKE ", " NOT LIKE "}) + fzQuote(v+"%"))
}
