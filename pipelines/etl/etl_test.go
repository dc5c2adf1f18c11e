package etl

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/catalog"
)

// lake is a fresh SQLite catalog over a local warehouse.
type lake struct {
	t   *testing.T
	dir string
	cat *catalog.Catalog
	cfg catalog.Config
}

func newLake(t *testing.T) *lake {
	t.Helper()
	dir := t.TempDir()
	cfg := catalog.Config{Catalog: "sqlite:" + filepath.Join(dir, "catalog.db"), Warehouse: filepath.Join(dir, "warehouse")}
	return openLake(t, dir, cfg)
}

func openLake(t *testing.T, dir string, cfg catalog.Config) *lake {
	t.Helper()
	cat, err := catalog.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	return &lake{t: t, dir: dir, cat: cat, cfg: cfg}
}

// duckSQL runs statements in a throwaway DuckDB.
func duckSQL(t *testing.T, stmts ...string) {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
	}
}

// writeParquet writes the rows of a SELECT to a Parquet file under dir and returns the folder.
func (l *lake) writeParquet(name, selectSQL string) string {
	l.t.Helper()
	folder := filepath.Join(l.dir, "src", name)
	os.MkdirAll(folder, 0o755)
	duckSQL(l.t, fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet)", selectSQL, filepath.Join(folder, "part-0.parquet")))
	return folder
}

// pipeline writes a pipeline file and reads it.
func (l *lake) pipeline(name, yaml string) *Pipeline {
	l.t.Helper()
	path := filepath.Join(l.dir, name+".yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		l.t.Fatal(err)
	}
	p, err := ReadPipeline(path)
	if err != nil {
		l.t.Fatal(err)
	}
	return p
}

func (l *lake) run(p *Pipeline, asOf time.Time) *Summary {
	l.t.Helper()
	s, err := Run(context.Background(), p, l.cat, Options{AsOf: asOf, WorkDir: l.dir})
	if err != nil {
		l.t.Fatalf("run at %s: %v", asOf.Format(time.DateOnly), err)
	}
	return s
}

// rows reads a version of a table through DuckDB over the files the catalog lists for it.
func (l *lake) rows(table string, snapshot int64, query string) [][]any {
	l.t.Helper()
	tb, err := l.cat.Load(context.Background(), table)
	if err != nil {
		l.t.Fatal(err)
	}
	files, err := tb.Files(context.Background(), snapshot, l.t.TempDir())
	if err != nil {
		l.t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		l.t.Fatal(err)
	}
	defer db.Close()
	db.Exec("SET TimeZone = 'UTC'")
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + f + "'"
	}
	if len(files) == 0 {
		return nil
	}
	if _, err := db.Exec(fmt.Sprintf("CREATE VIEW t AS SELECT * FROM read_parquet([%s], hive_partitioning = false)", strings.Join(quoted, ", "))); err != nil {
		l.t.Fatal(err)
	}
	return testenv.Rows(l.t, db, query)
}

func day(d int) time.Time { return time.Date(2024, 1, d, 6, 0, 0, 0, time.UTC) }

// The days of a customers table: edits, a deletion, a return, A -> B -> A, NULL -> value.
var customerDays = []string{
	`SELECT * FROM (VALUES (1, 'A', 10), (2, 'x', 20), (3, 'v', 30), (5, 'z', 50), (6, NULL, 60), (7, 'same', 70)) t(id, name, score)`,
	`SELECT * FROM (VALUES (1, 'B', 10), (3, 'v', 30), (4, 'y', 40), (5, 'z', 50), (6, 'n', 60), (7, 'same', 70)) t(id, name, score)`,
	`SELECT * FROM (VALUES (1, 'A', 10), (2, 'x', 20), (3, 'w', 31), (4, 'y', 40), (6, 'n', 60), (7, 'same', 70)) t(id, name, score)`,
}

const journalPipeline = `table: crm.customers
source: %s
journal:
  key: [id]
  strategy: check
  hard_deletes: invalidate
`

