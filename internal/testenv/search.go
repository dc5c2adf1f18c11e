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

// SearchNodes lists the search engines every search test runs on: Elasticsearch 8, OpenSearch 2
// and OpenSearch 3, and Elasticsearch 7 when ELASTICSEARCH7_URL names one (no script starts it:
// make test does not run 7.x).
func SearchNodes() []SearchNode {
	nodes := []SearchNode{
		{Name: "elasticsearch", Engine: "elasticsearch", Major: 8, url: Elasticsearch},
		{Name: "opensearch2", Engine: "opensearch", Major: 2, url: func(t testing.TB) string { return OpenSearch(t, 2) }},
		{Name: "opensearch3", Engine: "opensearch", Major: 3, url: func(t testing.TB) string { return OpenSearch(t, 3) }},
	}
	if u := os.Getenv("ELASTICSEARCH7_URL"); u != "" {
		nodes = append(nodes, SearchNode{Name: "elasticsearch7", Engine: "elasticsearch", Major: 7, url: func(testing.TB) string { return u }})
	}
	return nodes
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
	n.once.Do(func() {
		env := "OPENSEARCH" + strconv.Itoa(major) + "_URL"
		if u := os.Getenv(env); u != "" {
			n.url = u
			return
		}
		cmd := exec.Command("bash", filepath.Join(Root(), "scripts", "opensearch"), "start", strconv.Itoa(major))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if err != nil || !strings.HasPrefix(lines[len(lines)-1], "http") {
			n.err = "no " + env + " and scripts/opensearch start " + strconv.Itoa(major) + " failed: " + errText(err)
			return
		}
		n.url = lines[len(lines)-1]
	})
	if n.url == "" {
		Unavailable(t, n.err)
	}
	return n.url
}
