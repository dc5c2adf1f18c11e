package load

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	_ "github.com/dora-dev/dora/backends/elastic"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/decode/decodetest"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/pipelines/objstore/s3test"
)

// The loads record themselves in the history under XDG_STATE_HOME: a temporary one, never the
// user's.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dora-load-state")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_STATE_HOME", dir)
	code := s3test.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// These tests load from a real S3 server (versitygw) into a real Elasticsearch, OpenSearch 2 and
// OpenSearch 3 in turn, and check the answers with queries through the backend.

type orderRow struct {
	ID     int64   `parquet:"order_id"`
	Region string  `parquet:"region"`
	Amount float64 `parquet:"amount"`
	Qty    int64   `parquet:"qty"`
}

func orders(from, n int) []orderRow {
	rows := make([]orderRow, n)
	for i := range rows {
		id := int64(from + i)
		rows[i] = orderRow{ID: id, Region: []string{"West", "South", "East"}[id%3], Amount: float64(id%400) / 4, Qty: id % 7}
	}
	return rows
}

func csvOf(rows []orderRow) []byte {
	var b bytes.Buffer
	b.WriteString("order_id,region,amount,qty\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%d,%s,%g,%d\n", r.ID, r.Region, r.Amount, r.Qty)
	}
	return b.Bytes()
}

func ndjsonOf(rows []orderRow) []byte {
	var b bytes.Buffer
	for _, r := range rows {
		fmt.Fprintf(&b, `{"order_id":%d,"region":%q,"amount":%g,"qty":%d}`+"\n", r.ID, r.Region, r.Amount, r.Qty)
	}
	return b.Bytes()
}

// expected sums the rows as the queries will.
func expected(rows []orderRow) (count int64, amount float64, qty int64) {
	for _, r := range rows {
		count++
		amount += r.Amount
		qty += r.Qty
	}
	return
}

type env struct {
	es     backends.Backend
	esURL  string
	store  objstore.Store
	bucket string
}

// node is the search engine the running test loads into; onEachNode sets it.
var node = testenv.SearchNodes()[0]

// onEachNode runs a load test on Elasticsearch, OpenSearch 2 and OpenSearch 3 in turn.
func onEachNode(t *testing.T, test func(t *testing.T)) {
	for _, n := range testenv.SearchNodes() {
		t.Run(n.Name, func(t *testing.T) {
			node = n
			test(t)
		})
	}
}

func setup(t *testing.T) env {
	t.Helper()
	srv := s3test.Need(t)
	esURL := node.URL(t)
	ctx := context.Background()
	es, err := backends.Open(ctx, esURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { es.Close() })
	store, _, err := objstore.Open(ctx, "s3://x/")
	if err != nil {
		t.Fatal(err)
	}
	return env{es: es, esURL: esURL, store: store, bucket: srv.Bucket(t)}
}

func (e env) put(t *testing.T, key string, data []byte) {
	t.Helper()
	if err := e.store.Put(context.Background(), "s3://"+e.bucket+"/"+key, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
}

// tableName is a fresh table for the test; its versions are deleted when the test ends.
func tableName(t *testing.T) string {
	name := "dora-load-" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())) + fmt.Sprint(time.Now().UnixNano()%1e6)
	url := node.URL(t)
	t.Cleanup(func() { testenv.DeleteIndices(url, name+"-*") })
	return name
}