// expectedHistory computes the journal of the days independently, as gaps and islands: a
// version starts on a day the key is present and was absent or different the day before, and
// ends on the first later day it is absent or different.
func expectedHistory(t *testing.T, days []string) [][]any {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Exec("SET TimeZone = 'UTC'")
	var union []string
	for i, d := range days {
		union = append(union, fmt.Sprintf("SELECT %d AS d, * FROM (%s)", i+1, d))
	}
	last := len(days)
	q := fmt.Sprintf(`WITH obs AS (%s),
	keys AS (SELECT DISTINCT id FROM obs),
	grid AS (SELECT k.id, g.d, o.name, o.score, o.id IS NOT NULL AS present
		FROM keys k CROSS JOIN range(1, %d) g(d) LEFT JOIN obs o ON o.id = k.id AND o.d = g.d),
	marked AS (SELECT *, present AND (NOT coalesce(lag(present) OVER w, false)
			OR lag(name) OVER w IS DISTINCT FROM name OR lag(score) OVER w IS DISTINCT FROM score) AS starts
		FROM grid WINDOW w AS (PARTITION BY id ORDER BY d)),
	versions AS (SELECT id, d AS from_day, name, score FROM marked WHERE starts),
	ends AS (SELECT v.id, v.from_day, v.name, v.score,
		(SELECT min(m.d) FROM marked m WHERE m.id = v.id AND m.d > v.from_day AND (NOT m.present OR m.starts)) AS to_day
		FROM versions v)
	SELECT id, name, score,
		make_timestamptz(2024, 1, from_day, 6, 0, 0.0) AS valid_from,
		CASE WHEN to_day IS NULL THEN NULL ELSE make_timestamptz(2024, 1, to_day, 6, 0, 0.0) END AS valid_to,
		to_day IS NULL AS is_current
	FROM ends ORDER BY id, valid_from`, strings.Join(union, " UNION ALL "), last+1)
	return testenv.Rows(t, db, q)
}

const journalQuery = `SELECT id, name, score, valid_from, valid_to, is_current FROM t ORDER BY id, valid_from`

func TestJournalKeepsHistoryAsSQLComputesIt(t *testing.T) {
	l := newLake(t)
	var snaps []int64
	for i, d := range customerDays {
		src := l.writeParquet(fmt.Sprintf("day%d", i+1), d)
		p := l.pipeline(fmt.Sprintf("day%d", i+1), fmt.Sprintf(journalPipeline, src))
		s := l.run(p, day(i+1))
		if !s.Published || s.SnapshotID == 0 {
			t.Fatalf("day %d: not published: %+v", i+1, s)
		}
		snaps = append(snaps, s.SnapshotID)
		want := expectedHistory(t, customerDays[:i+1])
		got := l.rows("crm.customers", s.SnapshotID, journalQuery)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("day %d: journal\n got %v\nwant %v", i+1, got, want)
		}
	}
	// Day 3 against day 2: 1 B->A changed, 2 returns, 3 edited, 4 and 6 and 7 unchanged, 5 gone.
	want := JournalDiff{Changed: 2, Reopened: 1, Closed: 1, Unchanged: 3}
	p := l.pipeline("day3", fmt.Sprintf(journalPipeline, filepath.Join(l.dir, "src", "day3")))
	plan, err := Plan(context.Background(), p, l.cat, Options{AsOf: day(4), WorkDir: l.dir})
	if err != nil {
		t.Fatal(err)
	}
	if *plan.Journal != (JournalDiff{Unchanged: 6}) {
		t.Errorf("the same input again: %+v, want 6 unchanged", *plan.Journal)
	}
	tb, _ := l.cat.Load(context.Background(), "crm.customers")
	if got := tb.Snapshots(); len(got) != 3 || got[2].ID != snaps[2] {
		t.Errorf("a plan changed the versions: %v", got)
	}
	// The third run's own diff, read back from its snapshot's summary.
	snap, err := tb.Snapshot(snaps[2])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(snap.Summary[PropJournal], fmt.Sprintf(`"changed":%d`, want.Changed)) || !strings.Contains(snap.Summary[PropJournal], `"reopened":1`) {
		t.Errorf("day 3's journal diff: %s, want %+v", snap.Summary[PropJournal], want)
	}
}
