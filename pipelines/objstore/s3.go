package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// Defaults for the S3 store.
const (
	// DefaultMaxAttempts is how often a request is tried, unless AWS_MAX_ATTEMPTS says otherwise.
	DefaultMaxAttempts = 5
	// DefaultPartSize is the size of the parts Put uploads large objects in; it bounds Put's
	// memory, and objects up to 10,000 parts (80 GB) can be written.
	DefaultPartSize = 8 << 20
)

// S3 is Amazon S3 or an S3-compatible service. Keys are s3://bucket/key URLs.
type S3 struct {
	client   *s3.Client
	region   string
	pageSize int32 // objects per list request; 0 leaves it to the server (1000)
	partSize int
}

var _ Store = (*S3)(nil)

// NewS3 returns an S3 store configured the way the AWS CLI is: the default credential chain
// (environment, shared files, SSO, instance roles), AWS_REGION (us-east-1 when unset), and
// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for an S3-compatible endpoint, which is then
// addressed path-style (http://endpoint/bucket/key).
func NewS3(ctx context.Context) (*S3, error) {
	var opts []func(*config.LoadOptions) error
	if os.Getenv("AWS_MAX_ATTEMPTS") == "" {
		opts = append(opts, config.WithRetryMaxAttempts(DefaultMaxAttempts))
	}
	// The SDK would log its credential-chain fallbacks to stderr, over the TUI; failures come
	// back as errors, which are worded below.
	opts = append(opts, config.WithLogger(logging.Nop{}))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	// The client resolves AWS_ENDPOINT_URL_S3 itself before these options run, so BaseEndpoint
	// tells whether a custom endpoint is in use.
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
		// Ranged and multipart reads carry no whole-object checksum; the SDK would log that to
		// stderr on every read, over the TUI.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	return &S3{client: client, region: cfg.Region, partSize: DefaultPartSize}, nil
}

// splitS3 splits s3://bucket/key into its bucket and key.
func splitS3(url string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(url, "s3://")
	if !ok {
		return "", "", &storeError{kind: ErrInvalidAddress, msg: fmt.Sprintf("%q is not an s3:// address", url)}
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", &storeError{kind: ErrInvalidAddress, msg: fmt.Sprintf("%q names no bucket (use s3://bucket/prefix)", url)}
	}
	return bucket, key, nil
}

// List implements Store.
func (s *S3) List(ctx context.Context, prefix string) ([]Object, error) {
	bucket, key, err := splitS3(prefix)
	if err != nil {
		return nil, err
	}
	dir := key
	if dir != "" && !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(dir)}
	if s.pageSize > 0 {
		in.MaxKeys = aws.Int32(s.pageSize)
	}
	var out []Object
	pages := s3.NewListObjectsV2Paginator(s.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, s.wrap("listing", prefix, bucket, err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			// A key ending in "/" is a folder marker some tools create, not data.
			if strings.HasSuffix(k, "/") || hidden(strings.TrimPrefix(k, dir)) {
				continue
			}
			out = append(out, Object{
				Key:  "s3://" + bucket + "/" + k,
				Size: aws.ToInt64(o.Size),
				ETag: strings.Trim(aws.ToString(o.ETag), `"`),
			})
		}
	}
	if len(out) == 0 && key != "" && !strings.HasSuffix(key, "/") {
		// Nothing under the prefix as a folder: it may name one object.
		head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			if errors.Is(s.wrap("", prefix, bucket, err), ErrNotFound) {
				return nil, nil
			}
			return nil, s.wrap("listing", prefix, bucket, err)
		}
		out = append(out, Object{Key: prefix, Size: aws.ToInt64(head.ContentLength), ETag: strings.Trim(aws.ToString(head.ETag), `"`)})
	}
	// S3 lists in UTF-8 byte order already; compatible services are not all so careful.
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Open implements Store.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	bucket, k, err := splitS3(key)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
	if err != nil {
		return nil, s.wrap("reading", key, bucket, err)
	}
	return out.Body, nil
}

// ReaderAt implements Store: each ReadAt is one ranged GET, so callers should read in large
// pieces.
func (s *S3) ReaderAt(ctx context.Context, key string, size int64) (io.ReaderAt, error) {
	bucket, k, err := splitS3(key)
	if err != nil {
		return nil, err
	}
	return &s3ReaderAt{ctx: ctx, s: s, url: key, bucket: bucket, key: k, size: size}, nil
}

type s3ReaderAt struct {
	ctx         context.Context
	s           *S3
	url         string
	bucket, key string
	size        int64
}

