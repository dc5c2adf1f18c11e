package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/etl"
)

// lakehouse is a folder holding a SQLite catalog, its warehouse, the sources and pipeline
// files, and the state folder quarantine files go to; env points dora at it.
type lakehouse struct {
	dir string
	env []string
}

func newLakehouse(t *testing.T) *lakehouse {
	dir := t.TempDir()
	return &lakehouse{dir: dir, env: []string{
		"DORA_CATALOG=sqlite:" + filepath.Join(dir, "catalog.db"), "DORA_WAREHOUSE=" + filepath.Join(dir, "warehouse"),
		"XDG_STATE_HOME=" + filepath.Join(dir, "state"), "XDG_DATA_HOME=" + filepath.Join(dir, "data"),
	}}
}

func (h *lakehouse) catalogPath() string { return filepath.Join(h.dir, "catalog.db") }
func (h *lakehouse) warehouse() string   { return filepath.Join(h.dir, "warehouse") }

// file writes name under the folder and returns its path.
func (h *lakehouse) file(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(h.dir, name)
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func (h *lakehouse) dora(t *testing.T, args ...string) run {
	t.Helper()
	return dora(t, "", h.env, args...)
}

// etlRun runs dora etl run PIPELINE --json and decodes its summary, wanting exit code want.
func (h *lakehouse) etlRun(t *testing.T, pipeline string, want int, extra ...string) etl.Summary {
	t.Helper()
	r := h.dora(t, append([]string{"etl", "run", pipeline, "--json"}, extra...)...)
	if r.code != want {
		t.Fatalf("dora etl run %s: exit %d, want %d\n%s%s", filepath.Base(pipeline), r.code, want, r.stdout, r.stderr)
	}
	var s etl.Summary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("dora etl run --json printed no summary (%v):\n%s%s", err, r.stdout, r.stderr)
	}
	return s
}

// versions is dora etl versions TABLE --json.
func (h *lakehouse) versions(t *testing.T, table string) []versionJSON {
	t.Helper()
	r := h.dora(t, "etl", "versions", table, "--json")
	var vs []versionJSON
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &vs) != nil {
		t.Fatalf("dora etl versions %s: exit %d\n%s%s", table, r.code, r.stdout, r.stderr)
	}
	return vs
}

// people is a CSV of n rows, the first nulls of them without a name.
func people(n, nulls int) string {
	var b strings.Builder
	b.WriteString("id,name\n")
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("p%d", i)
		if i <= nulls {
			name = ""
		}
		fmt.Fprintf(&b, "%d,%s\n", i, name)
	}
	return b.String()
}

func outcome(s etl.Summary, check string) string {
	for _, c := range s.Checks {
		if c.Check == check {
			return c.Outcome
		}
	}
	return "(no such check)"
}

const previousCheck = "row_count >= 0.8 * previous(row_count)"

