package elastic

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Engine is the search engine a cluster says it is when asked (GET /): its distribution and
// version decide what differs in the requests dora sends. It is never guessed from a URL,
// except for Amazon OpenSearch Serverless, which has no GET / to ask.
type Engine struct {
	// Distribution is "elasticsearch" or "opensearch".
	Distribution string
	// Version is the version the cluster reported ("8.19.21"); "" when it did not say.
	Version      string
	Major, Minor int
	// Serverless is an Amazon OpenSearch Serverless collection.
	Serverless bool
	// AWS is a cluster reached with SigV4-signed requests (Amazon OpenSearch Service).
	AWS bool
}

// The distributions an Engine names.
const (
	DistElasticsearch = "elasticsearch"
	DistOpenSearch    = "opensearch"
)

// String names the engine as a person would: "OpenSearch 2.19.6", "Elasticsearch 8.19.21",
// "Amazon OpenSearch Serverless".
func (e Engine) String() string {
	name := e.Product()
	if e.Version != "" && !e.Serverless {
		name += " " + e.Version
	}
	return name
}

// Product is the engine's name without its version.
func (e Engine) Product() string {
	switch {
	case e.Serverless:
		return "Amazon OpenSearch Serverless"
	case e.AWS && e.Distribution == DistOpenSearch:
		return "Amazon OpenSearch Service"
	case e.Distribution == DistOpenSearch:
		return "OpenSearch"
	case e.AWS:
		return "Amazon OpenSearch Service (Elasticsearch)"
	}
	return "Elasticsearch"
}

// OpenSearch reports whether the engine is OpenSearch (self-run, Amazon's service or Serverless).
func (e Engine) OpenSearch() bool { return e.Distribution == DistOpenSearch }

// atLeast reports whether the engine's version is major.minor or newer; an unknown version
// counts as new.
func (e Engine) atLeast(major, minor int) bool {
	if e.Version == "" {
		return true
	}
	return e.Major > major || e.Major == major && e.Minor >= minor
}

// paging is how a raw-rows query reads more than one page consistently.
type paging int

const (
	// pagingPIT: a point in time (POST /<index>/_pit) with the _shard_doc tiebreak, Elasticsearch
	// 7.12 and newer.
	pagingPIT paging = iota
	// pagingScroll: a scroll, for engines whose points in time have no _shard_doc tiebreak
	// (OpenSearch, Elasticsearch before 7.12).
	pagingScroll
	// pagingNone: one page only (Serverless has neither scroll nor points in time).
	pagingNone
)

func (e Engine) paging() paging {
	switch {
	case e.Serverless:
		return pagingNone
	case e.Distribution == DistElasticsearch && e.atLeast(7, 12):
		return pagingPIT
	}
	return pagingScroll
}

// missingOrder reports whether composite sources take missing_order: Elasticsearch 7.16 and
// newer, OpenSearch 2 and newer.
func (e Engine) missingOrder() bool {
	if e.OpenSearch() {
		return e.atLeast(2, 0)
	}
	return e.atLeast(7, 16)
}

// sketchesEveryBucket reports whether a cardinality aggregation takes its sketch's full size in
// every bucket at once: OpenSearch and Elasticsearch before 8, where a composite page of them
// must be kept small.
func (e Engine) sketchesEveryBucket() bool {
	return e.OpenSearch() || !e.atLeast(8, 0)
}

// rootAnswer is the part of GET / that names the engine.
type rootAnswer struct {
	Version struct {
		Number       string `json:"number"`
		Distribution string `json:"distribution"`
	} `json:"version"`
}

// parseEngine reads the engine from GET /'s status, header and body. ok is false when the answer
// names no engine (a proxy, or a node that serves nothing at "/").
func parseEngine(status int, header http.Header, body []byte) (e Engine, ok bool) {
	var r rootAnswer
	if status == http.StatusOK && json.Unmarshal(body, &r) == nil && r.Version.Number != "" {
		e.Distribution = DistElasticsearch
		if strings.EqualFold(r.Version.Distribution, DistOpenSearch) {
			e.Distribution = DistOpenSearch
		}
		e.setVersion(r.Version.Number)
		return e, true
	}
	if header.Get("X-Elastic-Product") == "Elasticsearch" {
		return Engine{Distribution: DistElasticsearch}, true
	}
	return Engine{}, false
}

// setVersion records a version number such as "2.19.6" or "8.19.21-SNAPSHOT".
func (e *Engine) setVersion(v string) {
	e.Version = v
	parts := strings.SplitN(v, ".", 3)
	e.Major, _ = strconv.Atoi(parts[0])
	if len(parts) > 1 {
		e.Minor, _ = strconv.Atoi(parts[1])
	}
}

// nodeVersion asks an Elasticsearch node that serves nothing at "/" (the integ-test build) for
// its version through the nodes API.
func (b *Backend) nodeVersion(ctx context.Context) (string, error) {
	body, err := b.do(ctx, http.MethodGet, "/_nodes/_local?filter_path=nodes.*.version", nil)
	if err != nil {
		return "", err
	}
	var r struct {
		Nodes map[string]struct {
			Version string `json:"version"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return "", fmt.Errorf("reading the node's version: %w", err)
	}
	for _, n := range r.Nodes {
		return n.Version, nil
	}
	return "", fmt.Errorf("the nodes API named no node")
}
