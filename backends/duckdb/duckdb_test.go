package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
)

func newBackend(t *testing.T) *Backend {
	t.Helper()
	path := filepath.Join(t.TempDir(), "w.duckdb")
	ctx := context.Background()
	if err := BuildDemo(ctx, path, 5000); err != nil {
		t.Fatal(err)
	}
	b, err := backends.Open(ctx, "duckdb:"+path)
	if err != nil {
		t.Fatal(err)
	}
	return b.(*Backend)
}

func run(t *testing.T, b *Backend, sql string) *query.Result {
	t.Helper()
	res, err := backends.Query(context.Background(), b, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return res
}

func TestTablesAndSchema(t *testing.T) {
	b := newBackend(t)
	ctx := context.Background()
	ts, err := b.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := backends.TableNames(ts); !reflect.DeepEqual(got, []string{"clients", "items", "shipments"}) {
		t.Errorf("tables %v", got)
	}
	for _, tb := range ts {
		if tb.Name == "shipments" && tb.Rows != 5000 {
			t.Errorf("shipments has %d rows", tb.Rows)
		}
	}
	s, err := b.Schema(ctx, "shipments")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]query.Type{"shipped_at": query.TypeTime, "price": query.TypeFloat, "items_kept": query.TypeInt,
		"category": query.TypeString, "is_first_fix": query.TypeBool}
	for name, typ := range want {
		if f, ok := s.Field(name); !ok || f.Type != typ {
			t.Errorf("field %s: %+v, want %s", name, f, typ)
		}
	}
	_, err = b.Schema(ctx, "nope")
	var nt *backends.NoSuchTableError
	if !errors.As(err, &nt) || !errors.Is(err, backends.ErrNoSuchTable) || len(nt.Tables) != 3 {
		t.Errorf("missing table: %v", err)
	}
}

func TestRunMeta(t *testing.T) {
	b := newBackend(t)
	res := run(t, b, "SELECT region, count(*) AS n, sum(items_kept) FROM shipments GROUP BY region HAVING n > 0 ORDER BY n DESC LIMIT 2")
	if len(res.Rows) != 2 || res.Meta.Total != 5000 || res.Meta.Complete {
		t.Fatalf("rows %v meta %+v", res.Rows, res.Meta)
	}
	shown := res.Rows[0][1].(int64) + res.Rows[1][1].(int64)
	if res.Meta.OtherCount != 5000-shown {
		t.Errorf("other %d, want %d", res.Meta.OtherCount, 5000-shown)
	}
	if _, ok := res.Rows[0][2].(int64); !ok {
		t.Errorf("sum of an integer column is %T, want int64", res.Rows[0][2])
	}
	all := run(t, b, "SELECT region, count(*) FROM shipments GROUP BY region")
	if !all.Meta.Complete || all.Meta.OtherCount != 0 || len(all.Rows) != 4 {
		t.Errorf("complete query: %d rows, meta %+v", len(all.Rows), all.Meta)
	}
	if all.Rows[0][0].(string) > all.Rows[1][0].(string) {
		t.Errorf("groups without ORDER BY come in key order: %v", all.Rows)
	}
	raw := run(t, b, "SELECT shipped_at, price FROM shipments ORDER BY shipped_at LIMIT 3")
	if _, ok := raw.Rows[0][0].(time.Time); !ok || len(raw.Rows) != 3 || raw.Columns[1].Type != query.TypeFloat {
		t.Errorf("raw rows %v columns %v", raw.Rows, raw.Columns)
	}
}

func TestSinkPublishesWholeVersions(t *testing.T) {
	b := newBackend(t)
	ctx := context.Background()
	schema := query.Schema{Table: "events", Fields: []query.Field{{Name: "id", Type: query.TypeInt}, {Name: "name", Type: query.TypeString},
		{Name: "at", Type: query.TypeTime}, {Name: "score", Type: query.TypeFloat}, {Name: "ok", Type: query.TypeBool}}}
	write := func(n int, commit bool) {
		k, err := b.Sink(ctx, "events", schema, backends.SinkOptions{Version: "v" + time.Now().Format("150405.000000")})
		if err != nil {
			t.Fatal(err)
		}
		rows := make([]backends.Row, n)
		for i := range rows {
			rows[i] = backends.Row{int64(i), "e", time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC), float64(i) / 2, i%2 == 0}
		}
		if err := k.Write(ctx, rows, nil); err != nil {
			t.Fatal(err)
		}
		// While a load is under way the database stays readable, by this process or another.
		if res := run(t, b, "SELECT count(*) FROM shipments"); res.Rows[0][0] != int64(5000) {
			t.Errorf("reading during a load: %v", res.Rows)
		}
		if commit {
			err = k.Commit(ctx)
		} else {
			err = k.Abort(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	write(10, true)
	if res := run(t, b, "SELECT count(*), sum(score) FROM events"); res.Rows[0][0] != int64(10) || res.Rows[0][1] != 22.5 {
		t.Errorf("first version: %v", res.Rows)
	}
	write(3, false)
	write(4, true)
	if res := run(t, b, "SELECT count(*) FROM events"); res.Rows[0][0] != int64(4) {
		t.Errorf("after an aborted and a committed version: %v", res.Rows)
	}
	ts, _ := b.Tables(ctx)
	if len(ts) != 4 {
		t.Errorf("staging tables are visible: %v", backends.TableNames(ts))
	}
	if leftovers, _ := filepath.Glob(b.Path() + ".load-*"); len(leftovers) > 0 {
		t.Errorf("staging files left behind: %v", leftovers)
	}
}

// Without a LIMIT every group comes back and the rows themselves say how many there are; when
// the row cap cuts them, the answer still says how many rows the cut groups hold.
func TestGroupsWithoutLimitAndTheRowCap(t *testing.T) {
	b := newBackend(t)
	all := run(t, b, "SELECT stylist, count(*) FROM shipments GROUP BY stylist")
	if !all.Meta.Complete || all.Meta.Total != 5000 || all.Meta.OtherCount != 0 || len(all.Rows) < 5 {
		t.Fatalf("uncut: %d rows, meta %+v", len(all.Rows), all.Meta)
	}
	if strings.Contains(all.Meta.Request, "OVER ()") {
		t.Errorf("an answer without LIMIT needs no window columns: %s", all.Meta.Request)
	}
	b.SetMaxRows(3)
	cut := run(t, b, "SELECT stylist, count(*) FROM shipments GROUP BY stylist")
	var shown int64
	for _, r := range cut.Rows {
		shown += r[1].(int64)
	}
	if len(cut.Rows) != 3 || cut.Meta.Complete || cut.Meta.Total != 5000 || cut.Meta.OtherCount != 5000-shown {
		t.Errorf("cut at 3: %d rows, meta %+v, shown %d", len(cut.Rows), cut.Meta, shown)
	}
}

// A schema is read once while the file is unchanged, and again after a write.
func TestSchemaIsReadAgainAfterAWrite(t *testing.T) {
	b := newBackend(t)
	ctx := context.Background()
	if _, err := b.Schema(ctx, "clients"); err != nil {
		t.Fatal(err)
	}
	b.Close()
	db, err := sql.Open("duckdb", b.Path())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("ALTER TABLE clients ADD COLUMN loyalty INTEGER"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := b.Schema(ctx, "clients")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Field("loyalty"); !ok {
		t.Errorf("the new column is missing from %v", s.Names())
	}
	run(t, b, "SELECT loyalty, count(*) FROM clients GROUP BY loyalty")
}