func TestETLChecksGatePublishing(t *testing.T) {
	h := newLakehouse(t)
	src := filepath.Join(h.dir, "src", "people.csv")
	pipeline := h.file(t, "people.yaml", fmt.Sprintf(`table: hr.people
source: %s
quality:
  checks:
    - {check: "row_count > 0", level: error}
    - {check: "null_fraction(name) < 0.2", level: warn}
    - {check: %q, level: error}
`, src, previousCheck))
	runWith := func(rows, nulls, code int) etl.Summary {
		t.Helper()
		h.file(t, "src/people.csv", people(rows, nulls))
		return h.etlRun(t, pipeline, code)
	}

	v1 := runWith(10, 0, 0)
	if !v1.Published || outcome(v1, previousCheck) != "pass" {
		t.Fatalf("first run: published %v, checks %+v", v1.Published, v1.Checks)
	}

	// Half the rows: the error-level check fails and nothing is written.
	half := runWith(5, 0, exitStopped)
	if half.Published || half.SnapshotID != 0 || outcome(half, previousCheck) != "fail" {
		t.Errorf("a run with half the rows: published %v, snapshot %d, checks %+v", half.Published, half.SnapshotID, half.Checks)
	}
	if vs := h.versions(t, "hr.people"); len(vs) != 1 || vs[0].SnapshotID != v1.SnapshotID {
		t.Errorf("after a failed check the versions are %+v, want only %d", vs, v1.SnapshotID)
	}
	quality := testenv.ReadIceberg(t, h.catalogPath(), h.warehouse(), "hr."+etl.QualityTable, 0)
	runCol := slices.Index(quality.Columns, "run_id")
	for _, r := range quality.Rows {
		if r[runCol] == half.RunID {
			t.Fatalf("the stopped run %s has metrics in hr._dora_quality: %v", half.RunID, r)
		}
	}

	// A warn-level failure still publishes.
	v3 := runWith(10, 3, 0)
	if !v3.Published || outcome(v3, "null_fraction(name) < 0.2") != "warn" {
		t.Errorf("a warn-level failure: published %v, checks %+v", v3.Published, v3.Checks)
	}
	v4 := runWith(20, 0, 0)

	// 12 rows against 20 fail; after a rollback to the 10-row version they pass.
	if s := runWith(12, 0, exitStopped); outcome(s, previousCheck) != "fail" {
		t.Errorf("12 rows after 20: checks %+v", s.Checks)
	}
	if r := h.dora(t, "etl", "rollback", "hr.people", "--to", fmt.Sprint(v3.SnapshotID)); r.code != 0 {
		t.Fatalf("rollback: exit %d %s", r.code, r.stderr)
	}
	v5 := runWith(12, 0, 0)
	for _, c := range v5.Checks {
		if c.Check == previousCheck && (c.Outcome != "pass" || !strings.Contains(c.Detail, "previous(row_count) = 10")) {
			t.Errorf("12 rows after rolling back to 10: %+v", c)
		}
	}
	if v5.BaseSnapshot != v3.SnapshotID {
		t.Errorf("the run after the rollback built on %d, want %d", v5.BaseSnapshot, v3.SnapshotID)
	}

	// What versions and quality say about those runs.
	vs := h.versions(t, "hr.people")
	var ids []int64
	for _, v := range vs {
		ids = append(ids, v.SnapshotID)
	}
	if want := []int64{v1.SnapshotID, v3.SnapshotID, v4.SnapshotID, v5.SnapshotID}; !slices.Equal(ids, want) {
		t.Fatalf("versions %v, want the published runs' %v", ids, want)
	}
	for i, s := range []etl.Summary{v1, v3, v4, v5} {
		v := vs[i]
		if v.RunID != s.RunID || v.Rows != s.TableRows || v.Current != (i == 3) || len(v.Checks) != 3 || outcome(etl.Summary{Checks: v.Checks}, "null_fraction(name) < 0.2") != outcome(s, "null_fraction(name) < 0.2") {
			t.Errorf("version %d: %+v\nthe run said %+v", v.SnapshotID, v, s)
		}
	}
	r := h.dora(t, "etl", "quality", "hr.people", "--version", fmt.Sprint(v3.SnapshotID), "--json")
	var q etl.Quality
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &q) != nil {
		t.Fatalf("dora etl quality: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	metric := func(col, name string) float64 {
		for _, m := range q.Metrics {
			if m.Column == col && m.Name == name && m.Value != nil {
				return *m.Value
			}
		}
		return -1
	}
	if q.SnapshotID != v3.SnapshotID || q.RunID != v3.RunID || metric("", "row_count") != 10 || metric("name", "null_count") != 3 || metric("name", "null_fraction") != 0.3 || metric("id", "max") != 10 {
		t.Errorf("quality of version %d: %+v", v3.SnapshotID, q)
	}
	if outcome(etl.Summary{Checks: q.Checks}, "null_fraction(name) < 0.2") != "warn" {
		t.Errorf("quality of version %d: checks %+v, want the null_fraction check's warn", v3.SnapshotID, q.Checks)
	}
}

// quarantineLine is one line of a quarantine file.
type quarantineLine struct {
	Reason string
	Source string
	Row    int64
	Values map[string]any
}

