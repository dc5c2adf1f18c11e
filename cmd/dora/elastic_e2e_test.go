package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/testenv"
)

// TestElasticsearchCLI loads a small table into a real Elasticsearch, OpenSearch 2 and
// OpenSearch 3 in turn with dora load, then asks each questions through dora query in every
// format, checking answers against the same rows on DuckDB.
func TestElasticsearchCLI(t *testing.T) {
	for _, node := range testenv.SearchNodes() {
		t.Run(node.Name, func(t *testing.T) { searchCLI(t, node.URL(t)) })
	}
}

func searchCLI(t *testing.T, es string) {
	dir := t.TempDir()
	table := fmt.Sprintf("dora-cli-%d", time.Now().UnixNano()%1e9)
	// The test warehouse's clients, exported as CSV by dora itself, are the source.
	exportCSV(t, dir, "clients.csv", "SELECT client_id, region, state, plan, age, lifetime_value, churned, signed_up_at FROM clients")
	src := filepath.Join(dir, "clients.csv")
	env := []string{"XDG_STATE_HOME=" + dir}
	t.Cleanup(func() { testenv.DeleteIndices(es, table+"-*") })
	r := dora(t, "", env, "load", src, "--table", table, "--backend", es, "--id", "client_id", "--json", "--dead-letter", filepath.Join(dir, "dead.ndjson"))
	if r.code != 0 {
		t.Fatalf("load: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var sum struct {
		RowsRead  int64 `json:"rows_read"`
		Indexed   int64 `json:"indexed"`
		Published bool  `json:"published"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("load --json: %v\n%s", err, r.stdout)
	}
	want := direct(t, "SELECT count(*) FROM clients")[0][0].(int64)
	if sum.RowsRead != want || sum.Indexed != want || !sum.Published {
		t.Fatalf("load summary %s", r.stdout)
	}

	q := `SELECT region, count(*), avg(age), sum(lifetime_value) FROM "` + table + `" GROUP BY region ORDER BY count(*) DESC LIMIT 3`
	qd := strings.Replace(q, `"`+table+`"`, "clients", 1)
	esJSON := queryJSON(t, q, "--backend", es)
	duckJSON := queryJSON(t, qd)
	if len(esJSON.Rows) != 3 || fmt.Sprint(esJSON.Rows) != fmt.Sprint(duckJSON.Rows) {
		t.Errorf("elasticsearch %v\nduckdb %v", esJSON.Rows, duckJSON.Rows)
	}
	if esJSON.Meta.Backend != es || !strings.Contains(esJSON.Meta.Request, `"aggs"`) || esJSON.Meta.Complete {
		t.Errorf("meta %+v", esJSON.Meta)
	}
	for _, format := range []string{"table", "csv", "ndjson", "markdown"} {
		r := dora(t, "", nil, "--backend", es, "query", "--format", format, q)
		rd := dora(t, "", nil, "query", "--format", format, qd)
		if r.code != 0 || firstLines(r.stdout, 4) != firstLines(rd.stdout, 4) {
			t.Errorf("%s format: exit %d\nelasticsearch:\n%s\nduckdb:\n%s%s", format, r.code, r.stdout, rd.stdout, r.stderr)
		}
	}

	r = dora(t, "", nil, "--backend", es, "query", "--explain", q)
	var body map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &body) != nil || body["aggs"] == nil || !strings.Contains(r.stdout, "\n  ") {
		t.Errorf("--explain is not an indented aggregation body: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// The wider SQL answers as DuckDB answers it, and --explain says who did what on stderr.
	wide := `SELECT CASE WHEN age < 40 THEN 'young' ELSE 'older' END AS band, count(*) FILTER (WHERE churned = TRUE) AS gone, ` +
		`round(100.0 * count(*) FILTER (WHERE churned = TRUE) / count(*), 2) AS pct, stddev_pop(lifetime_value) AS sd FROM "` + table + `" ` +
		`WHERE region NOT ILIKE '%x%' GROUP BY band ORDER BY pct DESC NULLS LAST LIMIT 5 OFFSET 0`
	esWide := queryJSON(t, wide, "--backend", es)
	duckWide := queryJSON(t, strings.Replace(wide, `"`+table+`"`, "clients", 1))
	if len(esWide.Rows) != 2 || fmt.Sprintf("%.6v", esWide.Rows) != fmt.Sprintf("%.6v", duckWide.Rows) {
		t.Errorf("wide SQL: elasticsearch %v\nduckdb %v", esWide.Rows, duckWide.Rows)
	}
	r = dora(t, "", nil, "--backend", es, "query", "--explain", wide)
	for _, want := range []string{"-- Elasticsearch: GROUP BY CASE WHEN age < 40 THEN 'young' ELSE 'older' END (a filters aggregation",
		"filter aggregation around doc_count", "stddev_pop(lifetime_value) (extended_stats)", "-- dora: round(100.0 * count(*) FILTER"} {
		if r.code != 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("--explain stderr lacks %q: exit %d\n%s", want, r.code, r.stderr)
		}
	}
	if json.Unmarshal([]byte(r.stdout), &body) != nil || strings.Contains(r.stdout, "script") {
		t.Errorf("--explain stdout is not the request alone, without scripts:\n%s", r.stdout)
	}

	r = dora(t, "", nil, "--backend", es, "query", "SELECT count(*) FROM no_such_index_here")
	if r.code != 2 || !strings.Contains(r.stderr, table) {
		t.Errorf("missing index: exit %d, want 2 and a list of tables holding %s:\n%s", r.code, table, r.stderr)
	}
	// A text field with no keyword sub-field cannot be grouped: the error names it and says why.
	textIndex := table + "-text"
	esRequest(t, "PUT", es+"/"+textIndex, `{"mappings":{"properties":{"body":{"type":"text"}}}}`)
	defer esRequest(t, "DELETE", es+"/"+textIndex, "")
	r = dora(t, "", nil, "--backend", es, "query", `SELECT body, count(*) FROM "`+textIndex+`" GROUP BY body`)
	if r.code != 2 || !strings.Contains(r.stderr, "body") || !strings.Contains(r.stderr, "no keyword sub-field") {
		t.Errorf("group by a text field: exit %d\n%s", r.code, r.stderr)
	}

	r = dora(t, "", nil, "--backend", "http://127.0.0.1:1", "query", "SELECT count(*) FROM x")
	if r.code != 3 || !strings.Contains(r.stderr, "http://127.0.0.1:1") || strings.Contains(r.stderr, "goroutine") {
		t.Errorf("unreachable cluster: exit %d\n%s", r.code, r.stderr)
	}
	r = dora(t, "", nil, "--backend", es, "query", `SELECT count(*) FROM "`+table+`" WHERE plan = 'x''); DROP TABLE t; --' OR region = 'W*'`)
	if r.code != 0 || !strings.Contains(r.stdout, "\n0\n") && !strings.Contains(r.stdout, " 0\n") {
		t.Errorf("special values must match only themselves: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// esRequest sends one request to Elasticsearch and returns the response body; an HTTP error
// fails the test.
func esRequest(t *testing.T, method, url, body string) []byte {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: HTTP %d: %s", method, url, resp.StatusCode, out)
	}
	return out
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
