package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/objstore/s3test"
)

// The end-to-end tests build the real binary, build a small demo warehouse, run dora against it
// and check its answers against plain SQL run directly through DuckDB.
var (
	doraBin   string
	warehouse string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dora-e2e")
	if err != nil {
		panic(err)
	}
	doraBin = filepath.Join(dir, "dora")
	if out, err := exec.Command("go", "build", "-o", doraBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building dora: %v\n%s", err, out)
		os.Exit(1)
	}
	warehouse = filepath.Join(dir, "test.duckdb")
	// Built as on 2026-01-01, its shipments are 2024's and 2025's, whatever the day the tests run.
	if err := duckdb.BuildDemoAt(context.Background(), warehouse, 20000, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		fmt.Fprintf(os.Stderr, "building the test warehouse: %v\n", err)
		os.Exit(1)
	}
	code := s3test.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

type run struct {
	stdout, stderr string
	code           int
}

func dora(t *testing.T, stdin string, env []string, args ...string) run {
	t.Helper()
	return doraIn(t, "", stdin, env, args...)
}

// doraIn is dora run in the folder dir ("" for the tests' own).
func doraIn(t *testing.T, dir, stdin string, env []string, args ...string) run {
	t.Helper()
	cmd := exec.Command(doraBin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "DORA_BACKEND=duckdb:"+warehouse, "XDG_CONFIG_HOME="+t.TempDir()), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running dora: %v", err)
	}
	return run{out.String(), errb.String(), code}
}

// direct runs SQL straight through DuckDB, the independent answer.
func direct(t *testing.T, sqlText string, args ...any) [][]any {
	t.Helper()
	db, err := sql.Open("duckdb", warehouse+"?access_mode=READ_ONLY")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return testenv.Rows(t, db, sqlText, args...)
}

type jsonResult struct {
	Columns []struct{ Name, Role, Type string }
	Rows    [][]any
	Meta    struct {
		Backend     string
		Request     string
		TookMS      int64 `json:"took_ms"`
		Approximate bool
		Complete    bool
		OtherCount  int64 `json:"other_count"`
		ErrorBound  int64 `json:"error_bound"`
	}
}

func queryJSON(t *testing.T, sqlText string, extra ...string) jsonResult {
	t.Helper()
	r := dora(t, "", nil, append([]string{"query", "--format", "json"}, append(extra, sqlText)...)...)
	if r.code != 0 {
		t.Fatalf("dora query %q: exit %d: %s", sqlText, r.code, r.stderr)
	}
	var res jsonResult
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	if dec.More() {
		t.Fatalf("output holds more than one JSON value:\n%s", r.stdout)
	}
	return res
}

func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	panic(fmt.Sprintf("not a number: %T %v", v, v))
}

func TestTopNMatchesPlainSQL(t *testing.T) {
	res := queryJSON(t, "SELECT category, count(*), avg(price) FROM shipments WHERE region = 'West' GROUP BY category ORDER BY count(*) DESC LIMIT 5")
	want := direct(t, "SELECT category, count(*), avg(price) FROM shipments WHERE region = 'West' GROUP BY category ORDER BY 2 DESC, 1 LIMIT 5")
	if len(res.Rows) != len(want) || len(want) != 5 {
		t.Fatalf("got %d rows, want %d", len(res.Rows), len(want))
	}
	for i, w := range want {
		g := res.Rows[i]
		if g[0] != w[0] || num(g[1]) != num(w[1]) || math.Abs(num(g[2])-num(w[2])) > 1e-9 {
			t.Errorf("row %d: got %v, want %v", i, g, w)
		}
	}
	if res.Columns[0].Role != "dimension" || res.Columns[1].Role != "metric" || res.Columns[1].Type != "int" {
		t.Errorf("columns: %+v", res.Columns)
	}
	total := direct(t, "SELECT count(*) FROM shipments WHERE region = 'West'")[0][0]
	var shown float64
	for _, r := range res.Rows {
		shown += num(r[1])
	}
	if res.Meta.Complete || float64(res.Meta.OtherCount) != num(total)-shown {
		t.Errorf("meta: complete %v other %d; want incomplete with %v other rows", res.Meta.Complete, res.Meta.OtherCount, num(total)-shown)
	}
	if res.Meta.Approximate || !strings.Contains(res.Meta.Request, "GROUP BY") || !strings.HasPrefix(res.Meta.Backend, "duckdb:") {
		t.Errorf("meta: %+v", res.Meta)
	}
}

