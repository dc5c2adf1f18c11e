package views

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dora-dev/dora/internal/golden"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func load(t *testing.T, text string) *File {
	t.Helper()
	f, err := Parse("views.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func text(t *testing.T, f *File) string {
	t.Helper()
	b, err := f.Bytes()
	must(t, err)
	return string(b)
}

// A file read and written without edits comes back as it was, but for a comment's spacing.
func TestUnchangedFileRoundTrips(t *testing.T) {
	src, err := os.ReadFile("testdata/edit.yaml")
	must(t, err)
	f, err := Parse("views.yaml", src)
	must(t, err)
	want := strings.NewReplacer("weekly-revenue   #", "weekly-revenue #", "local   #", "local #").Replace(string(src))
	if got := text(t, f); got != want {
		t.Errorf("unchanged file:\n--- got\n%s--- want\n%s", got, want)
	}
	names := strings.Join(f.Names(), ",")
	if names != "weekly-revenue,kept-by-region,total,stylists" {
		t.Errorf("names %s", names)
	}
	v, _ := f.Get("stylists")
	if !strings.HasPrefix(v.SQL, "SELECT stylist, avg(rating) FROM shipments\nGROUP BY") {
		t.Errorf("a block scalar's SQL: %q", v.SQL)
	}
}

// Replacing, adding and removing views keeps every other line, comment and the order.
func TestEditsKeepCommentsAndOrder(t *testing.T) {
	src, err := os.ReadFile("testdata/edit.yaml")
	must(t, err)
	f, err := Parse("views.yaml", src)
	must(t, err)
	// in place, with a new option; the trailing comment on backend stays
	must(t, f.Put(View{Name: "kept-by-region", SQL: "SELECT region, sum(items_kept), count(*) FROM shipments GROUP BY region",
		Chart: "bars", Metric: "count(*)", Backend: "local"}))
	// a flow mapping stays on its line; the chart goes when the view has none
	must(t, f.Put(View{Name: "total", SQL: "SELECT count(*) FROM shipments WHERE region = 'West'"}))
	// a block scalar given one line becomes a plain value
	must(t, f.Put(View{Name: "stylists", SQL: "SELECT stylist, avg(rating) FROM shipments GROUP BY stylist", Chart: "bars"}))
	// a new view goes last, set apart by a blank line as the others are; credentials are dropped
	must(t, f.Put(View{Name: "notes: West", SQL: "SELECT category, count(*) FROM shipments WHERE notes = 'a: b #c' GROUP BY category",
		Chart: "bars", Backend: "https://dora:secret@es.internal:9200"}))
	must(t, f.Remove("weekly-revenue"))
	got := text(t, f)
	golden.CheckFile(t, "edit.golden", got)
	if strings.Contains(got, "secret") {
		t.Error("a credential was written")
	}
	again, err := Parse("views.yaml", []byte(got))
	must(t, err)
	want := []View{
		{Name: "kept-by-region", SQL: "SELECT region, sum(items_kept), count(*) FROM shipments GROUP BY region", Chart: "bars", Metric: "count(*)", Backend: "local"},
		{Name: "total", SQL: "SELECT count(*) FROM shipments WHERE region = 'West'"},
		{Name: "stylists", SQL: "SELECT stylist, avg(rating) FROM shipments GROUP BY stylist", Chart: "bars"},
		{Name: "notes: West", SQL: "SELECT category, count(*) FROM shipments WHERE notes = 'a: b #c' GROUP BY category", Chart: "bars", Backend: "https://es.internal:9200"},
	}
	list := again.List()
	if len(list) != len(want) {
		t.Fatalf("read back %d views: %+v", len(list), list)
	}
	for i := range want {
		if list[i] != want[i] {
			t.Errorf("view %d read back as %+v, want %+v", i, list[i], want[i])
		}
	}
}

// Values YAML would read as something else, or that need quotes, read back as written.
func TestAwkwardValuesRoundTrip(t *testing.T) {
	f := load(t, "")
	vs := []View{
		{Name: "true", SQL: "SELECT * FROM shipments"},
		{Name: "2024", SQL: `SELECT "user.name", count(*) FROM logs WHERE msg = 'it''s: "quoted" # not a comment' GROUP BY 1`},
		{Name: "- dash", SQL: "SELECT count(*) FROM shipments WHERE region IN ('West', 'East')", Chart: "number"},
		{Name: "ünïcode ✓", SQL: "SELECT category, count(*) FROM shipments GROUP BY category", Chart: "stacked bars"},
	}
	for _, v := range vs {
		must(t, f.Put(v))
	}
	again := load(t, text(t, f))
	for i, v := range again.List() {
		if v != vs[i] {
			t.Errorf("read back %+v, want %+v", v, vs[i])
		}
	}
}

