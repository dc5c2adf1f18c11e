package elastic

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
)

// scripting learns, once per cluster, whether every node runs Painless (the lang-painless
// module): only then does a plan use scripts for what no aggregation expresses. The integ-test
// builds of Elasticsearch and OpenSearch 2 have no such module; a cluster that does not let dora
// ask (a 403 on the nodes API) is taken as one without, so its queries get the clear refusal.
func (b *Backend) scripting(ctx context.Context) bool {
	b.scriptOnce.Do(func() {
		if b.engine.Serverless {
			return // Serverless collections run no scripts dora may send
		}
		body, err := b.do(ctx, http.MethodGet, "/_nodes/plugins?filter_path=nodes.*.modules.name,nodes.*.plugins.name", nil)
		if err != nil {
			return
		}
		b.hasScripting = hasPainless(body)
	})
	return b.hasScripting
}

// hasPainless reads the nodes API's answer: true when every node has lang-painless.
func hasPainless(body []byte) bool {
	var r struct {
		Nodes map[string]struct {
			Modules []struct{ Name string } `json:"modules"`
			Plugins []struct{ Name string } `json:"plugins"`
		} `json:"nodes"`
	}
	if json.Unmarshal(body, &r) != nil || len(r.Nodes) == 0 {
		return false
	}
	for _, n := range r.Nodes {
		named := func(m struct{ Name string }) bool { return m.Name == "lang-painless" }
		if !slices.ContainsFunc(n.Modules, named) && !slices.ContainsFunc(n.Plugins, named) {
			return false
		}
	}
	return true
}

// Scripting reports whether the cluster runs Painless scripts, asking it the first time.
func (b *Backend) Scripting(ctx context.Context) bool { return b.scripting(ctx) }
