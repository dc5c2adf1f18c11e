package etlscreen

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/testenv"
)

// A run published from the screen after a dora killed inside its commit says, on its status
// line, that it removed the killed write's files, as dora etl run says on stderr.
func TestARunSaysItRemovedAnInterruptedWrite(t *testing.T) {
	h := newHarness(t, map[string]string{"movies": movies})
	h.source("movies", moviesRows)
	h.Keys("down")
	h.publish()
	if h.versions() != 1 {
		t.Fatalf("the first run published %d versions", h.versions())
	}
	bin := testenv.BuildDora(t, t.TempDir())
	h.source("movies", strings.Replace(moviesRows, "'Alien'", "'Aliens'", 1))
	before := metadataFiles(t, h.cfg.Warehouse)

	// Another writer holds the catalog, so the killed run waits inside its commit with its
	// files in the warehouse.
	db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(h.cfg.Catalog, "sqlite:")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "etl", "run", filepath.Join(h.dir, "pipelines", "movies.yaml"))
	cmd.Env = append(os.Environ(), "DORA_CATALOG="+h.cfg.Catalog, "DORA_WAREHOUSE="+h.cfg.Warehouse, "XDG_STATE_HOME="+t.TempDir(), "TMPDIR="+t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); len(metadataFiles(t, h.cfg.Warehouse)) == len(before); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the run wrote no metadata file in 60 s")
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	conn.ExecContext(context.Background(), "COMMIT")
	conn.Close()

	h.m.SetSize(220, 30) // the status line holds the outcome, then the note
	h.publish()
	scr := h.Screen()
	if !regexp.MustCompile(`removed \d+ files of an interrupted write to film\.movies \(pid \d+ on `).MatchString(scr) {
		t.Errorf("the run's status line does not say it removed the killed write's files:\n%s", scr)
	}
	if h.versions() != 2 {
		t.Errorf("the run after the kill: %d versions, want 2", h.versions())
	}
}

// metadataFiles lists the table metadata files under the warehouse.
func metadataFiles(t *testing.T, warehouse string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(warehouse, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".metadata.json") {
			out = append(out, p)
		}
		return nil
	})
	return out
}
