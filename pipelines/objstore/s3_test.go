package objstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dora-dev/dora/pipelines/objstore/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// newS3 returns a store for the test endpoint and a new bucket in it.
func newS3(t *testing.T) (*S3, string) {
	t.Helper()
	srv := s3test.Need(t)
	st, err := NewS3(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st, srv.Bucket(t)
}

func TestS3ListPaginatesAndSkipsMarkers(t *testing.T) {
	st, bucket := newS3(t)
	ctx := t.Context()
	const n = 1005 // more than one default page of 1000
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("s3://%s/data/part-%04d.csv", bucket, i))
	}
	extra := []string{"data/_SUCCESS", "data/_temporary/0/x.csv", "data/.x.crc", "data_old/part-0.csv", "other.csv"}
	var keys []string
	for _, k := range extra {
		keys = append(keys, "s3://"+bucket+"/"+k)
	}
	keys = append(keys, want...)

	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	work := make(chan string)
	for range 8 {
		wg.Go(func() {
			for k := range work {
				if err := st.Put(ctx, k, strings.NewReader(k)); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	for _, pageSize := range []int32{0, 128} {
		st.pageSize = pageSize
		objs, err := st.List(ctx, "s3://"+bucket+"/data")
		if err != nil {
			t.Fatal(err)
		}
		if got := objKeys(objs); !slices.Equal(got, want) {
			t.Fatalf("page size %d: listed %d keys (first %q), want %d", pageSize, len(got), got[:min(3, len(got))], len(want))
		}
		if o := objs[7]; o.Size != int64(len(o.Key)) || o.ETag == "" || strings.Contains(o.ETag, `"`) {
			t.Errorf("object = %+v, want size %d and an unquoted ETag", o, len(o.Key))
		}
	}
	st.pageSize = 0

	objs, err := st.List(ctx, "s3://"+bucket+"/data/part-0007.csv")
	if err != nil || len(objs) != 1 || objs[0].Key != want[7] {
		t.Errorf("List(one object) = %+v, %v", objs, err)
	}
	objs, err = st.List(ctx, "s3://"+bucket+"/nothing-here")
	if err != nil || len(objs) != 0 {
		t.Errorf("List(no match) = %+v, %v; want nothing and no error", objs, err)
	}
	objs, err = st.List(ctx, "s3://"+bucket)
	if err != nil || len(objs) != n+2 {
		t.Errorf("List(bucket) = %d objects, %v; want %d", len(objs), err, n+2)
	}
}

func objKeys(objs []Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Key
	}
	return out
}

func TestS3RangedReads(t *testing.T) {
	st, bucket := newS3(t)
	ctx := t.Context()
	key := "s3://" + bucket + "/blob.bin"
	content := make([]byte, 100_000)
	for i := range content {
		content[i] = byte(i * 7)
	}
	if err := st.Put(ctx, key, bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	ra, err := st.ReaderAt(ctx, key, int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 1000)
	if n, err := ra.ReadAt(p, 5000); n != 1000 || err != nil || !bytes.Equal(p, content[5000:6000]) {
		t.Fatalf("ReadAt(5000) = %d, %v", n, err)
	}
	// The last bytes, as a Parquet footer read asks for more than is left.
	if n, err := ra.ReadAt(p, int64(len(content))-8); n != 8 || err != io.EOF || !bytes.Equal(p[:8], content[len(content)-8:]) {
		t.Fatalf("ReadAt(tail) = %d, %v", n, err)
	}
	if n, err := ra.ReadAt(p, int64(len(content))); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt(end) = %d, %v", n, err)
	}
	rc, err := st.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if all, err := io.ReadAll(rc); err != nil || !bytes.Equal(all, content) {
		t.Fatalf("Open read %d bytes, %v", len(all), err)
	}
}

func TestS3PutsLargeObjectsInParts(t *testing.T) {
	st, bucket := newS3(t)
	st.partSize = 5 << 20 // the S3 minimum
	ctx := t.Context()
	key := "s3://" + bucket + "/big.bin"
	content := bytes.Repeat([]byte("0123456789abcdef"), (11<<20)/16+3)
	// A reader that is not seekable and hands out small pieces, like a pipe.
	if err := st.Put(ctx, key, io.MultiReader(bytes.NewReader(content))); err != nil {
		t.Fatal(err)
	}
	objs, err := st.List(ctx, key)
	if err != nil || len(objs) != 1 || objs[0].Size != int64(len(content)) {
		t.Fatalf("List = %+v, %v; want one object of %d bytes", objs, err, len(content))
	}
	rc, err := st.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if all, err := io.ReadAll(rc); err != nil || !bytes.Equal(all, content) {
		t.Fatalf("read back %d bytes, %v; want %d", len(all), err, len(content))
	}
}

func TestS3MissingBucketAndObject(t *testing.T) {
	st, bucket := newS3(t)
	ctx := t.Context()
	_, err := st.List(ctx, "s3://no-such-bucket-dora/events/")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if want := `bucket "no-such-bucket-dora" does not exist (s3://no-such-bucket-dora/events/)`; err.Error() != want {
		t.Errorf("message = %q, want %q", err, want)
	}
	_, err = st.Open(ctx, "s3://"+bucket+"/missing.csv")
	if !errors.Is(err, ErrNotFound) || err.Error() != "s3://"+bucket+"/missing.csv does not exist" {
		t.Errorf("Open(missing) err = %v", err)
	}
}

func TestS3WrongCredentials(t *testing.T) {
	srv := s3test.Need(t)
	bucket := srv.Bucket(t)
	goodSecret := os.Getenv("AWS_SECRET_ACCESS_KEY")
	for _, tc := range []struct {
		name, env, value, reason string
	}{
		{"wrong secret", "AWS_SECRET_ACCESS_KEY", "wrong-secret-do-not-print", "the secret key does not match"},
		{"unknown key", "AWS_ACCESS_KEY_ID", "NOSUCHKEY", "the access key is not known"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			st, err := NewS3(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			url := "s3://" + bucket + "/events/"
			_, err = st.List(t.Context(), url)
			if !errors.Is(err, ErrCredentials) {
				t.Fatalf("err = %v, want ErrCredentials", err)
			}
			msg := err.Error()
			want := "S3 rejected the credentials for " + url + " (check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY): " + tc.reason
			if !strings.HasPrefix(msg, want) {
				t.Errorf("message = %q, want it to start %q", msg, want)
			}
			if strings.Contains(msg, "wrong-secret") || strings.Contains(msg, goodSecret) {
				t.Errorf("message %q shows a secret", msg)
			}
		})
	}
}

func TestS3SeesFilesDroppedIntoItsFolder(t *testing.T) {
	srv := s3test.Need(t)
	if srv.Dir == "" {
		t.Fatal("the endpoint came from AWS_ENDPOINT_URL_S3 without S3_ROOT naming its folder (scripts/test sets both)")
	}
	st, err := NewS3(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// A bucket is a folder, as scripts/s3 promises: tests can mkdir one and copy files in.
	writeFiles(t, filepath.Join(srv.Dir, "dropped"), map[string]string{
		"in/a.csv": "x,y\n1,2\n", "in/sub/b.csv": "x,y\n", "in/_SUCCESS": "",
	})
	objs, err := st.List(t.Context(), "s3://dropped/in/")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := objKeys(objs), []string{"s3://dropped/in/a.csv", "s3://dropped/in/sub/b.csv"}; !slices.Equal(got, want) {
		t.Fatalf("keys = %q, want %q", got, want)
	}
	if objs[0].Size != 8 {
		t.Errorf("size = %d, want 8", objs[0].Size)
	}
}

func TestS3ListsBuckets(t *testing.T) {
	s, bucket := newS3(t)
	names, err := s.Buckets(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, bucket) || !slices.IsSorted(names) {
		t.Errorf("buckets %v: want %s among them, sorted", names, bucket)
	}
}
