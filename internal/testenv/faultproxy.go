package testenv

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// FaultProxy sits between a client and a real server on 127.0.0.1 and answers 429 Too Many
// Requests to every Nth bulk request instead of passing it on, as a busy cluster would. With
// Record set it also keeps a copy of every bulk body it passes on, for tests that pin what a
// client sent the real server.
type FaultProxy struct {
	URL      string
	Bulk     atomic.Int64 // bulk requests seen
	Rejected atomic.Int64 // bulk requests answered with 429
	Record   atomic.Bool  // keep the bulk bodies passed on

	mu     sync.Mutex
	bodies [][]byte
}

// Bodies are the bulk bodies passed on while Record was set, in the order they arrived.
func (p *FaultProxy) Bodies() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.bodies)
}

// NewFaultProxy starts a proxy to target that refuses every nth request whose path ends in
// _bulk (none when nth is 0). It stops when the test ends.
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
			if n := p.Bulk.Add(1); nth > 0 && n%nth == 0 {
				p.Rejected.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Elastic-Product", "Elasticsearch")
				w.WriteHeader(http.StatusTooManyRequests)
				w.Write([]byte(`{"error":{"type":"es_rejected_execution_exception","reason":"rejected execution (test proxy)"},"status":429}`))
				return
			}
		}
		if p.Record.Load() && strings.HasSuffix(r.URL.Path, "/_bulk") {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			p.mu.Lock()
			p.bodies = append(p.bodies, body)
			p.mu.Unlock()
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
