package loads

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/pipelines/load"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/format"
)

// View draws what is in front: the form, the load's progress, or the files and the loads.
func (m *Model) View() string {
	w, h := m.w, m.h
	if w <= 0 || h <= 0 {
		return ""
	}
	bodyH := max(0, h-1)
	var body string
	switch m.mode {
	case modeForm:
		body = m.formView(w, bodyH)
	case modeRun:
		body = m.runView(w, bodyH)
	default:
		body = m.browseView(w, bodyH)
	}
	return common.Block(body, w, bodyH) + "\n" + m.statusLine(w)
}

func (m *Model) statusLine(w int) string {
	s := m.styles
	switch {
	case m.note != "" && m.noteBad:
		return common.Fit(s.Status.Error.Render(" ✗ "+termsafe.String(m.note)), w)
	case m.note != "":
		return common.Fit(s.Status.OK.Render(" ✓ "+m.note), w)
	case m.listErr != nil && m.mode == modeBrowse:
		return common.Fit(s.Status.Error.Render(" ✗ "+termsafe.String(m.listErr.Error())), w)
	case m.histErr != nil:
		return common.Fit(s.Status.Error.Render(" ✗ "+termsafe.String(m.histErr.Error())), w)
	case m.Running() && m.mode != modeRun:
		return common.Fit(s.Status.Info.Render(" ● "+m.Status()+" "+m.run.Opts.Table)+s.Muted.Render(" · p shows it"), w)
	}
	return common.Fit(s.Muted.Render(" loading into "+m.backend.Name()), w)
}

func (m *Model) browseView(w, h int) string {
	s := m.styles
	top := " " + s.Muted.Render("location: ") + m.loc
	if m.editLoc {
		top = " " + m.locInput.View()
	} else if m.listing {
		top += s.Muted.Render("  listing…")
	}
	rest := max(0, h-1)
	filesH := max(3, rest*3/5)
	loadsH := max(0, rest-filesH)
	files := common.Box(s, "files · "+fmt.Sprint(len(m.entries)), m.filesList(w-2, filesH-2), w, filesH, m.pane == paneFiles)
	loads := common.Box(s, "loads on this machine · "+fmt.Sprint(len(m.history)), m.historyList(w-2, loadsH-2), w, loadsH, m.pane == paneLoads)
	return common.Fit(top, w) + "\n" + files + "\n" + loads
}

// window is the first line to draw so the cursor at stays in h lines.
func window(at, n, h int) int { return max(0, min(at-h+1, n-h)) }

