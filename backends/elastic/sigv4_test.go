package elastic

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/query"
)

// The test's own AWS credentials: dora finds them through the default chain (the environment),
// the verifying proxy knows them by their key id.
const (
	sigKeyID  = "AKIDDORASIGV4TEST"
	sigSecret = "dora/sigv4+test-secret-do-not-print"
	sigRegion = "eu-west-1"
)

// sigV4Proxy stands in front of a real OpenSearch node as Amazon's front door does: it recomputes
// every request's SigV4 signature itself, with the AWS SDK's signer and the credentials it
// knows, and answers 403 in Amazon's words when the request is unsigned or the signature does not
// match; a request that passes goes on to the node.
type sigV4Proxy struct {
	secrets  map[string]string // secret access keys by key id
	service  string
	region   string
	node     *httputil.ReverseProxy
	verified atomic.Int64
	refused  atomic.Int64
}

func newSigV4Proxy(t *testing.T, nodeURL, service string) (*sigV4Proxy, *httptest.Server) {
	t.Helper()
	target, err := url.Parse(nodeURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &sigV4Proxy{secrets: map[string]string{sigKeyID: sigSecret}, service: service, region: sigRegion,
		node: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv
}

func (p *sigV4Proxy) refuse(w http.ResponseWriter, message string) {
	p.refused.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message})
}

func (p *sigV4Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if msg := p.verify(r, body); msg != "" {
		p.refuse(w, msg)
		return
	}
	p.verified.Add(1)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.Header.Del("Authorization")
	p.node.ServeHTTP(w, r)
}

// verify recomputes the request's signature and returns why it is refused, or "".
func (p *sigV4Proxy) verify(r *http.Request, body []byte) string {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return "Missing Authentication Token: the request is not signed with AWS Signature Version 4"
	}
	// AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex
	fields := map[string]string{}
	for _, f := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(f), "="); ok {
			fields[k] = v
		}
	}
	scope := strings.Split(fields["Credential"], "/")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || len(scope) != 5 || fields["Signature"] == "" {
		return "Authorization header requires Credential, SignedHeaders and Signature"
	}
	secret, ok := p.secrets[scope[0]]
	if !ok {
		return "The security token included in the request is invalid"
	}
	if scope[2] != p.region || scope[3] != p.service {
		return fmt.Sprintf("Credential should be scoped to a valid region (%s) and service (%s), not %s/%s", p.region, p.service, scope[2], scope[3])
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || time.Since(when).Abs() > 5*time.Minute {
		return "Signature expired or X-Amz-Date missing"
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if got := r.Header.Get("X-Amz-Content-Sha256"); got != "" && got != hash {
		return "The provided x-amz-content-sha256 header does not match what was computed"
	}
	// The same request, carrying only the headers the client signed, signed again here.
	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return err.Error()
	}
	again.Host = r.Host
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		if h != "host" && h != "content-length" {
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	creds := aws.Credentials{AccessKeyID: scope[0], SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, hash, p.service, p.region, when); err != nil {
		return err.Error()
	}
	if !strings.HasSuffix(again.Header.Get("Authorization"), "Signature="+fields["Signature"]) {
		return "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
	}
	return ""
}

// awsEnv gives dora the test's credentials through the environment, and no shared config.
func awsEnv(t *testing.T, secret string) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_ACCESS_KEY_ID", sigKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_REGION", sigRegion)
	t.Setenv(ServiceEnv, "")
}

