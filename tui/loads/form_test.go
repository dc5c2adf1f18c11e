package loads

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // reads the loaded file back, outside dora

	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/pipelines/load"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLocationPromptReplacesItsText: the / prompt shows the location listed, and typing a path
// replaces it (it once gave /tmp/x/tmp/x); backspace keeps it to edit.
func TestLocationPromptReplacesItsText(t *testing.T) {
	start, other := t.TempDir(), t.TempDir()
	writeFiles(t, other, map[string]string{"orders.csv": "id\n1\n"})
	b, err := duckdb.OpenToWrite(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h := newHarness(t, b, start, filepath.Join(t.TempDir(), "h.ndjson"))
	h.Until("the start folder", func() bool { return h.m.Location() == start && !h.m.listing })
	h.Keys("/")
	if v := h.m.locInput.Value(); v != start {
		t.Fatalf("the prompt should show the location listed, has %q", v)
	}
	h.Keys(other, "enter")
	h.Until("the folder typed", func() bool { return h.m.Location() == other && !h.m.listing })
	if e := h.m.Entries(); len(e) != 1 || e[0].Name != "orders.csv" {
		t.Fatalf("%s lists %+v", other, e)
	}
	h.Keys("/", "backspace", "enter") // edits the location shown: a folder that does not exist
	h.Until("the error", func() bool { return !h.m.listing && h.m.Err() != nil })
	if scr := h.Screen(); !strings.Contains(scr, "cannot list "+other[:len(other)-1]) {
		t.Fatalf("a listing that fails should say so:\n%s", scr)
	}
}

// TestAutoFormatLeavesOutFilesOfNoDataFormat: n on a folder of CSV beside Go and YAML files
// previews the CSV's mapping only and names the files left out; a folder of only Go and YAML
// files is an error that says so, not a CSV mapping inferred from Go source.
func TestAutoFormatLeavesOutFilesOfNoDataFormat(t *testing.T) {
	dir := t.TempDir()
	mixed, code := filepath.Join(dir, "mixed"), filepath.Join(dir, "code")
	for _, d := range []string{mixed, code} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	goSrc := "// Package dashboards draws.\npackage dashboards\n\nvar x string\n"
	writeFiles(t, mixed, map[string]string{"orders.csv": "order_id,amount\n1,2.5\n2,3.5\n", "main.go": goSrc, "ci.yaml": "on: push\n"})
	writeFiles(t, code, map[string]string{"main.go": goSrc, "ci.yaml": "on: push\n"})
	b, err := duckdb.OpenToWrite(context.Background(), filepath.Join(dir, "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h := newHarness(t, b, dir, filepath.Join(dir, "h.ndjson"))
	h.Until("the folder", func() bool { return len(h.m.Entries()) == 2 })
	h.selectEntry("mixed/")
	h.Keys("n")
	h.Until("the preview", func() bool { p, err := h.m.Plan(); return p != nil || err != nil })
	p, err := h.m.Plan()
	if err != nil || len(p.Objects) != 1 || len(p.Schema.Fields) != 2 || len(p.LeftOut) != 2 {
		t.Fatalf("preview %+v, %v", p, err)
	}
	if scr := h.Screen(); !strings.Contains(scr, "left out, not data files: ci.yaml, main.go") {
		t.Fatalf("the preview should name the files left out:\n%s", scr)
	}
	h.Keys("esc", "up")
	h.Keys("n")
	h.Until("the preview", func() bool { p, err := h.m.Plan(); return p != nil || err != nil })
	if _, err := h.m.Plan(); err == nil || !strings.Contains(err.Error(), "holds no Parquet, CSV or NDJSON files (left out ci.yaml, main.go)") {
		t.Fatalf("a folder of code should be an error, got %v", err)
	}
}

// TestTypeOverrideInTheForm: the mapping is the form's last stop, where space changes the type
// of the column under the cursor; the load writes that type, as DuckDB itself reports it.
func TestTypeOverrideInTheForm(t *testing.T) {
	h, b, wh := zipsFormOnTheMapping(t)
	for h.m.typeOf(h.m.plan.Schema.Fields[0]) != "string" {
		h.Keys("space")
	}
	if scr := h.Screen(); !strings.Contains(scr, "zip string*") {
		t.Fatalf("the mapping should show the type set:\n%s", scr)
	}
	h.Keys("enter")
	h.Until("the load to finish", func() bool { return h.m.Current() != nil && h.m.Current().Done })
	if r := h.m.Current(); r.Err != nil || r.Summary.Indexed != 2 || r.Opts.Types["zip"] != "string" {
		t.Fatalf("the load: %+v %v %v", r.Summary, r.Err, r.Opts.Types)
	}
	b.Close()
	if typ, zip := zipAsDuckDBReadsIt(t, wh); typ != "VARCHAR" || zip != "2134" {
		t.Errorf("zip is %s holding %q; want VARCHAR holding 2134", typ, zip)
	}
}

// TestInternalLoadsStayOutOfTheHistory: a load marked NoHistory (the ETL screen's exports)
// writes no line in the history the Loads screen lists.
func TestInternalLoadsStayOutOfTheHistory(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.csv": "x\n1\n"})
	b, err := duckdb.OpenToWrite(context.Background(), filepath.Join(dir, "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	history := filepath.Join(dir, "h.ndjson")
	for _, internal := range []bool{true, false} {
		if _, err := load.Run(context.Background(), b, load.Options{Source: filepath.Join(dir, "a.csv"), Table: "a", History: history,
			NoHistory: internal, Checkpoint: filepath.Join(dir, "cp.json")}); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := load.History(context.Background(), history)
	if err != nil || len(recs) != 1 {
		t.Fatalf("history holds %d loads (%v), want the one not internal", len(recs), err)
	}
}

// TestTypeTypedInTheMapping: on the mapping, letters type the column's type as dora load --type
// reads it; a word that is no type is marked and start refuses it, ⌫ takes it back, and a word
// that is one (keyword) sets it, shown as the flag the CLI takes; DuckDB reads the column loaded
// as text.
func TestTypeTypedInTheMapping(t *testing.T) {
	h, b, wh := zipsFormOnTheMapping(t)
	h.Keys("money")
	if scr := h.Screen(); !strings.Contains(scr, "zip money▏") || !strings.Contains(scr, `type "money" is not one of`) {
		t.Fatalf("a word that is no type should show, marked:\n%s", scr)
	}
	h.Keys("enter")
	if h.m.Current() != nil {
		t.Fatal("start should refuse a type that is not one")
	}
	for range "money" {
		h.Keys("backspace")
	}
	h.Keys("keyword")
	if scr := h.Screen(); !strings.Contains(scr, "dora load --type zip=string") || strings.Contains(scr, "is not one of") {
		t.Fatalf("keyword should set zip to string, shown as the CLI's flag:\n%s", scr)
	}
	h.Keys("enter")
	h.Until("the load to finish", func() bool { return h.m.Current() != nil && h.m.Current().Done })
	if r := h.m.Current(); r.Err != nil || r.Summary.Indexed != 2 || len(r.Opts.Types) != 1 || r.Opts.Types["zip"] != "string" {
		t.Fatalf("the load: %+v %v %v", r.Summary, r.Err, r.Opts.Types)
	}
	b.Close()
	if typ, _ := zipAsDuckDBReadsIt(t, wh); typ != "VARCHAR" {
		t.Errorf("zip is %s, want VARCHAR", typ)
	}
}

// zipsFormOnTheMapping opens the form for a CSV of zip codes and amounts into a new DuckDB file
// (wh, written through b) and moves to its mapping, zip (inferred int) under the cursor.
func zipsFormOnTheMapping(t *testing.T) (h *harness, b *duckdb.Backend, wh string) {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"zips.csv": "zip,amount\n2134,2.5\n10001,3\n"})
	wh = filepath.Join(t.TempDir(), "w.duckdb")
	b, err := duckdb.OpenToWrite(context.Background(), wh)
	if err != nil {
		t.Fatal(err)
	}
	h = newHarness(t, b, dir, filepath.Join(t.TempDir(), "h.ndjson"))
	h.Until("the folder", func() bool { return len(h.m.Entries()) == 1 })
	h.Keys("n")
	h.Until("the preview", func() bool { p, err := h.m.Plan(); return p != nil || err != nil })
	if p, _ := h.m.Plan(); p == nil || p.Schema.Fields[0].Type != "int" {
		t.Fatalf("zip should be inferred as int first: %+v", p)
	}
	h.Keys("tab", "tab", "tab", "tab") // ids, workers, format, the mapping
	return h, b, wh
}

// zipAsDuckDBReadsIt is the type of the loaded zip column and its value on the cheaper row, as
// DuckDB reads the file, outside dora.
func zipAsDuckDBReadsIt(t *testing.T, wh string) (typ, zip string) {
	t.Helper()
	db, err := sql.Open("duckdb", wh+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT data_type FROM information_schema.columns WHERE table_name = 'zips' AND column_name = 'zip'`).Scan(&typ); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT zip FROM zips ORDER BY amount LIMIT 1`).Scan(&zip); err != nil {
		t.Fatal(err)
	}
	return typ, zip
}
