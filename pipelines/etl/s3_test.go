package etl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/decode/decodetest"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/pipelines/objstore/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// put writes an object to S3 (or a local path).
func put(t *testing.T, key string, data []byte) {
	t.Helper()
	store, _, err := objstore.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Put(context.Background(), key, bytes.NewReader(data)); err != nil {
		t.Fatalf("writing %s: %v", key, err)
	}
}

// sourceRow is one row as the test wrote it, the independent answer.
type sourceRow struct {
	id, score int64
	name, tag string
}

// messySource writes a CSV, a gzipped CSV and an NDJSON file under prefix. The NDJSON tag is a
// string on most lines and a bare number on a few, inside the decoder's sample and after it.
func messySource(t *testing.T, prefix string) []sourceRow {
	t.Helper()
	var rows []sourceRow
	csvFile := func(from, to int64) []byte {
		var b strings.Builder
		b.WriteString("id,name,score,tag\n")
		for i := from; i < to; i++ {
			r := sourceRow{i, i * 3, fmt.Sprintf("name %d", i), fmt.Sprintf("c%d", i)}
			rows = append(rows, r)
			fmt.Fprintf(&b, "%d,%s,%d,%s\n", r.id, r.name, r.score, r.tag)
		}
		return []byte(b.String())
	}
	put(t, prefix+"a.csv", csvFile(1, 301))
	put(t, prefix+"b.csv.gz", decodetest.Gzip(t, csvFile(301, 601)))
	var b bytes.Buffer
	for i := int64(601); i <= 2000; i++ {
		r := sourceRow{i, i * 3, fmt.Sprintf("name %d", i), fmt.Sprintf("t%d", i)}
		line := map[string]any{"id": r.id, "name": r.name, "score": r.score, "tag": r.tag}
		switch {
		case i == 700 || i == 1776: // 1776 lies beyond the 1000-line sample
			line["tag"], r.tag = i, fmt.Sprint(i)
		case i%250 == 0:
			line["tag"], r.tag = i*10, fmt.Sprint(i*10)
		}
		rows = append(rows, r)
		json.NewEncoder(&b).Encode(line)
	}
	put(t, prefix+"c.ndjson", b.Bytes())
	return rows
}

func TestS3SourceIntoS3Warehouse(t *testing.T) {
	srv := s3test.Need(t)
	bucket := srv.Bucket(t)
	want := messySource(t, "s3://"+bucket+"/raw/2024-01-02/")

	dir := t.TempDir()
	cfg := catalog.Config{Catalog: "sqlite:" + filepath.Join(dir, "catalog.db"), Warehouse: "s3://" + bucket + "/root"}
	l := openLake(t, dir, cfg)
	p := l.pipeline("events", fmt.Sprintf("table: raw.events\nsource: s3://%s/raw/2024-01-02/\ncleanse:\n  trim: [tag]\n", bucket))
	s := l.run(p, day(2))
	if !s.Published || s.RowsIn != int64(len(want)) || s.RowsOut != int64(len(want)) || s.Quarantined != 0 || s.CleansedAway != 0 {
		t.Fatalf("summary: published %v, rows in %d out %d, quarantined %d (%v), cleansed away %d; want all %d rows published",
			s.Published, s.RowsIn, s.RowsOut, s.Quarantined, s.TopReasons, s.CleansedAway, len(want))
	}

	got := testenv.ReadIceberg(t, filepath.Join(dir, "catalog.db"), cfg.Warehouse, "raw.events", 0)
	if got.Current != s.SnapshotID || len(got.Snapshots) != 1 {
		t.Errorf("pyiceberg sees snapshots %v, current %d; want one, %d", got.Snapshots, got.Current, s.SnapshotID)
	}
	if !reflect.DeepEqual(got.Columns, []string{"id", "name", "score", "tag"}) || !reflect.DeepEqual(got.Types, []string{"long", "string", "long", "string"}) {
		t.Fatalf("pyiceberg sees columns %v of types %v; want id, name, score long, string, long and tag a string", got.Columns, got.Types)
	}
	if len(got.Rows) != len(want) {
		t.Fatalf("pyiceberg reads %d rows, the source has %d", len(got.Rows), len(want))
	}
	for i, w := range want { // both sorted by id
		g := got.Rows[i]
		if fmt.Sprint(g[0]) != fmt.Sprint(w.id) || g[1] != w.name || fmt.Sprint(g[2]) != fmt.Sprint(w.score) || g[3] != w.tag {
			t.Errorf("row %d: pyiceberg reads %v, the source has %+v", i, g, w)
		}
	}
}

// journalLines are a journal's rows as "id|name|score|valid_from|valid_to|is_current", sorted:
// from pyiceberg's JSON (cols names its columns) or from expectedHistory's rows (cols nil).
func journalLines(rows [][]any, cols []string) []string {
	at := func(name string, i int) int {
		for j, c := range cols {
			if c == name {
				return j
			}
		}
		return i
	}
	idx := []int{at("id", 0), at("name", 1), at("score", 2), at(validFrom, 3), at(validTo, 4), at(isCurrent, 5)}
	var out []string
	for _, r := range rows {
		parts := make([]string, len(idx))
		for i, j := range idx {
			switch v := r[j].(type) {
			case nil:
				parts[i] = "NULL"
			case time.Time:
				parts[i] = v.UTC().Format("2006-01-02T15:04:05+00:00")
			default:
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	slices.Sort(out)
	return out
}

func TestSharedPostgresCatalog(t *testing.T) {
	pg := testenv.Postgres(t)
	dir := t.TempDir()
	cfg := catalog.Config{Catalog: pg, Warehouse: filepath.Join(dir, "warehouse")}
	// Two handles, as two machines sharing the catalog would have.
	a, b := openLake(t, dir, cfg), openLake(t, dir, cfg)
	var runs []*Summary
	for i, l := range []*lake{a, b} {
		src := l.writeParquet(fmt.Sprintf("day%d", i+1), customerDays[i])
		runs = append(runs, l.run(l.pipeline(fmt.Sprintf("day%d", i+1), fmt.Sprintf(journalPipeline, src)), day(i+1)))
	}
	if !runs[0].Published || !runs[1].Published || runs[1].BaseSnapshot != runs[0].SnapshotID {
		t.Fatalf("the second handle's run built on %d, want the first's version %d (published %v, %v)", runs[1].BaseSnapshot, runs[0].SnapshotID, runs[0].Published, runs[1].Published)
	}

	got := testenv.ReadIceberg(t, pg, cfg.Warehouse, "crm.customers", 0)
	if !slices.Equal(got.Snapshots, []int64{runs[0].SnapshotID, runs[1].SnapshotID}) || got.Current != runs[1].SnapshotID {
		t.Errorf("pyiceberg on PostgreSQL sees snapshots %v (current %d), want [%d %d]", got.Snapshots, got.Current, runs[0].SnapshotID, runs[1].SnapshotID)
	}
	want := journalLines(expectedHistory(t, customerDays[:2]), nil)
	if g := journalLines(got.Rows, got.Columns); !slices.Equal(g, want) {
		t.Errorf("pyiceberg reads the journal\n%s\nwant\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
	first := testenv.ReadIceberg(t, pg, cfg.Warehouse, "crm.customers", runs[0].SnapshotID)
	if g, w := journalLines(first.Rows, first.Columns), journalLines(expectedHistory(t, customerDays[:1]), nil); !slices.Equal(g, w) {
		t.Errorf("pyiceberg reads the first snapshot\n%s\nwant\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}
