package testenv

import (
	"context"
	"fmt"
	"testing"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
)

// CopyTable writes every row of table src on from into a new table dst on to (a DuckDB table
// into an Elasticsearch index, say) and returns how many rows it copied. retype, when not nil,
// may change a field of the schema written (a string column as full text). The first column
// gives each row its id, so the copy is the same however often it runs.
func CopyTable(t testing.TB, from, to backends.Backend, src, dst string, retype func(*query.Field)) int {
	t.Helper()
	ctx := context.Background()
	schema, err := from.Schema(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if retype != nil {
		for i := range schema.Fields {
			retype(&schema.Fields[i])
		}
	}
	schema.Table = dst
	if m, ok := from.(interface{ SetMaxRows(int) }); ok {
		m.SetMaxRows(1 << 30)
	}
	res, err := from.Run(ctx, query.Spec{Table: src})
	if err != nil {
		t.Fatal(err)
	}
	sink, err := to.Sink(ctx, dst, schema, backends.SinkOptions{Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	for start := 0; start < len(res.Rows); start += 5000 {
		end := min(start+5000, len(res.Rows))
		ids := make([]string, 0, end-start)
		rows := make([]backends.Row, 0, end-start)
		for _, r := range res.Rows[start:end] {
			ids = append(ids, fmt.Sprint(r[0]))
			rows = append(rows, r)
		}
		if err := sink.Write(ctx, rows, ids); err != nil {
			t.Fatal(err)
		}
	}
	if err := sink.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return len(res.Rows)
}
