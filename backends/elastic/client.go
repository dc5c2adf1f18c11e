package elastic

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"syscall"
	"time"

	"github.com/opensearch-project/opensearch-go/v4/signer"
)

// plainClient sends requests to one node with net/http: for OpenSearch, Elasticsearch before 8
// and every cluster reached with SigV4, where go-elasticsearch's product check refuses to talk.
// opensearch-go's own transport is not used: it polls node stats and cluster health in the
// background, which Amazon's access policies and Serverless refuse and a workbench has no use
// for; its SigV4 signer is.
type plainClient struct {
	base      *url.URL // scheme, host and path prefix; user info for basic auth
	transport http.RoundTripper
	signer    signer.Signer // nil unless requests are signed
	header    http.Header   // sent with every request (an API key's Authorization)
}

// maxRetries bounds the times a request is sent again after an answer in retryOn or a failed
// connection (a refused one is not retried: it will be refused again).
const maxRetries = 3

// Perform sends req, whose URL is a path and query relative to the node, retrying as maxRetries
// says. The body is read once and resent from memory.
func (c *plainClient) Perform(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	target := *c.base
	target.Path = c.base.Path + req.URL.Path
	target.RawPath = ""
	if req.URL.RawPath != "" {
		target.RawPath = c.base.EscapedPath() + req.URL.RawPath
	}
	target.RawQuery = req.URL.RawQuery
	target.User = nil
	for attempt := 0; ; attempt++ {
		r := req.Clone(req.Context())
		r.URL, r.Host = &target, ""
		r.Body, r.ContentLength = http.NoBody, 0
		if body != nil {
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		}
		for k, v := range c.header {
			r.Header[k] = v
		}
		if u := c.base.User; u != nil {
			pass, _ := u.Password()
			r.SetBasicAuth(u.Username(), pass)
		}
		if c.signer != nil {
			if err := c.signer.SignRequest(r); err != nil {
				return nil, err
			}
		}
		res, err := c.transport.RoundTrip(r)
		retry := attempt < maxRetries && req.Context().Err() == nil &&
			(err != nil && !errors.Is(err, syscall.ECONNREFUSED) || err == nil && slices.Contains(retryOn, res.StatusCode))
		if !retry {
			return res, err
		}
		if res != nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		select {
		case <-req.Context().Done():
			return nil, req.Context().Err()
		case <-time.After(retryBackoff(attempt + 1)):
		}
	}
}

// Close releases idle connections.
func (c *plainClient) Close() error {
	if t, ok := c.transport.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
	return nil
}
