package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/etl"
)

// TestETLDiskFullDuringWrite: the run's files may not grow past 2 MB, or 300 kB (RLIMIT_FSIZE,
// set with prlimit on the child: mounting a small tmpfs needs privileges a test does not have),
// so the write of a large day fails. The run says so and commits nothing; pyiceberg, a reader
// outside dora, reads the table at the version before, row for row; the next run, with room,
// publishes and leaves no file of the failed one.
func TestETLDiskFullDuringWrite(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		testenv.Unavailable(t, "prlimit (util-linux) is not installed")
	}
	// At 2 MB the new data file is what overflows; at 300 kB more of the run's files do, and the
	// signal the kernel sends for it (SIGXFSZ) used to end dora without a word.
	for _, limit := range []int{2_000_000, 300_000} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) { etlDiskFull(t, limit) })
	}
}

func etlDiskFull(t *testing.T, limit int) {
	h := newLakehouse(t)
	tmp := t.TempDir()
	h.env = append(h.env, "TMPDIR="+tmp)
	src := filepath.Join(h.dir, "src", "people.csv")
	pipeline := h.file(t, "people.yaml", fmt.Sprintf("table: hr.people\nsource: %s\njournal:\n  key: [id]\n", src))
	h.file(t, "src/people.csv", people(5, 0))
	v1 := h.etlRun(t, pipeline, 0, "--as-of", "2024-01-01")
	first := testenv.ReadIceberg(t, h.catalogPath(), h.warehouse(), "hr.people", 0)
	if len(first.Rows) != 5 {
		t.Fatalf("pyiceberg reads %d rows of the first version, want 5", len(first.Rows))
	}
	before := dataFiles(t, h.warehouse())

	h.file(t, "src/people.csv", people(300_000, 0))
	cmd := exec.Command("prlimit", fmt.Sprintf("--fsize=%d", limit), doraBin, "etl", "run", pipeline, "--as-of", "2024-01-02")
	cmd.Env = append(os.Environ(), h.env...)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the run succeeded with its files limited to %d bytes:\n%s", limit, out)
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("the run ended with %v, not exit code 1 (killed by a signal?):\n%s", err, out)
	}
	msg := string(out)
	if low := strings.ToLower(msg); !strings.Contains(low, "file too large") && !strings.Contains(low, "no space") {
		t.Errorf("the error does not say the disk was full (%v):\n%s", err, msg)
	}
	got := testenv.ReadIceberg(t, h.catalogPath(), h.warehouse(), "hr.people", 0)
	if !slices.Equal(got.Snapshots, []int64{v1.SnapshotID}) || fmt.Sprint(got.Rows) != fmt.Sprint(first.Rows) {
		t.Fatalf("after the failed write pyiceberg sees snapshots %v and rows %v; want the first version's %v", got.Snapshots, got.Rows, first.Rows)
	}
	v2 := h.etlRun(t, pipeline, 0, "--as-of", "2024-01-02")
	// pyiceberg lists the snapshots; the rows it reads are the first version's, which stay 5
	// (reading 300,000 rows back through pyiceberg takes minutes here).
	got = testenv.ReadIceberg(t, h.catalogPath(), h.warehouse(), "hr.people", v1.SnapshotID)
	if !slices.Equal(got.Snapshots, []int64{v1.SnapshotID, v2.SnapshotID}) || len(got.Rows) != 5 || !v2.Published || v2.TableRows != 300_000 {
		t.Errorf("after the next run pyiceberg sees snapshots %v, the first with %d rows; published %v with %d rows", got.Snapshots, len(got.Rows), v2.Published, v2.TableRows)
	}
	files := dataFiles(t, h.warehouse())
	if len(files) != len(before)+len(v2Files(files, before)) || len(v2Files(files, before)) == 0 {
		t.Errorf("data files %v after the next run (before %v)", files, before)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "dora-etl-*")); len(left) != 0 {
		t.Errorf("the failed run's scratch folder is still there after the next run: %v", left)
	}
	t.Logf("limit %d bytes: the failed write said: %s; pyiceberg read the first version's %d rows", limit, firstLine(msg), len(first.Rows))
}

// v2Files is the files not in before.
func v2Files(files, before []string) []string {
	var out []string
	for _, f := range files {
		if !slices.Contains(before, f) {
			out = append(out, f)
		}
	}
	return out
}

