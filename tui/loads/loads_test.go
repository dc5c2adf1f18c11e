package loads

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/pipelines/decode/decodetest"
	"github.com/dora-dev/dora/pipelines/load"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/pipelines/objstore/s3test"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/format"
	"github.com/dora-dev/dora/tui/screen"
	"github.com/dora-dev/dora/tui/screen/screentest"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// harness drives the screen as Bubble Tea would: commands run in goroutines and their messages
// come back through Update. Ticks are dropped: the test reads the history when it wants.
type harness struct {
	*screentest.Driver
	t        *testing.T
	m        *Model
	statuses []string // the header's status at each progress message of a load in flight
}

func newHarness(t *testing.T, b backends.Backend, start, history string) *harness {
	t.Helper()
	h := &harness{t: t}
	h.Driver = screentest.New(t, screentest.Options{Deadline: 30 * time.Second,
		Drop: func(msg tea.Msg) bool { _, ok := msg.(tickMsg); return ok },
		After: func(msg tea.Msg) {
			if _, ok := msg.(progressMsg); ok && h.m.Running() {
				h.statuses = append(h.statuses, h.m.Status())
			}
		}})
	h.m = New(common.New(h.Ctx, b, true), Options{Start: start, History: history, DeadLetterDir: t.TempDir(), Poll: time.Hour})
	h.m.SetSize(100, 30)
	h.Start(h.m)
	return h
}

// selectEntry moves the cursor onto the entry named name.
func (h *harness) selectEntry(name string) {
	h.t.Helper()
	for i, e := range h.m.Entries() {
		if e.Name == name {
			for h.m.at < i {
				h.Keys("down")
			}
			return
		}
	}
	h.t.Fatalf("no entry %s in %s:\n%s", name, h.m.Location(), h.Screen())
}

// ordersCSV is rows order_id,region,amount from..from+n-1.
func ordersCSV(from, n int) []byte {
	var b bytes.Buffer
	b.WriteString("order_id,region,amount\n")
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "%d,%s,%g\n", i, []string{"West", "South", "East"}[i%3], float64(i%400)/4)
	}
	return b.Bytes()
}

type orderRow struct {
	ID     int64   `parquet:"order_id"`
	Region string  `parquet:"region"`
	Amount float64 `parquet:"amount"`
}

// warehouse is a bucket holding sales/orders/ (two CSV files and a Parquet file, 30,000 rows)
// and sales/notes.csv.
func warehouse(t *testing.T) (bucket string, size int64) {
	t.Helper()
	srv := s3test.Need(t)
	bucket = srv.Bucket(t)
	st, _, err := objstore.Open(context.Background(), "s3://"+bucket+"/")
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]orderRow, 10000)
	for i := range rows {
		id := int64(20001 + i)
		rows[i] = orderRow{ID: id, Region: []string{"West", "South", "East"}[id%3], Amount: float64(id%400) / 4}
	}
	files := map[string][]byte{
		"sales/orders/a.csv":     ordersCSV(1, 10000),
		"sales/orders/b.csv":     ordersCSV(10001, 10000),
		"sales/orders/c.parquet": decodetest.Parquet(t, rows, 2000),
		"sales/notes.csv":        []byte("note\nhello\n"),
	}
	for k, data := range files {
		if err := st.Put(context.Background(), "s3://"+bucket+"/"+k, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(k, "sales/orders/") {
			size += int64(len(data))
		}
	}
	return bucket, size
}

