package jobscreen

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/tui/common"
)

const counter = `name: counter
command: ["/bin/sh", "-c", "i=1; while [ $i -le 300 ]; do echo line $i; i=$((i+1)); done"]
`

func TestSearchTheLogAndPageThroughIt(t *testing.T) {
	h := newHarness(t, map[string]string{"counter": counter})
	h.Keys("n", "ctrl+r")
	h.Until("the whole log, dora's last line included", func() bool {
		log := h.m.Log()
		return h.m.Detail() != nil && h.m.Detail().State == jobs.Succeeded && slices.Contains(log, "line 300") &&
			slices.ContainsFunc(log, func(l string) bool { return strings.HasPrefix(l, "dora: run SUCCEEDED") })
	})
	h.Keys("/")
	if !h.m.InputFocused() {
		t.Fatal("/ should open the search line, which takes typing (so q and digits stay in it)")
	}
	h.Keys("n", "e", " ", "7")
	if scr := h.Screen(); !strings.Contains(scr, "/ne 7") {
		t.Errorf("the search line should show what is typed:\n%s", scr)
	}
	h.Keys("enter")
	// line 7 and 70-79, below dora's own first lines
	if note, _ := h.m.Note(); !strings.HasPrefix(note, "match 1 of 11 · line ") || h.m.Log()[h.m.Match()] != "line 7" {
		t.Fatalf("enter should find the first match: note %q, on %d", note, h.m.Match())
	}
	scr := h.Screen()
	if !strings.Contains(scr, "›line 7\n") && !strings.Contains(scr, "›line 7 ") {
		t.Errorf("the match's line should be marked:\n%s", scr)
	}
	h.Keys("n")
	if got := h.m.Log()[h.m.Match()]; got != "line 70" {
		t.Errorf("n should go to the next match, is on %q", got)
	}
	h.Keys("N", "N")
	if got := h.m.Log()[h.m.Match()]; got != "line 79" {
		t.Errorf("N twice from the second match should wrap to the last, is on %q", got)
	}
	if scr := h.Screen(); !strings.Contains(scr, "›line 79") {
		t.Errorf("the last match should be shown:\n%s", scr)
	}

	// Capitals make the search mind case: nothing in the log says LINE.
	h.Keys("/", "L", "I", "N", "E", "enter")
	if note, bad := h.m.Note(); !bad || !strings.Contains(note, `no line has "LINE"`) {
		t.Errorf("a search that finds nothing should say so: %q", note)
	}
	h.Keys("esc") // the first esc puts the search away, the second goes back
	if h.m.Detail() == nil {
		t.Fatal("esc with a search should stay on the run")
	}

	first := func() string { return strings.TrimSpace(strings.Split(h.Screen(), "│")[1]) } // the log's first row
	shows := func(i int) bool { return strings.HasPrefix(h.m.Log()[i], strings.TrimSuffix(first(), "…")) }
	h.Keys("home")
	if !shows(0) {
		t.Errorf("home should show the log's top, first row %q", first())
	}
	h.Keys("pgdown")
	if !shows(h.m.logH()) {
		t.Errorf("pgdn should move a page, first row %q, want %q", first(), h.m.Log()[h.m.logH()])
	}
	h.Keys("end")
	if scr := h.Screen(); !strings.Contains(scr, "dora: run SUCCEEDED") || strings.Contains(scr, "line 1\n") {
		t.Errorf("end should show the log's end:\n%s", scr)
	}
	h.Keys("pgup")
	if h.m.following || h.m.scroll != max(0, len(h.m.Log())-2*h.m.logH()) {
		t.Errorf("pgup should move a page up from the end: scroll %d of %d lines", h.m.scroll, len(h.m.Log()))
	}
}

func TestAVeryLongLogKeepsItsLastLines(t *testing.T) {
	h := newHarness(t, map[string]string{"counter": counter}, func(o *Options) { o.MaxLogLines = 100 })
	h.Keys("n", "ctrl+r")
	h.Until("the whole log", func() bool {
		return h.m.Detail() != nil && h.m.Detail().State == jobs.Succeeded && slices.Contains(h.m.Log(), "line 300")
	})
	log := h.m.Log()
	if n := len(log); n < 100 || n > 110 {
		t.Errorf("the screen should keep about the last 100 lines, keeps %d", n)
	}
	if slices.Contains(log, "line 1") {
		t.Error("the first lines should have been let go")
	}
	want := fmt.Sprintf("%d earlier lines in dora jobs logs %s", h.m.Dropped(), h.m.Detail().ID)
	if scr := h.Screen(); h.m.Dropped() == 0 || !strings.Contains(scr, want) {
		t.Errorf("the run view should say where the earlier lines are (%q):\n%s", want, scr)
	}
}

// Lines let go of while a search is on take their matches with them; the match shown stays.
func TestTheSearchFollowsTheCap(t *testing.T) {
	m := New(common.New(context.Background(), nil, true), Options{MaxLogLines: 10})
	m.SetSize(80, 24)
	m.openRun(&jobs.Run{ID: "r1", Job: "j"})
	var chunk strings.Builder
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&chunk, "step %d\n", i)
	}
	m.addLog([]byte(chunk.String()))
	m.setSearch("step 1")                  // step 1, step 10
	m.nextMatch(1)                         // on step 10
	m.addLog([]byte("a\nb\nc\nd\ne\nf\n")) // 16 lines: beyond 10 + 1, so back to 10
	if m.Dropped() != 6 || len(m.Log()) != 10 {
		t.Fatalf("dropped %d, kept %d", m.Dropped(), len(m.Log()))
	}
	if at := m.Match(); at < 0 || m.Log()[at] != "step 10" || len(m.matches) != 1 {
		t.Errorf("the search should still be on step 10, is on %d of %v", at, m.matches)
	}
	if scr := ansi.Strip(m.View()); !strings.Contains(scr, "… 6 earlier lines in dora jobs logs r1") {
		t.Errorf("the view should say where the earlier lines are:\n%s", scr)
	}
}
