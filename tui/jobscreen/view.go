package jobscreen

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/format"
)

// View draws what is in front: the env form, a run with its log, or the two lists.
func (m *Model) View() string {
	w, h := m.w, m.h
	if w <= 0 || h <= 0 {
		return ""
	}
	s := m.styles
	if m.openErr != nil {
		msg := s.Status.Error.Render("✗ cannot open the run store "+m.opts.StorePath+": ") + termsafe.String(m.openErr.Error())
		return common.Box(s, "jobs", "\n "+msg+"\n\n "+s.Muted.Render("dora jobs runs says the same from a shell"), w, h, true)
	}
	bodyH := h - 1
	var body string
	switch {
	case m.launching != nil:
		body = m.formView(w, bodyH)
	case m.detail != nil:
		body = m.detailView(w, bodyH)
	default:
		body = m.listsView(w, bodyH)
	}
	if m.searching {
		return body + "\n" + common.Fit(" "+m.searchIn.View(), w)
	}
	return body + "\n" + m.statusLine(w)
}

func (m *Model) statusLine(w int) string {
	s := m.styles
	switch {
	case m.note != "" && m.noteBad:
		return common.Fit(s.Status.Error.Render(" ✗ "+termsafe.String(m.note)), w)
	case m.note != "":
		return common.Fit(s.Status.OK.Render(" ✓ "+m.note), w)
	case m.listErr != nil:
		return common.Fit(s.Status.Error.Render(" ✗ reading the runs: "+termsafe.String(m.listErr.Error())), w)
	case len(m.defErrs) > 0:
		return common.Fit(s.Status.Warn.Render(fmt.Sprintf(" ! %d job files do not read: %v", len(m.defErrs), m.defErrs[0])), w)
	}
	var parts []string
	if m.byJob != "" {
		parts = append(parts, "job "+m.byJob)
	}
	if st := statusFilters[m.byStatus]; st != "" {
		parts = append(parts, "status "+string(st))
	}
	if len(parts) == 0 {
		return common.Fit(s.Muted.Render(" all runs · "+m.opts.StorePath), w)
	}
	return common.Fit(s.Status.Info.Render(" runs of "+strings.Join(parts, ", "))+s.Muted.Render(" · esc shows all"), w)
}

// glyphs mark states so they read without colour.
var glyphs = map[jobs.State]string{jobs.Succeeded: "✓", jobs.Failed: "✗", jobs.TimedOut: "✗", jobs.Cancelled: "⊘",
	jobs.Running: "●", jobs.Pending: "●", jobs.Queued: "○"}

// stateText is a run's state with its glyph, coloured.
func (m *Model) stateText(st jobs.State) string {
	s := m.styles
	text := glyphs[st] + " " + string(st)
	switch st {
	case jobs.Succeeded:
		return s.Status.OK.Render(text)
	case jobs.Failed, jobs.TimedOut:
		return s.Status.Error.Render(text)
	case jobs.Cancelled:
		return s.Status.Warn.Render(text)
	case jobs.Running, jobs.Pending:
		return s.Accent.Render(text)
	}
	return s.Muted.Render(text)
}

func (m *Model) listsView(w, h int) string {
	s := m.styles
	defW := w
	side := w >= 60
	defH, runH := h, h
	if side {
		defW = min(40, w*2/5)
	} else {
		defH = min(h/2, max(3, len(m.defs)+2))
		runH = h - defH
	}
	runW := w - defW
	if !side {
		runW = w
	}
	defs := m.defsView(defW-2, defH-2)
	runs := m.runsView(runW-2, runH-2)
	title := "runs"
	if m.byJob != "" {
		title += " · " + m.byJob
	}
	if st := statusFilters[m.byStatus]; st != "" {
		title += " · " + string(st)
	}
	a := common.Box(s, fmt.Sprintf("jobs · %d", len(m.defs)), defs, defW, defH, m.pane == paneDefs)
	b := common.Box(s, title, runs, runW, runH, m.pane == paneRuns)
	if !side {
		return a + "\n" + b
	}
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range al {
		al[i] += bl[i]
	}
	return strings.Join(al, "\n")
}

