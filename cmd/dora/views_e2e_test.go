package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const viewsFile = `# team views
views:
  - name: by-category   # the classic
    sql: SELECT category, count(*) AS n FROM shipments GROUP BY category ORDER BY n DESC LIMIT 5
    chart: bars

  # weekly, for the Monday mail
  - name: weekly
    sql: SELECT date_trunc('week', shipped_at) AS w, sum(price) FROM shipments GROUP BY w
    chart: lines
    metric: sum(price)
`

// viewsConfig makes a config folder holding views.yaml with text, and returns the environment
// that points dora at it.
func viewsConfig(t *testing.T, text string) (env []string, path string) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "dora", "views.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"XDG_CONFIG_HOME=" + dir}, path
}

func TestViewsListAndShow(t *testing.T) {
	env, _ := viewsConfig(t, viewsFile)
	r := dora(t, "", env, "views", "ls")
	if r.code != 0 {
		t.Fatalf("views ls: exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "name") || !strings.HasPrefix(lines[1], "by-category  bars") ||
		!strings.HasPrefix(lines[2], "weekly       lines  SELECT date_trunc('week'") {
		t.Errorf("views ls:\n%s", r.stdout)
	}
	if r2 := dora(t, "", env, "views"); r2.stdout != r.stdout {
		t.Errorf("dora views should list as dora views ls does:\n%s", r2.stdout)
	}

	r = dora(t, "", env, "views", "ls", "--format", "json")
	var res jsonResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Rows) != 2 || len(res.Columns) != 4 {
		t.Fatalf("views ls --format json: %v\n%s", err, r.stdout)
	}
	if res.Rows[1][0] != "weekly" || res.Rows[1][2] != "SELECT date_trunc('week', shipped_at) AS w, sum(price) FROM shipments GROUP BY w" {
		t.Errorf("json rows %v", res.Rows)
	}

	r = dora(t, "", env, "views", "show", "weekly")
	want := "name:    weekly\nsql:     SELECT date_trunc('week', shipped_at) AS w, sum(price) FROM shipments GROUP BY w\nchart:   lines\nmetric:  sum(price)\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("views show: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// show --run answers as the same SQL does straight through DuckDB.
func TestViewsShowRun(t *testing.T) {
	env, _ := viewsConfig(t, viewsFile)
	want := direct(t, "SELECT category, count(*) AS n FROM shipments GROUP BY category ORDER BY n DESC LIMIT 5")
	r := dora(t, "", env, "views", "show", "by-category", "--run")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "name:    by-category\n") {
		t.Fatalf("show --run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stdout, w[0].(string)) || !strings.Contains(r.stdout, strconv.FormatInt(w[1].(int64), 10)) {
			t.Errorf("show --run lacks %v:\n%s", w, r.stdout)
		}
	}
	r = dora(t, "", env, "views", "show", "by-category", "--run", "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(recs) != len(want)+1 || recs[0][1] != "n" {
		t.Fatalf("show --run --format csv: %v\n%s%s", err, r.stdout, r.stderr)
	}
	for i, w := range want {
		if recs[i+1][0] != w[0] || recs[i+1][1] != strconv.FormatInt(w[1].(int64), 10) {
			t.Errorf("row %d: %v, want %v", i, recs[i+1], w)
		}
	}

	// A view saved against a backend runs there, whatever DORA_BACKEND says; --backend wins.
	env, _ = viewsConfig(t, "views:\n  - {name: n, sql: \"SELECT count(*) FROM shipments\", backend: \"duckdb:"+warehouse+"\"}\n")
	r = dora(t, "", append(env, "DORA_BACKEND=http://127.0.0.1:1"), "views", "show", "n", "--run", "--format", "csv")
	if r.code != 0 || r.stdout != "count(*)\n"+strconv.FormatInt(direct(t, "SELECT count(*) FROM shipments")[0][0].(int64), 10)+"\n" {
		t.Errorf("a view's backend: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = dora(t, "", env, "views", "show", "n", "--run", "--backend", "http://127.0.0.1:1")
	if r.code != 3 {
		t.Errorf("--backend should win over the view's: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestViewsRemove(t *testing.T) {
	env, path := viewsConfig(t, viewsFile)
	r := dora(t, "", env, "views", "rm", "by-category")
	if r.code != 0 || !strings.Contains(r.stdout, "removed view by-category from "+path) {
		t.Fatalf("rm: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	data, _ := os.ReadFile(path)
	want := "# team views\nviews:\n  # weekly, for the Monday mail\n  - name: weekly\n" +
		"    sql: SELECT date_trunc('week', shipped_at) AS w, sum(price) FROM shipments GROUP BY w\n    chart: lines\n    metric: sum(price)\n"
	if string(data) != want {
		t.Errorf("after rm:\n%s\nwant:\n%s", data, want)
	}
	// An unknown name is a usage error that names the nearest view, and changes nothing.
	r = dora(t, "", env, "views", "rm", "weeky")
	if r.code != 2 || !strings.Contains(r.stderr, `no saved view named "weeky" in `+path+`; did you mean "weekly"?`) {
		t.Errorf("rm of an unknown view: exit %d\n%s", r.code, r.stderr)
	}
	if again, _ := os.ReadFile(path); string(again) != want {
		t.Errorf("a failed rm changed the file:\n%s", again)
	}
}

func TestViewsErrors(t *testing.T) {
	env, path := viewsConfig(t, viewsFile)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"views", "show", "by-categroy"}, 2, `did you mean "by-category"?`},
		{[]string{"--view", "wekly"}, 2, `no saved view named "wekly" in ` + path + `; did you mean "weekly"?`},
		{[]string{"--view", "weekly", "--sql", "SELECT * FROM shipments"}, 2, "give it without --table or --sql"},
		{[]string{"--view", "weekly"}, 2, "the explorer needs a terminal"}, // found; the test has no terminal
		{[]string{"views", "show", "weekly", "--format", "json"}, 2, "--format is for the answer: give --run too"},
		{[]string{"views", "show"}, 2, "show takes 1 argument(s), got 0"},
		{[]string{"views", "ls", "--format", "yaml"}, 2, `unknown format "yaml"`},
	} {
		r := dora(t, "", env, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("dora %s: exit %d, want %d with %q:\n%s", strings.Join(c.args, " "), r.code, c.code, c.want, r.stderr)
		}
	}

	// A broken file is named with the line and column, for every command that reads it.
	env, path = viewsConfig(t, "views:\n  - name: a\n    sql: SELECT region, FROM shipments\n")
	for _, args := range [][]string{{"views", "ls"}, {"views", "rm", "a"}, {"--view", "a"}} {
		r := dora(t, "", env, args...)
		if r.code != 2 || !strings.Contains(r.stderr, path+`:3:25: view "a": expected a column`) || !strings.Contains(r.stderr, "^") {
			t.Errorf("dora %s on a broken file: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}

	// No file yet: ls says how to save one.
	r := dora(t, "", nil, "views", "ls")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "S in the explorer saves the view on screen") {
		t.Errorf("ls with no views file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
