package elastic

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
)

// PruneVersions deletes only the table's own old versions: never the live one, nor one still
// being written, nor another table's versions or a hand-made index that share its prefix.
func TestPruneVersionsDeletesOnlyOldVersions(t *testing.T) {
	b := needES(t)
	ctx := context.Background()
	table := prefix + "-pruned"
	schema := query.Schema{Table: table, Fields: []query.Field{{Name: "id", Type: query.TypeString}}}
	publish := func(table, version string) {
		t.Helper()
		k, err := b.Sink(ctx, table, schema, backends.SinkOptions{Version: version})
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Write(ctx, []backends.Row{{version}}, []string{version}); err != nil {
			t.Fatal(err)
		}
		if err := k.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	idProps := map[string]any{"id": map[string]any{"type": "keyword"}}
	// Newest is latest made: first a version from before versions were tagged, then v1, v2, v3.
	createIndex(t, b, table+"-20240101t000000", nil, idProps, nil)
	for _, v := range []string{"v1", "v2", "v3"} {
		publish(table, v)
	}
	// Another table whose name starts like this one's, an index made by hand, a load under way.
	publish(table+"-eu", "v1")
	createIndex(t, b, table+"-archive", nil, idProps, nil)
	if _, err := b.Sink(ctx, table, schema, backends.SinkOptions{Version: "v4"}); err != nil {
		t.Fatal(err)
	}
	// The alias moved back to v2 by hand: v2 stays, and counts as one of the versions kept.
	call(t, b, "POST", "/_aliases", `{"actions":[{"remove":{"index":"`+table+`-v3","alias":"`+table+`"}},{"add":{"index":"`+table+`-v2","alias":"`+table+`"}}]}`)

	deleted, err := b.PruneVersions(ctx, table, 2)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(deleted)
	if want := []string{table + "-20240101t000000", table + "-v1"}; !slices.Equal(deleted, want) {
		t.Errorf("deleted %v, want %v", deleted, want)
	}
	var left map[string]json.RawMessage
	if err := json.Unmarshal(call(t, b, "GET", "/"+table+"-*?filter_path=*.settings.index.uuid", nil), &left); err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range left {
		names = append(names, strings.TrimPrefix(n, table+"-"))
	}
	slices.Sort(names)
	if want := []string{"archive", "eu-v1", "v2", "v3", "v4"}; !slices.Equal(names, want) {
		t.Errorf("indices left: %v, want %v", names, want)
	}

	deleted, err = b.PruneVersions(ctx, table, 1)
	if err != nil || !slices.Equal(deleted, []string{table + "-v3"}) {
		t.Errorf("keeping one: deleted %v (%v), want only %s-v3", deleted, err, table)
	}
	res := run(t, b, `SELECT id FROM "`+table+`"`)
	checkRows(t, "the live version", res, [][]any{{"v2"}})
	if _, err := b.PruneVersions(ctx, table, 0); err == nil {
		t.Error("keeping no version was not refused")
	}
}