// sparkBlocks draw a sparkline from lowest to highest.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws values as one block each, scaled to the largest.
func Sparkline(values []time.Duration) string {
	hi := slices.Max(append([]time.Duration{1}, values...))
	out := make([]rune, len(values))
	for i, v := range values {
		out[i] = sparkBlocks[min(len(sparkBlocks)-1, int(float64(v)/float64(hi)*float64(len(sparkBlocks)-1)+0.5))]
	}
	return string(out)
}

// window is the first row to draw so that the cursor at is inside h rows.
func window(at, n, h int) int {
	if h <= 0 || n <= h {
		return 0
	}
	return max(0, min(at-h/2, n-h))
}

func (m *Model) defsView(w, h int) string {
	s := m.styles
	if len(m.defs) == 0 {
		return s.Muted.Render(common.Truncate("no jobs: write NAME.yaml in", w)) + "\n" + s.Muted.Render(common.Truncate(m.opts.Dir, w))
	}
	const sparkN = 10
	var rows []string
	// One cursor a screen: with the runs in front, the job marked is the selected run's, the
	// one n launches, not the one the jobs list was left on.
	at := m.defAt
	if m.pane == paneRuns {
		at = -1
		if d := m.jobOf(); d != nil {
			at = slices.Index(m.defs, d)
		}
	}
	for i := window(max(0, at), len(m.defs), h); i < len(m.defs) && len(rows) < h; i++ {
		d := m.defs[i]
		spark := Sparkline(m.recent(d.Name, sparkN))
		nameW := max(4, w-sparkN-2)
		line := common.Fit(" "+d.Name, nameW) + " " + s.Accent.Render(common.FitLeft(spark, sparkN))
		if i == at {
			if m.pane == paneDefs {
				line = s.List.Selected.Render(common.Fit("›"+d.Name, nameW)) + " " + s.Accent.Render(common.FitLeft(spark, sparkN))
			} else {
				line = s.List.Cursor.Render(common.Fit("›"+d.Name, nameW)) + " " + s.Accent.Render(common.FitLeft(spark, sparkN))
			}
		}
		rows = append(rows, line)
	}
	return strings.Join(rows, "\n")
}

func (m *Model) runsView(w, h int) string {
	s := m.styles
	runs := m.shown()
	if len(runs) == 0 {
		if m.driver == nil {
			return s.Muted.Render(" opening the run store…")
		}
		return s.Muted.Render(" no runs yet: n launches the job under the cursor")
	}
	now := m.opts.Now()
	var rows []string
	for i := window(m.runAt, len(runs), h); i < len(runs) && len(rows) < h; i++ {
		r := runs[i]
		dur := "-"
		if d := m.duration(r); d > 0 {
			dur = format.Duration(d.Round(100 * time.Millisecond))
		}
		right := fmt.Sprintf("%8s %8s", dur, ago(now.Sub(r.CreatedAt)))
		if w >= 70 {
			right += "  " + r.ID
		}
		jobW := max(1, w-13-ansi.StringWidth(right)-2) // and a space before the state
		state := common.Fit(m.stateText(r.State), 13)
		line := common.Fit(" "+r.Job, jobW) + " " + state + " " + s.Muted.Render(right)
		if i == m.runAt && m.pane == paneRuns { // › marks the cursor without colour too
			line = s.List.Selected.Render(common.Fit("›"+r.Job, jobW) + " " + common.Fit(glyphs[r.State]+" "+string(r.State), 13) + " " + right)
		}
		rows = append(rows, common.Fit(line, w))
	}
	return strings.Join(rows, "\n")
}

// ago says how long ago t was, shortly: 12s, 3m, 2h, 4d.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// logH is the log's rows in the run view, less the one that says where the lines let go of are.
func (m *Model) logH() int {
	h := m.h - 1 - m.detailHeadH() - 2
	if m.dropped > 0 {
		h--
	}
	return max(1, h)
}

func (m *Model) detailHeadH() int {
	if m.detail != nil && m.detail.Place != "" {
		return 4
	}
	return 3
}