// TestETLCatalogLockedTenSeconds: another writer holds the SQLite catalog's write lock for 10 s
// while a run commits. The run waits and publishes, or fails saying the catalog is busy; the
// table is at the old or the new version, never between.
func TestETLCatalogLockedTenSeconds(t *testing.T) {
	h := newLakehouse(t)
	src := filepath.Join(h.dir, "src", "people.csv")
	pipeline := h.file(t, "people.yaml", fmt.Sprintf("table: hr.people\nsource: %s\njournal:\n  key: [id]\n", src))
	h.file(t, "src/people.csv", people(5, 0))
	v1 := h.etlRun(t, pipeline, 0, "--as-of", "2024-01-01")

	release := lockCatalog(t, h.catalogPath())
	locked := time.Now()
	released := make(chan time.Time, 1)
	go func() {
		time.Sleep(10 * time.Second)
		release()
		released <- time.Now()
	}()
	h.file(t, "src/people.csv", people(6, 0))
	r := h.dora(t, "etl", "run", pipeline, "--as-of", "2024-01-02", "--json")
	ended := time.Now()
	freed := <-released
	got := testenv.ReadIceberg(t, h.catalogPath(), h.warehouse(), "hr.people", 0)
	switch {
	case r.code == 0:
		if !slices.Contains(got.Snapshots, v1.SnapshotID) || len(got.Snapshots) != 2 || len(got.Rows) != 6 {
			t.Errorf("the run waited and published, but pyiceberg sees snapshots %v and %d rows", got.Snapshots, len(got.Rows))
		}
		t.Logf("the run waited for the lock and published %.1f s after it was taken (%.1f s after it was freed)",
			ended.Sub(locked).Seconds(), ended.Sub(freed).Seconds())
	default:
		if !strings.Contains(r.stderr, "locked") && !strings.Contains(r.stderr, "busy") {
			t.Errorf("the run failed without saying the catalog was locked:\n%s", r.stderr)
		}
		if !slices.Equal(got.Snapshots, []int64{v1.SnapshotID}) || len(got.Rows) != 5 {
			t.Errorf("the run failed, but pyiceberg sees snapshots %v and %d rows", got.Snapshots, len(got.Rows))
		}
		t.Logf("the run failed after %.1f s: %s", ended.Sub(locked).Seconds(), firstLine(r.stderr))
		v2 := h.etlRun(t, pipeline, 0, "--as-of", "2024-01-02")
		if !v2.Published {
			t.Errorf("the run after the lock was freed did not publish: %+v", v2)
		}
	}
}

// lockCatalog takes the SQLite catalog's write lock as another writer would (BEGIN IMMEDIATE)
// and returns the function that frees it; the test's end frees it too.
func lockCatalog(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			conn.ExecContext(context.Background(), "COMMIT")
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// warehouseFiles lists every file under the warehouse.
func warehouseFiles(t *testing.T, warehouse string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	filepath.WalkDir(warehouse, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out[p] = true
		}
		return nil
	})
	return out
}

