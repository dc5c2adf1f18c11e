package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/decode/decodetest"
	"github.com/dora-dev/dora/pipelines/objstore"
)

// faultS3Port is the private S3 server the fault tests kill; never the shared one (9230-9260
// are this suite's ports).
const faultS3Port = 9231

// startPrivateS3 starts a versitygw of the test's own with scripts/s3, on its own port and an
// empty folder, which the test may kill; the test's S3 settings point at it.
func startPrivateS3(t *testing.T) *testenv.Private {
	t.Helper()
	p := &testenv.Private{T: t, Script: "s3",
		Env:     append(os.Environ(), "S3_PORT="+strconv.Itoa(faultS3Port), "S3_DIR="+t.TempDir()),
		PidFile: filepath.Join(testenv.CacheDir(t), "run", fmt.Sprintf("s3-%d.pid", faultS3Port))}
	for _, line := range strings.Split(p.Start(), "\n") {
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
	}
	t.Cleanup(func() { p.Run("stop") })
	return p
}

// TestS3KilledMidLoad: the S3 server dies with SIGKILL in the middle of a load and comes back
// 5 s later. The load retries and finishes, or stops with an error that says what failed and
// --resume completes it; either way the table holds every row exactly once.
func TestS3KilledMidLoad(t *testing.T) {
	esURL := testenv.Elasticsearch(t)
	srv := startPrivateS3(t)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	bucket := "faults"
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	store, err := objstore.NewS3(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 300,000 rows by default, so make test stays short; DORA_FAULT_ROWS=1000000 is the issue's
	// size, whose figures RELIABILITY.md gives.
	const files = 20
	per := 15_000
	if n, err := strconv.Atoi(os.Getenv("DORA_FAULT_ROWS")); err == nil && n >= files*1000 {
		per = n / files
	}
	var all []orderRow
	for i := range files {
		rows := orders(1+i*per, per)
		all = append(all, rows...)
		if err := store.Put(ctx, fmt.Sprintf("s3://%s/in/part-%02d.csv", bucket, i), bytes.NewReader(csvOf(rows))); err != nil {
			t.Fatal(err)
		}
	}
	es, err := backends.Open(ctx, esURL)
	if err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	table := tableName(t)
	state := t.TempDir()
	opts := Options{Source: "s3://" + bucket + "/in/", Table: table, IDColumns: []string{"order_id"}, Workers: 2,
		DeadLetter: filepath.Join(state, "dead.ndjson"), Checkpoint: filepath.Join(state, "cp.json")}

	type outcome struct {
		sum Summary
		err error
	}
	done := make(chan outcome, 1)
	start := time.Now()
	go func() {
		sum, err := Run(ctx, es, opts)
		done <- outcome{sum, err}
	}()
	// Kill the server once some files are finished and not all.
	var killedAt time.Time
	for killedAt.IsZero() {
		select {
		case o := <-done:
			t.Fatalf("the load ended before the server could be killed: %+v %v", o.sum, o.err)
		case <-time.After(20 * time.Millisecond):
		}
		if data, err := os.ReadFile(opts.Checkpoint); err == nil {
			var cp checkpoint
			if json.Unmarshal(data, &cp) == nil && len(cp.Done) >= 3 {
				srv.Signal(syscall.SIGKILL) // as a crash would
				killedAt = time.Now()
			}
		}
	}
	time.Sleep(5 * time.Second)
	srv.Start()
	upAt := time.Now()
	o := <-done
	ended := time.Now()
	resumed := false
	if o.err != nil {
		t.Logf("the load stopped %.1f s after the kill: %v", ended.Sub(killedAt).Seconds(), o.err)
		if !strings.Contains(o.err.Error(), "s3://"+bucket+"/in/") {
			t.Errorf("the error does not say which object failed: %v", o.err)
		}
		opts.Resume, resumed = true, true
		o.sum, o.err = Run(ctx, es, opts)
		if o.err != nil {
			t.Fatalf("--resume after the server came back: %v", o.err)
		}
		ended = time.Now()
	}
	sum := o.sum
	if sum.RowsRead != int64(len(all)) || sum.Indexed != sum.RowsRead || sum.DeadLettered != 0 || !sum.Published {
		t.Errorf("summary %+v: want %d rows read and written, none set aside, published", sum, len(all))
	}
	checkTable(t, es, table, all)
	got := ask(t, es, fmt.Sprintf(`SELECT count(*) FROM %q`, table))
	t.Logf("S3 killed %.1f s into the load, back 5 s later; resumed %v (%d files finished before); %d rows, %v in the table (duplicates %d); done %.1f s after the server was back, %.1f s in all",
		killedAt.Sub(start).Seconds(), resumed, sum.Resumed, len(all), got[0][0], got[0][0].(int64)-int64(len(all)), ended.Sub(upAt).Seconds(), ended.Sub(start).Seconds())
}

// TestLoadStopsAtABrokenParquetFile: a load of a folder with one Parquet file cut short stops
// with an error naming that file and publishes nothing, so the table is still the last load's;
// with the file whole again the load publishes every row once.
func TestLoadStopsAtABrokenParquetFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(t.TempDir(), "w.duckdb")
	if err := duckdb.BuildDemo(ctx, path, 100); err != nil {
		t.Fatal(err)
	}
	b, err := backends.Open(ctx, "duckdb:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	opts := Options{Source: dir + "/", Table: "orders", DeadLetter: filepath.Join(t.TempDir(), "dead.ndjson"),
		Checkpoint: filepath.Join(t.TempDir(), "cp.json")}
	first := orders(1, 3000)
	os.WriteFile(filepath.Join(dir, "a.csv"), csvOf(first), 0o644)
	if _, err := Run(ctx, b, opts); err != nil {
		t.Fatal(err)
	}
	rows := orders(3001, 6000)
	whole := decodetest.Parquet(t, rows[3000:], 500)
	os.WriteFile(filepath.Join(dir, "a.csv"), csvOf(rows[:3000]), 0o644)
	broken := filepath.Join(dir, "b.parquet")
	os.WriteFile(broken, whole[:len(whole)/2], 0o644)
	_, err = Run(ctx, b, opts)
	if err == nil || !strings.Contains(err.Error(), broken) {
		t.Fatalf("a load with %s cut short: %v, want an error naming it", broken, err)
	}
	t.Logf("the load stopped: %v", err)
	checkDuckDB(t, b, first)
	os.WriteFile(broken, whole, 0o644)
	sum, err := Run(ctx, b, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.RowsRead != 6000 || sum.Indexed != 6000 || sum.DeadLettered != 0 {
		t.Errorf("summary %+v", sum)
	}
	checkDuckDB(t, b, rows)
}

// checkDuckDB checks a DuckDB table holds rows, each once.
func checkDuckDB(t *testing.T, b backends.Backend, rows []orderRow) {
	t.Helper()
	got := ask(t, b, "SELECT count(*), sum(amount), sum(qty), count(DISTINCT order_id) FROM orders")
	n, amount, qty := expected(rows)
	if got[0][0] != n || got[0][1] != amount || got[0][2] != qty || got[0][3] != n {
		t.Errorf("orders: %v; want %d %v %d %d", got[0], n, amount, qty, n)
	}
}
