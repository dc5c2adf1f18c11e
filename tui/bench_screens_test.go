package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/internal/benchcpu"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/tui/etlscreen"
	"github.com/dora-dev/dora/tui/loads"
)

// keyBench times keys pressed in turn through the shell: each op is a key's Update, the
// commands it returns (drained) and the frame after it. cpu-ms/op is the process's CPU time per
// op, every goroutine's.
func keyBench(b *testing.B, m *Model, keys ...tea.Msg) {
	done := benchcpu.Start(b)
	i := 0
	for b.Loop() {
		drain(m, keys[i%len(keys)])
		_ = m.View()
		i++
	}
	done()
}

// BenchmarkLoadsKeypressToFrame measures the Loads screen in the shell, at 80x24 and 200x60,
// browsing a local folder of 1,000 files: j and k moving the cursor (Update and View; the
// cursor walks down 10 entries and back, so the listing scrolls at 80x24).
func BenchmarkLoadsKeypressToFrame(b *testing.B) {
	dir := b.TempDir()
	for i := range 1000 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%05d.csv", i)), []byte(goldenCSV(i*10, 1+i%10)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	down, up := testenv.Keys("j")[0], testenv.Keys("k")[0]
	walk := make([]tea.Msg, 0, 20)
	for range 10 {
		walk = append(walk, down)
	}
	for range 10 {
		walk = append(walk, up)
	}
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		b.Run(fmt.Sprintf("%dx%d/move", size[0], size[1]), func(b *testing.B) {
			m := New(b.Context(), stubBackend{}, Options{Screen: 2, Loads: loads.Options{Start: dir,
				History: filepath.Join(b.TempDir(), "history.ndjson"), DeadLetterDir: b.TempDir(), Poll: time.Millisecond}})
			m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			ls := m.Screen(1).(*loads.Model)
			drain(m, initCmdMsg{ls.Init()})
			if n := len(ls.Entries()); n != 1000 {
				b.Fatalf("%d entries listed, want 1,000 (%v)", n, ls.Err())
			}
			// Into the middle of the listing, so the cursor moves with entries above and below.
			for range 500 {
				drain(m, down)
			}
			keyBench(b, m, walk...)
			if !strings.Contains(screenText(m), "part-005") {
				b.Fatalf("the cursor left the middle of the listing:\n%s", screenText(m))
			}
		})
	}
}

var (
	etlBenchOnce sync.Once
	etlBenchDir  *etlFolder
)

// RemoveBenchFolders removes what the benchmarks built once for the whole run; TestMain (in
// package tui_test) calls it when the run is over.
func RemoveBenchFolders() {
	if etlBenchDir != nil {
		os.RemoveAll(etlBenchDir.dir)
	}
}

// etlBenchFolder is a catalog where table bench.events has 50 versions, published once for
// every benchmark of the run.
func etlBenchFolder(b *testing.B) *etlFolder {
	etlBenchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dora-etl-bench")
		if err != nil {
			b.Fatal(err)
		}
		f := newETLFolder(b, dir, "events", "table: bench.events\nsource: $SRC\nquality:\n  checks:\n    - {check: \"row_count > 0\", level: error}\n")
		for i := range 50 {
			f.source(b, fmt.Sprintf("SELECT range AS id, 'e' || (range %% 7) AS kind FROM range(%d)", 100+i*10))
			f.publish(b, "events")
		}
		etlBenchDir = f
	})
	if etlBenchDir == nil {
		b.Fatal("the benchmark catalog was not built")
	}
	return etlBenchDir
}

// BenchmarkETLKeypressToFrame measures the ETL screen in the shell, at 80x24 and 200x60, on a
// SQLite catalog whose table has 50 versions (the newest 12 with their metrics read): j and k
// moving the cursor in the versions pane (Update and View; it walks down 20 versions and
// back, so the pane scrolls and the quality pane shows versions with and without metrics).
func BenchmarkETLKeypressToFrame(b *testing.B) {
	f := etlBenchFolder(b)
	down, up := testenv.Keys("j")[0], testenv.Keys("k")[0]
	walk := make([]tea.Msg, 0, 40)
	for range 20 {
		walk = append(walk, down)
	}
	for range 20 {
		walk = append(walk, up)
	}
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		b.Run(fmt.Sprintf("%dx%d/versions", size[0], size[1]), func(b *testing.B) {
			m := New(b.Context(), stubBackend{}, Options{Screen: 3, ETL: etlscreen.Options{Dir: filepath.Join(f.dir, "pipelines"), Catalog: f.cfg,
				StateDir: b.TempDir(), WorkDir: f.dir, Poll: time.Millisecond}})
			m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			es := m.Screen(2).(*etlscreen.Model)
			drain(m, initCmdMsg{es.Init()})
			if ps := es.Pipelines(); len(ps) != 1 || len(ps[0].Versions) != 50 {
				b.Fatalf("pipelines: %+v", ps)
			}
			if len(es.Quality()) != 12 {
				b.Fatalf("metrics read for %d versions, want 12", len(es.Quality()))
			}
			drain(m, testenv.Keys("tab")[0]) // the versions pane
			keyBench(b, m, walk...)
			if !strings.Contains(screenText(m), "50 versions") {
				b.Fatalf("the versions pane:\n%s", screenText(m))
			}
		})
	}
}
