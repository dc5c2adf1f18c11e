// Package testenv finds the real services integration tests run against, starting them with the
// project's scripts when they are not given. Under CI=true a service that cannot be had fails the
// test; elsewhere the test is skipped with a loud reason.
package testenv

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	esOnce sync.Once
	esURL  string
	esErr  string
)

// Root returns the repository root (the folder holding go.mod).
func Root() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// Elasticsearch returns the URL of a running Elasticsearch: $ELASTICSEARCH_URL, or a node started
// with scripts/elasticsearch.
func Elasticsearch(t testing.TB) string {
	t.Helper()
	esOnce.Do(func() {
		if u := os.Getenv("ELASTICSEARCH_URL"); u != "" {
			esURL = u
			return
		}
		cmd := exec.Command("bash", filepath.Join(Root(), "scripts", "elasticsearch"), "start")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if err != nil || len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], "http") {
			esErr = "could not start Elasticsearch with scripts/elasticsearch: " + errText(err)
			return
		}
		esURL = lines[len(lines)-1]
	})
	if esURL == "" {
		Unavailable(t, esErr)
	}
	return esURL
}

// Unavailable fails the test under CI=true and skips it loudly elsewhere.
func Unavailable(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and a required service is missing: %s", reason)
	}
	t.Skipf("SKIPPED, needs a real service: %s", reason)
}

func errText(err error) string {
	if err == nil {
		return "no URL printed"
	}
	return err.Error()
}

// DeleteIndices deletes the indices matching pattern (such as "dora-load-x-*") on the cluster at
// esURL, naming each one, since clusters refuse wildcard deletes by default.
func DeleteIndices(esURL, pattern string) {
	resp, err := http.Get(esURL + "/_cat/indices/" + pattern + "?h=index&expand_wildcards=open,closed")
	if err != nil {
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range strings.Fields(string(body)) {
		req, _ := http.NewRequest(http.MethodDelete, esURL+"/"+name, nil)
		if r, err := http.DefaultClient.Do(req); err == nil {
			r.Body.Close()
		}
	}
}
