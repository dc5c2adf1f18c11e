package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// SearchNode is one search engine the tests hold dora to DuckDB on.
type SearchNode struct {
	Name string // "elasticsearch", "opensearch2", "opensearch3": fit for a subtest name
	// Engine and Major name the distribution and major version the node runs.
	Engine string
	Major  int
	// url returns the node's URL, starting it if need be, or skips (fails under CI=true).
	url func(t testing.TB) string
}

// URL returns the node's URL, starting the node with the project's script if no URL was given.
func (n SearchNode) URL(t testing.TB) string {
	t.Helper()
	return n.url(t)
}

// SearchNodes lists the search engines every search test runs on: Elasticsearch 8,
// OpenSearch 2, OpenSearch 3 and Elasticsearch 7.10 (the version Amazon's service still runs).
func SearchNodes() []SearchNode {
	return []SearchNode{
		{Name: "elasticsearch", Engine: "elasticsearch", Major: 8, url: Elasticsearch},
		{Name: "opensearch2", Engine: "opensearch", Major: 2, url: func(t testing.TB) string { return OpenSearch(t, 2) }},
		{Name: "opensearch3", Engine: "opensearch", Major: 3, url: func(t testing.TB) string { return OpenSearch(t, 3) }},
		{Name: "elasticsearch7", Engine: "elasticsearch", Major: 7, url: Elasticsearch7},
	}
}

var es7 lazyNode

// Elasticsearch7 returns the URL of a running Elasticsearch 7.10: $ELASTICSEARCH7_URL, or a node
// started with scripts/elasticsearch start 7.
func Elasticsearch7(t testing.TB) string {
	t.Helper()
	return es7.get(t, "ELASTICSEARCH7_URL", "elasticsearch", "7")
}

type lazyNode struct {
	once sync.Once
	url  string
	err  string
}

var osNodes = map[int]*lazyNode{2: {}, 3: {}}

// OpenSearch returns the URL of a running OpenSearch of the major version (2 or 3):
// $OPENSEARCH2_URL or $OPENSEARCH3_URL, or a node started with scripts/opensearch.
func OpenSearch(t testing.TB, major int) string {
	t.Helper()
	n := osNodes[major]
	if n == nil {
		t.Fatalf("no OpenSearch %d to test on: scripts/opensearch runs 2 and 3", major)
	}
	return n.get(t, "OPENSEARCH"+strconv.Itoa(major)+"_URL", "opensearch", strconv.Itoa(major))
}

// get returns the node's URL: $env, or what scripts/script start version printed last, once per
// process; without one the test is skipped, or fails under CI=true.
func (n *lazyNode) get(t testing.TB, env, script, version string) string {
	t.Helper()
	n.once.Do(func() {
		if u := os.Getenv(env); u != "" {
			n.url = u
			return
		}
		cmd := exec.Command("bash", filepath.Join(Root(), "scripts", script), "start", version)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if err != nil || !strings.HasPrefix(lines[len(lines)-1], "http") {
			n.err = "no " + env + " and scripts/" + script + " start " + version + " failed: " + errText(err)
			return
		}
		n.url = lines[len(lines)-1]
	})
	if n.url == "" {
		Unavailable(t, n.err)
	}
	return n.url
}
