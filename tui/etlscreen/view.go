package etlscreen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/etl"
	"github.com/dora-dev/dora/tui/chart"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/format"
)

// View draws the plan or run in front, or the pipelines beside their table's versions and the
// selected version's quality; the last line is the status.
func (m *Model) View() string {
	w, h := m.w, m.h
	if w <= 0 || h <= 0 {
		return ""
	}
	var body string
	if m.detail != nil || m.planning {
		body = m.detailView(w, h-1)
	} else {
		body = m.listsView(w, h-1)
	}
	return body + "\n" + m.statusLine(w)
}

func (m *Model) statusLine(w int) string {
	s := m.styles
	switch {
	case m.confirming != nil:
		c := m.confirming
		return common.Fit(s.Status.Warn.Render(fmt.Sprintf(" ? roll %s back to version %d (%s rows, %s)? y/n",
			c.p.P.Table, c.to.ID, format.Int(c.to.Rows), c.to.At.UTC().Format("2006-01-02 15:04"))), w)
	case m.note != "" && m.noteBad:
		return common.Fit(s.Status.Error.Render(" ✗ "+termsafe.String(m.note)), w)
	case m.note != "":
		return common.Fit(s.Status.OK.Render(" ✓ "+m.note), w)
	case m.listErr != nil:
		return common.Fit(s.Status.Error.Render(" ✗ reading "+m.opts.Dir+": "+termsafe.String(m.listErr.Error())), w)
	case m.qualityErr != nil:
		return common.Fit(s.Status.Error.Render(" ✗ reading the metrics: "+termsafe.String(m.qualityErr.Error())), w)
	}
	return common.Fit(s.Muted.Render(" pipelines in "+m.opts.Dir), w)
}

func (m *Model) listsView(w, h int) string {
	s := m.styles
	leftW := min(32, w*2/5)
	rightW := w - leftW
	left := common.Box(s, fmt.Sprintf("pipelines · %d", len(m.pipelines)), m.pipelinesView(leftW-2, h-2), leftW, h, m.pane == panePipelines)
	verH := max(4, min(h/2, len(m.versions())+3))
	title := "versions"
	if p := m.selected(); p != nil && p.P != nil {
		title += " · " + p.P.Table
	}
	top := common.Box(s, title, m.versionsView(rightW-2, verH-2), rightW, verH, m.pane == paneVersions)
	bottom := common.Box(s, m.qualityTitle(), m.qualityView(rightW-2, h-verH-2), rightW, h-verH, false)
	ll, rl := strings.Split(left, "\n"), strings.Split(top+"\n"+bottom, "\n")
	for i := range ll {
		if i < len(rl) {
			ll[i] += rl[i]
		}
	}
	return strings.Join(ll, "\n")
}

// window is the first row to draw so that the cursor at is inside h rows.
func window(at, n, h int) int {
	if h <= 0 || n <= h {
		return 0
	}
	return max(0, min(at-h/2, n-h))
}

func (m *Model) pipelinesView(w, h int) string {
	s := m.styles
	if len(m.pipelines) == 0 {
		if !m.loaded {
			return s.Muted.Render(" reading the pipelines…")
		}
		return s.Muted.Render(common.Truncate(" no pipelines: write NAME.yaml in", w)) + "\n " + s.Muted.Render(common.Truncate(m.opts.Dir, w-1))
	}
	var rows []string
	for i := window(m.at, len(m.pipelines), h); i < len(m.pipelines) && len(rows) < h; i++ {
		p := m.pipelines[i]
		right := fmt.Sprintf("%dv", len(p.Versions))
		switch {
		case p.P == nil:
			right = "✗ file"
		case p.Err != nil:
			right = "✗ catalog"
		case m.runs(p):
			right = "● run"
		}
		name := common.Fit(" "+p.Name(), max(1, w-ansi.StringWidth(right)-1))
		line := name + " " + right
		switch {
		case i == m.at && m.pane == panePipelines:
			line = s.List.Selected.Render(line)
		case i == m.at:
			line = s.List.Cursor.Render(common.Fit("›"+p.Name(), max(1, w-ansi.StringWidth(right)-1))) + " " + right
		case p.P == nil || p.Err != nil:
			line = name + " " + s.Status.Error.Render(right)
		}
		rows = append(rows, line)
	}
	return strings.Join(rows, "\n")
}

