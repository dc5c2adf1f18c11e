package testenv

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildDora builds the dora binary into dir and returns its path, for end-to-end tests.
func BuildDora(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "dora")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/dora-dev/dora/cmd/dora").CombinedOutput(); err != nil {
		t.Fatalf("building dora: %v\n%s", err, out)
	}
	return bin
}
