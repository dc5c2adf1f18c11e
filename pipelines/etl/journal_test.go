package etl

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

// version is one row of a journal as a test expects it: valid_to nil while current.
func version(id int32, name string, from int, to any, extra ...any) []any {
	row := []any{id, name, day(from)}
	if to == nil {
		row = append(row, nil, true)
	} else {
		row = append(row, day(to.(int)), false)
	}
	return append(row, extra...)
}

func TestHardDeletesNewRecord(t *testing.T) {
	l := newLake(t)
	days := []string{
		`SELECT * FROM (VALUES (1, 'a', 10), (2, 'x', 20), (3, 'v', 30)) t(id, name, score)`,
		`SELECT * FROM (VALUES (1, 'a', 10), (3, 'v', 30)) t(id, name, score)`,               // 2 deleted
		`SELECT * FROM (VALUES (1, 'a', 10), (3, 'v', 30)) t(id, name, score)`,               // still gone
		`SELECT * FROM (VALUES (1, 'a', 10), (2, 'x', 20), (3, 'v', 30)) t(id, name, score)`, // 2 is back, as it was
	}
	const file = "table: crm.accounts\nsource: %s\njournal:\n  key: [id]\n  hard_deletes: new_record\n"
	var diffs []JournalDiff
	for i, d := range days {
		src := l.writeParquet(fmt.Sprintf("acc%d", i+1), d)
		s := l.run(l.pipeline(fmt.Sprintf("acc%d", i+1), fmt.Sprintf(file, src)), day(i+1))
		diffs = append(diffs, *s.Journal)
	}
	const q = `SELECT id, name, valid_from, valid_to, is_current, is_deleted FROM t ORDER BY id, valid_from`
	want := [][]any{
		version(1, "a", 1, nil, false),
		version(2, "x", 1, 2, false),
		version(2, "x", 2, 4, true), // the deletion is a version of its own
		version(2, "x", 4, nil, false),
		version(3, "v", 1, nil, false),
	}
	if got := l.rows("crm.accounts", 0, q); !reflect.DeepEqual(got, want) {
		t.Errorf("journal:\n got %v\nwant %v", got, want)
	}
	wantDiffs := []JournalDiff{{Inserted: 3}, {Closed: 1, Unchanged: 2}, {Unchanged: 3}, {Reopened: 1, Unchanged: 2}}
	if !reflect.DeepEqual(diffs, wantDiffs) {
		t.Errorf("diffs per day: %+v, want %+v", diffs, wantDiffs)
	}
}

