package testenv

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildDora builds the dora binary into a folder of the test's and returns its path, for the
// end-to-end tests that drive it.
func BuildDora(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dora")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/dora-dev/dora/cmd/dora").CombinedOutput(); err != nil {
		t.Fatalf("building dora: %v\n%s", err, out)
	}
	return bin
}