func (m *Model) detailView(w, h int) string {
	s := m.styles
	r := m.detail
	facts := []string{m.stateText(r.State), s.Bold.Render(r.Job), r.ID}
	if r.ExitCode != nil {
		facts = append(facts, fmt.Sprintf("exit %d", *r.ExitCode))
	}
	if d := m.duration(r); d > 0 {
		facts = append(facts, format.Duration(d.Round(100*time.Millisecond)))
	}
	facts = append(facts, fmt.Sprintf("attempt %d", max(1, r.Attempts)), r.Runner)
	head := []string{
		common.Fit(" "+strings.Join(facts, s.Muted.Render(" · ")), w),
		common.Fit(" "+s.Muted.Render(r.ShownCommand()), w),
		common.Fit(" "+m.reasonOrEnv(r), w),
	}
	if r.Place != "" { // kubernetes: namespace, pod and node
		head = append(head, common.Fit(" "+s.Muted.Render("on ")+r.Place, w))
	}
	lines := m.Log()
	logH := m.logH()
	start := max(0, min(m.scroll, len(lines)-logH))
	end := min(len(lines), start+logH)
	title := fmt.Sprintf("log · %s lines", format.Int(int64(m.dropped+len(lines))))
	if m.following && !r.State.Ended() {
		title += " · following"
	}
	body := make([]string, 0, logH+1)
	if m.dropped > 0 {
		body = append(body, s.Muted.Render("… "+m.droppedLine()))
	}
	match := m.Match()
	for i, l := range lines[start:end] {
		// A log is written by the job, not by the person at the terminal: its controls show as
		// escapes, and only its colours are kept, rebuilt from their numbers and ended on the
		// line, so they never reach the frame. A marked or searched line, or any line without
		// colours (NO_COLOR), is drawn plain.
		l = termsafe.Log(l)
		plain := ansi.Strip(l)
		switch start + i {
		case m.mark:
			body = append(body, s.Status.Error.Render("›"+plain))
		case match:
			body = append(body, s.Accent.Render("›")+m.highlight(plain))
		default:
			if m.search != nil || plain == l || s.NoColor {
				body = append(body, " "+m.highlight(plain))
			} else {
				body = append(body, " "+l+"\x1b[m")
			}
		}
	}
	return strings.Join(head, "\n") + "\n" + common.Box(s, title, strings.Join(body, "\n"), w, h-len(head), true)
}

func (m *Model) reasonOrEnv(r *jobs.Run) string {
	s := m.styles
	if r.Reason != "" {
		return s.Status.Warn.Render(r.Reason)
	}
	if len(r.Overrides) > 0 {
		return s.Muted.Render("overrides: ") + jobs.EnvLine(jobs.RedactEnv(r.Overrides))
	}
	return s.Muted.Render("no overrides")
}

func (m *Model) formView(w, h int) string {
	s := m.styles
	d := m.launching
	diff := m.formDiff(w - 4)
	formH := max(3, h-len(diff)-3)
	m.form.SetHeight(max(1, formH-2))
	m.form.SetWidth(max(10, w-4))
	top := common.Box(s, "launch "+d.Name+" · env, a KEY=VALUE a line · ctrl+r launches · esc cancels", " "+strings.ReplaceAll(m.form.View(), "\n", "\n "), w, formH, true)
	rest := common.Block(" "+s.Muted.Render(d.Name+": ")+s.Muted.Render(strings.Join(d.Command, " "))+"\n"+strings.Join(diff, "\n"), w, h-formH)
	return top + "\n" + rest
}

// formDiff shows what the form changes against the job's env.
func (m *Model) formDiff(w int) []string {
	s := m.styles
	d := m.launching
	env, err := overrides(d, m.form.Value())
	if err != nil {
		return []string{" " + s.Status.Error.Render(termsafe.String(err.Error()))}
	}
	if len(env) == 0 {
		return []string{" " + s.Muted.Render("the job's env as it is")}
	}
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	slices.Sort(names)
	out := []string{" " + s.Muted.Render("overrides:")}
	for _, k := range names {
		v := env[k]
		if jobs.IsSecret(k) {
			v = jobs.Redacted
		}
		if old, ok := jobs.RedactEnv(d.Env)[k]; ok {
			out = append(out, common.Fit(s.Status.Warn.Render(fmt.Sprintf("   ~ %s: %s → %s", k, old, v)), w))
		} else {
			out = append(out, common.Fit(s.Status.OK.Render(fmt.Sprintf("   + %s=%s", k, v)), w))
		}
	}
	return out
}
