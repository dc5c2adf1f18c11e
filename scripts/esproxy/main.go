// Command esproxy is a pass-through proxy in front of the integ-test Elasticsearch node for
// loaders that ask `GET /` first, which that node answers with 405 (its distribution has no
// main action). It answers `GET /` and `HEAD /` itself with the node's name, cluster name, cluster
// UUID and version, read from the node once at start (/_nodes/_local and /_cluster/state), and
// forwards every other request unchanged. `make bench-load` puts it in front of the node for the
// Spark job (the elasticsearch-hadoop connector calls `GET /` once per task).
//
//	esproxy LISTEN_ADDR UPSTREAM_URL     e.g. esproxy 127.0.0.1:0 http://127.0.0.1:9200
//
// It prints its own URL as its first line on stdout once it listens, and runs until killed.
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: esproxy LISTEN_ADDR UPSTREAM_URL")
		os.Exit(2)
	}
	up, err := url.Parse(os.Args[2])
	if err != nil {
		fail(err)
	}
	root, err := rootAnswer(up.String())
	if err != nil {
		fail(err)
	}
	rp := httputil.NewSingleHostReverseProxy(up)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Elastic-Product", "Elasticsearch")
			w.Header().Set("Content-Length", fmt.Sprint(len(root)))
			if r.Method == http.MethodGet {
				w.Write(root)
			}
			return
		}
		rp.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		fail(err)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	os.Stdout.Sync()
	fail(http.Serve(ln, h))
}

// rootAnswer builds what a full distribution answers on `GET /`.
func rootAnswer(base string) ([]byte, error) {
	var nodes struct {
		ClusterName string `json:"cluster_name"`
		Nodes       map[string]struct {
			Name        string `json:"name"`
			Version     string `json:"version"`
			BuildHash   string `json:"build_hash"`
			BuildFlavor string `json:"build_flavor"`
			BuildType   string `json:"build_type"`
		} `json:"nodes"`
	}
	if err := getJSON(base+"/_nodes/_local?filter_path=cluster_name,nodes.*.name,nodes.*.version,nodes.*.build_hash,nodes.*.build_flavor,nodes.*.build_type", &nodes); err != nil {
		return nil, err
	}
	var state struct {
		Metadata struct {
			ClusterUUID string `json:"cluster_uuid"`
		} `json:"metadata"`
	}
	if err := getJSON(base+"/_cluster/state/metadata?filter_path=metadata.cluster_uuid", &state); err != nil {
		return nil, err
	}
	for _, n := range nodes.Nodes {
		return json.Marshal(map[string]any{
			"name":         n.Name,
			"cluster_name": nodes.ClusterName,
			"cluster_uuid": state.Metadata.ClusterUUID,
			"version": map[string]any{
				"number":                              n.Version,
				"build_flavor":                        orDefault(n.BuildFlavor, "default"),
				"build_type":                          orDefault(n.BuildType, "zip"),
				"build_hash":                          n.BuildHash,
				"lucene_version":                      "",
				"minimum_wire_compatibility_version":  "7.17.0",
				"minimum_index_compatibility_version": "7.0.0",
			},
			"tagline": "You Know, for Search",
		})
	}
	return nil, fmt.Errorf("%s/_nodes/_local lists no node", base)
}

func getJSON(u string, v any) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "esproxy:", err)
	os.Exit(1)
}
