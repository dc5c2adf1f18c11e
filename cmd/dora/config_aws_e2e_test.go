package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/testenv"
)

// TestConfigAuthAWS names a cluster in the config file with auth: aws and a region, behind a
// proxy that accepts only requests signed with SigV4 for that region, in front of a real
// OpenSearch node: dora load, tables and query all go through signed, with the settings from the
// file alone (no DORA_AUTH, no AWS_REGION), and the secret key is printed nowhere. The same entry
// without auth: is refused by the proxy, and dora says how to sign.
func TestConfigAuthAWS(t *testing.T) {
	node := testenv.OpenSearch(t, 2)
	proxy, srv := testenv.NewSigV4Proxy(t, node, "es")
	testenv.SigV4Env(t, testenv.SigV4Secret)
	t.Setenv("AWS_REGION", "")
	for _, v := range []string{"DORA_AUTH", "DORA_AWS_SERVICE", "DORA_AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	table := fmt.Sprintf("dora-signed-%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { testenv.DeleteIndices(node, table+"-*") })
	exportCSV(t, dir, "clients.csv", "SELECT client_id, region, age FROM clients")

	config := func(entry string) []string {
		home := t.TempDir()
		if err := os.MkdirAll(filepath.Join(home, "dora"), 0o700); err != nil {
			t.Fatal(err)
		}
		body := "default: logs\nbackends:\n  logs:\n" + entry
		if err := os.WriteFile(filepath.Join(home, "dora", "config.yaml"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return []string{"XDG_CONFIG_HOME=" + home, "XDG_STATE_HOME=" + dir}
	}
	signed := config(fmt.Sprintf("    url: %s\n    auth: aws\n    region: %s\n", srv.URL, testenv.SigV4Region))

	var printed []string
	run := func(env []string, args ...string) run {
		r := dora(t, "", env, args...)
		printed = append(printed, r.stdout, r.stderr)
		return r
	}
	r := run(signed, "load", filepath.Join(dir, "clients.csv"), "--table", table, "--backend", "logs", "--id", "client_id")
	if r.code != 0 {
		t.Fatalf("load through the signing proxy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(signed, "tables", "--backend", "logs")
	if r.code != 0 || !strings.Contains(r.stdout, table) {
		t.Fatalf("tables: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(signed, "query", "--backend", "logs", "--format", "csv", `SELECT region, count(*) AS n, max(age) AS oldest FROM "`+table+`" GROUP BY region ORDER BY region`)
	if r.code != 0 {
		t.Fatalf("query: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	want := direct(t, "SELECT region, count(*), max(age) FROM clients GROUP BY region ORDER BY region")
	var b strings.Builder
	b.WriteString("region,n,oldest\n")
	for _, row := range want {
		fmt.Fprintf(&b, "%v,%v,%v\n", row[0], row[1], row[2])
	}
	if r.stdout != b.String() {
		t.Errorf("signed query on OpenSearch:\n%s\nDuckDB on the same rows:\n%s", r.stdout, b.String())
	}
	if proxy.Refused.Load() != 0 || proxy.Verified.Load() < 5 {
		t.Errorf("the proxy verified %d requests and refused %d; want every request signed", proxy.Verified.Load(), proxy.Refused.Load())
	}

	// Without auth: in the entry, the same proxy refuses, and dora says what to do.
	unsigned := config(fmt.Sprintf("    url: %s\n", srv.URL))
	r = run(unsigned, "tables", "--backend", "logs")
	if r.code == 0 || !strings.Contains(r.stderr, "DORA_AUTH=aws") {
		t.Errorf("unsigned: exit %d, want a refusal that says how to sign\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A misspelt auth: is refused with its line before anything is sent.
	bad := config(fmt.Sprintf("    url: %s\n    auth: sigv4\n", srv.URL))
	before := proxy.Refused.Load() + proxy.Verified.Load()
	r = run(bad, "tables", "--backend", "logs")
	if r.code == 0 || !strings.Contains(r.stderr, `auth: "sigv4"`) || !strings.Contains(r.stderr, "line 4") {
		t.Errorf("auth: sigv4: exit %d, want the line and what is allowed\n%s", r.code, r.stderr)
	}
	if n := proxy.Refused.Load() + proxy.Verified.Load(); n != before {
		t.Errorf("a config error sent %d requests", n-before)
	}
	for _, out := range printed {
		if strings.Contains(out, testenv.SigV4Secret) {
			t.Fatal("the secret access key was printed")
		}
	}
}