func TestNewFiles(t *testing.T) {
	v := View{Name: "top", SQL: "SELECT category, count(*) FROM shipments GROUP BY category", Chart: "bars"}
	for _, c := range []struct{ name, src, want string }{
		{"missing or empty", "", header + "views:\n  - name: top\n    sql: SELECT category, count(*) FROM shipments GROUP BY category\n    chart: bars\n"},
		{"only comments", "# mine\n\n# all mine\n", "# mine\n\n# all mine\nviews:\n  - name: top\n    sql: SELECT category, count(*) FROM shipments GROUP BY category\n    chart: bars\n"},
		{"an empty list", "# head\nviews: # none yet\n", "# head\nviews: # none yet\n  - name: top\n    sql: SELECT category, count(*) FROM shipments GROUP BY category\n    chart: bars\n"},
		{"an empty flow list", "views: []\n", "views: [{name: top, sql: \"SELECT category, count(*) FROM shipments GROUP BY category\", chart: bars}]\n"},
		{"indented by four", "views:\n    - name: a\n      sql: SELECT * FROM t\n", "views:\n    - name: a\n      sql: SELECT * FROM t\n    - name: top\n      sql: SELECT category, count(*) FROM shipments GROUP BY category\n      chart: bars\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := load(t, c.src)
			must(t, f.Put(v))
			if got := text(t, f); got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

// Removing keeps the comments that belong to other views, and the file's shape.
func TestRemove(t *testing.T) {
	f := load(t, "views:\n  - name: a\n    sql: SELECT * FROM t\n  # about b\n  - name: b # bee\n    sql: SELECT * FROM t\n\n  - name: c\n    sql: SELECT * FROM t\n# end\n")
	must(t, f.Remove("c"))
	must(t, f.Remove("a"))
	if got, want := text(t, f), "views:\n  # about b\n  - name: b # bee\n    sql: SELECT * FROM t\n# end\n"; got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	err := f.Remove("bb")
	var nf *NotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), `no saved view named "bb" in views.yaml; did you mean "b"?`) {
		t.Errorf("unknown name: %v", err)
	}
	must(t, f.Remove("b"))
	if got := text(t, f); got != "views: []\n# end\n" {
		t.Errorf("all removed: %q", got)
	}
	if _, err := f.Find("b"); err == nil || !strings.Contains(err.Error(), "none is saved yet") {
		t.Errorf("find in an empty file: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"bad indentation", "views:\n  - name: a\n   sql: SELECT * FROM t\n",
			"views.yaml:3:4: did not find expected '-' indicator\n     sql: SELECT * FROM t\n     ^"},
		{"a tab", "views:\n  - name: a\n\tsql: SELECT * FROM t\n",
			"views.yaml:3:1: found a tab character that violates indentation"},
		{"an unclosed quote", "views:\n  - name: a\n    sql: \"SELECT * FROM t\n  - name: b\n    sql: SELECT 1\n",
			"views.yaml:3:10: this quote is never closed"},
		{"a list item after a mapping", "views:\n  - name: a\n    sql: SELECT * FROM t\n- name: b\n",
			"views.yaml:4:1: "},
		{"a backtick", "views:\n  - name: `a`\n", "views.yaml:2:11: found character that cannot start any token"},
		{"two colons", "views:\n  - name: a\n    sql: SELECT * FROM t\n    chart: bars: x\n",
			"views.yaml:4:16: mapping values are not allowed in this context"},
		{"an unknown top key", "views: []\nvewis: []\n", `views.yaml:2:1: unknown key "vewis": a views file has only views:`},
		{"an unknown view key", "views:\n  - name: a\n    sql: SELECT * FROM t\n    chrat: bars\n",
			"views.yaml:4:5: unknown key \"chrat\" in a view; did you mean \"chart\"?\n      chrat: bars\n      ^"},
		{"no name", "views:\n  - sql: SELECT * FROM t\n", "views.yaml:2:5: a view needs a name:"},
		{"no sql", "views:\n  - name: a\n", `views.yaml:2:5: view "a" needs sql:`},
		{"twice", "views:\n  - {name: a, sql: SELECT a FROM t}\n  - {name: a, sql: SELECT b FROM t}\n", `views.yaml:3:5: view "a" is saved twice (first on line 2)`},
		{"a list for sql", "views:\n  - name: a\n    sql: [SELECT]\n", "views.yaml:3:10: sql: is text, not a list or a mapping"},
		{"bad SQL, plain", "views:\n  - name: weekly\n    sql: SELECT region, FROM shipments\n",
			"views.yaml:3:25: view \"weekly\": "},
		{"bad SQL, quoted", "views:\n  - {name: q, sql: \"SELECT * FROM t WHERE\"}\n",
			"views.yaml:2:42: view \"q\": "},
		{"bad SQL, block", "views:\n  - name: b\n    sql: |\n      SELECT *\n      FROM\n", "views.yaml:3:10: view \"b\": "},
		{"unknown chart", "views:\n  - name: a\n    sql: SELECT * FROM t\n    chart: bar\n", `views.yaml:4:12: view "a": unknown chart "bar"; did you mean "bars"?`},
		{"credentials", "views:\n  - name: a\n    sql: SELECT * FROM t\n    backend: https://u:p@h:9200\n", `views.yaml:4:14: view "a": backend: holds credentials`},
		{"not a mapping", "- a\n", "views.yaml:1:1: a views file is a mapping with one key, views: a list of views"},
		{"views not a list", "views: top\n", "views.yaml:1:8: views: is a list of views"},
		{"a view not a mapping", "views:\n  - top\n", "views.yaml:2:5: a view is a mapping with a name and sql"},
		{"an alias", "views:\n  - &x {name: a, sql: SELECT a FROM t}\n  - *x\n", "views.yaml:2:5: anchors and aliases are not supported"},
		{"two documents", "views: []\n---\nviews: []\n", "views.yaml:2:1: a views file holds one YAML document"},
		{"a name with spaces around", "views:\n  - {name: ' a', sql: SELECT a FROM t}\n", `views.yaml:2:12: view name " a" starts or ends with a space`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("views.yaml", []byte(c.src))
			if err == nil {
				t.Fatal("no error")
			}
			var ve *Error
			if !errors.As(err, &ve) {
				t.Fatalf("%T is not a *views.Error: %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("got:\n%s\nwant it to start:\n%s", err, c.want)
			}
		})
	}
}

// A SQL error inside the file carries the parser's words and a caret under the very spot.
func TestSQLErrorPointsIntoTheFile(t *testing.T) {
	_, err := Parse("v.yaml", []byte("views:\n  - name: weekly\n    sql: SELECT region, count(*) FROM shipments GROUP BY\n"))
	want := "v.yaml:3:57: view \"weekly\": "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v, want %s…", err, want)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 || strings.Index(lines[2], "^") != strings.Index(lines[1], "BY")+2 {
		t.Errorf("the caret should stand just after GROUP BY:\n%s", err)
	}
}

