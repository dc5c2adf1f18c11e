package dash

import (
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

// Render draws the snapshot in w columns: a header line, then the grid, h lines in all when h
// is positive and the panels fit (they never shrink below their least height), else as tall as
// the panels' natural height.
func (sn Snapshot) Render(s *styles.Styles, w, h int) string {
	header := common.Fit(s.Header.Title.Render(" "+termsafe.String(sn.Dashboard.Title))+s.Muted.Render(" · "+termsafe.String(scopeText(sn.Dashboard, sn.Range, sn.WhereText, sn.Now))), w)
	answers := make([]*dash.Answer, len(sn.Answers))
	for i := range sn.Answers {
		answers[i] = &sn.Answers[i]
	}
	titles := make([]string, len(sn.Dashboard.Panels))
	for i, p := range sn.Dashboard.Panels {
		titles[i] = p.Title
	}
	gridH := h - 1
	if h <= 0 {
		gridH = 0
	}
	grid, _ := drawGrid(s, sn.Dashboard, titles, -1, w, gridH, func(i, w, h int) string {
		return Body(s, sn.Dashboard.Panels[i], answers[i], w, h)
	})
	return header + "\n" + grid
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
	drawn := make([]string, len(rects))
	for i, r := range rects {
		title := termsafe.String(titles[i])
		if i == focus {
			title = "▸ " + title // the frame's colour alone is lost without colour
		}
		drawn[i] = common.Box(s, title, pad(body(i, max(0, r.W-4), max(0, r.H-2))), r.W, r.H, i == focus)
	}
	return compose(drawn, rects, w, 0, height), rects
}

// pad puts a blank cell either side of every line, between a panel's frame and its chart.
func pad(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = " " + l + " "
	}
	return strings.Join(lines, "\n")
}