func TestTimestampStrategy(t *testing.T) {
	l := newLake(t)
	at := func(h int) string { return fmt.Sprintf("TIMESTAMPTZ '2024-01-01 %02d:00:00+00'", h) }
	days := []string{
		fmt.Sprintf(`SELECT * FROM (VALUES (1, 'a', %s), (2, 'b', %s), (3, 'c', %s)) t(id, name, updated_at)`, at(10), at(10), at(10)),
		// 1 is older than the journal's (an out-of-order replay), 2 is newer, 3 has the same
		// time with other values: only 2 changed.
		fmt.Sprintf(`SELECT * FROM (VALUES (1, 'a-old', %s), (2, 'b2', %s), (3, 'c?', %s)) t(id, name, updated_at)`, at(9), at(11), at(10)),
	}
	const file = "table: crm.contacts\nsource: %s\njournal:\n  key: [id]\n  strategy: timestamp\n  updated_at: updated_at\n"
	var last *Summary
	for i, d := range days {
		src := l.writeParquet(fmt.Sprintf("con%d", i+1), d)
		last = l.run(l.pipeline(fmt.Sprintf("con%d", i+1), fmt.Sprintf(file, src)), day(i+1))
	}
	if *last.Journal != (JournalDiff{Changed: 1, Unchanged: 2}) {
		t.Errorf("day 2: %+v, want 1 changed and 2 unchanged", *last.Journal)
	}
	const q = `SELECT id, name, valid_from, valid_to, is_current, updated_at FROM t ORDER BY id, valid_from`
	ts := func(h int) time.Time { return time.Date(2024, 1, 1, h, 0, 0, 0, time.UTC) }
	want := [][]any{
		version(1, "a", 1, nil, ts(10)),
		version(2, "b", 1, 2, ts(10)),
		version(2, "b2", 2, nil, ts(11)),
		version(3, "c", 1, nil, ts(10)),
	}
	got := l.rows("crm.contacts", 0, q)
	for _, r := range got {
		if tm, ok := r[5].(time.Time); ok {
			r[5] = tm.UTC()
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("journal:\n got %v\nwant %v", got, want)
	}
}

func TestTwoRunsAtOnce(t *testing.T) {
	l := newLake(t)
	other := openLake(t, l.dir, l.cfg) // a second handle on the same catalog, as a second process has
	const file = "table: crm.members\nsource: %s\njournal:\n  key: [id]\n"
	base := `SELECT * FROM (VALUES (1, 'a', 1), (2, 'b', 1), (3, 'c', 1), (4, 'd', 1), (5, 'e', 1)) t(id, name, score)`
	l.run(l.pipeline("base", fmt.Sprintf(file, l.writeParquet("base", base))), day(1))

	// One run edits 1-3, the other edits 4 and adds 10-12; neither input holds the other's keys.
	inputs := []string{
		`SELECT * FROM (VALUES (1, 'a', 2), (2, 'b', 2), (3, 'c', 2)) t(id, name, score)`,
		`SELECT * FROM (VALUES (4, 'd', 2), (10, 'x', 1), (11, 'y', 1), (12, 'z', 1)) t(id, name, score)`,
	}
	// Both wait before their first commit until the other is there too, so they race.
	var ready sync.WaitGroup
	ready.Add(2)
	results := make([]*Summary, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, lk := range []*lake{l, other} {
		p := lk.pipeline(fmt.Sprintf("run%d", i), fmt.Sprintf(file, lk.writeParquet(fmt.Sprintf("run%d", i), inputs[i])))
		var once sync.Once
		opts := Options{AsOf: day(2 + i), WorkDir: lk.dir, BeforeCommit: func([]string) {
			once.Do(func() { ready.Done(); ready.Wait() })
		}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = Run(context.Background(), p, lk.cat, opts)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil || !results[i].Published {
			t.Fatalf("run %d: %v (%+v)", i, err, results[i])
		}
	}
	winner, loser := results[0], results[1]
	if winner.Attempts != 1 {
		winner, loser = loser, winner
	}
	if winner.Attempts != 1 || loser.Attempts != 2 || loser.BaseSnapshot != winner.SnapshotID {
		t.Errorf("attempts %d and %d, the loser built on %d; want 1 and 2, on the winner's %d", winner.Attempts, loser.Attempts, loser.BaseSnapshot, winner.SnapshotID)
	}
	tb, err := l.cat.Load(context.Background(), "crm.members")
	if err != nil {
		t.Fatal(err)
	}
	if snaps := tb.Snapshots(); len(snaps) != 3 || tb.Current().ID != loser.SnapshotID {
		t.Errorf("versions %+v, want three with the loser's %d current", snaps, loser.SnapshotID)
	}
	const q = `SELECT id, name, valid_from, valid_to, is_current, score FROM t ORDER BY id, valid_from`
	want := [][]any{
		version(1, "a", 1, 2, int32(1)), version(1, "a", 2, nil, int32(2)),
		version(2, "b", 1, 2, int32(1)), version(2, "b", 2, nil, int32(2)),
		version(3, "c", 1, 2, int32(1)), version(3, "c", 2, nil, int32(2)),
		version(4, "d", 1, 3, int32(1)), version(4, "d", 3, nil, int32(2)),
		version(5, "e", 1, nil, int32(1)),
		version(10, "x", 3, nil, int32(1)), version(11, "y", 3, nil, int32(1)), version(12, "z", 3, nil, int32(1)),
	}
	if got := l.rows("crm.members", 0, q); !reflect.DeepEqual(got, want) {
		t.Errorf("journal after both runs:\n got %v\nwant %v", got, want)
	}
	if dup := l.rows("crm.members", 0, `SELECT id FROM t WHERE is_current GROUP BY id HAVING count(*) > 1`); len(dup) > 0 {
		t.Errorf("keys with more than one current row: %v", dup)
	}
}

// A key whose incoming row fails validation keeps its current row: a bad row is not a deletion.
func TestQuarantinedKeyKeepsItsCurrentRow(t *testing.T) {
	l := newLake(t)
	const file = "table: crm.scores\nsource: %s\nvalidate:\n  rules:\n    - range: {column: score, min: 0, max: 100}\njournal:\n  key: [id]\n  hard_deletes: invalidate\n"
	days := []string{
		`SELECT * FROM (VALUES (1, 'a', 10), (2, 'b', 20)) t(id, name, score)`,
		`SELECT * FROM (VALUES (1, 'a', 11), (2, 'b', 999)) t(id, name, score)`, // 2's row is out of range
	}
	var last *Summary
	for i, d := range days {
		src := l.writeParquet(fmt.Sprintf("sc%d", i+1), d)
		last = l.run(l.pipeline(fmt.Sprintf("sc%d", i+1), fmt.Sprintf(file, src)), day(i+1))
	}
	if last.Quarantined != 1 || *last.Journal != (JournalDiff{Changed: 1, Kept: 1}) {
		t.Errorf("day 2: %d quarantined, journal %+v; want 1 quarantined, 1 changed, 1 kept", last.Quarantined, *last.Journal)
	}
	const q = `SELECT id, name, valid_from, valid_to, is_current, score FROM t ORDER BY id, valid_from`
	want := [][]any{
		version(1, "a", 1, 2, int32(10)),
		version(1, "a", 2, nil, int32(11)),
		version(2, "b", 1, nil, int32(20)), // still current, still 20
	}
	if got := l.rows("crm.scores", 0, q); !reflect.DeepEqual(got, want) {
		t.Errorf("journal:\n got %v\nwant %v", got, want)
	}
}

// partition_by lays the table out by day: several data files, each day's rows in one, and the
// rows read back whole.
func TestPartitionedTable(t *testing.T) {
	l := newLake(t)
	src := l.writeParquet("events", `SELECT i AS id, TIMESTAMP '2024-03-01 00:00:00' + INTERVAL (i % 3) DAY AS at FROM range(30) t(i)`)
	s := l.run(l.pipeline("events", "table: web.events\nsource: "+src+"\nwrite:\n  partition_by: [day(at)]\n"), day(5))
	tb, err := l.cat.Load(context.Background(), "web.events")
	if err != nil {
		t.Fatal(err)
	}
	files, err := tb.Files(context.Background(), s.SnapshotID, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Errorf("%d data files for 3 days: %v", len(files), files)
	}
	got := l.rows("web.events", 0, `SELECT count(*), count(DISTINCT CAST("at" AS DATE)), sum(id) FROM t`)
	if want := [][]any{{int64(30), int64(3), float64(435)}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows: %v, want %v", got, want)
	}
}
