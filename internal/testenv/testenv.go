// Package testenv finds the real services integration tests run against, starting them with the
// project's scripts when they are not given. Under CI=true a service that cannot be had fails the
// test; elsewhere the test is skipped with a loud reason.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
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

var (
	dockerOnce sync.Once
	dockerHost string
	dockerErr  string
)

// Docker returns the DOCKER_HOST of a running Docker engine: $DOCKER_HOST, or a private dockerd
// started with scripts/docker (and left running for the next package's tests). DOCKER_HOST is
// set for the rest of the process, so Docker clients built from the environment reach it.
func Docker(t testing.TB) string {
	t.Helper()
	dockerOnce.Do(func() {
		if h := os.Getenv("DOCKER_HOST"); h != "" {
			if err := pingDocker(h); err != nil {
				dockerErr = "DOCKER_HOST=" + h + " does not answer: " + err.Error()
				return
			}
			dockerHost = h
			return
		}
		env, err := startScript("docker")
		dockerHost = env["DOCKER_HOST"]
		if err == nil && dockerHost == "" {
			err = errors.New("it printed no DOCKER_HOST")
		}
		if err != nil {
			dockerHost = ""
			dockerErr = "could not start dockerd with scripts/docker: " + err.Error()
			return
		}
		os.Setenv("DOCKER_HOST", dockerHost)
	})
	if dockerHost == "" {
		Unavailable(t, dockerErr)
	}
	return dockerHost
}

// pingDocker asks the engine at host (unix:// or tcp://) for /_ping.
func pingDocker(host string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	base := host
	if path, ok := strings.CutPrefix(host, "unix://"); ok {
		client.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}}
		base = "http://docker"
	} else if rest, ok := strings.CutPrefix(host, "tcp://"); ok {
		base = "http://" + rest
	}
	resp, err := client.Get(base + "/_ping")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/_ping answered %s", resp.Status)
	}
	return nil
}
