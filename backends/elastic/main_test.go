package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/testenv"
)

// esURL is the node the tests use; skipReason says why there is none.
var esURL, skipReason string

// prefix names every index the tests create, so they are easy to find and remove.
var prefix = fmt.Sprintf("doratest-%d", os.Getpid())

// TestMain finds a real Elasticsearch: ELASTICSEARCH_URL, or the node scripts/elasticsearch
// starts. Without one the tests skip loudly, except under CI=true, where they fail.
func TestMain(m *testing.M) {
	esURL = os.Getenv("ELASTICSEARCH_URL")
	if esURL == "" {
		esURL, skipReason = startNode()
	}
	if esURL == "" {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "\nFAIL: backends/elastic needs Elasticsearch and CI=true forbids skipping: %s\n\n", skipReason)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "\n*** SKIPPING the Elasticsearch tests: %s ***\n\n", skipReason)
	}
	code := m.Run()
	if esURL != "" {
		cleanupIndices()
	}
	// The node is left running: other packages' tests may share it, and scripts/test stops what
	// it started.
	os.Exit(code)
}

func startNode() (url, reason string) {
	script, err := filepath.Abs("../../scripts/elasticsearch")
	if err != nil {
		return "", err.Error()
	}
	if _, err := os.Stat(script); err != nil {
		return "", "no ELASTICSEARCH_URL and no scripts/elasticsearch: " + err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", script, "start")
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Sprintf("scripts/elasticsearch start failed (%v): %s", err, lastLines(errb.String(), 5))
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	url = strings.TrimSpace(lines[len(lines)-1])
	if !strings.HasPrefix(url, "http") {
		return "", fmt.Sprintf("scripts/elasticsearch start printed %q, not a URL", url)
	}
	return url, ""
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// cleanupIndices deletes whatever the tests left behind, by name: Elasticsearch refuses
// wildcard deletes (action.destructive_requires_name).
func cleanupIndices() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Open(ctx, esURL)
	if err != nil {
		return
	}
	body, err := b.do(ctx, "GET", "/_resolve/index/"+prefix+"*?expand_wildcards=all", nil)
	if err != nil {
		return
	}
	var r struct {
		Indices     []struct{ Name string } `json:"indices"`
		DataStreams []struct{ Name string } `json:"data_streams"`
	}
	if json.Unmarshal(body, &r) != nil {
		return
	}
	for _, d := range r.DataStreams {
		_, _ = b.do(ctx, "DELETE", "/_data_stream/"+d.Name, nil)
	}
	var names []string
	for _, i := range r.Indices {
		names = append(names, i.Name)
	}
	if len(names) > 0 {
		_, _ = b.do(ctx, "DELETE", "/"+strings.Join(names, ","), nil)
	}
}

// needES returns a backend on the test node, or skips.
func needES(t testing.TB) *Backend {
	t.Helper()
	if esURL == "" {
		testenv.Unavailable(t, "no Elasticsearch: "+skipReason)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Open(ctx, esURL)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// call sends a request and fails the test on an error answer.
func call(t testing.TB, b *Backend, method, path string, body any) []byte {
	t.Helper()
	var raw []byte
	switch x := body.(type) {
	case nil:
	case string:
		raw = []byte(x)
	default:
		var err error
		if raw, err = json.Marshal(x); err != nil {
			t.Fatal(err)
		}
	}
	out, err := b.do(context.Background(), method, path, raw)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return out
}

// createIndex makes an index with a mapping and documents, refreshed, deleted when the test ends.
func createIndex(t testing.TB, b *Backend, name string, settings map[string]any, props map[string]any, docs []map[string]any) {
	t.Helper()
	if settings == nil {
		settings = map[string]any{}
	}
	settings["number_of_replicas"] = 0
	call(t, b, "PUT", "/"+name, map[string]any{"settings": settings, "mappings": map[string]any{"properties": props}})
	t.Cleanup(func() { _, _ = b.do(context.Background(), "DELETE", "/"+name, nil) })
	bulk(t, b, name, docs)
}

func bulk(t testing.TB, b *Backend, name string, docs []map[string]any) {
	t.Helper()
	if len(docs) == 0 {
		return
	}
	var buf bytes.Buffer
	for _, d := range docs {
		buf.WriteString(`{"index":{}}` + "\n")
		line, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	out := call(t, b, "POST", "/"+name+"/_bulk?refresh=true", buf.String())
	var r struct {
		Errors bool `json:"errors"`
	}
	if err := json.Unmarshal(out, &r); err != nil || r.Errors {
		t.Fatalf("bulk into %s: %s", name, lastLines(string(out), 3))
	}
}