func TestTimeBucketsInAZone(t *testing.T) {
	res := queryJSON(t, "SELECT date_trunc('day', shipped_at, 'America/Los_Angeles') AS day, count(*) FROM shipments WHERE shipped_at BETWEEN '2024-03-08' AND '2024-03-12' GROUP BY day ORDER BY day")
	want := direct(t, `SELECT strftime(timezone('UTC', timezone('America/Los_Angeles', date_trunc('day', timezone('America/Los_Angeles', timezone('UTC', shipped_at))))), '%Y-%m-%dT%H:%M:%SZ'), count(*)
		FROM shipments WHERE shipped_at BETWEEN TIMESTAMP '2024-03-08' AND TIMESTAMP '2024-03-12' GROUP BY 1 ORDER BY 1`)
	if len(res.Rows) != len(want) || len(want) < 4 {
		t.Fatalf("got %v, want %v", res.Rows, want)
	}
	for i, w := range want {
		got, err := time.Parse(time.RFC3339, fmt.Sprint(res.Rows[i][0]))
		inst, _ := time.Parse(time.RFC3339, fmt.Sprint(w[0]))
		if err != nil || !got.Equal(inst) || num(res.Rows[i][1]) != num(w[1]) {
			t.Errorf("row %d: got %v, want the instant %v and count %v", i, res.Rows[i], w[0], w[1])
		}
	}
	// Keys print as the Los Angeles midnight they are, with its offset: -08:00 before the DST
	// change on 2024-03-10 and -07:00 after (08:00 and 07:00 UTC).
	if first := fmt.Sprint(res.Rows[0][0]); first != "2024-03-07T00:00:00-08:00" && first != "2024-03-08T00:00:00-08:00" {
		t.Errorf("first bucket %v is not Los Angeles midnight", first)
	}
	if last := fmt.Sprint(res.Rows[len(res.Rows)-1][0]); !strings.HasSuffix(last, "T00:00:00-07:00") {
		t.Errorf("bucket after the DST change is %v, want midnight at -07:00", last)
	}
}

func TestJSONHasNullsAndTimes(t *testing.T) {
	res := queryJSON(t, "SELECT shipment_id, shipped_at, rating, price FROM shipments WHERE rating IS NULL ORDER BY shipment_id LIMIT 3")
	want := direct(t, "SELECT shipment_id, shipped_at, price FROM shipments WHERE rating IS NULL ORDER BY shipment_id LIMIT 3")
	for i, w := range want {
		g := res.Rows[i]
		ts := w[1].(time.Time).UTC().Format(time.RFC3339)
		if num(g[0]) != num(w[0]) || g[1] != ts || g[2] != nil || num(g[3]) != num(w[2]) {
			t.Errorf("row %d: got %v, want [%v %s nil %v]", i, g, w[0], ts, w[2])
		}
	}
}

func TestFormats(t *testing.T) {
	q := "SELECT region, count(*) AS n FROM shipments GROUP BY region ORDER BY region"
	want := direct(t, "SELECT region, count(*) FROM shipments GROUP BY region ORDER BY region")

	r := dora(t, "", nil, "query", "--format", "csv", q)
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(recs) != len(want)+1 || recs[0][0] != "region" || recs[0][1] != "n" {
		t.Fatalf("csv: %v\n%s", err, r.stdout)
	}
	for i, w := range want {
		if recs[i+1][0] != w[0] || recs[i+1][1] != strconv.FormatInt(w[1].(int64), 10) {
			t.Errorf("csv row %d: %v, want %v", i, recs[i+1], w)
		}
	}

	r = dora(t, "", nil, "query", "--format", "ndjson", q)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != len(want) || lines[0] != fmt.Sprintf(`{"region":%q,"n":%d}`, want[0][0], want[0][1]) {
		t.Errorf("ndjson:\n%s", r.stdout)
	}

	r = dora(t, "", nil, "query", "--format", "markdown", q)
	if !strings.HasPrefix(r.stdout, "| region | n |\n| --- | ---: |\n| "+want[0][0].(string)+" |") {
		t.Errorf("markdown:\n%s", r.stdout)
	}

	r = dora(t, "", nil, "query", q)
	first := strings.Split(r.stdout, "\n")
	if !strings.HasPrefix(first[0], "region") || !strings.HasSuffix(strings.TrimRight(first[1], " "), strconv.FormatInt(want[0][1].(int64), 10)) {
		t.Errorf("table:\n%s", r.stdout)
	}
	for _, l := range first {
		if len([]rune(l)) > 80 {
			t.Errorf("table line wider than 80: %q", l)
		}
	}
	wide := dora(t, "", nil, "query", "SELECT * FROM shipments LIMIT 5")
	for _, l := range strings.Split(wide.stdout, "\n")[:6] {
		if len([]rune(l)) > 80 {
			t.Errorf("wide table line is %d columns: %q", len([]rune(l)), l)
		}
	}
	if !strings.Contains(wide.stdout, "more columns not shown") {
		t.Errorf("a table cut to 80 columns must say so:\n%s", wide.stdout)
	}
}

