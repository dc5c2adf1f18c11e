// Package elastic is dora's backend for Elasticsearch (7.10 and newer), OpenSearch (2.x, 3.x) and
// Amazon OpenSearch Service, told apart by the cluster's own answer to GET / (see Engine): tables
// are indices, aliases and data streams; a Spec becomes a search with aggregations (see
// query/esdsl); a Sink writes a new index version with _bulk and publishes it by swapping an alias.
//
// Credentials come from the environment: ELASTICSEARCH_API_KEY, or ELASTICSEARCH_USERNAME and
// ELASTICSEARCH_PASSWORD; ELASTICSEARCH_CA_CERT names a PEM file of CAs to trust, and
// ELASTICSEARCH_INSECURE=true turns off TLS verification. Amazon's endpoints (or DORA_AUTH=aws)
// are signed with SigV4 from the AWS default credential chain. None is ever printed or logged.
package elastic

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query/esdsl"
)

// MaxRows caps the rows a query returns, as the DuckDB backend does; Meta.Complete says when it
// cut rows off.
const MaxRows = 100_000

// Backend is an Elasticsearch or OpenSearch cluster, self-run or Amazon's.
type Backend struct {
	url    string // without credentials
	engine Engine
	// client sends the requests: go-elasticsearch's client for Elasticsearch 8 and newer, a
	// plain one (signing with opensearch-go's SigV4 signer when asked) for OpenSearch, older
	// Elasticsearch and every cluster reached with SigV4: go-elasticsearch refuses any server
	// that does not say it is Elasticsearch 8.
	client    performer
	transport *http.Transport

	// MaxRows caps the rows of a result; 0 means no cap.
	MaxRows int
	// PageSize is the number of composite buckets or hits per request; 0 means esdsl's default.
	PageSize int

	// schemas spares a query the mapping request that validating it made a moment before.
	schemas backends.SchemaCache

	// scriptOnce guards hasScripting, learned the first time a plan needs a script (scripting.go).
	scriptOnce   sync.Once
	hasScripting bool
}

// performer sends one request to the cluster, with retries.
type performer interface {
	Perform(*http.Request) (*http.Response, error)
}

// schemaTTL is how long a mapping read is trusted. Nothing cheaper than reading it again tells
// that it changed, so a long-lived TUI re-reads it now and then, after a failed query, and after
// this process publishes a new version.
const schemaTTL = 30 * time.Second

var _ backends.Backend = (*Backend)(nil)

func init() {
	open := func(ctx context.Context, url string) (backends.Backend, error) { return Open(ctx, url) }
	backends.Register("http", open)
	backends.Register("https", open)
}

// retryOn are the answers a request is sent again for, after a backoff.
var retryOn = []int{429, 502, 503, 504}

func retryBackoff(n int) time.Duration { return time.Duration(min(n, 6)) * 250 * time.Millisecond }

