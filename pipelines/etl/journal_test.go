package etl

import (
	"fmt"
	"reflect"
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
		`SELECT * FROM (VALUES (1, 'a', 10), (3, 'v', 30)) t(id, name, score)`,              // 2 deleted
		`SELECT * FROM (VALUES (1, 'a', 10), (3, 'v', 30)) t(id, name, score)`,              // still gone
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
