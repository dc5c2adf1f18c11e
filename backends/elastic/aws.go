package elastic

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/opensearch-project/opensearch-go/v4/signer"
	"github.com/opensearch-project/opensearch-go/v4/signer/awsv2"
)

// AuthEnv names the variable that turns on SigV4 signing for a cluster whose host does not say
// it is Amazon's (a custom domain endpoint, an SSH tunnel, a proxy): DORA_AUTH=aws.
const AuthEnv = "DORA_AUTH"

// ServiceEnv names the variable that picks the service requests are signed for: "es" (Amazon
// OpenSearch Service domains, the default) or "aoss" (Serverless collections). A host under
// .aoss.amazonaws.com needs no setting.
const ServiceEnv = "DORA_AWS_SERVICE"

// RegionEnv names the variable that gives the region requests are signed for when the host does
// not say it (a custom endpoint, a tunnel); AWS_REGION and AWS_DEFAULT_REGION come after it.
const RegionEnv = "DORA_AWS_REGION"

// awsHost matches the endpoints of Amazon OpenSearch Service domains
// (search-NAME-ID.REGION.es.amazonaws.com, vpc-...) and Serverless collections
// (ID.REGION.aoss.amazonaws.com), in the commercial and China partitions.
var awsHost = regexp.MustCompile(`^(?:[^.]+\.)?([a-z]{2}(?:-gov)?-[a-z]+-\d+)\.(es|aoss)\.amazonaws\.com(?:\.cn)?$`)

// awsAuth is how requests to an Amazon cluster are signed.
type awsAuth struct {
	service string // "es" or "aoss"
	region  string
}

// awsAuthFor says whether requests to rawURL are signed with SigV4, for which service and
// region: when the host is an Amazon OpenSearch endpoint, or DORA_AUTH=aws. The region comes
// from the host, else DORA_AWS_REGION, else AWS_REGION (or AWS_DEFAULT_REGION).
func awsAuthFor(rawURL string) (*awsAuth, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", rawURL, err)
	}
	mode := strings.ToLower(strings.TrimSpace(os.Getenv(AuthEnv)))
	m := awsHost.FindStringSubmatch(strings.ToLower(u.Hostname()))
	switch {
	case mode != "" && mode != "aws" && mode != "none":
		return nil, fmt.Errorf("%s=%q: want aws (sign requests with SigV4) or none", AuthEnv, mode)
	case mode == "none" || m == nil && mode != "aws":
		return nil, nil
	}
	a := &awsAuth{service: "es"}
	if m != nil {
		a.region, a.service = m[1], m[2]
	}
	if s := strings.ToLower(os.Getenv(ServiceEnv)); s != "" {
		if s != "es" && s != "aoss" {
			return nil, fmt.Errorf("%s=%q: want es (OpenSearch Service domains) or aoss (Serverless collections)", ServiceEnv, s)
		}
		a.service = s
	}
	if a.region == "" {
		a.region = cmp.Or(os.Getenv(RegionEnv), os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"))
	}
	if a.region == "" {
		return nil, fmt.Errorf("signing requests to %s with SigV4 needs a region: set AWS_REGION (or region: in the config file's entry)", u.Host)
	}
	return a, nil
}

// signer signs with the AWS default credential chain (environment, shared config and
// credentials files, SSO, the ECS or EC2 role); credentials are read when a request is signed,
// so expiring ones are renewed, and are never printed.
func (a *awsAuth) signer(ctx context.Context) (signer.Signer, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(a.region))
	if err != nil {
		return nil, fmt.Errorf("loading AWS credentials: %w", err)
	}
	s, err := awsv2.NewSignerWithService(cfg, a.service)
	if err != nil {
		return nil, fmt.Errorf("signing for %s: %w", a.service, err)
	}
	return s, nil
}
