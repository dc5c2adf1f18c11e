package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/pipelines/objstore/s3test"
)

// icebergHome is a folder where pipelines run and loads are launched, with a catalog and a
// warehouse of its own, as DORA_CATALOG and DORA_WAREHOUSE name them.
type icebergHome struct {
	t   *testing.T
	dir string
	cfg catalog.Config
	env []string
}

// newIcebergHome makes one over an SQLite catalog and a warehouse on the real S3 server (so a
// load reads the snapshot's files from S3), or in a local folder when s3 is false.
func newIcebergHome(t *testing.T, s3 bool) *icebergHome {
	dir := t.TempDir()
	cfg := catalog.Config{Catalog: "sqlite:" + filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")}
	if s3 {
		cfg.Warehouse = "s3://" + s3test.Need(t).Bucket(t) + "/warehouse"
	}
	return &icebergHome{t: t, dir: dir, cfg: cfg, env: []string{"DORA_CATALOG=" + cfg.Catalog, "DORA_WAREHOUSE=" + cfg.Warehouse,
		"XDG_STATE_HOME=" + filepath.Join(dir, "state"), "XDG_DATA_HOME=" + filepath.Join(dir, "data")}}
}

func (h *icebergHome) dora(args ...string) run {
	h.t.Helper()
	return doraIn(h.t, h.dir, "", h.env, args...)
}

// orders writes a CSV of orders ids from..to, amounts by id, as src/NAME.csv.
func (h *icebergHome) orders(name string, from, to int, mod int) string {
	h.t.Helper()
	var b strings.Builder
	b.WriteString("id,region,amount\n")
	for id := from; id <= to; id++ {
		fmt.Fprintf(&b, "%d,%s,%d.25\n", id, []string{"West", "East", "South"}[id%3], id%mod)
	}
	path := filepath.Join(h.dir, "src", name+".csv")
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return "src/" + name + ".csv"
}

// pipeline writes PIPELINE.yaml with the text given and returns its name.
func (h *icebergHome) pipeline(text string) string {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, "p.yaml"), []byte(text), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return "p.yaml"
}

// etlRunOut is what dora etl run --json prints, as far as these tests read it.
type etlRunOut struct {
	SnapshotID int64 `json:"snapshot_id"`
	Published  bool  `json:"published"`
	TableRows  int64 `json:"table_rows"`
	Load       *struct {
		Backend      string `json:"backend"`
		Table        string `json:"table"`
		Source       string `json:"source"`
		RowsRead     int64  `json:"rows_read"`
		RowsLoaded   int64  `json:"rows_loaded"`
		DeadLettered int64  `json:"dead_lettered"`
		Published    bool   `json:"published"`
	} `json:"load"`
}