func (m *Model) filesList(w, h int) string {
	s := m.styles
	if len(m.entries) == 0 {
		if m.listing {
			return s.Muted.Render(" listing…")
		}
		return s.Muted.Render(" nothing here: / types another location (s3:// lists the buckets)")
	}
	sizeW := 24
	var lines []string
	for i := window(m.at, len(m.entries), h); i < len(m.entries) && len(lines) < h; i++ {
		e := m.entries[i]
		right := Bytes(e.Size)
		switch {
		case e.Objects < 0:
			right = "bucket"
		case e.Dir:
			right = fmt.Sprintf("%d files  %s", e.Objects, Bytes(e.Size))
		}
		nameW := max(1, w-sizeW-1)
		name := common.Fit(" "+e.Name, nameW)
		line := name + " " + s.Muted.Render(common.FitLeft(right, sizeW))
		if i == m.at && m.pane == paneFiles {
			line = s.List.Selected.Render(common.Fit("›"+e.Name, nameW) + " " + common.FitLeft(right, sizeW))
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func (m *Model) historyList(w, h int) string {
	s := m.styles
	if len(m.history) == 0 {
		return s.Muted.Render(" no loads yet: n loads the files under the cursor (dora load from a shell shows here too)")
	}
	var lines []string
	for i := window(m.histAt, len(m.history), h); i < len(m.history) && len(lines) < h; i++ {
		r := m.history[i]
		right := fmt.Sprintf("%s rows  %s", format.Int(r.Indexed), r.Started.Local().Format("01-02 15:04"))
		if r.DeadLettered > 0 {
			right = fmt.Sprintf("%d aside  ", r.DeadLettered) + right
		}
		left := fmt.Sprintf("%s %s ← %s", statusGlyph(r.Status), r.Table, r.Source)
		leftW := max(1, w-ansi.StringWidth(right)-2)
		line := common.Fit(" "+left, leftW) + " " + s.Muted.Render(right)
		if i == m.histAt && m.pane == paneLoads {
			line = s.List.Selected.Render(common.Fit("›"+left, leftW) + " " + right)
		} else if r.Status == load.StatusFailed {
			line = s.Status.Error.Render(common.Fit(" "+left, leftW)) + " " + s.Muted.Render(right)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// statusGlyph tells a load's state without colour.
func statusGlyph(status string) string {
	switch status {
	case load.StatusSucceeded:
		return "✓"
	case load.StatusFailed:
		return "✗"
	}
	return "●"
}

func (m *Model) formView(w, h int) string {
	s := m.styles
	var b strings.Builder
	for i := range m.fields {
		label := fmt.Sprintf(" %-12s ", fieldNames[i])
		if i == m.field {
			label = s.Accent.Render("›" + label[1:])
		} else {
			label = s.Muted.Render(label)
		}
		b.WriteString(label + m.fields[i].View() + "\n")
	}
	b.WriteString(s.Muted.Render(" into "+m.backend.Name()) + "\n\n")
	b.WriteString(m.previewText(w - 2))
	return common.Box(s, "new load · enter starts · esc cancels", b.String(), w, h, true)
}

// previewText is the inferred schema the load will write, in as many columns as fit.
func (m *Model) previewText(w int) string {
	s := m.styles
	switch {
	case m.planning:
		return s.Muted.Render(" inferring the mapping…")
	case m.planErr != nil:
		return s.Status.Error.Render(" ✗ " + termsafe.String(m.planErr.Error()))
	case m.plan == nil:
		return ""
	}
	p := m.plan
	onMapping := m.field == fieldCount
	head := fmt.Sprintf(" %d files, %s · the mapping inferred (%d columns):", len(p.Objects), Bytes(p.Bytes), len(p.Schema.Fields))
	if onMapping {
		head = fmt.Sprintf(" %d files, %s · the mapping (%d columns; ←→ a column, type its type or space):", len(p.Objects), Bytes(p.Bytes), len(p.Schema.Fields))
	} else if len(p.Schema.Fields) > 0 {
		head += s.Muted.Render(" tab to it sets types")
	}
	cells := make([]string, len(p.Schema.Fields))
	cellW := 0
	for i, f := range p.Schema.Fields {
		t, mark := m.typeOf(f), " "
		if t != f.Type {
			mark = "*" // set in the form, not inferred
		}
		cells[i] = fmt.Sprintf("%s %s%s", f.Name, s.Muted.Render(string(t)), mark)
		if onMapping && i == m.typeAt {
			typed := string(t)
			if m.typing != "" {
				typed = m.typing + "▏"
			}
			cells[i] = s.List.Selected.Render(fmt.Sprintf("%s %s%s", f.Name, typed, mark))
		}
		cellW = max(cellW, ansi.StringWidth(cells[i])+2)
	}
	cols := max(1, w/max(1, cellW))
	var b strings.Builder
	b.WriteString(s.Bold.Render(head))
	for i, c := range cells {
		if i%cols == 0 {
			b.WriteString("\n ")
		}
		b.WriteString(common.Fit(c, cellW))
	}
	if onMapping && m.typeErr != nil {
		b.WriteString("\n" + s.Status.Error.Render(common.Truncate(" ✗ "+m.typeErr.Error(), w)))
	}
	if len(m.types) > 0 {
		b.WriteString("\n" + s.Muted.Render(common.Truncate(" * set here, as dora load --type "+load.FormatTypes(m.types)+": values that do not convert are set aside as dead letters", w)))
	}
	if n := len(p.LeftOut); n > 0 {
		names := make([]string, 0, min(n, 6))
		for i, k := range p.LeftOut {
			if i == 6 {
				names = append(names, fmt.Sprintf("and %d more", n-6))
				break
			}
			names = append(names, path.Base(k))
		}
		b.WriteString("\n" + s.Status.Warn.Render(common.Truncate(fmt.Sprintf(" left out, not data files: %s", strings.Join(names, ", ")), w)))
	}
	return b.String()
}

func (m *Model) runView(w, h int) string {
	s := m.styles
	r := m.run
	st := r.Stats
	var b strings.Builder
	fmt.Fprintf(&b, " %s → %s\n\n", r.Opts.Source, s.Bold.Render(r.Opts.Table))
	b.WriteString(" " + load.Bar(st, max(20, w-4)) + "\n")
	fmt.Fprintf(&b, " %d/%d files · %s rows read · %s written · %s set aside · %s\n",
		st.ObjectsDone, st.Objects, format.Int(st.RowsRead), format.Int(st.Indexed), format.Int(st.DeadLettered), st.Elapsed.Round(100*time.Millisecond))
	if r.Done {
		b.WriteString("\n" + m.reconciliation(r) + "\n")
	}
	title := "load · running"
	if r.Done {
		title = "load · finished"
	}
	return common.Box(s, title, b.String(), w, h, true)
}

// reconciliation is the end of a load: rows read = indexed + dead-lettered, and what became
// of the table.
func (m *Model) reconciliation(r *Run) string {
	s := m.styles
	sum := r.Summary
	var b strings.Builder
	eq := fmt.Sprintf(" rows read %s = indexed %s + dead-lettered %s", format.Int(sum.RowsRead), format.Int(sum.Indexed), format.Int(sum.DeadLettered))
	if sum.RowsRead == sum.Indexed+sum.DeadLettered {
		b.WriteString(s.Status.OK.Render(eq + "  ✓ reconciles"))
	} else {
		b.WriteString(s.Status.Error.Render(eq + "  ✗ does not reconcile"))
	}
	secs := max(sum.Seconds, 0.001)
	fmt.Fprintf(&b, "\n %.1fs · %.0f rows/s · %.1f MB/s", sum.Seconds, float64(sum.RowsRead)/secs, float64(sum.Bytes)/secs/1e6)
	if sum.Published {
		b.WriteString("\n " + s.Status.OK.Render("✓ published as "+sum.Alias) + s.Muted.Render(" · o opens it in the explorer"))
	}
	if sum.DeadLetter != "" {
		b.WriteString("\n " + s.Status.Warn.Render("rows set aside, with reasons: "+sum.DeadLetter))
	}
	if r.Err != nil {
		b.WriteString("\n " + s.Status.Error.Render("✗ "+termsafe.String(r.Err.Error())))
		if !sum.Published {
			b.WriteString("\n " + s.Muted.Render("nothing was published; dora load --resume continues it"))
		}
	}
	return b.String()
}

// Bytes is a size for people: 512 B, 4.2 MB.
func Bytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
