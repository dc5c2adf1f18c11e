package backends_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/dora-dev/dora/backends/elastic"
	"github.com/dora-dev/dora/internal/testenv"
)

// scriptCases are the forms only a script computes on a search engine, one of each: a node with
// Painless (OpenSearch 3 as scripts/opensearch starts it) must answer them as DuckDB answers the
// same SQL text; a node without (the integ-test Elasticsearch builds, OpenSearch 2) must refuse
// them, saying which part needs scripting. The differential test draws them at random too.
var scriptCases = []struct {
	sql  string
	outs []fzOut
}{
	{"SELECT category AS k, sum(qty * value) AS s, min(value - qty) AS lo, max(abs(score)) AS hi FROM {T} GROUP BY 1 ORDER BY 1 NULLS FIRST",
		[]fzOut{{name: "k"}, {name: "s"}, {name: "lo"}, {name: "hi"}}},
	{"SELECT type AS k, count(DISTINCT qty % 5) AS d, count(DISTINCT upper(type) || '/' || category) AS c, sum(qty // 0) AS z FROM {T} GROUP BY 1 ORDER BY 1",
		[]fzOut{{name: "k"}, {name: "d"}, {name: "c"}, {name: "z"}}},
	{"SELECT coalesce(category, 'none') AS k, count(DISTINCT name) AS n, sum(length(name)) AS l FROM {T} GROUP BY 1 ORDER BY 1",
		[]fzOut{{name: "k"}, {name: "n"}, {name: "l"}}},
	{"SELECT month(ts) AS m, count(DISTINCT date_part('dow', date)) AS d, count(*) AS n FROM {T} GROUP BY 1 ORDER BY 1",
		[]fzOut{{name: "m"}, {name: "d"}, {name: "n"}}},
	{"SELECT count(*) AS n, sum(CASE WHEN qty > 5 THEN 2 WHEN value < 0 THEN 1 ELSE 0 END) AS s, avg(qty * 2 + value) AS a FROM {T} WHERE month(ts) IN (3, 4, 5) AND NOT extract(dow FROM ts) BETWEEN 1 AND 5",
		[]fzOut{{name: "n"}, {name: "s"}, {name: "a", cmp: fzRel}}},
	{"SELECT id, ts FROM {T} WHERE hour(ts) = 7 AND isodow(date) >= 6 ORDER BY id LIMIT 20",
		[]fzOut{{name: "id"}, {name: "ts"}}},
}

// rowSortCases order raw rows by an expression: every engine answers them, dora sorting every
// matching row (no script needed).
var rowSortCases = []struct {
	sql  string
	outs []fzOut
}{
	{"SELECT id, qty * 2 + value AS v FROM {T} WHERE category = 'Tops' ORDER BY v DESC NULLS FIRST, id LIMIT 15 OFFSET 3",
		[]fzOut{{name: "id"}, {name: "v"}}},
	{"SELECT upper(name) AS u, id FROM {T} WHERE qty < 3 ORDER BY 1, ts DESC, id LIMIT 40",
		[]fzOut{{name: "u"}, {name: "id"}}},
	{"SELECT id, CASE WHEN value > 0 THEN 'p' WHEN value < 0 THEN 'n' END AS s FROM {T} WHERE amount < 500 ORDER BY s NULLS FIRST, id",
		[]fzOut{{name: "id"}, {name: "s"}}},
}

func TestScriptingForms(t *testing.T) {
	path, duck := openDuck(t, "script.duckdb", fzDataSQL)
	direct := fzOpenDirect(t, path)
	ctx := context.Background()
	for _, node := range testenv.SearchNodes() {
		t.Run(node.Name, func(t *testing.T) {
			es, esURL := openSearch(t, node)
			fzScripting = node.Engine == "opensearch" && node.Major >= 3
			if got := es.(*elastic.Backend).Scripting(ctx); got != fzScripting {
				t.Fatalf("%s: dora learned scripting=%v, want %v", node.Name, got, fzScripting)
			}
			index := fmt.Sprintf("dora-script-%d", os.Getpid())
			t.Cleanup(func() { testenv.DeleteIndices(esURL, index+"-*") })
			fzLoad(t, direct, duck, es, index)
			for _, c := range scriptCases {
				q := fzQ{dora: c.sql, duck: c.sql, outs: c.outs, ordered: true, direct: true, script: true}
				q.duck = q.doraOn(fzTable)
				for _, msg := range fzCheck(ctx, q, direct, duck, es, index) {
					t.Error(msg)
				}
			}
			for _, c := range rowSortCases {
				q := fzQ{dora: c.sql, duck: c.sql, outs: c.outs, ordered: true, direct: true}
				q.duck = q.doraOn(fzTable)
				for _, msg := range fzCheck(ctx, q, direct, duck, es, index) {
					t.Error(msg)
				}
			}
		})
	}
}
