package testenv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
)

// The tests' own AWS credentials for signed requests: dora finds them through the default chain
// (the environment, set by SigV4Env), the verifying proxy knows them by their key id.
const (
	SigV4KeyID  = "AKIDDORASIGV4TEST"
	SigV4Secret = "dora/sigv4+test-secret-do-not-print"
	SigV4Region = "eu-west-1"
)

// SigV4Proxy stands in front of a real OpenSearch node as Amazon's front door does: it recomputes
// every request's SigV4 signature itself, with the AWS SDK's signer and the credentials it
// knows, and answers 403 in Amazon's words when the request is unsigned or the signature does not
// match; a request that passes goes on to the node.
type SigV4Proxy struct {
	secrets map[string]string // secret access keys by key id
	service string
	region  string
	node    *httputil.ReverseProxy
	// Verified and Refused count the requests passed on to the node and those answered 403.
	Verified atomic.Int64
	Refused  atomic.Int64
}

// NewSigV4Proxy starts a proxy to the node at nodeURL that accepts requests signed for service
// ("es" or "aoss") in SigV4KeyID's region with SigV4KeyID and SigV4Secret, and returns it with
// its server (closed when the test ends).
func NewSigV4Proxy(t testing.TB, nodeURL, service string) (*SigV4Proxy, *httptest.Server) {
	t.Helper()
	target, err := url.Parse(nodeURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &SigV4Proxy{secrets: map[string]string{SigV4KeyID: SigV4Secret}, service: service, region: SigV4Region,
		node: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv
}

func (p *SigV4Proxy) refuse(w http.ResponseWriter, message string) {
	p.Refused.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message})
}

// ServeHTTP verifies the request and passes it on, or refuses it as Amazon does.
func (p *SigV4Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if msg := p.verify(r, body); msg != "" {
		p.refuse(w, msg)
		return
	}
	p.Verified.Add(1)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.Header.Del("Authorization")
	p.node.ServeHTTP(w, r)
}

// verify recomputes the request's signature and returns why it is refused, or "".
func (p *SigV4Proxy) verify(r *http.Request, body []byte) string {
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

// SigV4Env gives dora the test's credentials (with secret as the secret key) through the
// environment, and no shared AWS config or profile.
func SigV4Env(t *testing.T, secret string) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_ACCESS_KEY_ID", SigV4KeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_REGION", SigV4Region)
}