// TestSigV4ThroughAVerifyingProxy runs tables, a query and a load against a real OpenSearch node
// through a proxy that accepts only correctly signed requests.
func TestSigV4ThroughAVerifyingProxy(t *testing.T) {
	proxy, srv := newSigV4Proxy(t, testenv.OpenSearch(t, 2), "es")
	awsEnv(t, sigSecret)
	t.Setenv(AuthEnv, "aws")
	ctx := context.Background()

	b, err := Open(ctx, srv.URL)
	if err != nil {
		t.Fatalf("opening through the signing proxy: %v", err)
	}
	defer b.Close()
	if e := b.Engine(); !e.AWS || e.Distribution != DistOpenSearch || e.Major != 2 {
		t.Fatalf("engine %+v, want signed OpenSearch 2", e)
	}

	// A load (create, bulk with a body, settings, refresh, alias swap), then a query of it.
	table := prefix + "-signed"
	schema := query.Schema{Table: table, Fields: []query.Field{{Name: "k", Type: query.TypeString}, {Name: "n", Type: query.TypeInt}}}
	sink, err := b.Sink(ctx, table, schema, backends.SinkOptions{Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	var rows []backends.Row
	var want int64
	for i := range 250 {
		rows = append(rows, backends.Row{[]string{"a", "b"}[i%2], int64(i)})
		want += int64(i)
	}
	if err := sink.Write(ctx, rows, nil); err != nil {
		t.Fatal(err)
	}
	if err := sink.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	ts, err := b.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(backends.TableNames(ts), ","), table) {
		t.Fatalf("tables %v lack %s", backends.TableNames(ts), table)
	}
	res, err := backends.Query(ctx, b, fmt.Sprintf(`SELECT count(*), sum(n) FROM %q`, table))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res.Rows); got != fmt.Sprintf("[[250 %d]]", want) {
		t.Errorf("count and sum through the proxy: %s, want [[250 %d]]", got, want)
	}
	if proxy.refused.Load() != 0 || proxy.verified.Load() < 8 {
		t.Errorf("the proxy verified %d requests and refused %d; want every request signed", proxy.verified.Load(), proxy.refused.Load())
	}
}

// TestSigV4RefusalsAreClear: a wrong secret and an unsigned request are refused by the proxy,
// and dora says so in words, without printing the secret.
func TestSigV4RefusalsAreClear(t *testing.T) {
	proxy, srv := newSigV4Proxy(t, testenv.OpenSearch(t, 2), "es")
	ctx := context.Background()

	wrong := "not-" + sigSecret
	awsEnv(t, wrong)
	t.Setenv(AuthEnv, "aws")
	_, err := Open(ctx, srv.URL)
	if err == nil || !errors.Is(err, backends.ErrUnavailable) {
		t.Fatalf("a wrong secret: %v, want ErrUnavailable", err)
	}
	for _, want := range []string{"refused the request (403)", "signature we calculated does not match", "AWS default credential chain"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("a wrong secret: %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), sigSecret) {
		t.Errorf("the error prints the secret: %q", err)
	}

	t.Setenv(AuthEnv, "")
	_, err = Open(ctx, srv.URL)
	if err == nil || !errors.Is(err, backends.ErrUnavailable) {
		t.Fatalf("unsigned: %v, want ErrUnavailable", err)
	}
	for _, want := range []string{"403", "not signed with AWS Signature Version 4", "DORA_AUTH=aws"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("unsigned: %q lacks %q", err, want)
		}
	}
	if proxy.refused.Load() < 2 || proxy.verified.Load() != 0 {
		t.Errorf("the proxy verified %d requests and refused %d; want every one refused", proxy.verified.Load(), proxy.refused.Load())
	}

	// A service the endpoint does not serve is refused too: the scope is part of the signature.
	awsEnv(t, sigSecret)
	t.Setenv(AuthEnv, "aws")
	t.Setenv(ServiceEnv, "aoss")
	b, err := Open(ctx, srv.URL)
	if err != nil {
		t.Fatalf("opening as Serverless: %v", err) // Serverless has no GET /: nothing is sent yet
	}
	defer b.Close()
	if _, err = b.Tables(ctx); err == nil || !strings.Contains(err.Error(), "valid region (eu-west-1) and service (es)") {
		t.Errorf("signed for aoss: %v, want a refusal naming the service", err)
	}
	if _, err := b.Sink(ctx, "t", query.Schema{}, backends.SinkOptions{}); err == nil || !strings.Contains(err.Error(), "dora cannot load into Amazon OpenSearch Serverless") {
		t.Errorf("a load into Serverless: %v, want a refusal in words", err)
	}
}

