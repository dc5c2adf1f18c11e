package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/internal/benchcpu"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/jobs"
	_ "github.com/dora-dev/dora/pipelines/jobs/local" // the runner the benchmark's jobs name
	"github.com/dora-dev/dora/tui/jobscreen"
)

// driveShell feeds msg to the shell and runs what it leads to (drain): the Jobs screen's poll
// ticks are not fed back but kept, for the benchmark to send when it wants one.
func driveShell(m *Model, msg tea.Msg) { drain(m, msg) }

// lastTick is the Jobs screen's poll tick as last seen, for the benchmark to send.
var lastTick tea.Msg

// isTick tells the Jobs screen's poll tick (an unexported type) by its name, and keeps it.
func isTick(msg tea.Msg) bool {
	if reflect.TypeOf(msg).String() == "jobs.tickMsg" {
		lastTick = msg
		return true
	}
	return false
}

// jobsBench is a run store with 1,000 finished runs of three jobs and one run of a fourth that
// is running with a log of 100,000 lines.
type jobsBench struct {
	opts     jobscreen.Options
	store    *jobs.Store
	followed *jobs.Run
	lines    int
}

func newJobsBench(b *testing.B) *jobsBench {
	ctx := context.Background()
	dir := b.TempDir()
	jb := &jobsBench{opts: jobscreen.Options{Dir: filepath.Join(dir, "jobs"), StorePath: filepath.Join(dir, "runs.db"),
		StateDir: filepath.Join(dir, "state"), Poll: time.Millisecond}}
	if err := os.MkdirAll(jb.opts.Dir, 0o755); err != nil {
		b.Fatal(err)
	}
	var defs []*jobs.Definition
	for _, name := range []string{"nightly-orders", "refresh-dims", "export-s3", "backfill"} {
		text := fmt.Sprintf("{name: %s, command: [echo, %s]}", name, name)
		if err := os.WriteFile(filepath.Join(jb.opts.Dir, name+".yaml"), []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
		d, err := jobs.ParseDefinition(name+".yaml", []byte(text))
		if err != nil {
			b.Fatal(err)
		}
		defs = append(defs, d)
	}
	s, err := jobs.OpenStore(ctx, jb.opts.StorePath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	jb.store = s
	me := jobs.Self()
	for i := 0; i < 1000; i++ {
		r, err := s.Create(ctx, jobs.NewRun{Definition: defs[i%3]}, me)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Begin(ctx, r.ID, time.Now()); err != nil {
			b.Fatal(err)
		}
		code, to := 0, jobs.Succeeded
		if i%7 == 0 {
			code, to = 1, jobs.Failed
		}
		if _, err := s.Finish(ctx, r.ID, to, &code, ""); err != nil {
			b.Fatal(err)
		}
	}
	r, err := s.Create(ctx, jobs.NewRun{Definition: defs[3]}, me)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Begin(ctx, r.ID, time.Now()); err != nil {
		b.Fatal(err)
	}
	jb.followed = r
	jb.appendLines(b, 100_000)
	return jb
}

// appendLines writes n more lines to the followed run's log, as its runner would.
func (jb *jobsBench) appendLines(b *testing.B, n int) {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		jb.lines++
		level := "INFO"
		if jb.lines%5000 == 0 {
			level = "ERROR"
		}
		fmt.Fprintf(&sb, "2026-12-01T10:%02d:%02d.%03dZ %s backfill: partition %06d written, 4096 rows\n",
			jb.lines/60000%60, jb.lines/1000%60, jb.lines%1000, level, jb.lines)
	}
	if err := jb.store.AppendLog(context.Background(), jb.followed.ID, []byte(sb.String()), true); err != nil {
		b.Fatal(err)
	}
}

// shell opens the workbench on the Jobs screen at w x h with the store read.
func (jb *jobsBench) shell(b *testing.B, w, h int) *Model {
	m := New(b.Context(), stubBackend{}, Options{Jobs: jb.opts, Screen: 4})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	driveShell(m, initCmdMsg{m.Init()})
	if !strings.Contains(screenText(m), "nightly-orders") {
		b.Fatalf("the Jobs screen did not read the store:\n%s", screenText(m))
	}
	return m
}

// initCmdMsg carries Init's command into driveShell.
type initCmdMsg struct{ cmd tea.Cmd }

// BenchmarkJobsKeypressToFrame measures the Jobs screen in the shell, at 80x24 and 200x60,
// with 1,000 finished runs in a real run store and a running job whose log has 100,000 lines:
// a key moving the run cursor (Update and View), a key cycling the status filter, opening
// the followed run (its whole log read from the store), a poll tick while it is followed (the
// runs and the new log lines read, 10 lines appended before each, untimed) and a key paging the
// log. cpu-ms/op is the process's CPU time per op, every goroutine's.
func BenchmarkJobsKeypressToFrame(b *testing.B) {
	jb := newJobsBench(b)
	down, up := testenv.Keys("j")[0], testenv.Keys("k")[0]
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		name := fmt.Sprintf("%dx%d", size[0], size[1])
		m := jb.shell(b, size[0], size[1])
		// Each op is the key's Update, its commands and the frame after it.
		key := func(b *testing.B, keys ...tea.Msg) {
			done := benchcpu.Start(b)
			i := 0
			for b.Loop() {
				driveShell(m, keys[i%len(keys)])
				_ = m.View()
				i++
			}
			done()
		}
		driveShell(m, testenv.Keys("tab")[0]) // the runs pane
		b.Run(name+"/move", func(b *testing.B) { key(b, down, up) })
		b.Run(name+"/filter", func(b *testing.B) { key(b, testenv.Keys("s")[0]) })
		for i := 0; i < 20 && !strings.Contains(screenText(m), "all runs"); i++ {
			driveShell(m, testenv.Keys("s")[0]) // back to all runs
		}
		driveShell(m, testenv.Keys("g")[0])
		b.Run(name+"/open", func(b *testing.B) {
			done := benchcpu.Start(b)
			for b.Loop() {
				driveShell(m, testenv.Keys("enter")[0])
				_ = m.View()
				b.StopTimer()
				if d := m.Screen(3).(*jobscreen.Model).Detail(); d == nil || d.ID != jb.followed.ID {
					b.Fatalf("enter opened %v, not the followed run", d)
				}
				driveShell(m, testenv.Keys("esc")[0])
				b.StartTimer()
			}
			done()
		})
		driveShell(m, testenv.Keys("enter")[0])
		b.Run(name+"/tick", func(b *testing.B) {
			tick := lastTick
			if tick == nil {
				b.Fatal("no poll tick seen")
			}
			done := benchcpu.Start(b)
			for b.Loop() {
				b.StopTimer()
				jb.appendLines(b, 10)
				b.StartTimer()
				driveShell(m, tick)
				_ = m.View()
			}
			done()
			if n := len(m.Screen(3).(*jobscreen.Model).Log()); n < 100_000 {
				b.Fatalf("the log view holds %d lines", n)
			}
		})
		b.Run(name+"/page", func(b *testing.B) { key(b, testenv.Keys("b")[0], testenv.Keys(" ")[0]) })
		driveShell(m, testenv.Keys("esc")[0])
	}
}