func TestETLQuarantine(t *testing.T) {
	h := newLakehouse(t)
	// Data row n is line n+1 of the file. Row 3 has no email (cleansed away); rows 4-8 break a
	// rule each (7 and 8 share an id); row 9 has no status, which accepted_values lets pass.
	src := h.file(t, "src/users.csv", `id,email,status,age
1,a@x.org,active,30
2,b@x.org,closed,41
3,,active,22
,c@x.org,active,50
5,e@x.org,active,150
6,f@x.org,weird,33
7,nope,active,20
7,g@x.org,closed,21
9,i@x.org,,60
10,j@x.org,active,0
`)
	const rules = `cleanse:
  drop_if_null: [email]
validate:
  rules:
    - not_null: [id]
    - range: {column: age, min: 0, max: 120}
    - accepted_values: {column: status, values: [active, closed]}
    - regex: {column: email, pattern: '^[^@]+@[^@]+$'}
    - unique: [id]
`
	pipeline := func(name, extra string) string {
		return h.file(t, name+".yaml", fmt.Sprintf("table: app.users\nsource: %s\n%s%s", src, rules, extra))
	}

	// Above max_quarantined (5 of 10 rows): nothing is written.
	s := h.etlRun(t, pipeline("capped", "  max_quarantined: 10%\n"), exitStopped)
	if s.Published || s.Quarantined != 5 || !strings.Contains(s.Stopped, "max_quarantined") {
		t.Errorf("max_quarantined 10%%: published %v, quarantined %d, stopped %q", s.Published, s.Quarantined, s.Stopped)
	}
	if r := h.dora(t, "etl", "tables"); r.code != 0 || strings.TrimSpace(r.stdout) != "" {
		t.Errorf("a stopped run left tables: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	// on_fail: fail stops at the first quarantined row.
	if s := h.etlRun(t, pipeline("strict", "  on_fail: fail\n"), exitStopped); s.Published || !strings.Contains(s.Stopped, "on_fail is fail") {
		t.Errorf("on_fail: fail: published %v, stopped %q", s.Published, s.Stopped)
	}

	s = h.etlRun(t, pipeline("lenient", "  on_fail: quarantine\n"), 0)
	if !s.Published || s.Quarantined != 5 || s.CleansedAway != 1 || s.RowsIn != 10 || s.RowsOut != 4 {
		t.Errorf("summary: published %v, rows in %d, cleansed away %d, quarantined %d, rows out %d; want 10 = 4 + 1 + 5",
			s.Published, s.RowsIn, s.CleansedAway, s.Quarantined, s.RowsOut)
	}
	if s.RowsIn != s.RowsOut+s.CleansedAway+s.Quarantined {
		t.Errorf("rows in %d != rows out %d + cleansed away %d + quarantined %d", s.RowsIn, s.RowsOut, s.CleansedAway, s.Quarantined)
	}
	table := testenv.ReadIceberg(t, h.catalogPath(), h.warehouse(), "app.users", 0)
	var ids []string
	for _, r := range table.Rows {
		ids = append(ids, fmt.Sprint(r[0]))
	}
	if !slices.Equal(ids, []string{"1", "2", "9", "10"}) {
		t.Errorf("pyiceberg reads ids %v, want the rows that passed: 1, 2, 9, 10", ids)
	}
	data, err := os.ReadFile(s.QuarantineFile)
	if err != nil {
		t.Fatalf("the quarantine file %q: %v", s.QuarantineFile, err)
	}
	got := map[int64]quarantineLine{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var q quarantineLine
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			t.Fatalf("quarantine line %q: %v", line, err)
		}
		if q.Source != src {
			t.Errorf("quarantine line %q names source %q, want %s", line, q.Source, src)
		}
		got[q.Row] = q
	}
	want := map[int64]struct{ reason, id string }{
		4: {"not_null: id is null", "<nil>"},
		5: {"range: age 150 is above 120", "5"},
		6: {"accepted_values: status weird is not one of active, closed", "6"},
		7: {"regex: email nope does not match", "7"},
		8: {"unique: id=7 appears 2 times", "7"},
	}
	if len(got) != len(want) {
		t.Errorf("the quarantine file holds rows %v, want %d rows", got, len(want))
	}
	for row, w := range want {
		q, ok := got[row]
		if !ok || !strings.Contains(q.Reason, w.reason) || fmt.Sprint(q.Values["id"]) != w.id {
			t.Errorf("quarantined row %d: %+v, want the reason %q and id %s", row, q, w.reason, w.id)
		}
	}
	// Row 7 breaks two rules, and says so.
	if q := got[7]; !strings.Contains(q.Reason, "unique: id=7") {
		t.Errorf("row 7's reason %q does not name its duplicate id too", q.Reason)
	}
}

// caretAt finds, in an error, the quoted source line and the caret under it, and returns the
// text from the caret on; "" when there is none.
func caretAt(stderr string) string {
	lines := strings.Split(stderr, "\n")
	for i := 0; i+1 < len(lines); i++ {
		src, caret := lines[i], lines[i+1]
		bar := strings.Index(src, " | ")
		if bar < 0 || !strings.HasSuffix(caret, "^") || len(caret) < bar+3 || caret[bar:bar+3] != " | " {
			continue
		}
		col := len(caret) - 1
		if col >= len(src) {
			return ""
		}
		return src[col:]
	}
	return ""
}

func TestETLPipelineTypos(t *testing.T) {
	h := newLakehouse(t)
	src := h.file(t, "src/people.csv", people(5, 0))
	tests := []struct {
		name, body string
		line, col  int
		at         string // what the caret points at
		says       string
	}{
		{"unknown key", "cleanse:\n  trimm: [name]\n", 4, 3, "trimm", `"trimm"`},
		{"bad rule", "validate:\n  rules:\n    - not_nul: [id]\n", 5, 7, "not_nul", `did you mean "not_null"?`},
		{"missing column", "cleanse:\n  trim: [name, nmae]\n", 4, 16, "nmae", `no column "nmae"`},
		{"bad check", "quality:\n  checks:\n    - {check: \"row_count > 0 and nul_fraction(name) < 1\", level: error}\n", 5, 34, "nul_fraction", `unknown name "nul_fraction"`},
		{"check of a missing column", "quality:\n  checks:\n    - {check: \"row_count > 0 and null_fraction(nmae) < 0.5\"}\n", 5, 34, "null_fraction(nmae)", `no column "nmae"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := h.file(t, strings.ReplaceAll(tt.name, " ", "-")+".yaml", fmt.Sprintf("table: hr.people\nsource: %s\n%s", src, tt.body))
			r := h.dora(t, "etl", "run", path, "--json")
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
			}
			if where := fmt.Sprintf("%s:%d:%d:", path, tt.line, tt.col); !strings.Contains(r.stderr, where) || !strings.Contains(r.stderr, tt.says) {
				t.Errorf("stderr does not say %q and %q:\n%s", where, tt.says, r.stderr)
			}
			if at := caretAt(r.stderr); !strings.HasPrefix(at, tt.at) {
				t.Errorf("the caret points at %q, want %q:\n%s", at, tt.at, r.stderr)
			}
		})
	}
	if r := h.dora(t, "etl", "tables"); strings.TrimSpace(r.stdout) != "" {
		t.Errorf("a broken pipeline wrote tables: %q", r.stdout)
	}
}

// dataFiles lists the Parquet files under a local warehouse.
func dataFiles(t *testing.T, warehouse string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(warehouse, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") && strings.Contains(p, "/data/") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestETLKilledBeforeCommit(t *testing.T) {
	h := newLakehouse(t)
	tmp := t.TempDir()
	h.env = append(h.env, "TMPDIR="+tmp) // the killed run's scratch folder goes with the test
	src := filepath.Join(h.dir, "src", "people.csv")
	pipeline := h.file(t, "people.yaml", fmt.Sprintf("table: hr.people\nsource: %s\njournal:\n  key: [id]\n", src))
	h.file(t, "src/people.csv", people(5, 0))
	v1 := h.etlRun(t, pipeline, 0, "--as-of", "2024-01-01")
	before := dataFiles(t, h.warehouse())

	// The next day's run, killed once its data file is written and before it commits.
	h.file(t, "src/people.csv", "id,name\n1,renamed\n2,p2\n3,p3\n4,p4\n5,p5\n6,p6\n")
	pause := filepath.Join(h.dir, "paused")
	cmd := exec.Command(doraBin, "etl", "run", pipeline, "--as-of", "2024-01-02")
	cmd.Env = append(append(os.Environ(), h.env...), pauseBeforeCommitEnv+"="+pause)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	var staged []byte
	for len(staged) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		staged, _ = os.ReadFile(pause)
	}
	if len(staged) == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the run never reached its commit: %s", stderr.String())
	}
	if _, err := os.Stat(strings.Fields(string(staged))[0]); err != nil {
		t.Errorf("the run paused before its commit, but its data file is not there: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	got := testenv.ReadIceberg(t, h.catalogPath(), h.warehouse(), "hr.people", 0)
	if !slices.Equal(got.Snapshots, []int64{v1.SnapshotID}) || got.Current != v1.SnapshotID || len(got.Rows) != 5 {
		t.Fatalf("after the kill pyiceberg sees snapshots %v (current %d) and %d rows; want the first version's 5", got.Snapshots, got.Current, len(got.Rows))
	}
	if after := dataFiles(t, h.warehouse()); !slices.Equal(after, before) {
		t.Errorf("the killed run left data files in the warehouse: %v, before %v", after, before)
	}

	v2 := h.etlRun(t, pipeline, 0, "--as-of", "2024-01-02")
	if left, _ := filepath.Glob(filepath.Join(tmp, "dora-etl-*")); len(left) != 0 {
		t.Errorf("the killed run's scratch folder is still there after the next run: %v", left)
	}
	if !v2.Published || v2.BaseSnapshot != v1.SnapshotID || *v2.Journal != (etl.JournalDiff{Inserted: 1, Changed: 1, Unchanged: 4}) {
		t.Fatalf("the re-run: published %v on %d, journal %+v", v2.Published, v2.BaseSnapshot, v2.Journal)
	}
	got = testenv.ReadIceberg(t, h.catalogPath(), h.warehouse(), "hr.people", 0)
	names := map[string]int{}
	for _, r := range got.Rows {
		names[fmt.Sprint(r[1])]++
	}
	if !slices.Equal(got.Snapshots, []int64{v1.SnapshotID, v2.SnapshotID}) || len(got.Rows) != 7 || names["renamed"] != 1 || names["p1"] != 1 || names["p6"] != 1 {
		t.Errorf("after the re-run pyiceberg sees snapshots %v and rows %v", got.Snapshots, got.Rows)
	}
}

// TestETLEmptySource: a day whose source file has no rows (a header only, or nothing at all) runs
// the checks on the table's known columns: row_count > 0 fails, exit 4, nothing published, the
// version before stays current. A source file that is not there is an error naming its path.
func TestETLEmptySource(t *testing.T) {
	h := newLakehouse(t)
	src := filepath.Join(h.dir, "src", "sales.csv")
	pipeline := h.file(t, "sales.yaml", fmt.Sprintf(`table: shop.sales
source: %s
cleanse:
  trim: [distributor]
  cast: {amount: DOUBLE}
quality:
  checks:
    - {check: "row_count > 0", level: error}
    - {check: "null_fraction(distributor) < 0.5", level: warn}
`, src))
	for _, first := range []bool{true, false} { // a table with no version yet, then one with
		name := map[bool]string{true: "before any version", false: "after a version"}[first]
		if !first {
			h.file(t, "src/sales.csv", "distributor,amount\n acme ,10\nzeta,2.5\n")
			if v := h.etlRun(t, pipeline, 0); !v.Published {
				t.Fatalf("the first day did not publish: %+v", v)
			}
		}
		for _, content := range []string{"distributor,amount\n", ""} {
			h.file(t, "src/sales.csv", content)
			s := h.etlRun(t, pipeline, exitStopped)
			if s.Published || s.SnapshotID != 0 || s.RowsIn != 0 || outcome(s, "row_count > 0") != "fail" {
				t.Errorf("%s, source %q: published %v, snapshot %d, rows in %d, checks %+v", name, content, s.Published, s.SnapshotID, s.RowsIn, s.Checks)
			}
			if !strings.Contains(s.Stopped, "row_count > 0") {
				t.Errorf("%s, source %q: stopped for %q", name, content, s.Stopped)
			}
		}
		if !first {
			vs := h.versions(t, "shop.sales")
			if len(vs) != 1 || !vs[0].Current || vs[0].Rows != 2 {
				t.Errorf("the empty days changed the versions: %+v", vs)
			}
		}
	}
	os.Remove(src)
	r := h.dora(t, "etl", "run", pipeline)
	if r.code == 0 || r.code == exitStopped || !strings.Contains(r.stderr, src) {
		t.Errorf("a missing source: exit %d, want an error naming %s:\n%s%s", r.code, src, r.stdout, r.stderr)
	}
}