func count(t *testing.T, b backends.Backend, table string) any {
	t.Helper()
	res, err := backends.Query(context.Background(), b, "SELECT count(*) FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	return res.Rows[0][0]
}

// Browse a real bucket, start a load of a prefix from the form into a DuckDB file, watch its
// progress and reconciliation, find it in the history beside a load run as dora load runs it,
// and open the table.
func TestBrowseLoadReconcileAndHistory(t *testing.T) {
	bucket, size := warehouse(t)
	dir := t.TempDir()
	b, err := duckdb.OpenToWrite(context.Background(), filepath.Join(dir, "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	history := filepath.Join(dir, "history.ndjson")
	h := newHarness(t, b, "s3://", history)

	h.Until("the buckets", func() bool { return len(h.m.Entries()) > 0 })
	h.selectEntry(bucket + "/")
	h.Keys("enter")
	h.Until("the bucket's folders", func() bool { return h.m.Location() == "s3://"+bucket+"/" })
	if e := h.m.Entries(); len(e) != 1 || e[0].Name != "sales/" || e[0].Objects != 4 {
		t.Fatalf("the bucket lists %+v", e)
	}
	h.Keys("enter")
	h.Until("sales/", func() bool { return h.m.Location() == "s3://"+bucket+"/sales/" })
	e := h.m.Entries()
	if len(e) != 2 || e[0].Name != "orders/" || !e[0].Dir || e[0].Objects != 3 || e[0].Size != size || e[1].Name != "notes.csv" || e[1].Dir {
		t.Fatalf("sales/ lists %+v", e)
	}
	if scr := h.Screen(); !strings.Contains(scr, "orders/") || !strings.Contains(scr, "3 files  "+Bytes(size)) {
		t.Fatalf("the listing should show counts and sizes:\n%s", scr)
	}

	// The form, defaulted from the prefix, and the preview of the inferred mapping.
	h.Keys("n")
	if !h.m.InputFocused() || h.m.value(fieldSource) != "s3://"+bucket+"/sales/orders/" || h.m.value(fieldTable) != "orders" {
		t.Fatalf("the form: source %q table %q", h.m.value(fieldSource), h.m.value(fieldTable))
	}
	h.Until("the preview", func() bool { p, err := h.m.Plan(); return p != nil || err != nil })
	p, err := h.m.Plan()
	if err != nil || len(p.Objects) != 3 || len(p.Schema.Fields) != 3 {
		t.Fatalf("preview %+v, %v", p, err)
	}
	if scr := h.Screen(); !strings.Contains(scr, "3 files") || !strings.Contains(scr, "order_id int") || !strings.Contains(scr, "region") {
		t.Fatalf("the preview should show the mapping:\n%s", scr)
	}
	h.Keys("tab", "order_id", "tab", "backspace", "1") // id columns, then one worker
	h.Keys("enter")
	h.Until("the load to finish", func() bool { return h.m.Current() != nil && h.m.Current().Done })
	r := h.m.Current()
	if r.Err != nil || r.Summary.RowsRead != 30000 || r.Summary.Indexed != 30000 || !r.Summary.Published {
		t.Fatalf("the load: %+v %v", r.Summary, r.Err)
	}
	if len(h.statuses) == 0 || !strings.HasPrefix(h.statuses[0], "loading") {
		t.Errorf("the header should have shown the progress, got %q", h.statuses)
	}
	if h.m.Status() != "" {
		t.Errorf("status after the load: %q", h.m.Status())
	}
	scr := h.Screen()
	want := fmt.Sprintf("rows read %s = indexed %s + dead-lettered 0  ✓ reconciles", format.Int(30000), format.Int(30000))
	if !strings.Contains(scr, want) || !strings.Contains(scr, "published as orders") {
		t.Fatalf("the reconciliation should show %q:\n%s", want, scr)
	}
	if n := count(t, b, "orders"); n != int64(30000) {
		t.Errorf("orders holds %v rows", n)
	}

	// o opens the table in the explorer, on the backend open now.
	h.Keys("o")
	h.Until("the open request", func() bool { return len(h.Opened) == 1 })
	if h.Opened[0] != (screen.Open{Table: "orders"}) {
		t.Errorf("opened %+v", h.Opened[0])
	}

	// A load run as dora load runs it shows in the history beside the screen's.
	if _, err := load.Run(context.Background(), b, load.Options{Source: "s3://" + bucket + "/sales/notes.csv", Table: "notes",
		History: history, DeadLetter: filepath.Join(dir, "notes.dead.ndjson"), Checkpoint: filepath.Join(dir, "cp.json")}); err != nil {
		t.Fatal(err)
	}
	h.Keys("esc")
	_, cmd := h.m.Update(tickMsg{}) // the poll
	h.Run(cmd)
	// The history is read again every tick too, so one read may have caught notes still running.
	h.Until("both loads in the history, finished", func() bool {
		r := h.m.History()
		if len(r) == 2 && r[0].Status != load.StatusSucceeded {
			_, cmd := h.m.Update(tickMsg{})
			h.Run(cmd)
		}
		return len(r) == 2 && r[0].Status == load.StatusSucceeded
	})
	recs := h.m.History()
	if recs[0].Table != "notes" || recs[1].Table != "orders" || recs[1].Status != load.StatusSucceeded || recs[1].Indexed != 30000 {
		t.Fatalf("history %+v", recs)
	}
	if scr := h.Screen(); !strings.Contains(scr, "✓ notes ← s3://"+bucket+"/sales/notes.csv") || !strings.Contains(scr, "✓ orders ←") {
		t.Fatalf("the history should list both loads:\n%s", scr)
	}
	h.Keys("tab", "down", "enter")
	h.Until("the history's open request", func() bool { return len(h.Opened) == 2 })
	if h.Opened[1] != (screen.Open{Table: "orders"}) {
		t.Errorf("opened %+v", h.Opened[1])
	}
}

// A location that does not exist says so in words and the screen stays usable.
func TestMissingBucketSaysSo(t *testing.T) {
	s3test.Need(t)
	b, err := duckdb.OpenToWrite(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, b, "s3://no-such-bucket-dora/", filepath.Join(t.TempDir(), "h.ndjson"))
	h.Until("the error", func() bool { return h.m.Err() != nil })
	if scr := h.Screen(); !strings.Contains(scr, "does not exist") {
		t.Fatalf("the error should be worded:\n%s", scr)
	}
	h.Keys("/")
	for range len("no-such-bucket-dora/") {
		h.Keys("backspace")
	}
	h.Keys("enter")
	h.Until("the buckets", func() bool { return h.m.Location() == "s3://" && h.m.Err() == nil })
}

// The listing follows the folder: a file written after the screen listed it shows at the next
// tick, with the cursor staying on its entry; a Changed from another screen reads the history.
func TestTheListingFollowsTheFolder(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "b.csv"), ordersCSV(1, 3), 0o644)
	b, err := duckdb.OpenToWrite(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, b, dir, filepath.Join(t.TempDir(), "history.ndjson"))
	h.m.Focus()
	h.Until("the folder", func() bool { return len(h.m.Entries()) == 1 })
	os.WriteFile(filepath.Join(dir, "a.csv"), ordersCSV(1, 3), 0o644)
	os.WriteFile(filepath.Join(dir, "c.csv"), ordersCSV(1, 3), 0o644)
	h.Until("the new files", func() bool {
		_, cmd := h.m.Update(tickMsg{})
		h.Run(cmd)
		return len(h.m.Entries()) == 3
	})
	if e := h.m.selected(); e == nil || e.Name != "b.csv" {
		t.Errorf("the cursor left its file: %+v", e)
	}
	if !strings.Contains(h.Screen(), "a.csv") {
		t.Errorf("the new file does not show:\n%s", h.Screen())
	}
	if _, cmd := h.m.Update(screen.Changed{What: "a load"}); cmd == nil && !h.m.reading {
		t.Errorf("a Changed should read the history again")
	}
}