// TestETLKilledDuringCatalogCommit: another writer holds the SQLite catalog's write lock, so a
// run that has put its new version's files in the warehouse waits inside its catalog commit; it
// is killed there with SIGKILL. pyiceberg reads the table at the old version, whole; the next
// run publishes the new one, whole, and removes every file the killed commit wrote.
func TestETLKilledDuringCatalogCommit(t *testing.T) {
	h := newLakehouse(t)
	h.env = append(h.env, "TMPDIR="+t.TempDir())
	src := filepath.Join(h.dir, "src", "people.csv")
	pipeline := h.file(t, "people.yaml", fmt.Sprintf("table: hr.people\nsource: %s\njournal:\n  key: [id]\n", src))
	h.file(t, "src/people.csv", people(5, 0))
	v1 := h.etlRun(t, pipeline, 0, "--as-of", "2024-01-01")
	first := testenv.ReadIceberg(t, h.catalogPath(), h.warehouse(), "hr.people", 0)
	before := warehouseFiles(t, h.warehouse())

	release := lockCatalog(t, h.catalogPath())
	h.file(t, "src/people.csv", "id,name\n1,renamed\n2,p2\n3,p3\n4,p4\n5,p5\n6,p6\n")
	killed := startETL(t, h, pipeline, "--as-of", "2024-01-02")
	// In the commit: its new metadata file, the last file before the catalog's row, is in the
	// warehouse, and the catalog row waits on the lock.
	killed.waitFor(t, h, before, isMetadataFile)
	killed.kill(t)
	release()
	left := newFiles(t, h.warehouse(), before)
	kinds := fileKinds(left)
	if kinds["data"] < 1 || kinds["metadata"] < 1 || kinds["manifest"] < 1 {
		t.Fatalf("killed in the commit, the run left %v; want its data file, metadata file and manifests", left)
	}
	if kinds["intent"] != 1 {
		t.Errorf("killed in the commit, the run left %d intents, want 1: %v", kinds["intent"], left)
	}
	got := testenv.ReadIceberg(t, h.catalogPath(), h.warehouse(), "hr.people", 0)
	if !slices.Equal(got.Snapshots, []int64{v1.SnapshotID}) || got.Current != v1.SnapshotID || fmt.Sprint(got.Rows) != fmt.Sprint(first.Rows) {
		t.Fatalf("after the kill pyiceberg sees snapshots %v (current %d) and rows %v; want the first version's %v", got.Snapshots, got.Current, got.Rows, first.Rows)
	}
	r := h.dora(t, "etl", "run", pipeline, "--json", "--as-of", "2024-01-02")
	var v2 etl.Summary
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &v2) != nil {
		t.Fatalf("the next run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	got = testenv.ReadIceberg(t, h.catalogPath(), h.warehouse(), "hr.people", 0)
	names := map[string]int{}
	for _, r := range got.Rows {
		names[fmt.Sprint(r[1])]++
	}
	if !v2.Published || v2.BaseSnapshot != v1.SnapshotID || !slices.Equal(got.Snapshots, []int64{v1.SnapshotID, v2.SnapshotID}) || len(got.Rows) != 7 || names["renamed"] != 1 || names["p6"] != 1 {
		t.Errorf("the next run: published %v on %d; pyiceberg sees snapshots %v and rows %v", v2.Published, v2.BaseSnapshot, got.Snapshots, got.Rows)
	}
	now := warehouseFiles(t, h.warehouse())
	var remain []string
	for _, f := range left {
		if now[f] {
			remain = append(remain, f)
		}
	}
	said := fmt.Sprintf("dora: removed %d files of an interrupted write to hr.people (pid %d on ", len(left)-kinds["intent"], killed.pid())
	if !strings.Contains(r.stderr, said) {
		t.Errorf("the next run's stderr does not say %q:\n%s", said, r.stderr)
	}
	if len(remain) > 0 {
		t.Errorf("%d of the %d files the killed commit wrote are still in the warehouse after the next run: %v", len(remain), len(left), remain)
	}
	t.Logf("killed in the commit with %d new files in the warehouse %v; the table stayed at version %d; after the next run %d of them are left; it said: %s",
		len(left), left, v1.SnapshotID, len(remain), firstLine(r.stderr))
}

// TestETLKilledDuringTableCreate: the first run of a table is killed while the catalog makes
// it (its first metadata file written, the catalog's row waiting on another writer's lock).
// No table is left, and the next run makes the table, publishes, and leaves no file of the
// killed run behind.
func TestETLKilledDuringTableCreate(t *testing.T) {
	h := newLakehouse(t)
	h.env = append(h.env, "TMPDIR="+t.TempDir())
	// Another table of the namespace first, so the killed run finds the namespace made and
	// waits only in the table's making.
	h.file(t, "src/other.csv", "id\n1\n")
	other := h.file(t, "other.yaml", fmt.Sprintf("table: hr.other\nsource: %s\n", filepath.Join(h.dir, "src", "other.csv")))
	h.etlRun(t, other, 0)
	before := warehouseFiles(t, h.warehouse())

	pipeline := h.file(t, "people.yaml", fmt.Sprintf("table: hr.people\nsource: %s\n", filepath.Join(h.dir, "src", "people.csv")))
	h.file(t, "src/people.csv", people(5, 0))
	release := lockCatalog(t, h.catalogPath())
	killed := startETL(t, h, pipeline)
	killed.waitFor(t, h, before, isMetadataFile)
	killed.kill(t)
	release()
	left := newFiles(t, h.warehouse(), before)
	if kinds := fileKinds(left); kinds["metadata"] != 1 || kinds["intent"] != 1 {
		t.Fatalf("killed while the table was made, the run left %v; want its first metadata file and its intent", left)
	}
	if r := h.dora(t, "etl", "versions", "hr.people"); r.code == 0 {
		t.Fatalf("after the kill the catalog lists hr.people:\n%s", r.stdout)
	}

	r := h.dora(t, "etl", "run", pipeline, "--json")
	var v1 etl.Summary
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &v1) != nil || !v1.Published {
		t.Fatalf("the next run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	got := testenv.ReadIceberg(t, h.catalogPath(), h.warehouse(), "hr.people", 0)
	if len(got.Rows) != 5 || got.Current != v1.SnapshotID {
		t.Errorf("the next run published %d; pyiceberg sees current %d and rows %v, want 5", v1.SnapshotID, got.Current, got.Rows)
	}
	now := warehouseFiles(t, h.warehouse())
	var remain []string
	for _, f := range left {
		if now[f] {
			remain = append(remain, f)
		}
	}
	if len(remain) > 0 {
		t.Errorf("%d of the %d files the killed run wrote are still in the warehouse after the next run: %v\n%s", len(remain), len(left), remain, r.stderr)
	}
	said := fmt.Sprintf("dora: removed 1 file of an interrupted write to hr.people (pid %d on ", killed.pid())
	if !strings.Contains(r.stderr, said) {
		t.Errorf("the next run's stderr does not say %q:\n%s", said, r.stderr)
	}
	t.Logf("killed while hr.people was made, with %v in the warehouse; after the next run %d of them are left; it said: %s", left, len(remain), firstLine(r.stderr))
}

// TestETLSweepSparesLiveCommit: two runs of one table over a PostgreSQL catalog whose table of
// tables another writer has locked, so both wait inside their commits with their files in the
// warehouse. The second one (which swept the table's interrupted writes before its commit) is
// killed; the first one, alive all along, keeps every file, and publishes when the lock goes:
// pyiceberg reads its version whole. The next run removes the killed one's files, only those.
func TestETLSweepSparesLiveCommit(t *testing.T) {
	h := newLakehouse(t)
	pg := testenv.Postgres(t)
	h.env = append(h.env, "DORA_CATALOG="+pg, "TMPDIR="+t.TempDir())
	src := filepath.Join(h.dir, "src")
	pipeline := func(name string) string {
		return h.file(t, name+".yaml", fmt.Sprintf("table: hr.staff\nsource: %s\n", filepath.Join(src, name+".csv")))
	}
	live, doomed := pipeline("live"), pipeline("doomed")
	h.file(t, "src/live.csv", "id,name\n1,first\n")
	v1 := h.etlRun(t, live, 0)
	before := warehouseFiles(t, h.warehouse())

	release := lockPostgresCatalog(t, pg)
	h.file(t, "src/live.csv", "id,name\n1,live\n2,live\n3,live\n")
	h.file(t, "src/doomed.csv", "id,name\n9,doomed\n")
	a := startETL(t, h, live)
	a.waitFor(t, h, before, isMetadataFile)
	aFiles := newFiles(t, h.warehouse(), before)
	afterA := warehouseFiles(t, h.warehouse())
	b := startETL(t, h, doomed)
	// B is in its commit, so it has swept: its own metadata file and intent are there.
	b.waitFor(t, h, afterA, isMetadataFile)
	b.kill(t)
	bFiles := newFiles(t, h.warehouse(), afterA)
	now := warehouseFiles(t, h.warehouse())
	for _, f := range aFiles {
		if !now[f] {
			t.Errorf("the live run's %s was removed by the other run's sweep", f)
		}
	}
	release()
	ra := a.wait(t)
	var va etl.Summary
	if ra.code != 0 || json.Unmarshal([]byte(ra.stdout), &va) != nil || !va.Published || va.BaseSnapshot != v1.SnapshotID {
		t.Fatalf("the live run, after the lock went: exit %d\n%s%s", ra.code, ra.stdout, ra.stderr)
	}
	got := testenv.ReadIceberg(t, pg, h.warehouse(), "hr.staff", 0)
	if got.Current != va.SnapshotID || fmt.Sprint(got.Rows) != "[[1 live] [2 live] [3 live]]" {
		t.Fatalf("pyiceberg reads snapshot %d with rows %v; want the live run's %d with its 3 rows", got.Current, got.Rows, va.SnapshotID)
	}
	r := h.dora(t, "etl", "run", live, "--json")
	said := fmt.Sprintf("dora: removed %d files of an interrupted write to hr.staff (pid %d on ", len(bFiles)-fileKinds(bFiles)["intent"], b.pid())
	if r.code != 0 || !strings.Contains(r.stderr, said) {
		t.Errorf("the next run: exit %d; want it to say %q:\n%s", r.code, said, r.stderr)
	}
	now = warehouseFiles(t, h.warehouse())
	for _, f := range bFiles {
		if now[f] {
			t.Errorf("the killed run's %s is still there after the next run", f)
		}
	}
	got = testenv.ReadIceberg(t, pg, h.warehouse(), "hr.staff", va.SnapshotID)
	if fmt.Sprint(got.Rows) != "[[1 live] [2 live] [3 live]]" {
		t.Errorf("after the sweep pyiceberg reads the live run's version as %v", got.Rows)
	}
	t.Logf("the live run kept its %d files through the other run's sweep and published %d; the killed run's %d files were removed by the next run",
		len(aFiles), va.SnapshotID, len(bFiles))
}

// etlProcess is a dora etl run --json started in the background.
type etlProcess struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{} // closed when the process has ended; err is then its end
	err            error
}

func startETL(t *testing.T, h *lakehouse, pipeline string, extra ...string) *etlProcess {
	t.Helper()
	p := &etlProcess{cmd: exec.Command(doraBin, append([]string{"etl", "run", pipeline, "--json"}, extra...)...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), h.env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *etlProcess) pid() int { return p.cmd.Process.Pid }

// waitFor waits for a new file in the warehouse (one not in before) that want accepts.
func (p *etlProcess) waitFor(t *testing.T, h *lakehouse, before map[string]bool, want func(string) bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); !slices.ContainsFunc(newFiles(t, h.warehouse(), before), want); {
		select {
		case <-p.done:
			t.Fatalf("the run ended (%v) before it got that far: %s", p.err, p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.cmd.Process.Kill()
			<-p.done
			t.Fatalf("the run never got that far: %s", p.stderr.String())
		}
	}
}

// kill ends the run with SIGKILL, failing when it had ended already.
func (p *etlProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if ee, ok := p.err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
		t.Fatalf("the run ended before the kill (%v): %s", p.err, p.stderr.String())
	}
}

// wait waits for the run to end by itself.
func (p *etlProcess) wait(t *testing.T) run {
	t.Helper()
	<-p.done
	code := 0
	if ee, ok := p.err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if p.err != nil {
		t.Fatal(p.err)
	}
	return run{p.stdout.String(), p.stderr.String(), code}
}

// newFiles lists the files under the warehouse that are not in before, sorted.
func newFiles(t *testing.T, warehouse string, before map[string]bool) []string {
	t.Helper()
	var out []string
	for f := range warehouseFiles(t, warehouse) {
		if !before[f] {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

func isMetadataFile(p string) bool { return strings.HasSuffix(p, ".metadata.json") }

// fileKinds counts files by what they are to an Iceberg table (and dora's intents).
func fileKinds(files []string) map[string]int {
	out := map[string]int{}
	for _, f := range files {
		switch {
		case strings.Contains(f, "/_dora_intents/"):
			out["intent"]++
		case isMetadataFile(f):
			out["metadata"]++
		case strings.Contains(filepath.Base(f), "snap-"):
			out["manifest list"]++
		case strings.HasSuffix(f, ".avro"):
			out["manifest"]++
		case strings.HasSuffix(f, ".parquet"):
			out["data"]++
		default:
			out["other"]++
		}
	}
	return out
}

// lockPostgresCatalog locks the PostgreSQL catalog's table of tables against writes, as
// another writer's long transaction would (reads go on), and returns the function that frees
// it; the test's end frees it too. PostgreSQL waits for such a lock without a time limit.
func lockPostgresCatalog(t *testing.T, url string) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE iceberg_tables IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			tx.Commit(ctx)
			conn.Close(ctx)
		})
	}
	t.Cleanup(release)
	return release
}