// checkCounts is a version's check outcomes in glyphs: ✓3 !1 ✗0.
func (m *Model) checkCounts(cs []etl.CheckOutcome) string {
	if len(cs) == 0 {
		return m.styles.Muted.Render("no checks")
	}
	n := map[string]int{}
	for _, c := range cs {
		n[c.Outcome]++
	}
	parts := []string{m.styles.Status.OK.Render(fmt.Sprintf("✓%d", n["pass"]))}
	if n["warn"] > 0 {
		parts = append(parts, m.styles.Status.Warn.Render(fmt.Sprintf("!%d", n["warn"])))
	}
	if n["fail"] > 0 {
		parts = append(parts, m.styles.Status.Error.Render(fmt.Sprintf("✗%d", n["fail"])))
	}
	return strings.Join(parts, " ")
}

func (m *Model) versionsView(w, h int) string {
	s := m.styles
	p := m.selected()
	switch {
	case p == nil:
		return ""
	case p.P == nil:
		return s.Status.Error.Render(common.Truncate(" "+termsafe.String(p.Err.Error()), w))
	case p.Err != nil:
		return s.Status.Error.Render(common.Truncate(" "+termsafe.String(p.Err.Error()), w))
	case len(p.Versions) == 0:
		return s.Muted.Render(common.Truncate(" no version yet: p publishes one", w))
	}
	vs := m.versions()
	rows := make([]float64, len(p.Versions))
	for i, v := range p.Versions {
		rows[i] = float64(v.Rows)
	}
	sparkW := min(len(rows), max(1, w-20))
	out := []string{" rows " + chart.Sparkline(s.Accent, rows[len(rows)-sparkW:], sparkW, 1) + s.Muted.Render(fmt.Sprintf(" %d versions", len(vs)))}
	for i := window(m.versionAt, len(vs), h-1); i < len(vs) && len(out) < h; i++ {
		v := vs[i]
		checks, _ := etl.SnapshotChecks(v.Summary)
		mark := "  "
		if v.Current {
			mark = "* "
		}
		left := fmt.Sprintf("%s%s %9s", mark, v.At.Local().Format("01-02 15:04:05"), format.Int(v.Rows))
		id := ""
		if w >= 60 {
			id = "  " + strconv.FormatInt(v.ID, 10)
		}
		if i == m.versionAt && m.pane == paneVersions {
			line := common.Fit(left+"  "+ansi.Strip(m.checkCounts(checks))+id, w)
			out = append(out, s.List.Selected.Render(line))
			continue
		}
		out = append(out, common.Fit(left+"  "+m.checkCounts(checks)+s.Muted.Render(id), w))
	}
	return strings.Join(out, "\n")
}

func (m *Model) qualityTitle() string {
	if v := m.selectedVersion(); v != nil {
		return fmt.Sprintf("quality · version %d", v.ID)
	}
	return "quality"
}

// previousOf is the version before v in the list, oldest first, or nil.
func (m *Model) previousOf(v *catalog.Snapshot) *catalog.Snapshot {
	p := m.selected()
	for i := 1; p != nil && i < len(p.Versions); i++ {
		if p.Versions[i].ID == v.ID {
			return &p.Versions[i-1]
		}
	}
	return nil
}

func metricText(mt etl.Metric) string {
	if mt.Value != nil {
		if *mt.Value == float64(int64(*mt.Value)) {
			return format.Int(int64(*mt.Value))
		}
		return format.Float(*mt.Value)
	}
	return mt.Text
}

// qualityView is the selected version's metrics beside the version before it, then its checks.
func (m *Model) qualityView(w, h int) string {
	s := m.styles
	v := m.selectedVersion()
	if v == nil {
		return ""
	}
	checks, journal := etl.SnapshotChecks(v.Summary)
	var out []string
	if q := m.quality[v.ID]; q != nil {
		var prev map[string]string
		if pv := m.previousOf(v); pv != nil && m.quality[pv.ID] != nil {
			prev = map[string]string{}
			for _, mt := range m.quality[pv.ID].Metrics {
				prev[mt.Key()] = metricText(mt)
			}
		}
		valW := max(6, min(14, (w-2)/4))
		keyW := max(4, w-2*valW-3)
		out = append(out, s.Muted.Render(common.Fit(" metric", keyW)+" "+common.FitLeft("this", valW)+" "+common.FitLeft("before", valW)))
		for _, mt := range q.Metrics {
			before := "-"
			if prev != nil {
				before = prev[mt.Key()]
			}
			now := metricText(mt)
			line := common.Fit(" "+mt.Key(), keyW) + " " + common.FitLeft(now, valW) + " "
			if prev != nil && before != now {
				line += s.Status.Warn.Render(common.FitLeft(before, valW))
			} else {
				line += s.Muted.Render(common.FitLeft(before, valW))
			}
			out = append(out, line)
		}
	} else if m.qualityBusy {
		out = append(out, s.Muted.Render(" reading the metrics…"))
	} else {
		out = append(out, s.Muted.Render(" no metrics: not written by dora etl"))
	}
	for _, c := range checks {
		out = append(out, common.Fit(" "+m.outcome(c.Outcome)+" "+c.Check+s.Muted.Render(" ("+c.Level+", "+c.Detail+")"), w))
	}
	if journal != nil {
		out = append(out, s.Muted.Render(common.Fit(" journal "+journalText(journal), w)))
	}
	if len(out) > h { // the checks matter more than the last metrics
		tail := len(checks)
		if journal != nil {
			tail++
		}
		keep := max(0, h-tail)
		out = append(out[:min(keep, len(out)-tail)], out[len(out)-tail:]...)
	}
	return strings.Join(out, "\n")
}

