package testenv

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPyIcebergImports(t *testing.T) {
	py := PyIceberg(t)
	out, err := exec.Command(py, "-c", "import pyiceberg, pyiceberg.catalog.sql, pyarrow, psycopg2, s3fs; print(pyiceberg.__version__)").CombinedOutput()
	if err != nil {
		t.Fatalf("the pyiceberg venv does not import what the tests use: %v\n%s", err, out)
	}
	if v := strings.TrimSpace(string(out)); !strings.HasPrefix(v, "0.12.") {
		t.Fatalf("pyiceberg %s, want 0.12.x", v)
	}
}

func TestReadIcebergMissingTable(t *testing.T) {
	dir := t.TempDir()
	_, err := TryReadIceberg(t, filepath.Join(dir, "catalog.db"), filepath.Join(dir, "warehouse"), "ns.missing", 0)
	if err == nil || !strings.Contains(err.Error(), "no such table ns.missing") {
		t.Fatalf("reading a table a fresh catalog lacks: %v, want a 'no such table ns.missing' error", err)
	}
}

// writeWithPyIceberg makes ns.t in the catalog at uri (a SQLAlchemy URL) with two commits, through
// pyiceberg itself, and returns the ids of its snapshots. It stands in for dora's writer here.
func writeWithPyIceberg(t *testing.T, uri, warehouse string) []int64 {
	t.Helper()
	const script = `
import json, sys, pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
c = SqlCatalog("dora", uri=sys.argv[1], warehouse=sys.argv[2])
c.create_namespace("ns")
s = pa.schema([("id", pa.int64()), ("name", pa.string())])
t = c.create_table("ns.t", schema=s)
t.append(pa.table({"id": [9007199254740993, 1], "name": ["big", "one"]}, schema=s))
t.append(pa.table({"id": [2], "name": [None]}, schema=s))
print(json.dumps([x.snapshot_id for x in t.metadata.snapshots]))
`
	out, err := exec.Command(PyIceberg(t), "-c", script, uri, warehouse).Output()
	if err != nil {
		t.Fatalf("writing ns.t with pyiceberg: %v\n%s", err, errOutput(err))
	}
	var ids []int64
	if err := json.Unmarshal(out, &ids); err != nil || len(ids) != 2 {
		t.Fatalf("pyiceberg printed %q", out)
	}
	return ids
}

func errOutput(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

func TestReadIceberg(t *testing.T) {
	check := func(t *testing.T, catalogURI, warehouse string, ids []int64) {
		r := ReadIceberg(t, catalogURI, warehouse, "ns.t", 0)
		if !reflect.DeepEqual(r.Snapshots, ids) || r.Current != ids[1] || r.Snapshot != ids[1] {
			t.Fatalf("snapshots %v current %d read %d, want %v and the last", r.Snapshots, r.Current, r.Snapshot, ids)
		}
		if !reflect.DeepEqual(r.Columns, []string{"id", "name"}) || !reflect.DeepEqual(r.Types, []string{"long", "string"}) {
			t.Fatalf("columns %v types %v", r.Columns, r.Types)
		}
		want := [][]any{{json.Number("1"), "one"}, {json.Number("2"), nil}, {json.Number("9007199254740993"), "big"}}
		if !reflect.DeepEqual(r.Rows, want) {
			t.Fatalf("rows %v, want %v", r.Rows, want)
		}
		first := ReadIceberg(t, catalogURI, warehouse, "ns.t", ids[0])
		if first.Snapshot != ids[0] || len(first.Rows) != 2 {
			t.Fatalf("at the first snapshot: read %d, rows %v", first.Snapshot, first.Rows)
		}
		if _, err := TryReadIceberg(t, catalogURI, warehouse, "ns.t", 42); err == nil || !strings.Contains(err.Error(), "no snapshot 42") {
			t.Fatalf("reading snapshot 42: %v", err)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		db, wh := filepath.Join(dir, "catalog.db"), filepath.Join(dir, "warehouse")
		ids := writeWithPyIceberg(t, "sqlite:///"+db, "file://"+wh)
		check(t, db, wh, ids)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		PyIceberg(t)
		u := Postgres(t)
		wh := filepath.Join(t.TempDir(), "warehouse")
		ids := writeWithPyIceberg(t, "postgresql+psycopg2://"+strings.TrimPrefix(u, "postgres://"), "file://"+wh)
		check(t, u, wh, ids)
	})
}