func TestStdinAndExplain(t *testing.T) {
	r := dora(t, "SELECT count(*)\nFROM shipments -- all of them\n", nil, "query", "--format", "csv", "-")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "count(*)\n20000" {
		t.Errorf("stdin query: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = dora(t, "", nil, "query", "--explain", "SELECT category, count(*) FROM shipments WHERE brand = 'Sable' GROUP BY 1")
	if r.code != 0 || !strings.Contains(r.stdout, `FROM "shipments" WHERE "brand" = ?`) || !strings.Contains(r.stdout, "$1 = 'Sable'") {
		t.Errorf("explain: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"malformed", []string{"query", "SELECT category,\n  count(* FROM shipments"}, 2,
			[]string{"line 2, column 11: expected ')'", "  count(* FROM shipments\n            ^"}},
		{"unknown table", []string{"query", "SELECT * FROM shipmints"}, 2, []string{`no table "shipmints"`, "clients, items, shipments"}},
		{"unknown column", []string{"query", "SELECT categroy, count(*) FROM shipments GROUP BY 1"}, 2, []string{`unknown column "categroy"`, `did you mean "category"?`}},
		{"join", []string{"query", "SELECT * FROM shipments JOIN clients ON shipments.client_id = clients.client_id"}, 2, []string{"does not support JOIN"}},
		{"subquery", []string{"query", "SELECT * FROM shipments WHERE client_id IN (SELECT client_id FROM clients)"}, 2, []string{"does not support subqueries"}},
		{"window", []string{"query", "SELECT region, sum(price) OVER (PARTITION BY region) FROM shipments"}, 2, []string{"window functions"}},
		{"type", []string{"query", "SELECT avg(region) FROM shipments"}, 2, []string{"avg needs a numeric column; region is string"}},
		{"format", []string{"query", "--format", "xml", "SELECT * FROM shipments"}, 2, []string{`unknown format "xml"`}},
		{"flag", []string{"query", "--nope", "SELECT 1"}, 2, []string{"unknown flag"}},
		{"missing file", []string{"--backend", "duckdb:/nonexistent/x.duckdb", "tables"}, 3, []string{"no DuckDB file at /nonexistent/x.duckdb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := dora(t, "", nil, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stack trace in stderr:\n%s", r.stderr)
			}
		})
	}
}

func TestInjectionIsJustAValue(t *testing.T) {
	r := dora(t, "", nil, "query", "--format", "csv", "SELECT count(*) FROM shipments WHERE category = 'x''); DROP TABLE shipments; --'")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "count(*)\n0" {
		t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if n := direct(t, "SELECT count(*) FROM shipments")[0][0]; n != int64(20000) {
		t.Errorf("shipments has %v rows after the query", n)
	}
}

func TestManyGroupsAreBounded(t *testing.T) {
	res := queryJSON(t, "SELECT shipment_id, count(*) FROM shipments GROUP BY shipment_id", "--max-rows", "1000")
	if len(res.Rows) != 1000 || res.Meta.Complete {
		t.Errorf("got %d rows, complete %v; want 1000 rows, incomplete", len(res.Rows), res.Meta.Complete)
	}
}

func TestConfigNamesBackends(t *testing.T) {
	cfg := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cfg, "dora"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(cfg, "dora", "config.yaml"), []byte("default: nowhere\nbackends:\n  test: duckdb:"+warehouse+"\n  nowhere: duckdb:/nonexistent.duckdb\n"), 0o600)
	env := []string{"XDG_CONFIG_HOME=" + cfg, "DORA_BACKEND="}
	if r := dora(t, "", env, "--backend", "test", "tables"); r.code != 0 || !strings.Contains(r.stdout, "shipments") {
		t.Errorf("--backend test: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
	if r := dora(t, "", env, "tables"); r.code != 3 {
		t.Errorf("config default: exit %d, want 3 for the missing file", r.code)
	}
	if r := dora(t, "", append(env, "DORA_BACKEND=test"), "tables"); r.code != 0 {
		t.Errorf("DORA_BACKEND=test: exit %d %s", r.code, r.stderr)
	}
	if r := dora(t, "", env, "--backend", "prod", "tables"); r.code != 2 || !strings.Contains(r.stderr, `no backend named "prod"`) {
		t.Errorf("unknown name: exit %d %s", r.code, r.stderr)
	}
}

func TestTwoProcessesAtOnce(t *testing.T) {
	// An open read-only handle stands for a TUI that keeps the file busy while scripts query it.
	db, err := sql.Open("duckdb", warehouse+"?access_mode=READ_ONLY")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 3; j++ {
				r := dora(t, "", nil, "query", "--format", "csv", "SELECT count(*) FROM shipments")
				if r.code != 0 || !strings.Contains(r.stdout, "20000") {
					errs <- fmt.Sprintf("exit %d: %s%s", r.code, r.stdout, r.stderr)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestDemoAndVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.duckdb")
	r := dora(t, "", nil, "demo", "--rows", "3000", "--path", path)
	if r.code != 0 {
		t.Fatalf("demo: exit %d %s", r.code, r.stderr)
	}
	r = dora(t, "", nil, "--backend", "duckdb:"+path, "query", "--format", "csv", "SELECT count(*) FROM shipments")
	if strings.TrimSpace(r.stdout) != "count(*)\n3000" {
		t.Errorf("demo rows: %s%s", r.stdout, r.stderr)
	}
	if r := dora(t, "", nil, "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "dora ") {
		t.Errorf("version: %q", r.stdout)
	}
}

func TestFirstUseBuildsTheDemo(t *testing.T) {
	data := t.TempDir()
	r := dora(t, "", []string{"DORA_BACKEND=", "XDG_DATA_HOME=" + data}, "tables")
	if r.code != 0 || !strings.Contains(r.stdout, "shipments") || !strings.Contains(r.stdout, "500000") {
		t.Errorf("first use: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	path := filepath.Join(data, "dora", "demo.duckdb")
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	// newest says what a query sees: the day of the newest shipment, the number of shipments and
	// what dora said on stderr.
	newest := func() (string, string, string) {
		r := dora(t, "", []string{"DORA_BACKEND=", "XDG_DATA_HOME=" + data}, "query", "--format", "csv", "SELECT max(shipped_at) AS newest, count(*) AS n FROM shipments")
		if r.code != 0 {
			t.Fatalf("exit %d %s", r.code, r.stderr)
		}
		rows, _ := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if len(rows) != 2 || len(rows[1]) != 2 || len(rows[1][0]) < 10 {
			t.Fatalf("output %q", r.stdout)
		}
		return rows[1][0][:10], rows[1][1], r.stderr
	}
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	if day, n, stderr := newest(); day != yesterday || n != "500000" || stderr != "" {
		t.Errorf("second use, the same day: newest %s, %s shipments, stderr %q; want %s, 500000, nothing", day, n, stderr, yesterday)
	}

	// A warehouse from an earlier day is rebuilt, as big as it was, to end yesterday.
	old := time.Now().AddDate(0, 0, -40)
	if err := duckdb.BuildDemoAt(context.Background(), path, 3000, old); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(path, old, old)
	if day, n, stderr := newest(); day != yesterday || n != "3000" || !strings.Contains(stderr, "rebuilding the demo warehouse") {
		t.Errorf("stale warehouse: newest %s, %s shipments, stderr %q; want %s, 3000, a rebuild", day, n, stderr, yesterday)
	}
}
