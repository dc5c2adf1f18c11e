// Package dockertest builds the images tests run on a real Docker engine, offline: from a folder
// with a Dockerfile that starts FROM scratch, sent to the engine as a tar build context.
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/moby/moby/client"

	"github.com/dora-dev/dora/internal/testenv"
)

// Client returns a client for the engine testenv.Docker finds, closed when the test ends.
func Client(t testing.TB) *client.Client {
	t.Helper()
	testenv.Docker(t)
	c, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// GoProgram builds the Go program in pkg (a package path or ./dir, from the module root) as a
// static binary into dir/name.
func GoProgram(t testing.TB, pkg, dir, name string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg)
	cmd.Dir = testenv.Root()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, out)
	}
}

// Build builds the folder dir (holding a Dockerfile) as the image tag.
func Build(t testing.TB, dir, tag string) {
	t.Helper()
	BuildOn(t, Client(t), dir, tag)
}

// BuildOn is Build on the engine c talks to (a test's private engine).
func BuildOn(t testing.TB, c *client.Client, dir, tag string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		t.Fatalf("packing %s: %v", dir, err)
	}
	// The image the tag named before is removed after the build, so test runs leave no trail of
	// untagged images on the engine.
	var before string
	if in, err := c.ImageInspect(t.Context(), tag); err == nil {
		before = in.ID
	}
	defer func() {
		if in, err := c.ImageInspect(context.Background(), tag); before != "" && err == nil && in.ID != before {
			c.ImageRemove(context.Background(), before, client.ImageRemoveOptions{})
		}
	}()
	res, err := c.ImageBuild(t.Context(), &buf, client.ImageBuildOptions{Tags: []string{tag}, Remove: true, ForceRemove: true})
	if err != nil {
		t.Fatalf("building image %s: %v", tag, err)
	}
	defer res.Body.Close()
	// The answer is a stream of JSON messages; a failed step is one with an error.
	dec := json.NewDecoder(res.Body)
	var log bytes.Buffer
	for {
		var m struct {
			Stream string `json:"stream"`
			Error  string `json:"error"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("building image %s: reading the answer: %v", tag, err)
		}
		log.WriteString(m.Stream)
		if m.Error != "" {
			t.Fatalf("building image %s: %s\n%s", tag, m.Error, log.String())
		}
	}
}

// Scratch builds the files in dir into an image FROM scratch, at its root, with entrypoint (if
// any) as its ENTRYPOINT.
func Scratch(t testing.TB, tag, dir string, entrypoint ...string) {
	t.Helper()
	ScratchOn(t, Client(t), tag, dir, entrypoint...)
}

// ScratchOn is Scratch on the engine c talks to.
func ScratchOn(t testing.TB, c *client.Client, tag, dir string, entrypoint ...string) {
	t.Helper()
	df := "FROM scratch\nCOPY . /\n"
	if len(entrypoint) > 0 {
		ep, _ := json.Marshal(entrypoint)
		df += "ENTRYPOINT " + string(ep) + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	BuildOn(t, c, dir, tag)
}

var (
	builtMu sync.Mutex
	built   = map[string]bool{}
)

// ProgramImage builds the Go program pkg (from the module root) FROM scratch as the image tag,
// once per test binary: at /program, which is the ENTRYPOINT unless bare is set.
func ProgramImage(t testing.TB, tag, pkg string, bare bool) {
	t.Helper()
	ProgramImageOn(t, Client(t), tag, pkg, bare)
}

// ProgramImageOn is ProgramImage on the engine c talks to, once per test binary and engine.
func ProgramImageOn(t testing.TB, c *client.Client, tag, pkg string, bare bool) {
	t.Helper()
	builtMu.Lock()
	defer builtMu.Unlock()
	key := c.DaemonHost() + " " + tag
	if built[key] {
		return
	}
	dir := t.TempDir()
	GoProgram(t, pkg, dir, "program")
	if bare {
		ScratchOn(t, c, tag, dir)
	} else {
		ScratchOn(t, c, tag, dir, "/program")
	}
	built[key] = true
}