func (r *s3ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("reading %s: negative offset %d", r.url, off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	want := int(min(int64(len(p)), r.size-off))
	out, err := r.s.client.GetObject(r.ctx, &s3.GetObjectInput{
		Bucket: aws.String(r.bucket),
		Key:    aws.String(r.key),
		Range:  aws.String(fmt.Sprintf("bytes=%d-%d", off, off+int64(want)-1)),
	})
	if err != nil {
		return 0, r.s.wrap("reading", r.url, r.bucket, err)
	}
	defer out.Body.Close()
	n, err := io.ReadFull(out.Body, p[:want])
	if err != nil {
		return n, fmt.Errorf("reading %s at %d: %w", r.url, off, err)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Put implements Store. Objects up to one part are sent in one request; larger ones in a
// multipart upload that is aborted on failure, so no partial object appears.
func (s *S3) Put(ctx context.Context, key string, r io.Reader) error {
	bucket, k, err := splitS3(key)
	if err != nil {
		return err
	}
	buf := make([]byte, s.partSize)
	n, err := io.ReadFull(r, buf)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket:        aws.String(bucket),
			Key:           aws.String(k),
			Body:          bytes.NewReader(buf[:n]),
			ContentLength: aws.Int64(int64(n)),
		})
		if err != nil {
			return s.wrap("writing", key, bucket, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("writing %s: %w", key, err)
	}
	return s.putMultipart(ctx, key, bucket, k, buf, r)
}

// putMultipart uploads a first full part already in buf, then the rest of r.
func (s *S3) putMultipart(ctx context.Context, url, bucket, key string, buf []byte, r io.Reader) (err error) {
	up, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:            aws.String(bucket),
		Key:               aws.String(key),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		return s.wrap("writing", url, bucket, err)
	}
	defer func() {
		if err != nil {
			// Abort even when ctx is what failed, so the parts do not linger (and bill).
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			s.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{
				Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
			})
		}
	}()
	var parts []types.CompletedPart
	n := len(buf)
	for num := int32(1); ; num++ {
		out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket:            aws.String(bucket),
			Key:               aws.String(key),
			UploadId:          up.UploadId,
			PartNumber:        aws.Int32(num),
			Body:              bytes.NewReader(buf[:n]),
			ContentLength:     aws.Int64(int64(n)),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
		})
		if err != nil {
			return s.wrap("writing", url, bucket, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(num), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
		n, err = io.ReadFull(r, buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("writing %s: %w", url, err)
		}
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(bucket),
		Key:             aws.String(key),
		UploadId:        up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return s.wrap("writing", url, bucket, err)
	}
	return nil
}

// wrap words an S3 failure for users: what was asked, of what, and what to check. Secrets
// never appear in the message.
func (s *S3) wrap(verb, url, bucket string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchBucket":
			return &storeError{kind: ErrNotFound, msg: fmt.Sprintf("bucket %q does not exist (%s)", bucket, url), cause: err}
		case "NoSuchKey", "NotFound":
			return &storeError{kind: ErrNotFound, msg: fmt.Sprintf("%s does not exist", url), cause: err}
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
			"TokenRefreshRequired", "InvalidClientTokenId", "AuthFailure",
			"XAdminUserNotFound": // versitygw's word for an unknown access key
			return &storeError{kind: ErrCredentials, cause: err, msg: fmt.Sprintf(
				"S3 rejected the credentials for %s (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY): %s",
				url, credentialReason(api.ErrorCode()))}
		case "AccessDenied", "AllAccessDisabled", "Forbidden":
			return &storeError{kind: ErrAccessDenied, cause: err, msg: fmt.Sprintf(
				"S3 denied access to %s: the credentials in use lack permission to %s it", url, verbOrRead(verb))}
		case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
			return &storeError{kind: ErrAccessDenied, cause: err, msg: fmt.Sprintf(
				"bucket %q is not in region %s (set AWS_REGION to the bucket's region)", bucket, s.region)}
		}
	}
	if strings.Contains(err.Error(), "get credentials:") { // the default chain found none
		return &storeError{kind: ErrCredentials, cause: err, msg: fmt.Sprintf(
			"no AWS credentials found for %s: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run where an instance or task role is available", url)}
	}
	var sign *v4.SigningError
	if errors.As(err, &sign) {
		return &storeError{kind: ErrCredentials, cause: err, msg: fmt.Sprintf(
			"no usable AWS credentials for %s (set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE): %v",
			url, errors.Unwrap(sign))}
	}
	if verb == "" {
		return err
	}
	return fmt.Errorf("%s %s: %w", verb, url, err)
}

func credentialReason(code string) string {
	switch code {
	case "InvalidAccessKeyId", "InvalidClientTokenId", "XAdminUserNotFound":
		return "the access key is not known"
	case "SignatureDoesNotMatch":
		return "the secret key does not match the access key"
	case "ExpiredToken", "TokenRefreshRequired":
		return "the session token has expired"
	}
	return "the credentials are not valid"
}

func verbOrRead(verb string) string {
	switch verb {
	case "writing":
		return "write"
	case "listing":
		return "list"
	}
	return "read"
}

// Buckets lists the buckets the credentials can see, sorted by name.
func (s *S3) Buckets(ctx context.Context) ([]string, error) {
	out, err := s.client.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		return nil, s.wrap("listing", "s3://", "", err)
	}
	names := make([]string, 0, len(out.Buckets))
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	slices.Sort(names)
	return names, nil
}
