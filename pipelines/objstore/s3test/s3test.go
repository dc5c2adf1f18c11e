// Package s3test gives a package's tests a real S3 endpoint: the one AWS_ENDPOINT_URL_S3 names,
// or else a private versitygw that scripts/s3 starts on a free port over a temporary folder and
// stops when the tests end.
//
//	func TestMain(m *testing.M) { s3test.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		srv := s3test.Need(t)
//		bucket := srv.Bucket(t)
//		...
//	}
package s3test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Server is the S3 endpoint the tests use. The AWS_* environment variables point at it.
type Server struct {
	Endpoint string
	// Dir is the folder whose sub-folders are the buckets, so tests can drop files in directly;
	// empty when the endpoint came from the environment.
	Dir string
}

var (
	server   *Server
	startErr error
)

// Main runs the tests of a package with an S3 endpoint available and exits. When none can be
// had, tests calling Need skip with the reason, or, under CI=true, the run fails at once.
func Main(m *testing.M) {
	os.Exit(run(m))
}

// Run is Main for a TestMain with more to do after the tests: it returns m.Run's exit code.
func Run(m *testing.M) int { return run(m) }

func run(m *testing.M) int {
	stop, err := start()
	if err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "FAIL: no S3 endpoint and CI=true: %v\n", err)
			return 1
		}
		startErr = err
		fmt.Fprintf(os.Stderr, "WARNING: no S3 endpoint; tests that need S3 will be SKIPPED: %v\n", err)
	}
	defer stop()
	return m.Run()
}

// Need returns the S3 endpoint, or ends the test when there is none: skipped with the reason on
// a laptop, failed under CI=true.
func Need(t testing.TB) *Server {
	t.Helper()
	if server != nil {
		return server
	}
	reason := "s3test.Main did not run (add func TestMain(m *testing.M) { s3test.Main(m) })"
	if startErr != nil {
		reason = startErr.Error()
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("S3 is required under CI=true: %s", reason)
	}
	t.Skipf("SKIPPING: no S3 endpoint (%s)", reason)
	return nil
}

// Bucket creates a new empty bucket with a unique name and returns the name.
func (s *Server) Bucket(t testing.TB) string {
	t.Helper()
	ctx := t.Context()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	b := make([]byte, 6)
	rand.Read(b)
	name := "test-" + hex.EncodeToString(b)
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("creating bucket %s: %v", name, err)
	}
	return name
}

// start finds or starts the endpoint and returns how to stop what it started.
func start() (stop func(), err error) {
	noop := func() {}
	if ep := os.Getenv("AWS_ENDPOINT_URL_S3"); ep != "" {
		// scripts/test names the served folder in S3_ROOT (the last line of scripts/s3 start).
		server = &Server{Endpoint: ep, Dir: os.Getenv("S3_ROOT")}
		return noop, nil
	}
	script, err := findScript()
	if err != nil {
		return noop, err
	}
	port, err := freePort()
	if err != nil {
		return noop, err
	}
	dir, err := os.MkdirTemp("", "dora-s3-")
	if err != nil {
		return noop, err
	}
	env := append(os.Environ(), "S3_PORT="+strconv.Itoa(port), "S3_DIR="+dir)
	// The first run builds versitygw, which takes minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, script, "start")
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	stop = func() {
		cmd := exec.Command(script, "stop")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "scripts/s3 stop: %v\n%s", err, out)
		}
		os.RemoveAll(dir)
	}
	if err := cmd.Run(); err != nil {
		stop()
		return noop, fmt.Errorf("scripts/s3 start: %w\n%s", err, stderr.String())
	}
	srv := &Server{}
	var last string
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		line := sc.Text()
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			os.Setenv(k, v)
			if k == "AWS_ENDPOINT_URL_S3" {
				srv.Endpoint = v
			}
			continue
		}
		last = line
	}
	if srv.Endpoint == "" || last == "" {
		stop()
		return noop, fmt.Errorf("scripts/s3 start printed no endpoint and folder:\n%s", stdout.String())
	}
	srv.Dir = last
	server = srv
	return stop, nil
}

// findScript walks up from the working directory (a package folder under go test) to the
// repository root.
func findScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "scripts", "s3")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("scripts/s3 not found above the working directory")
		}
		dir = parent
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
