package testenv

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// FaultProxy sits between a client and a real server on 127.0.0.1 and answers 429 Too Many
// Requests to every Nth bulk request instead of passing it on, as a busy cluster would.
type FaultProxy struct {
	URL      string
	Bulk     atomic.Int64 // bulk requests seen
	Rejected atomic.Int64 // bulk requests answered with 429
}

// NewFaultProxy starts a proxy to target that refuses every nth request whose path ends in
// _bulk. It stops when the test ends.
func NewFaultProxy(t testing.TB, target string, nth int64) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/_bulk") {
			if n := p.Bulk.Add(1); n%nth == 0 {
				p.Rejected.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Elastic-Product", "Elasticsearch")
				w.WriteHeader(http.StatusTooManyRequests)
				w.Write([]byte(`{"error":{"type":"es_rejected_execution_exception","reason":"rejected execution (test proxy)"},"status":429}`))
				return
			}
		}
		rp.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	p.URL = "http://" + ln.Addr().String()
	return p
}