func TestAWSAuthFromHostAndEnvironment(t *testing.T) {
	t.Setenv(AuthEnv, "")
	t.Setenv(ServiceEnv, "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	for _, tc := range []struct {
		url, auth, region, service, err string
	}{
		{url: "http://127.0.0.1:9200"},
		{url: "https://search-logs-abc123xyz.us-east-1.es.amazonaws.com", region: "us-east-1", service: "es"},
		{url: "https://vpc-logs-abc123.eu-central-1.es.amazonaws.com:443", region: "eu-central-1", service: "es"},
		{url: "https://0123abcd.us-west-2.aoss.amazonaws.com", region: "us-west-2", service: "aoss"},
		{url: "https://search-x-1.cn-north-1.es.amazonaws.com.cn", region: "cn-north-1", service: "es"},
		{url: "https://search.example.com", auth: "aws", err: "needs a region: set AWS_REGION"},
		{url: "https://search.example.com", auth: "kerberos", err: `want aws`},
		{url: "https://search-logs-abc.us-east-1.es.amazonaws.com", auth: "none"},
	} {
		t.Run(tc.url+" "+tc.auth, func(t *testing.T) {
			t.Setenv(AuthEnv, tc.auth)
			a, err := awsAuthFor(tc.url)
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
			case err != nil:
				t.Fatal(err)
			case tc.service == "":
				if a != nil {
					t.Fatalf("signing %+v, want none", *a)
				}
			case a == nil || a.region != tc.region || a.service != tc.service:
				t.Fatalf("signing %+v, want %s in %s", a, tc.service, tc.region)
			}
		})
	}
}

func TestEngineFromTheClustersAnswer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
		body   string
		want   string
		ok     bool
		paging paging
	}{
		{"opensearch 2", 200, nil, `{"version":{"distribution":"opensearch","number":"2.19.6"},"tagline":"The OpenSearch Project"}`, "OpenSearch 2.19.6", true, pagingScroll},
		{"opensearch 3", 200, nil, `{"version":{"distribution":"opensearch","number":"3.6.0"}}`, "OpenSearch 3.6.0", true, pagingScroll},
		{"elasticsearch 8", 200, http.Header{"X-Elastic-Product": {"Elasticsearch"}}, `{"version":{"number":"8.19.21"}}`, "Elasticsearch 8.19.21", true, pagingPIT},
		{"elasticsearch 7.10", 200, nil, `{"version":{"number":"7.10.2","build_flavor":"oss"}}`, "Elasticsearch 7.10.2", true, pagingScroll},
		{"elasticsearch 7.17", 200, http.Header{"X-Elastic-Product": {"Elasticsearch"}}, `{"version":{"number":"7.17.9"}}`, "Elasticsearch 7.17.9", true, pagingPIT},
		{"integ-test node", 405, http.Header{"X-Elastic-Product": {"Elasticsearch"}}, `{"error":"Incorrect HTTP method"}`, "Elasticsearch", true, pagingPIT},
		{"a proxy", 404, nil, `not found`, "Elasticsearch", false, pagingPIT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, ok := parseEngine(tc.status, tc.header, []byte(tc.body))
			if !ok {
				e.Distribution = DistElasticsearch
			}
			if ok != tc.ok || e.String() != tc.want || e.paging() != tc.paging {
				t.Errorf("parseEngine: %q ok=%v paging %d, want %q ok=%v paging %d", e, ok, e.paging(), tc.want, tc.ok, tc.paging)
			}
		})
	}
	if e := (Engine{Distribution: DistOpenSearch, Serverless: true, AWS: true}); e.String() != "Amazon OpenSearch Serverless" || e.paging() != pagingNone {
		t.Errorf("serverless: %q paging %d", e, e.paging())
	}
}

// TestOpenKnowsEachEngine opens every test node and checks what dora took it for.
func TestOpenKnowsEachEngine(t *testing.T) {
	for _, node := range testenv.SearchNodes() {
		t.Run(node.Name, func(t *testing.T) {
			b, err := Open(context.Background(), node.URL(t))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			e := b.Engine()
			if e.Distribution != node.Engine || e.Major != node.Major || e.Version == "" {
				t.Errorf("%s: dora took it for %+v", node.Name, e)
			}
		})
	}
}