// Open connects to the cluster at url (http://host:9200) and asks it what it is (GET /): its
// distribution and version choose the client and the requests' differences. Requests to an
// Amazon OpenSearch endpoint (or with DORA_AUTH=aws) are signed with SigV4.
func Open(ctx context.Context, url string) (*Backend, error) {
	url = strings.TrimRight(url, "/")
	b := &Backend{url: backends.Redact(url), MaxRows: MaxRows, schemas: backends.SchemaCache{TTL: schemaTTL}}
	var err error
	if b.transport, err = newTransport(); err != nil {
		return nil, err
	}
	aws, err := awsAuthFor(url)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", backends.ErrUnavailable, err)
	}
	b.engine = Engine{Distribution: DistElasticsearch, AWS: aws != nil}
	if aws != nil && aws.service == "aoss" {
		b.engine.Distribution, b.engine.Serverless = DistOpenSearch, true
	}
	if b.client, err = b.neutralClient(ctx, url, aws); err != nil {
		return nil, err
	}
	if b.engine.Serverless {
		return b, nil // a collection has no GET / and no version to ask for
	}
	if err := b.identify(ctx); err != nil {
		return nil, err
	}
	if b.engine.Distribution == DistElasticsearch && b.engine.atLeast(8, 0) && aws == nil {
		if b.client, err = b.elasticClient(url); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// identify asks the cluster what it is. A node that serves nothing at "/" (the integ-test build
// of Elasticsearch answers 405) is known by its X-Elastic-Product header and asked for its
// version through the nodes API; an answer that names nothing is taken for Elasticsearch.
func (b *Backend) identify(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	if err != nil {
		return err
	}
	res, err := b.client.Perform(req)
	if err != nil {
		return b.unreachable(ctx, err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return b.unreachable(ctx, err)
	}
	if res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden {
		return b.statusError(b.parseAPIError(res.StatusCode, body))
	}
	e, ok := parseEngine(res.StatusCode, res.Header, body)
	if !ok {
		e.Distribution = DistElasticsearch
	}
	e.AWS = b.engine.AWS
	b.engine = e
	if e.Version == "" && e.Distribution == DistElasticsearch {
		if v, err := b.nodeVersion(ctx); err == nil {
			b.engine.setVersion(v)
		}
	}
	return nil
}

// Engine returns what the cluster said it is.
func (b *Backend) Engine() Engine { return b.engine }

// neutralClient is a plain HTTP client with no product check, with a SigV4 signer when aws is
// set.
func (b *Backend) neutralClient(ctx context.Context, rawURL string, aws *awsAuth) (performer, error) {
	base, err := url.Parse(rawURL)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("%w: %q is not a URL like http://host:9200", backends.ErrUnavailable, b.url)
	}
	base.Path = strings.TrimRight(base.Path, "/")
	c := &plainClient{base: base, transport: b.transport}
	switch {
	case aws != nil:
		if c.signer, err = aws.signer(ctx); err != nil {
			return nil, fmt.Errorf("%w: %s at %s: %v", backends.ErrUnavailable, b.engine.Product(), b.url, err)
		}
		base.User = nil // the signature is the credential
	case os.Getenv("ELASTICSEARCH_API_KEY") != "":
		c.header = http.Header{"Authorization": {"ApiKey " + os.Getenv("ELASTICSEARCH_API_KEY")}}
	case base.User == nil && os.Getenv("ELASTICSEARCH_USERNAME") != "":
		base.User = url.UserPassword(os.Getenv("ELASTICSEARCH_USERNAME"), os.Getenv("ELASTICSEARCH_PASSWORD"))
	}
	return c, nil
}

// elasticClient is go-elasticsearch's client, for Elasticsearch 8 and newer.
func (b *Backend) elasticClient(url string) (performer, error) {
	cfg := elasticsearch.Config{
		Addresses:     []string{url},
		APIKey:        os.Getenv("ELASTICSEARCH_API_KEY"),
		Transport:     b.transport,
		RetryOnStatus: retryOn,
		RetryBackoff:  retryBackoff,
		MaxRetries:    3,
		// A refused connection will be refused again: say so at once.
		RetryOnError: func(_ *http.Request, err error) bool { return !errors.Is(err, syscall.ECONNREFUSED) },
	}
	if cfg.APIKey == "" {
		cfg.Username = os.Getenv("ELASTICSEARCH_USERNAME")
		cfg.Password = os.Getenv("ELASTICSEARCH_PASSWORD")
	}
	c, err := elasticsearch.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: Elasticsearch at %s: %v", backends.ErrUnavailable, b.url, err)
	}
	return c, nil
}

// newTransport is an HTTP transport that trusts ELASTICSEARCH_CA_CERT besides the system's CAs
// and verifies certificates unless ELASTICSEARCH_INSECURE=true.
func newTransport() (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.MaxIdleConnsPerHost = 16
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if path := os.Getenv("ELASTICSEARCH_CA_CERT"); path != "" {
		pem, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("ELASTICSEARCH_CA_CERT: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ELASTICSEARCH_CA_CERT: %s holds no PEM certificate", path)
		}
		tc.RootCAs = pool
	}
	if v := os.Getenv("ELASTICSEARCH_INSECURE"); strings.EqualFold(v, "true") || v == "1" {
		tc.InsecureSkipVerify = true
	}
	t.TLSClientConfig = tc
	return t, nil
}

