package main

import (
	"bytes"
	"context"
	"database/sql"
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

	_ "modernc.org/sqlite"

	"github.com/dora-dev/dora/internal/testenv"
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
// run publishes the new one, whole. The files the killed commit wrote are counted.
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
	cmd := exec.Command(doraBin, "etl", "run", pipeline, "--as-of", "2024-01-02")
	cmd.Env = append(os.Environ(), h.env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// In the commit: its first file is in the warehouse, and the catalog row waits on the lock.
	var written []string
	for deadline := time.Now().Add(time.Minute); len(written) == 0; {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the run never wrote into the warehouse: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
		for f := range warehouseFiles(t, h.warehouse()) {
			if !before[f] {
				written = append(written, f)
			}
		}
	}
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	release()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
		t.Fatalf("the run ended before the kill (%v): %s", err, stderr.String())
	}
	var left []string
	for f := range warehouseFiles(t, h.warehouse()) {
		if !before[f] {
			left = append(left, f)
		}
	}
	got := testenv.ReadIceberg(t, h.catalogPath(), h.warehouse(), "hr.people", 0)
	if !slices.Equal(got.Snapshots, []int64{v1.SnapshotID}) || got.Current != v1.SnapshotID || fmt.Sprint(got.Rows) != fmt.Sprint(first.Rows) {
		t.Fatalf("after the kill pyiceberg sees snapshots %v (current %d) and rows %v; want the first version's %v", got.Snapshots, got.Current, got.Rows, first.Rows)
	}
	v2 := h.etlRun(t, pipeline, 0, "--as-of", "2024-01-02")
	got = testenv.ReadIceberg(t, h.catalogPath(), h.warehouse(), "hr.people", 0)
	names := map[string]int{}
	for _, r := range got.Rows {
		names[fmt.Sprint(r[1])]++
	}
	if !v2.Published || v2.BaseSnapshot != v1.SnapshotID || !slices.Equal(got.Snapshots, []int64{v1.SnapshotID, v2.SnapshotID}) || len(got.Rows) != 7 || names["renamed"] != 1 || names["p6"] != 1 {
		t.Errorf("the next run: published %v on %d; pyiceberg sees snapshots %v and rows %v", v2.Published, v2.BaseSnapshot, got.Snapshots, got.Rows)
	}
	remain := 0
	now := warehouseFiles(t, h.warehouse())
	for _, f := range left {
		if now[f] {
			remain++
		}
	}
	slices.Sort(left)
	t.Logf("killed in the commit with %d new files in the warehouse %v; the table stayed at version %d; after the next run %d of them are still there",
		len(left), left, v1.SnapshotID, remain)
}