func TestPutRefusesBadViews(t *testing.T) {
	f := load(t, "")
	for _, v := range []View{
		{Name: "", SQL: "SELECT * FROM t"},
		{Name: "a", SQL: "SELECT FROM"},
		{Name: "a", SQL: "SELECT * FROM t", Chart: "pie"},
		{Name: "a\nb", SQL: "SELECT * FROM t"},
	} {
		if err := f.Put(v); err == nil {
			t.Errorf("Put(%+v) should fail", v)
		}
	}
	if len(f.List()) != 0 {
		t.Errorf("a refused view was kept: %+v", f.List())
	}
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dora", "views.yaml")
	f, err := Load(path) // missing: empty
	must(t, err)
	must(t, f.Put(View{Name: "a", SQL: "SELECT * FROM t"}))
	must(t, f.Save())
	fi, err := os.Stat(path)
	must(t, err)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("a new views file is %v, want 0600", fi.Mode().Perm())
	}
	// A second edit through Update starts from the file; the mode a person gave it stays.
	must(t, os.Chmod(path, 0o644))
	must(t, Update(path, func(f *File) error { return f.Put(View{Name: "b", SQL: "SELECT * FROM u"}) }))
	g, err := Load(path)
	must(t, err)
	if strings.Join(g.Names(), ",") != "a,b" {
		t.Errorf("names after two saves: %v", g.Names())
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("the file's mode changed to %v", fi.Mode().Perm())
	}
	// Nothing is left behind but the file.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("left in the folder: %v", entries)
	}
	// A views file that is a link (dotfiles) stays a link: its target is written.
	target := filepath.Join(dir, "dotfiles-views.yaml")
	must(t, os.Rename(path, target))
	must(t, os.Symlink(target, path))
	must(t, Update(path, func(f *File) error { return f.Remove("a") }))
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi, err)
	}
	data, _ := os.ReadFile(target)
	if strings.Contains(string(data), "name: a") || !strings.Contains(string(data), "name: b") {
		t.Errorf("the link's target:\n%s", data)
	}
	// A file that does not read is not overwritten.
	must(t, os.WriteFile(target, []byte("views:\n  - name: [\n"), 0o644))
	if err := Update(path, func(f *File) error { return f.Put(View{Name: "c", SQL: "SELECT c FROM t"}) }); err == nil {
		t.Error("a broken file should be an error, not overwritten")
	}
	if data, _ := os.ReadFile(target); string(data) != "views:\n  - name: [\n" {
		t.Errorf("the broken file was changed:\n%s", data)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/tmp/cfg")
	if got := DefaultPath(); got != "/tmp/cfg/dora/views.yaml" {
		t.Errorf("DefaultPath %s", got)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "/home/me")
	if got := DefaultPath(); got != "/home/me/.config/dora/views.yaml" {
		t.Errorf("DefaultPath without XDG_CONFIG_HOME %s", got)
	}
}
