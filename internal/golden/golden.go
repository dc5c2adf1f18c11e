// Package golden compares test output with files under testdata/, rewriting them when the test
// runs with -update. It is the one -update flag of dora's tests.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Check compares got with testdata/name.golden, or writes it there under -update.
func Check(t testing.TB, name, got string) {
	t.Helper()
	CheckFile(t, name+".golden", got)
}

// CheckFile compares got with testdata/file (a name with its extension, as q.sql), or writes it
// there under -update.
func CheckFile(t testing.TB, file, got string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", file, got, want)
	}
}
