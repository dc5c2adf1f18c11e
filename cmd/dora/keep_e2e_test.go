package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/testenv"
)

// Each load of a table into Elasticsearch writes a new version index and moves the table's alias
// onto it; --keep 2 then leaves the live version and the one before it, whether the load ran in
// this process or as a job of shards and a publish.
func TestReloadsKeepTheNewestVersions(t *testing.T) {
	es := testenv.Elasticsearch(t)
	const files, rows = 3, 200
	src := shardSource(t, files, rows)
	table := fmt.Sprintf("dora-keep-%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { testenv.DeleteIndices(es, table+"-*") })
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}

	// versions lists the table's indices, and the ones its alias points at.
	versions := func() (indices, live []string) {
		t.Helper()
		var cat []struct{ Index string }
		if err := json.Unmarshal(esRequest(t, "GET", es+"/_cat/indices/"+table+"-*?format=json&h=index", ""), &cat); err != nil {
			t.Fatal(err)
		}
		for _, c := range cat {
			indices = append(indices, c.Index)
		}
		var alias map[string]any
		if err := json.Unmarshal(esRequest(t, "GET", es+"/_alias/"+table, ""), &alias); err != nil {
			t.Fatal(err)
		}
		slices.Sort(indices)
		return indices, slices.Sorted(maps.Keys(alias))
	}
	check := func(step string, wantIndices []string) {
		t.Helper()
		indices, live := versions()
		if !slices.Equal(indices, wantIndices) {
			t.Errorf("after %s: version indices %v, want %v", step, indices, wantIndices)
		}
		if newest := wantIndices[len(wantIndices)-1]; !slices.Equal(live, []string{newest}) {
			t.Errorf("after %s: the alias points at %v, want %s alone", step, live, newest)
		}
		q := queryJSON(t, fmt.Sprintf(`SELECT count(*), count(DISTINCT id) FROM "%s"`, table), "--backend", es)
		if len(q.Rows) != 1 || num(q.Rows[0][0]) != files*rows || num(q.Rows[0][1]) != files*rows {
			t.Errorf("after %s: count(*), count(DISTINCT id) = %v, want %d of each", step, q.Rows, files*rows)
		}
	}
	load := func(version string, extra ...string) {
		t.Helper()
		args := append([]string{"load", src, "--table", table, "--id", "id", "--backend", es, "--version", version}, extra...)
		if r := dora(t, "", env, args...); r.code != 0 {
			t.Fatalf("load of version %s: exit %d\n%s%s", version, r.code, r.stdout, r.stderr)
		}
	}
	v := func(names ...string) []string {
		for i, n := range names {
			names[i] = table + "-" + n
		}
		return names
	}

	load("a1")
	load("a2") // --keep is 2 unless told
	check("two loads", v("a1", "a2"))
	// dora tables lists the table once, by its name, not the two versions behind it.
	r := dora(t, "", nil, "tables", "--backend", es, "--format", "csv")
	var listed []string
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, table) {
			listed = append(listed, line)
		}
	}
	if want := []string{fmt.Sprintf("%s,alias,%d", table, files*rows)}; r.code != 0 || !slices.Equal(listed, want) {
		t.Errorf("dora tables: exit %d, lines %q, want %q\n%s", r.code, listed, want, r.stderr)
	}
	load("a3", "--keep", "2")
	check("a third load", v("a2", "a3"))
	load("a4", "--keep", "2", "--as-job", "--runner", "local", "--shards", "2", "--wait")
	check("a load as a job of two shards", v("a3", "a4"))
	load("a5", "--keep", "1")
	check("a load keeping one version", v("a5"))

	for _, keep := range []string{"0", "-1"} {
		r = dora(t, "", env, "load", src, "--table", table, "--backend", es, "--keep", keep)
		if r.code != 2 || !strings.Contains(r.stderr, "--keep wants 1 or more") {
			t.Errorf("--keep %s: exit %d, want 2 and a usage error\n%s", keep, r.code, r.stderr)
		}
	}
	check("refused loads", v("a5"))
}