// Name returns the cluster URL without credentials.
func (b *Backend) Name() string { return b.url }

// SetMaxRows sets the cap on the rows a query returns.
func (b *Backend) SetMaxRows(n int) { b.MaxRows = n }

// Close releases idle connections.
func (b *Backend) Close() error {
	if c, ok := b.client.(io.Closer); ok {
		_ = c.Close()
	}
	b.transport.CloseIdleConnections()
	return nil
}

// apiError is an error answer from the cluster.
type apiError struct {
	Product string // "Elasticsearch", "OpenSearch", ...
	Status  int
	Type    string // the innermost cause's exception type
	Reason  string
	Index   string // index_not_found_exception: the missing index
}

func (e *apiError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("%s answered %d: %s", e.Product, e.Status, e.Reason)
	}
	return fmt.Sprintf("%s %s: %s", e.Product, e.Type, e.Reason)
}

type errorCause struct {
	Type      string       `json:"type"`
	Reason    string       `json:"reason"`
	Index     string       `json:"index"`
	CausedBy  *errorCause  `json:"caused_by"`
	RootCause []errorCause `json:"root_cause"`
}

// parseAPIError reads an error answer; the engine's name goes into its message.
func (b *Backend) parseAPIError(status int, body []byte) *apiError {
	var r struct {
		Error json.RawMessage `json:"error"`
		// Amazon's front door answers {"message": "..."} (or "Message") when it refuses a
		// request before the cluster sees it.
		Message string `json:"message"`
	}
	e := &apiError{Product: b.engine.Product(), Status: status}
	if json.Unmarshal(body, &r) != nil || len(r.Error) == 0 {
		e.Reason = cmp.Or(r.Message, strings.TrimSpace(string(body)))
		if e.Reason == "" {
			e.Reason = http.StatusText(status)
		}
		return e
	}
	var c errorCause
	if json.Unmarshal(r.Error, &c) != nil {
		var s string
		_ = json.Unmarshal(r.Error, &s)
		e.Reason = s
		return e
	}
	// The innermost cause says what went wrong; "all shards failed" does not.
	for c.CausedBy != nil || (c.Type == "search_phase_execution_exception" && len(c.RootCause) > 0) {
		if c.CausedBy != nil {
			c = *c.CausedBy
		} else {
			c = c.RootCause[0]
		}
	}
	e.Type, e.Reason, e.Index = c.Type, c.Reason, c.Index
	return e
}

// do sends one request and returns the body of a 2xx answer; any other answer is an *apiError,
// and a cluster that cannot be reached is backends.ErrUnavailable naming the URL.
func (b *Backend) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	status, out, err := b.send(ctx, method, path, "application/json", body, nil)
	if err != nil {
		return nil, err
	}
	if status >= 300 {
		return nil, b.statusError(b.parseAPIError(status, out))
	}
	return out, nil
}

// send sends one request, with header's fields besides, and returns the answer's status and body.
func (b *Backend) send(ctx context.Context, method, path, contentType string, body []byte, header http.Header) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := b.client.Perform(req)
	if err != nil {
		return 0, nil, b.unreachable(ctx, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, b.unreachable(ctx, err)
	}
	return res.StatusCode, out, nil
}

