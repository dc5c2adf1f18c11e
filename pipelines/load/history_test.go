package load

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/pipelines/decode/decodetest"
)

// A load records itself when it starts and ends; History shows each load once, newest first, in
// its last state, failures with their reason.
func TestHistoryRecordsLoads(t *testing.T) {
	e := setup(t)
	rows := orders(1, 2000)
	e.put(t, "h/a.parquet", decodetest.Parquet(t, rows, 500))
	dir := t.TempDir()
	path := filepath.Join(dir, "w.duckdb")
	b, err := duckdb.OpenToWrite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	hist := filepath.Join(dir, "history.ndjson")
	opts := Options{Source: "s3://" + e.bucket + "/h/", Table: "orders", History: hist,
		DeadLetter: filepath.Join(dir, "dead.ndjson"), Checkpoint: filepath.Join(dir, "cp.json")}
	if _, err := Run(context.Background(), b, opts); err != nil {
		t.Fatal(err)
	}
	bad := opts
	bad.Source = "s3://" + e.bucket + "/nothing/"
	if _, err := Run(context.Background(), b, bad); err == nil {
		t.Fatal("a load of nothing succeeded")
	}
	recs, err := History(context.Background(), hist)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("history: %+v", recs)
	}
	failed, ok := recs[0], recs[1]
	if ok.Status != StatusSucceeded || ok.RowsRead != 2000 || ok.Indexed != 2000 || !ok.Reconciles() ||
		ok.Backend != backends.Redact(b.Name()) || ok.Table != "orders" || ok.Version == "" || ok.Finished.IsZero() {
		t.Errorf("the load: %+v", ok)
	}
	if failed.Status != StatusFailed || failed.Error == "" || failed.Source != bad.Source {
		t.Errorf("the failed load: %+v", failed)
	}
}