// outcome is a check outcome with a glyph, so it reads without colour.
func (m *Model) outcome(o string) string {
	s := m.styles
	switch o {
	case "pass":
		return s.Status.OK.Render("✓ pass")
	case "warn":
		return s.Status.Warn.Render("! warn")
	}
	return s.Status.Error.Render("✗ " + termsafe.String(o))
}

// journalText is a journal diff's counts, the zero ones left out.
func journalText(j *etl.JournalDiff) string {
	var parts []string
	for _, c := range []struct {
		n    int64
		what string
	}{{j.Inserted, "inserted"}, {j.Changed, "changed"}, {j.Closed, "closed"}, {j.Reopened, "reopened"}, {j.Unchanged, "unchanged"}, {j.Kept, "kept"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", format.Int(c.n), c.what))
		}
	}
	if len(parts) == 0 {
		return "no keys"
	}
	return strings.Join(parts, " · ")
}

// detailView is a plan's or a run's summary: module counts, the quarantine and its top reasons,
// the checks and the journal diff.
func (m *Model) detailView(w, h int) string {
	s := m.styles
	r := m.detail
	var name string
	for _, p := range m.pipelines {
		if p.Path == m.detailFor {
			name = p.Table()
		}
	}
	if r == nil {
		what := "planning "
		if m.running != nil && m.running.Path == m.detailFor {
			what = "running and publishing "
		}
		return common.Box(s, "plan · "+name, "\n "+s.Accent.Render("● ")+what+name+"…", w, h, true)
	}
	title := "plan · " + r.Table
	if r.Run {
		title = "run · " + r.Table
	}
	var out []string
	switch {
	case r.Stopped() != "" || r.Err != nil:
		// An error in the pipeline file comes with its line and a caret under the spot, as the
		// CLI prints it: every line of it shows.
		lines := strings.Split(r.Outcome(), "\n")
		out = append(out, s.Status.Error.Render(common.Fit(" ✗ "+termsafe.String(lines[0]), w-2)))
		for _, l := range lines[1:] {
			out = append(out, common.Fit("   "+termsafe.String(l), w-2))
		}
	case r.Summary.Published || r.Summary.Unchanged:
		out = append(out, s.Status.OK.Render(common.Fit(" ✓ "+r.Outcome(), w-2)))
	default:
		out = append(out, s.Bold.Render(common.Fit(" "+r.Outcome(), w-2)))
	}
	if r.Changed {
		out = append(out, s.Status.Warn.Render(common.Fit(" ! the pipeline file changed since the plan shown: this is the file as it is now", w-2)))
	}
	for _, n := range r.Notes {
		out = append(out, s.Muted.Render(common.Fit(" "+termsafe.String(n), w-2)))
	}
	if sm := r.Summary; sm != nil {
		out = append(out, m.summaryLines(sm, w-2)...)
		if r.Run && !sm.Published && !sm.Unchanged {
			out = append(out, s.Muted.Render(" the versions stay as they were"))
		} else if !r.Run {
			out = append(out, s.Muted.Render(" p runs it and publishes the version"))
		}
	}
	return common.Box(s, title, strings.Join(out, "\n"), w, h, true)
}

// summaryLines is the report dora etl plan|run print (etl.Summary.Report), each line fitted, a
// failed or warning check and a quarantine coloured, and where the quarantine can be opened.
func (m *Model) summaryLines(sm *etl.Summary, w int) []string {
	s := m.styles
	var out []string
	for _, line := range sm.Report(format.Int) {
		text := common.Fit(" "+line, w)
		switch {
		case strings.Contains(line, " fail  "):
			text = s.Status.Error.Render(text)
		case strings.Contains(line, " warn  "), strings.Contains(line, " did not cast "), strings.Contains(line, "could not be decoded"):
			text = s.Status.Warn.Render(text)
		}
		out = append(out, text)
	}
	if sm.Quarantined > 0 && sm.QuarantineFile != "" {
		out = append(out, s.Muted.Render(" o opens the quarantined rows in the explorer"))
	}
	return out
}
