package dashscreen

import (
	"fmt"
	"strings"
	"time"

	"github.com/dora-dev/dora/dash"
	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/styles"
)

// Snapshot is a dashboard's answers at one moment, as `dora dash --once` prints them.
type Snapshot struct {
	Dashboard *dash.Dashboard
	Range     dash.Range
	WhereText string
	Now       time.Time
	Answers   []dash.Answer
}

// snapMinRowH is the least height of a grid row in a snapshot of a given height: a frame and
// two lines of a panel.
const snapMinRowH = 4

// Render draws the snapshot in w columns: a header line, then the grid. With h positive it is
// exactly h lines: rows share the height, shrinking down to snapMinRowH, and when even that is
// too tall the panels that do not fit are left out whole and the last line names them. With h
// of 0 or less the panels have their natural height.
func (sn Snapshot) Render(s *styles.Styles, w, h int) string {
	header := common.Fit(s.Header.Title.Render(" "+termsafe.String(sn.Dashboard.Title))+s.Muted.Render(" · "+termsafe.String(scopeText(sn.Dashboard, sn.Range, sn.WhereText, sn.Now))), w)
	if h == 1 {
		return header
	}
	answers := make([]*dash.Answer, len(sn.Answers))
	for i := range sn.Answers {
		answers[i] = &sn.Answers[i]
	}
	titles := make([]string, len(sn.Dashboard.Panels))
	for i, p := range sn.Dashboard.Panels {
		titles[i] = p.Title
	}
	body := func(i, w, h int) string { return Body(s, sn.Dashboard.Panels[i], answers[i], w, h) }
	if h <= 0 {
		grid, _ := drawGrid(s, sn.Dashboard, titles, -1, w, 0, body)
		return header + "\n" + grid
	}
	gridH := h - 1
	cols := Columns(sn.Dashboard.Columns, w)
	rects, height := gridWith(sn.Dashboard.Panels, cols, w, gridH, minRowH)
	if height > gridH {
		rects, height = gridWith(sn.Dashboard.Panels, cols, w, gridH, snapMinRowH)
	}
	if height <= gridH {
		return header + "\n" + common.Block(drawRects(s, rects, titles, -1, w, height, body), w, gridH)
	}
	// Too many rows for the height: keep the rows that fit above a line that names the others.
	room := gridH - 1
	var kept []int
	var cut []string
	for i, r := range rects {
		if r.Y+r.H <= room {
			kept = append(kept, i)
		} else {
			cut = append(cut, titles[i])
		}
	}
	shown := make([]Rect, len(kept))
	for j, i := range kept {
		shown[j] = rects[i]
	}
	keptTitles := make([]string, len(kept))
	for j, i := range kept {
		keptTitles[j] = titles[i]
	}
	grid := drawRects(s, shown, keptTitles, -1, w, room, func(j, w, h int) string { return body(kept[j], w, h) })
	note := fmt.Sprintf(" … %d of %d panels not shown in %d lines (--height %d shows them): %s",
		len(cut), len(rects), h, height+1, strings.Join(cut, ", "))
	return header + "\n" + common.Block(grid, w, room) + "\n" + s.Status.Warn.Render(common.Fit(note, w))
}

// Failed says which panels have no answer: each error once, with the panels it stopped.
func (sn Snapshot) Failed() []string {
	var msgs []string
	panels := map[string][]string{}
	for i, a := range sn.Answers {
		if a.Err == nil {
			continue
		}
		msg := Describe(a.Err)
		if panels[msg] == nil {
			msgs = append(msgs, msg)
		}
		panels[msg] = append(panels[msg], sn.Dashboard.Panels[i].Title)
	}
	out := make([]string, len(msgs))
	for i, msg := range msgs {
		out[i] = strings.Join(panels[msg], ", ") + ": " + msg
	}
	return out
}

// scopeText says what every panel is limited to: "shipped_at now-30d..now (… → …) · where …".
func scopeText(d *dash.Dashboard, r dash.Range, where string, now time.Time) string {
	var parts []string
	if d.TimeColumn != "" || !r.IsAll() {
		col := d.TimeColumn
		if col != "" {
			col += " "
		}
		parts = append(parts, col+r.Describe(now))
	}
	if where != "" {
		parts = append(parts, "where "+where)
	}
	if len(parts) == 0 {
		return "all rows"
	}
	return strings.Join(parts, " · ")
}

// drawGrid draws every panel boxed in its place, its body from body(i, w, h), and returns the
// whole grid's lines and the panels' places. focus is the focused panel, -1 for none.
func drawGrid(s *styles.Styles, d *dash.Dashboard, titles []string, focus, w, h int, body func(i, w, h int) string) (string, []Rect) {
	rects, height := Grid(d.Panels, Columns(d.Columns, w), w, h)
	return drawRects(s, rects, titles, focus, w, height, body), rects
}

// drawRects draws the panels boxed in their places, height lines in all.
func drawRects(s *styles.Styles, rects []Rect, titles []string, focus, w, height int, body func(i, w, h int) string) string {
	drawn := make([]string, len(rects))
	for i, r := range rects {
		title := termsafe.String(titles[i])
		if i == focus {
			title = "▸ " + title // the frame's colour alone is lost without colour
		}
		drawn[i] = common.Box(s, title, pad(body(i, max(0, r.W-4), max(0, r.H-2))), r.W, r.H, i == focus)
	}
	return compose(drawn, rects, w, 0, height)
}

// pad puts a blank cell either side of every line, between a panel's frame and its chart.
func pad(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = " " + l + " "
	}
	return strings.Join(lines, "\n")
}