// unreachable explains a transport failure in a few words, without Go's wrapping.
func (b *Backend) unreachable(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	why := err.Error()
	var ne net.Error
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		why = "connection refused"
	case errors.As(err, &dns):
		why = "unknown host " + dns.Name
	case errors.As(err, &cert):
		why = "its TLS certificate is not trusted (" + cert.Err.Error() + "); set ELASTICSEARCH_CA_CERT to the CA's PEM file, or ELASTICSEARCH_INSECURE=true"
	case errors.As(err, &ne) && ne.Timeout():
		why = "timed out"
	case strings.Contains(why, "the client noticed that the server is not Elasticsearch"):
		why = "the server there is not Elasticsearch"
	case b.engine.AWS && strings.Contains(why, "failed to retrieve credentials"):
		why = "no AWS credentials to sign the requests with: dora looks where the AWS CLI does (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, SSO, the ECS task or EC2 instance role)"
	}
	return fmt.Errorf("%w: cannot reach %s at %s: %s", backends.ErrUnavailable, b.engine.Product(), b.url, why)
}

// statusError maps the answers every call can get onto the shared errors.
func (b *Backend) statusError(e *apiError) error {
	product := b.engine.Product()
	switch {
	case e.Status == http.StatusForbidden && b.engine.AWS:
		return fmt.Errorf("%w: %s at %s refused the request (403): %s. dora signs every request with SigV4 for the service and region of the endpoint, with the AWS default credential chain: check that those credentials' identity is allowed by the domain's access policy (or the collection's data access policy)", backends.ErrUnavailable, product, b.url, strings.TrimRight(e.Reason, "."))
	case e.Status == http.StatusForbidden && looksLikeAWS(e.Reason):
		return fmt.Errorf("%w: %s at %s refused the request (403): %s. That is how Amazon OpenSearch Service answers a request without a valid signature: set %s=aws (and AWS_REGION) to sign requests with SigV4", backends.ErrUnavailable, product, b.url, strings.TrimRight(e.Reason, "."), AuthEnv)
	case e.Status == http.StatusUnauthorized:
		return fmt.Errorf("%w: %s at %s refused the credentials: set ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD (%s)", backends.ErrUnavailable, product, b.url, e.Reason)
	case e.Status == http.StatusForbidden:
		return fmt.Errorf("%w: %s at %s: not allowed: %s", backends.ErrUnavailable, product, b.url, e.Reason)
	case e.Status == http.StatusTooManyRequests || e.Status >= 500 && e.Type != "too_many_buckets_exception" && e.Type != "search_phase_execution_exception":
		return fmt.Errorf("%w: %s at %s: %w", backends.ErrUnavailable, product, b.url, e)
	}
	return e
}

// looksLikeAWS tells Amazon's refusals of an unsigned or wrongly signed request.
func looksLikeAWS(reason string) bool {
	for _, s := range []string{"Authentication Token", "Signature Version 4", "signature we calculated", "not authorized to perform: es:", "not authorized to perform: aoss:"} {
		if strings.Contains(reason, s) {
			return true
		}
	}
	return false
}

// queryError maps an error from a search onto the shared errors, in words a user can act on.
func (b *Backend) queryError(ctx context.Context, table string, err error) error {
	b.schemas.Forget(table)
	var ae *apiError
	var re *esdsl.ResponseError
	typ, reason := "", ""
	switch {
	case errors.As(err, &ae):
		typ, reason = ae.Type, ae.Reason
	case errors.As(err, &re):
		typ, reason = re.Type, re.Reason
	default:
		return err
	}
	switch typ {
	case "index_not_found_exception":
		return b.noSuchTable(ctx, table)
	case "too_many_buckets_exception":
		return fmt.Errorf("%w: the query makes more groups than the cluster allows at once (search.max_buckets): add a LIMIT or a filter, or group by fewer or coarser columns", backends.ErrBadQuery)
	}
	if ae != nil && ae.Status >= 500 && typ != "search_phase_execution_exception" {
		return err
	}
	return fmt.Errorf("%w: %s", backends.ErrBadQuery, strings.TrimSpace(typ+": "+reason))
}

// noSuchTable lists the tables there are, for a table that is not one of them.
func (b *Backend) noSuchTable(ctx context.Context, table string) error {
	ts, err := b.Tables(ctx)
	if err != nil {
		return &backends.NoSuchTableError{Table: table}
	}
	return &backends.NoSuchTableError{Table: table, Tables: backends.TableNames(ts)}
}
