package elastic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/query"
)

// awsEnv gives dora the test's credentials through the environment, and no shared config.
func awsEnv(t *testing.T, secret string) {
	testenv.SigV4Env(t, secret)
	t.Setenv(ServiceEnv, "")
	t.Setenv(RegionEnv, "")
}

// TestSigV4ThroughAVerifyingProxy runs tables, a query and a load against a real OpenSearch node
// through a proxy that accepts only correctly signed requests.
func TestSigV4ThroughAVerifyingProxy(t *testing.T) {
	proxy, srv := testenv.NewSigV4Proxy(t, testenv.OpenSearch(t, 2), "es")
	awsEnv(t, testenv.SigV4Secret)
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
	if proxy.Refused.Load() != 0 || proxy.Verified.Load() < 8 {
		t.Errorf("the proxy verified %d requests and refused %d; want every request signed", proxy.Verified.Load(), proxy.Refused.Load())
	}
}

// TestSigV4RefusalsAreClear: a wrong secret and an unsigned request are refused by the proxy,
// and dora says so in words, without printing the secret.
func TestSigV4RefusalsAreClear(t *testing.T) {
	proxy, srv := testenv.NewSigV4Proxy(t, testenv.OpenSearch(t, 2), "es")
	ctx := context.Background()

	wrong := "not-" + testenv.SigV4Secret
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
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), testenv.SigV4Secret) {
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
	if proxy.Refused.Load() < 2 || proxy.Verified.Load() != 0 {
		t.Errorf("the proxy verified %d requests and refused %d; want every one refused", proxy.Verified.Load(), proxy.Refused.Load())
	}

	// A service the endpoint does not serve is refused too: the scope is part of the signature.
	awsEnv(t, testenv.SigV4Secret)
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