func (h *icebergHome) publish(pipeline string, extra ...string) etlRunOut {
	h.t.Helper()
	r := h.dora(append([]string{"etl", "run", pipeline, "--json"}, extra...)...)
	if r.code != 0 {
		h.t.Fatalf("dora etl run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var s etlRunOut
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || !s.Published {
		h.t.Fatalf("dora etl run --json: %v\n%s", err, r.stdout)
	}
	return s
}

// tableFacts are what a user checks of a loaded table: its rows, their ids, and a sum.
type tableFacts struct {
	Rows, SumID int64
	SumAmount   float64
	IDs         []int64
}

// snapshotFacts reads a snapshot outside dora's loader: DuckDB's read_parquet over the files
// the catalog lists for it.
func (h *icebergHome) snapshotFacts(table string, snap int64) tableFacts {
	h.t.Helper()
	cat, err := catalog.Open(h.t.Context(), h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	defer cat.Close()
	tbl, err := cat.Load(h.t.Context(), table)
	if err != nil {
		h.t.Fatal(err)
	}
	files, err := tbl.Files(h.t.Context(), snap, h.t.TempDir())
	if err != nil || len(files) == 0 {
		h.t.Fatalf("files of %s@%d: %v %v", table, snap, files, err)
	}
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	from := "read_parquet([" + strings.Join(quoted, ", ") + "])"
	db, err := sql.Open("duckdb", "")
	if err != nil {
		h.t.Fatal(err)
	}
	defer db.Close()
	var f tableFacts
	if err := db.QueryRow("SELECT count(*), sum(id)::BIGINT, sum(amount)::DOUBLE FROM "+from).Scan(&f.Rows, &f.SumID, &f.SumAmount); err != nil {
		h.t.Fatal(err)
	}
	for _, row := range testenv.Rows(h.t, db, "SELECT id::BIGINT FROM "+from+" ORDER BY id") {
		f.IDs = append(f.IDs, int64(num(row[0])))
	}
	return f
}

// loadedFacts asks the backend through dora query.
func loadedFacts(t *testing.T, backend, table string) tableFacts {
	t.Helper()
	q := queryJSON(t, fmt.Sprintf(`SELECT count(*), sum(id), sum(amount) FROM "%s"`, table), "--backend", backend)
	f := tableFacts{Rows: int64(num(q.Rows[0][0])), SumID: int64(num(q.Rows[0][1])), SumAmount: num(q.Rows[0][2])}
	ids := queryJSON(t, fmt.Sprintf(`SELECT id, count(*) FROM "%s" GROUP BY id ORDER BY id`, table), "--backend", backend)
	for _, row := range ids.Rows { // each id as many times as the table holds it
		for range int(num(row[1])) {
			f.IDs = append(f.IDs, int64(num(row[0])))
		}
	}
	return f
}

func sameFacts(t *testing.T, what string, got, want tableFacts) {
	t.Helper()
	if got.Rows != want.Rows || got.SumID != want.SumID || got.SumAmount != want.SumAmount || !slices.Equal(got.IDs, want.IDs) {
		t.Errorf("%s: %d rows, sum(id) %d, sum(amount) %v, ids %v..; the snapshot has %d rows, sum(id) %d, sum(amount) %v, ids %v..",
			what, got.Rows, got.SumID, got.SumAmount, got.IDs[:min(5, len(got.IDs))], want.Rows, want.SumID, want.SumAmount, want.IDs[:min(5, len(want.IDs))])
	}
}

func esTable(t *testing.T, es, prefix string) string {
	name := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1e9)
	t.Cleanup(func() { testenv.DeleteIndices(es, name+"-*") })
	return name
}

// Two published versions of a table on an S3 warehouse: loading iceberg:ns.t gives Elasticsearch
// the current version's rows, @SNAPSHOT the older one's, and a new DuckDB file the same, each
// checked against the snapshot read through DuckDB over its files.
func TestLoadIcebergSnapshots(t *testing.T) {
	es := testenv.Elasticsearch(t)
	h := newIcebergHome(t, true)
	v1 := h.publish(h.pipeline("table: shop.orders\nsource: " + h.orders("day1", 1, 300, 97) + "\n"))
	v2 := h.publish(h.pipeline("table: shop.orders\nsource: " + h.orders("day2", 51, 420, 89) + "\n"))
	now, then := h.snapshotFacts("shop.orders", v2.SnapshotID), h.snapshotFacts("shop.orders", v1.SnapshotID)
	if now.Rows != 370 || then.Rows != 300 {
		t.Fatalf("the snapshots hold %d and %d rows, want 370 and 300", now.Rows, then.Rows)
	}

	table := esTable(t, es, "dora-ice")
	r := h.dora("load", "iceberg:shop.orders", "--table", table, "--id", "id", "--backend", es, "--json")
	if r.code != 0 {
		t.Fatalf("dora load iceberg:shop.orders: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var sum struct {
		Source    string
		Published bool
	}
	json.Unmarshal([]byte(r.stdout), &sum)
	if sum.Source != fmt.Sprintf("iceberg:shop.orders@%d", v2.SnapshotID) || !sum.Published {
		t.Errorf("summary: %s", r.stdout)
	}
	sameFacts(t, "Elasticsearch after loading the current version", loadedFacts(t, es, table), now)

	old := esTable(t, es, "dora-ice-old")
	r = h.dora("load", fmt.Sprintf("iceberg:shop.orders@%d", v1.SnapshotID), "--table", old, "--backend", es)
	if r.code != 0 {
		t.Fatalf("dora load @%d: exit %d\n%s\n%s", v1.SnapshotID, r.code, r.stdout, r.stderr)
	}
	sameFacts(t, "Elasticsearch after loading the older version", loadedFacts(t, es, old), then)

	duck := "duckdb:" + filepath.Join(h.dir, "new", "w.duckdb")
	if r := h.dora("load", "iceberg:shop.orders", "--table", "orders", "--backend", duck); r.code != 0 {
		t.Fatalf("dora load into a new DuckDB file: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	sameFacts(t, "a new DuckDB file", loadedFacts(t, duck, "orders"), now)
}

// An Iceberg source that cannot be loaded says why, in words, and exits 2.
func TestLoadIcebergErrors(t *testing.T) {
	h := newIcebergHome(t, false)
	v := h.publish(h.pipeline("table: shop.orders\nsource: " + h.orders("day1", 1, 10, 7) + "\n"))
	for _, c := range []struct{ source, want string }{
		{"iceberg:shop.nope", "no Iceberg table shop.nope"},
		{"iceberg:shop.orders@12345", fmt.Sprintf("has no snapshot 12345; its snapshots are %d (", v.SnapshotID)},
		{"iceberg:orders", `"orders" is not NAMESPACE.TABLE`},
		{"iceberg:shop.orders@last", `snapshot "last" is not a snapshot id`},
	} {
		r := h.dora("load", c.source, "--table", "t", "--backend", "duckdb:"+filepath.Join(h.dir, "w.duckdb"))
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("load %s: exit %d, want 2 saying %q:\n%s", c.source, r.code, c.want, r.stderr)
		}
	}
}

// load_to: loads what dora etl run published, journal columns and all, and says how it
// reconciled; a load that fails leaves the version published and says so, exiting non-zero.
func TestLoadToAfterPublish(t *testing.T) {
	es := testenv.Elasticsearch(t)
	h := newIcebergHome(t, false)
	table := esTable(t, es, "dora-loadto")
	pipeline := func(src, backend string) string {
		return h.pipeline(fmt.Sprintf("table: shop.orders\nsource: %s\njournal: {key: [id]}\nload_to: {backend: %q, table: %s}\n", src, backend, table))
	}
	h.publish(pipeline(h.orders("day1", 1, 200, 50), es), "--as-of", "2024-01-01")
	s := h.publish(pipeline(h.orders("day2", 101, 260, 40), es), "--as-of", "2024-01-02")
	if s.Load == nil || s.Load.Source != fmt.Sprintf("iceberg:shop.orders@%d", s.SnapshotID) || s.Load.Table != table || s.Load.Backend != es ||
		s.Load.RowsLoaded != s.TableRows || s.Load.RowsRead != s.TableRows || s.Load.DeadLettered != 0 || !s.Load.Published {
		t.Fatalf("load of the second run: %+v (table rows %d)", s.Load, s.TableRows)
	}
	want := h.snapshotFacts("shop.orders", s.SnapshotID)
	// The journal holds a key once per version of its row: the ids whose amount changed twice.
	sameFacts(t, "Elasticsearch after load_to", loadedFacts(t, es, table), want)
	changed := 0
	for id := 101; id <= 200; id++ {
		if id%50 != id%40 {
			changed++
		}
	}
	if want.Rows != int64(260+changed) {
		t.Errorf("the journal holds %d rows, want %d (260 ids, %d of them changed)", want.Rows, 260+changed, changed)
	}
	current := queryJSON(t, fmt.Sprintf(`SELECT count(*) FROM "%s" WHERE is_current = true`, table), "--backend", es)
	if num(current.Rows[0][0]) != 260 {
		t.Errorf("current rows in Elasticsearch: %v, want 260 (ids 1..260)", current.Rows)
	}

	// Text output prints the reconciliation.
	r := h.dora("etl", "run", pipeline(h.orders("day3", 101, 270, 40), es), "--as-of", "2024-01-03")
	if r.code != 0 || !strings.Contains(r.stdout, "load_to") || !strings.Contains(r.stdout, "rows read") || !strings.Contains(r.stdout, "published as "+table) {
		t.Errorf("dora etl run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	// Nothing listens on port 1: the version is published all the same, and the run says so.
	r = h.dora("etl", "run", pipeline(h.orders("day4", 101, 280, 40), "http://127.0.0.1:1"), "--as-of", "2024-01-04", "--json")
	var failed etlRunOut
	json.Unmarshal([]byte(r.stdout), &failed)
	if r.code == 0 || !failed.Published || !strings.Contains(r.stderr, fmt.Sprintf("version %d IS published, but loading it into http://127.0.0.1:1 as %s failed", failed.SnapshotID, table)) {
		t.Errorf("a failed load_to: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	versions := h.dora("etl", "versions", "shop.orders")
	if !strings.Contains(versions.stdout, fmt.Sprintf("*  %d", failed.SnapshotID)) {
		t.Errorf("the version is not current after its load failed:\n%s", versions.stdout)
	}
}

// dora etl run --as-job on the local runner publishes into the shared catalog, as the run
// record shows, with the catalog passed on and the secrets redacted.
func TestETLRunAsJobLocal(t *testing.T) {
	h := newIcebergHome(t, true)
	p := h.pipeline("table: shop.orders\nsource: " + h.orders("day1", 1, 120, 30) + "\n")
	r := h.dora("etl", "run", p, "--as-job", "--wait", "--json")
	if r.code != 0 {
		t.Fatalf("etl run --as-job: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var run runJSON
	if err := json.Unmarshal([]byte(r.stdout), &run); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if run.Status != jobs.Succeeded || run.Runner != "local" || run.Job != "etl shop.orders" {
		t.Errorf("run: %s on %s, job %q", run.Status, run.Runner, run.Job)
	}
	if run.Env["DORA_CATALOG"] != h.cfg.Catalog || run.Env["DORA_WAREHOUSE"] != h.cfg.Warehouse ||
		run.Env["AWS_SECRET_ACCESS_KEY"] != jobs.Redacted || !strings.Contains(run.Env["DORA_PIPELINE"], "table: shop.orders") {
		t.Errorf("run env: %v", run.Env)
	}
	if !strings.Contains(r.stderr, "shop.orders: published version") {
		t.Errorf("the run's log does not say it published:\n%s", r.stderr)
	}
	var versions []struct {
		SnapshotID int64 `json:"snapshot_id"`
		Rows       int64
		Current    bool
	}
	v := h.dora("etl", "versions", "shop.orders", "--json")
	if err := json.Unmarshal([]byte(v.stdout), &versions); err != nil || len(versions) != 1 || versions[0].Rows != 120 || !versions[0].Current {
		t.Fatalf("versions after the job: %v\n%s%s", err, v.stdout, v.stderr)
	}
	if f := h.snapshotFacts("shop.orders", versions[0].SnapshotID); f.Rows != 120 || f.SumID != 120*121/2 {
		t.Errorf("the job's snapshot: %+v", f)
	}

	// Detached, it prints the run id, and the run reaches its end on its own.
	r = h.dora("etl", "run", p, "--as-job")
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || id == "" || strings.Contains(id, "\n") {
		t.Fatalf("etl run --as-job: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s := h.dora("jobs", "show", id, "--json")
		var got runJSON
		json.Unmarshal([]byte(s.stdout), &got)
		if got.Status.Ended() {
			if got.Status != jobs.Succeeded {
				t.Errorf("detached run %s: %s %s", id, got.Status, got.Reason)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s still %s", id, got.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	v = h.dora("etl", "versions", "shop.orders", "--json")
	if err := json.Unmarshal([]byte(v.stdout), &versions); err != nil || len(versions) != 2 {
		t.Errorf("versions after the second job: %v\n%s", err, v.stdout)
	}
}

// A run in a container cannot reach this machine's files: --as-job on docker says which, before
// anything is launched.
func TestETLRunAsJobRefusesLocalFiles(t *testing.T) {
	h := newIcebergHome(t, false)
	p := h.pipeline("table: shop.orders\nsource: " + h.orders("day1", 1, 10, 7) + "\n")
	r := h.dora("etl", "run", p, "--as-job", "--runner", "docker")
	if r.code != 2 || !strings.Contains(r.stderr, "cannot reach the catalog sqlite:") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	r = h.dora("etl", "run", p, "--wait")
	if r.code != 2 || !strings.Contains(r.stderr, "--wait needs --as-job") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}

// dora etl run --as-job in Docker, as a real deployment runs it: the dora image, a PostgreSQL
// catalog shared with the container (its password reaching it in PGPASSWORD, redacted in the
// run), the source and warehouse on S3 and load_to into Elasticsearch, all reached over the host
// network. The job publishes the snapshot in the shared catalog and loads it.
func TestETLRunAsJobInDocker(t *testing.T) {
	es := testenv.Elasticsearch(t)
	image := doraImage(t)
	h := newIcebergHome(t, true)
	h.cfg.Catalog = testenv.Postgres(t)
	h.env = append(h.env, "DORA_CATALOG="+h.cfg.Catalog)
	src := strings.TrimSuffix(h.cfg.Warehouse, "/warehouse") + "/src/"
	store, _, err := objstore.Open(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	h.orders("day1", 1, 150, 30)
	data, _ := os.ReadFile(filepath.Join(h.dir, "src", "day1.csv"))
	if err := store.Put(t.Context(), src+"day1.csv", strings.NewReader(string(data))); err != nil {
		t.Fatal(err)
	}
	table := esTable(t, es, "dora-etljob")
	p := h.pipeline(fmt.Sprintf("table: shop.orders\nsource: %sday1.csv\nload_to: {backend: %q, table: %s}\n", src, es, table))

	r := h.dora("etl", "run", p, "--as-job", "--runner", "docker", "--image", image, "--wait", "--json")
	if r.code != 0 {
		t.Fatalf("etl run --as-job --runner docker: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var run runJSON
	if err := json.Unmarshal([]byte(r.stdout), &run); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if run.Status != jobs.Succeeded || run.Runner != "docker" || run.RunnerID == "" {
		t.Errorf("run: %s on %s (%s)", run.Status, run.Runner, run.RunnerID)
	}
	u, _ := url.Parse(h.cfg.Catalog)
	password, _ := u.User.Password()
	for k, v := range run.Env {
		if password != "" && strings.Contains(v, password) {
			t.Errorf("the catalog's password shows in the run's %s", k)
		}
	}
	if password != "" && run.Env["PGPASSWORD"] != jobs.Redacted {
		t.Errorf("PGPASSWORD in the run: %q, want it redacted", run.Env["PGPASSWORD"])
	}
	if !strings.Contains(r.stderr, "shop.orders: published version") || !strings.Contains(r.stderr, "load_to") {
		t.Errorf("the run's log:\n%s", r.stderr)
	}
	cur := h.dora("etl", "versions", "shop.orders", "--json")
	var versions []struct {
		SnapshotID int64 `json:"snapshot_id"`
		Rows       int64
	}
	if err := json.Unmarshal([]byte(cur.stdout), &versions); err != nil || len(versions) != 1 || versions[0].Rows != 150 {
		t.Fatalf("versions in the shared catalog: %v\n%s%s", err, cur.stdout, cur.stderr)
	}
	want := h.snapshotFacts("shop.orders", versions[0].SnapshotID)
	sameFacts(t, "Elasticsearch after the job's load_to", loadedFacts(t, es, table), want)
	if containersOf(t, run.ID) != 0 {
		t.Errorf("run %s left its container", run.ID)
	}
}

// dora load iceberg:ns.t --as-job pins the current snapshot when it launches, so its shards and
// the publish load one version, even when another is published meanwhile.
func TestLoadIcebergAsJob(t *testing.T) {
	es := testenv.Elasticsearch(t)
	h := newIcebergHome(t, true)
	v := h.publish(h.pipeline("table: shop.orders\nsource: " + h.orders("day1", 1, 500, 60) + "\n"))
	table := esTable(t, es, "dora-icejob")
	r := h.dora("load", "iceberg:shop.orders", "--table", table, "--id", "id", "--backend", es, "--as-job", "--shards", "2", "--wait", "--json")
	if r.code != 0 {
		t.Fatalf("load iceberg: --as-job: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var p runJSON
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || p.Status != jobs.Succeeded || len(p.Children) != 3 {
		t.Fatalf("parent run: %v %+v", err, p)
	}
	pinned := fmt.Sprintf("iceberg:shop.orders@%d", v.SnapshotID)
	for _, c := range p.Children {
		if logs := h.dora("jobs", "logs", c.ID); !strings.HasSuffix(c.Job, "publish") && !strings.Contains(logs.stdout, pinned) {
			t.Errorf("child %s does not load the pinned %s:\n%s", c.Job, pinned, logs.stdout)
		}
		if c.Env["DORA_CATALOG"] != h.cfg.Catalog {
			t.Errorf("child %s env: %v", c.Job, c.Env)
		}
	}
	sameFacts(t, "Elasticsearch after the load job", loadedFacts(t, es, table), h.snapshotFacts("shop.orders", v.SnapshotID))
}