func ask(t *testing.T, b backends.Backend, sql string) [][]any {
	t.Helper()
	res, err := backends.Query(context.Background(), b, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return res.Rows
}

func checkTable(t *testing.T, b backends.Backend, table string, rows []orderRow) {
	t.Helper()
	n, amount, qty := expected(rows)
	got := ask(t, b, fmt.Sprintf(`SELECT count(*), sum(amount), sum(qty), count(DISTINCT order_id) FROM %q`, table))
	if got[0][0] != n || got[0][1] != amount || got[0][2] != qty {
		t.Errorf("%s: count, sum(amount), sum(qty) = %v; want %d %v %d", table, got[0], n, amount, qty)
	}
	// count distinct is approximate on Elasticsearch; count(*) above is the exact check.
	if d, _ := got[0][3].(int64); d < n*99/100 || d > n*101/100 {
		t.Errorf("%s: %v distinct ids for %d rows", table, got[0][3], n)
	}
	one := ask(t, b, fmt.Sprintf(`SELECT order_id, region, amount, qty FROM %q WHERE order_id = 7`, table))
	if len(one) != 1 || one[0][1] != "South" || one[0][2] != 1.75 || one[0][3] != int64(0) {
		t.Errorf("%s: row 7 is %v", table, one)
	}
}

func TestLoadFormatsFromS3(t *testing.T) { onEachNode(t, testLoadFormatsFromS3) }

func testLoadFormatsFromS3(t *testing.T) {
	e := setup(t)
	rows := orders(1, 12000)
	e.put(t, "parquet/part-0.parquet", decodetest.Parquet(t, rows[:6000], 1000))
	e.put(t, "parquet/part-1.parquet", decodetest.Parquet(t, rows[6000:], 1000))
	e.put(t, "csv/a.csv", csvOf(rows[:5000]))
	e.put(t, "csv/b.csv.gz", decodetest.Gzip(t, csvOf(rows[5000:])))
	e.put(t, "ndjson/x.ndjson", ndjsonOf(rows))
	for _, format := range []string{"parquet", "csv", "ndjson"} {
		t.Run(format, func(t *testing.T) {
			table := tableName(t)
			sum, err := Run(context.Background(), e.es, Options{Source: "s3://" + e.bucket + "/" + format + "/", Table: table,
				IDColumns: []string{"order_id"}, Workers: 3, BatchBytes: 64 << 10, DeadLetter: filepath.Join(t.TempDir(), "dead.ndjson"),
				Checkpoint: filepath.Join(t.TempDir(), "cp.json")})
			if err != nil {
				t.Fatal(err)
			}
			if sum.RowsRead != 12000 || sum.Indexed != 12000 || sum.DeadLettered != 0 || !sum.Published || sum.Alias != table {
				t.Errorf("summary %+v", sum)
			}
			checkTable(t, e.es, table, rows)
		})
	}
}

func TestSecondRunAddsNothing(t *testing.T) { onEachNode(t, testSecondRunAddsNothing) }

func testSecondRunAddsNothing(t *testing.T) {
	e := setup(t)
	rows := orders(1, 5000)
	e.put(t, "in/a.csv", csvOf(rows))
	table := tableName(t)
	for i := 0; i < 2; i++ {
		_, err := Run(context.Background(), e.es, Options{Source: "s3://" + e.bucket + "/in/", Table: table, Workers: 2,
			DeadLetter: filepath.Join(t.TempDir(), "dead.ndjson"), Checkpoint: filepath.Join(t.TempDir(), "cp.json"),
			Version: fmt.Sprintf("v%d", i+1)})
		if err != nil {
			t.Fatal(err)
		}
		checkTable(t, e.es, table, rows)
	}
	// The same version loaded again on top of itself must not duplicate either.
	_, err := Run(context.Background(), e.es, Options{Source: "s3://" + e.bucket + "/in/", Table: table, Workers: 2, Resume: true,
		DeadLetter: filepath.Join(t.TempDir(), "dead.ndjson"), Checkpoint: filepath.Join(t.TempDir(), "none.json"), Version: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	checkTable(t, e.es, table, rows)
}

func TestBulkRetriesThrough429(t *testing.T) { onEachNode(t, testBulkRetriesThrough429) }

func testBulkRetriesThrough429(t *testing.T) {
	e := setup(t)
	proxy := testenv.NewFaultProxy(t, e.esURL, 3)
	es, err := backends.Open(context.Background(), proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	rows := orders(1, 20000)
	e.put(t, "in/a.ndjson", ndjsonOf(rows))
	table := tableName(t)
	sum, err := Run(context.Background(), es, Options{Source: "s3://" + e.bucket + "/in/", Table: table, Workers: 4, BatchBytes: 32 << 10,
		DeadLetter: filepath.Join(t.TempDir(), "dead.ndjson"), Checkpoint: filepath.Join(t.TempDir(), "cp.json")})
	if err != nil {
		t.Fatal(err)
	}
	if proxy.Rejected.Load() < 5 {
		t.Fatalf("the proxy refused only %d of %d bulk requests", proxy.Rejected.Load(), proxy.Bulk.Load())
	}
	if sum.Indexed != 20000 {
		t.Errorf("indexed %d", sum.Indexed)
	}
	checkTable(t, e.es, table, rows)
}

func TestRowsThatDoNotFitAreDeadLettered(t *testing.T) {
	onEachNode(t, testRowsThatDoNotFitAreDeadLettered)
}

func testRowsThatDoNotFitAreDeadLettered(t *testing.T) {
	e := setup(t)
	rows := orders(1, 3000)
	text := string(csvOf(rows))
	// Past the sample: an amount that is not a number (the decoder sets it aside) ...
	text += "3001,West,lots,1\n"
	// ... and a region Elasticsearch refuses under the mapping given below (region as a long).
	e.put(t, "in/a.csv", []byte(text))
	mapping := filepath.Join(t.TempDir(), "mapping.json")
	os.WriteFile(mapping, []byte(`{"properties":{"order_id":{"type":"long"},"region":{"type":"long"},"amount":{"type":"double"},"qty":{"type":"long"}}}`), 0o644)
	data, _ := os.ReadFile(mapping)
	dead := filepath.Join(t.TempDir(), "dead.ndjson")
	table := tableName(t)
	sum, err := Run(context.Background(), e.es, Options{Source: "s3://" + e.bucket + "/in/", Table: table, Workers: 2, Mapping: data,
		DeadLetter: dead, Checkpoint: filepath.Join(t.TempDir(), "cp.json")})
	if err != nil {
		t.Fatal(err)
	}
	if sum.RowsRead != 3001 || sum.Indexed+sum.DeadLettered != sum.RowsRead || sum.DeadLettered != 3001 {
		t.Errorf("summary %+v: every row has a region Elasticsearch refuses as a long", sum)
	}
	f, err := os.Open(dead)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []deadRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var d deadRow
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, d)
	}
	if int64(len(lines)) != sum.DeadLettered {
		t.Fatalf("%d dead-letter lines for %d rows set aside", len(lines), sum.DeadLettered)
	}
	var parse, mapped bool
	for _, d := range lines {
		if d.Row == 3001 && d.Column == "amount" && d.Value == "lots" && strings.Contains(d.Reason, "not a number") {
			parse = true
		}
		if strings.Contains(d.Reason, "region") && d.Doc != nil && d.Source == "s3://"+e.bucket+"/in/a.csv" {
			mapped = true
		}
	}
	if !parse || !mapped {
		t.Errorf("dead letters lack a decode reason (%v) or a mapping reason (%v): first %+v", parse, mapped, lines[0])
	}
}

func TestResumeAfterSIGKILL(t *testing.T) { onEachNode(t, testResumeAfterSIGKILL) }

func testResumeAfterSIGKILL(t *testing.T) {
	e := setup(t)
	bin := filepath.Join(t.TempDir(), "dora")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/dora").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var all []orderRow
	for i := 0; i < 30; i++ {
		rows := orders(1+i*4000, 4000)
		all = append(all, rows...)
		e.put(t, fmt.Sprintf("in/part-%02d.csv", i), csvOf(rows))
	}
	table := tableName(t)
	state := t.TempDir()
	cmdEnv := append(os.Environ(), "XDG_STATE_HOME="+state)
	args := []string{"load", "s3://" + e.bucket + "/in/", "--table", table, "--backend", e.esURL, "--id", "order_id",
		"--workers", "1", "--batch-bytes", "20000", "--dead-letter", filepath.Join(state, "dead.ndjson")}
	cmd := exec.Command(bin, args...)
	cmd.Env = cmdEnv
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once it has finished some objects and not all.
	deadline := time.Now().Add(2 * time.Minute)
	killed := false
	for time.Now().Before(deadline) {
		matches, _ := filepath.Glob(filepath.Join(state, "dora", "loads", "*.json"))
		if len(matches) == 1 {
			data, _ := os.ReadFile(matches[0])
			var cp checkpoint
			if json.Unmarshal(data, &cp) == nil && len(cp.Done) >= 5 {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Wait()
	if !killed {
		t.Fatal("the load finished or stalled before it could be killed halfway")
	}
	// Nothing is published until the load finishes.
	if ts, _ := e.es.Tables(context.Background()); contains(backends.TableNames(ts), table) {
		t.Errorf("%s is visible after the crash", table)
	}
	resume := exec.Command(bin, append(args, "--resume", "--json")...)
	resume.Env = cmdEnv
	out, err := resume.Output()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	var sum Summary
	if err := json.Unmarshal(out, &sum); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if sum.Resumed < 5 || sum.RowsRead != int64(len(all)) || sum.Indexed != int64(len(all)) {
		t.Errorf("resumed summary %+v", sum)
	}
	checkTable(t, e.es, table, all)
}

func TestS3ErrorsAreClear(t *testing.T) {
	e := setup(t)
	_, err := Run(context.Background(), e.es, Options{Source: "s3://no-such-bucket-here/x/", Table: "t"})
	if err == nil || !strings.Contains(err.Error(), `bucket "no-such-bucket-here" does not exist`) {
		t.Errorf("missing bucket: %v", err)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
	_, err = Run(context.Background(), e.es, Options{Source: "s3://" + e.bucket + "/x/", Table: "t"})
	if err == nil || !strings.Contains(err.Error(), "rejected the credentials") || strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("wrong credentials: %v", err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	_, err = Run(context.Background(), e.es, Options{Source: "s3://" + e.bucket + "/x/", Table: "t"})
	if err == nil || !strings.Contains(err.Error(), "no AWS credentials found for s3://"+e.bucket+"/x/") {
		t.Errorf("no credentials: %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestLoadIntoDuckDB(t *testing.T) {
	e := setup(t)
	rows := orders(1, 7000)
	e.put(t, "in/a.parquet", decodetest.Parquet(t, rows[:3000], 500))
	e.put(t, "in/b.ndjson", ndjsonOf(rows[3000:]))
	path := filepath.Join(t.TempDir(), "w.duckdb")
	if err := duckdb.BuildDemo(context.Background(), path, 1000); err != nil {
		t.Fatal(err)
	}
	b, err := backends.Open(context.Background(), "duckdb:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	opts := Options{Source: "s3://" + e.bucket + "/in/", Table: "orders", Workers: 2, BatchBytes: 16 << 10,
		DeadLetter: filepath.Join(t.TempDir(), "dead.ndjson"), Checkpoint: filepath.Join(t.TempDir(), "cp.json")}
	for i := 0; i < 2; i++ { // the second load replaces the first whole
		sum, err := Run(context.Background(), b, opts)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Indexed != 7000 || !sum.Published {
			t.Errorf("summary %+v", sum)
		}
	}
	got := ask(t, b, "SELECT count(*), sum(amount), sum(qty), count(DISTINCT order_id) FROM orders")
	n, amount, qty := expected(rows)
	if got[0][0] != n || got[0][1] != amount || got[0][2] != qty || got[0][3] != n {
		t.Errorf("orders: %v; want %d %v %d %d", got[0], n, amount, qty, n)
	}
	opts.Resume = true
	if _, err := Run(context.Background(), b, opts); err == nil || !strings.Contains(err.Error(), "starts over") {
		t.Errorf("--resume on DuckDB: %v", err)
	}
}

func TestShardsThenPublish(t *testing.T) { onEachNode(t, testShardsThenPublish) }

func testShardsThenPublish(t *testing.T) {
	e := setup(t)
	var all []orderRow
	for i := 0; i < 4; i++ {
		rows := orders(1+i*1000, 1000)
		all = append(all, rows...)
		e.put(t, fmt.Sprintf("in/part-%d.csv", i), csvOf(rows))
	}
	table := tableName(t)
	var read int64
	for shard := 0; shard < 2; shard++ {
		sum, err := Run(context.Background(), e.es, Options{Source: "s3://" + e.bucket + "/in/", Table: table, Shard: shard, Shards: 2,
			Version: "s1", IDColumns: []string{"order_id"}, DeadLetter: filepath.Join(t.TempDir(), "dead.ndjson"),
			Checkpoint: filepath.Join(t.TempDir(), "cp.json")})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Published || sum.Objects != 2 {
			t.Errorf("shard %d: %+v", shard, sum)
		}
		read += sum.RowsRead
	}
	if ts, _ := e.es.Tables(context.Background()); contains(backends.TableNames(ts), table) {
		t.Errorf("%s is visible before it is published", table)
	}
	if _, err := Publish(context.Background(), e.es, table, "nope", 0); err == nil {
		t.Error("publishing a version nobody wrote succeeded")
	}
	if _, err := Publish(context.Background(), e.es, table, "s1", 0); err != nil {
		t.Fatal(err)
	}
	if read != int64(len(all)) {
		t.Errorf("the shards read %d rows of %d", read, len(all))
	}
	checkTable(t, e.es, table, all)
}
