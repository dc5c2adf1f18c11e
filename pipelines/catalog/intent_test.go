package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	icebergio "github.com/apache/iceberg-go/io"

	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/pipelines/objstore/s3test"
)

func TestSweepLocal(t *testing.T) {
	dir := t.TempDir()
	testSweep(t, Config{Catalog: "sqlite:" + filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")})
}

func TestSweepS3(t *testing.T) {
	srv := s3test.Need(t)
	testSweep(t, Config{Catalog: "sqlite:" + filepath.Join(t.TempDir(), "catalog.db"), Warehouse: "s3://" + srv.Bucket(t) + "/warehouse"})
}

// deadPID is the pid of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// testSweep puts intents of every kind beside a table (a dead writer of this machine, one of
// another machine whose lease ran out, a live one of each, this process) naming files that
// exist or not, referenced or not, and checks that the next write removes exactly the files of
// the gone writers that no version references, and their intents.
func testSweep(t *testing.T, cfg Config) {
	ctx := context.Background()
	f := newFixture(t)
	c := openCatalog(t, cfg)
	var said []string
	c.SetNotify(func(msg string) { said = append(said, msg) })
	const name = "sweep.people"
	q1 := `SELECT i::BIGINT AS id, TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i) HOUR AS ts FROM range(10) t(i)`
	q2 := `SELECT i::BIGINT AS id, TIMESTAMPTZ '2024-02-01 00:00:00+00' + INTERVAL (i) HOUR AS ts FROM range(20, 23) t(i)`
	s1, err := c.Overwrite(ctx, name, []string{f.parquet(q1)}, WriteOptions{Adopt: true})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := c.Load(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	loc := strings.TrimRight(tbl.tbl.Location(), "/")
	store, _, err := objstore.Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	put := func(key, body string) {
		t.Helper()
		if err := store.Put(ctx, key, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(key string) bool {
		objs, err := store.List(ctx, key)
		return err == nil && slices.ContainsFunc(objs, func(o objstore.Object) bool { return normalizePath(o.Key) == normalizePath(key) })
	}
	file := func(rel string) string { // an unreferenced file in the table's folder
		k := loc + "/" + rel
		put(k, "x")
		return k
	}
	me := self()
	now := time.Now().UTC()
	intentAt := func(id string, rec intentRecord) string {
		rec.Table = name
		b, _ := json.Marshal(rec)
		k := loc + "/" + intentDir + "/" + id + ".json"
		put(k, string(b))
		return k
	}
	current := tbl.tbl.MetadataLocation()
	dataV1 := f.files(c, name, s1.ID)
	if len(dataV1) != 1 {
		t.Fatalf("version 1 has data files %v", dataV1)
	}
	referencedData := tbl.tbl.CurrentSnapshot().ManifestList

	// Gone: this machine, its pid ended. It names two orphans, a file it never created, and
	// two files that version 1 references (as if it had died after its commit landed).
	deadFiles := []string{file("data/00000-0-dead-dora.parquet"), file("metadata/dead-m0.avro")}
	deadKey := intentAt("dead", intentRecord{Machine: me.Machine, Host: me.Host, PID: deadPID(t), RunID: "run-dead", Renewed: now,
		Files: append(slices.Clone(deadFiles), loc+"/metadata/never-written.avro", current, referencedData)})
	// Gone: this machine; named by their write's token (a UUID), as iceberg-go names the files
	// of one write: data files in partition folders, manifests, a manifest list.
	const tok, liveTok = "0b7e3a52-8c1d-4f0e-9a6b-2d5c7e1f3a90", "5f1c2d3e-4b5a-4697-8a8b-9c0d1e2f3a4b"
	tokenFiles := []string{file("data/ts_day=2024-01-01/00000-0-" + tok + "-00001.parquet"), file("data/ts_day=2024-01-02/00000-1-" + tok + "-00002.parquet"),
		file("metadata/" + tok + "-m0.avro"), file("metadata/snap-77-0-" + tok + ".avro")}
	tokenKey := intentAt("token", intentRecord{Machine: me.Machine, Host: me.Host, PID: deadPID(t), Renewed: now, Tokens: []string{tok}})
	// Gone: this machine, its pid now names a later process (this one).
	reusedFiles := []string{file("metadata/00099-reused.metadata.json")}
	reusedKey := intentAt("reused", intentRecord{Machine: me.Machine, Host: me.Host, PID: me.PID, Start: me.Start + 1, Renewed: now, Files: reusedFiles})
	// Gone: another machine, not renewed for longer than the lease.
	leaseFiles := []string{file("data/lease-ended.parquet")}
	leaseKey := intentAt("lease", intentRecord{Machine: "elsewhere", Host: "elsewhere", PID: 1, Renewed: now.Add(-intentLease - time.Minute), Files: leaseFiles})
	// Alive: this process; another machine renewed a minute ago.
	liveFiles := []string{file("data/live-here.parquet"), file("data/live-elsewhere.parquet"), file("data/00000-0-" + liveTok + "-00001.parquet")}
	liveKeys := []string{
		intentAt("live-here", intentRecord{Machine: me.Machine, Host: me.Host, PID: me.PID, Start: me.Start, Renewed: now.Add(-time.Hour), Files: liveFiles[:1], Tokens: []string{liveTok}}),
		intentAt("live-elsewhere", intentRecord{Machine: "elsewhere", Host: "elsewhere", PID: me.PID, Renewed: now.Add(-time.Minute), Files: liveFiles[1:]}),
	}
	// Never named in an intent: another engine's file.
	foreign := file("data/other-engine.parquet")

	s2, err := c.Overwrite(ctx, name, []string{f.parquet(q2)}, WriteOptions{Base: s1.ID, Adopt: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range slices.Concat(deadFiles, tokenFiles, reusedFiles, leaseFiles, []string{deadKey, tokenKey, reusedKey, leaseKey}) {
		if exists(k) {
			t.Errorf("%s is still there after the sweep", k)
		}
	}
	for _, k := range slices.Concat(liveFiles, liveKeys, []string{foreign, current, referencedData}) {
		if !exists(k) {
			t.Errorf("%s was removed: it belongs to a live writer, another engine or a version", k)
		}
	}
	f.sameRows("version 1 after the sweep", f.snapshotRows(c, name, s1.ID), f.rows(q1))
	f.sameRows("version 2", f.snapshotRows(c, name, s2.ID), f.rows(q2))
	wantSaid := []string{"removed 2 files of an interrupted write to sweep.people (pid ", ", run run-dead)", "removed 1 file of an interrupted write", "on elsewhere)", "removed 4 files of an interrupted write"}
	for _, w := range wantSaid {
		if !strings.Contains(strings.Join(said, "\n"), w) {
			t.Errorf("the catalog said %q; want it to say %q", said, w)
		}
	}
	// The write's own intent is gone with its publish: only the live ones are left.
	objs, err := store.List(ctx, loc+"/"+intentDir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, o := range objs {
		left = append(left, normalizePath(o.Key))
	}
	want := []string{normalizePath(liveKeys[0]), normalizePath(liveKeys[1])}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Errorf("intents left: %v, want the live ones %v", left, want)
	}
}

// TestSettle: a write that fails before its commit takes its files with it, and one whose
// commit may have landed leaves its intent for the sweep.
func TestSettle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c := openLocal(t)
	const name = "settle.t"
	if _, err := c.Overwrite(ctx, name, []string{f.parquet(`SELECT 1::BIGINT AS id`)}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	tbl, err := c.Load(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := tbl.tbl.FS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	loc := normalizePath(strings.TrimRight(tbl.tbl.Location(), "/"))
	for _, tc := range []struct {
		outcome              writeOutcome
		keepFile, keepIntent bool
	}{{outcomeNothing, false, false}, {outcomeUnknown, true, true}, {outcomePublished, true, false}} {
		it, err := c.beginIntent(ctx, tbl.tbl, name, "r")
		if err != nil {
			t.Fatal(err)
		}
		// Created through an iceberg-go IO: announced by the wrapped factory.
		p := loc + "/metadata/" + randomID() + "-m0.avro"
		w, ok := fsys.(interface{ WriteFile(string, []byte) error })
		if !ok {
			t.Fatalf("the table's IO %T cannot write", fsys)
		}
		if err := w.WriteFile("file://"+p, []byte("x")); err != nil {
			t.Fatal(err)
		}
		if !it.rec.names("file://"+p) || !slices.Contains(it.made, "file://"+p) {
			t.Fatalf("the intent names %v %v, not the file just written", it.rec.Tokens, it.rec.Files)
		}
		c.settle(ctx, it, tbl.tbl, tc.outcome)
		_, ferr := os.Stat(p)
		_, ierr := os.Stat(normalizePath(it.key))
		if (ferr == nil) != tc.keepFile || (ierr == nil) != tc.keepIntent {
			t.Errorf("outcome %d: file kept %v, intent kept %v; want %v, %v", tc.outcome, ferr == nil, ierr == nil, tc.keepFile, tc.keepIntent)
		}
		if ferr != nil && !errors.Is(ferr, os.ErrNotExist) {
			t.Fatal(ferr)
		}
	}
}

func TestOwnerGone(t *testing.T) {
	me := self()
	now := time.Now()
	dead := deadPID(t)
	for _, tc := range []struct {
		what      string
		rec       intentRecord
		leaseOnly bool
		gone      bool
	}{
		{"this process", intentRecord{Machine: me.Machine, PID: me.PID, Start: me.Start, Renewed: now.Add(-24 * time.Hour)}, false, false},
		{"this process, REST", intentRecord{Machine: me.Machine, PID: me.PID, Start: me.Start, Renewed: now.Add(-24 * time.Hour)}, true, false},
		{"an ended pid", intentRecord{Machine: me.Machine, PID: dead, Renewed: now}, false, true},
		{"an ended pid, REST, renewed lately", intentRecord{Machine: me.Machine, PID: dead, Renewed: now}, true, false},
		{"an ended pid, REST, lease over", intentRecord{Machine: me.Machine, PID: dead, Renewed: now.Add(-intentLease - time.Second)}, true, true},
		{"a reused pid", intentRecord{Machine: me.Machine, PID: me.PID, Start: me.Start + 1, Renewed: now}, false, me.Start != 0 /* without /proc it cannot tell */},
		{"another machine, renewed lately", intentRecord{Machine: "x", PID: dead, Renewed: now.Add(-intentLease + time.Minute)}, false, false},
		{"another machine, lease over", intentRecord{Machine: "x", PID: me.PID, Renewed: now.Add(-intentLease - time.Second)}, false, true},
	} {
		if got := ownerGone(tc.rec, me, now, tc.leaseOnly); got != tc.gone {
			t.Errorf("%s: gone %v, want %v", tc.what, got, tc.gone)
		}
	}
}

// TestRecordingIO: the IO iceberg-go opens for a local or S3 location records what it creates
// (were a new iceberg-go to change its IO interfaces, writes would go unrecorded silently).
func TestRecordingIO(t *testing.T) {
	ctx := context.Background()
	for _, loc := range []string{"file:///tmp/x", "/tmp/x", "s3://bucket/x"} {
		fsys, err := icebergio.LoadFS(ctx, map[string]string{icebergio.S3Region: "us-east-1", icebergio.S3EndpointURL: "http://127.0.0.1:1"}, loc)
		if err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
		switch fsys.(type) {
		case recordingIO, recordingBulkIO:
		default:
			t.Errorf("%s: the IO is a %T, which records nothing", loc, fsys)
		}
	}
}
