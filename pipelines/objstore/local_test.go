package objstore

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func keys(objs []Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

func TestLocalListsFolderRecursivelySortedWithoutMarkers(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"a.txt":                       "1",
		"a/b.csv":                     "22",
		"dt=2024-01-01/part-0.csv":    "333",
		"_SUCCESS":                    "",
		".part-0.csv.crc":             "x",
		"_temporary/0/part-9.csv":     "x",
		"dt=2024-01-01/.hidden/x.csv": "x",
	})
	st, prefix, err := Open(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := st.List(t.Context(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{root + "/a.txt", root + "/a/b.csv", root + "/dt=2024-01-01/part-0.csv"}
	if got := keys(objs); !slices.Equal(got, want) {
		t.Fatalf("keys = %q, want %q", got, want)
	}
	if objs[2].Size != 3 || objs[2].ETag == "" {
		t.Errorf("object = %+v, want size 3 and an ETag", objs[2])
	}
}

func TestLocalListsOneFile(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"x.csv": "abc"})
	objs, err := Local{}.List(t.Context(), "file://"+root+"/x.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Key != root+"/x.csv" || objs[0].Size != 3 {
		t.Fatalf("objects = %+v", objs)
	}
}

func TestLocalMissingPathSaysSo(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := Local{}.List(t.Context(), missing)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if want := "listing " + missing + ": no such file or folder"; err.Error() != want {
		t.Errorf("message = %q, want %q", err, want)
	}
}

func TestLocalPutOpenAndRanges(t *testing.T) {
	ctx := t.Context()
	key := filepath.Join(t.TempDir(), "deep", "er", "obj.bin")
	st := Local{}
	if err := st.Put(ctx, key, strings.NewReader("0123456789")); err != nil {
		t.Fatal(err)
	}
	rc, err := st.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "0123456789" {
		t.Fatalf("content = %q", b)
	}
	ra, err := st.ReaderAt(ctx, key, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer ra.(io.Closer).Close()
	p := make([]byte, 4)
	if n, err := ra.ReadAt(p, 3); n != 4 || err != nil || string(p) != "3456" {
		t.Fatalf("ReadAt(3) = %d, %v, %q", n, err, p)
	}
	if n, err := ra.ReadAt(p, 8); n != 2 || err != io.EOF || string(p[:n]) != "89" {
		t.Fatalf("ReadAt(8) = %d, %v, %q", n, err, p[:n])
	}
	// No temporary file is left beside the object.
	entries, _ := os.ReadDir(filepath.Dir(key))
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want 1", len(entries))
	}
}

func TestOpenChoosesStoreByAddress(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	st, prefix, err := Open(t.Context(), "s3://bucket/some/prefix")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.(*S3); !ok || prefix != "s3://bucket/some/prefix" {
		t.Errorf("Open(s3) = %T, %q", st, prefix)
	}
	st, prefix, err = Open(t.Context(), "relative/dir")
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if _, ok := st.(Local); !ok || prefix != filepath.Join(wd, "relative/dir") {
		t.Errorf("Open(local) = %T, %q", st, prefix)
	}
	for _, bad := range []string{"s3://", "s3:///key", "gs://bucket/x"} {
		if _, _, err := Open(t.Context(), bad); !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("Open(%q) err = %v, want ErrInvalidAddress", bad, err)
		}
	}
}
