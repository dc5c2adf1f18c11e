package querybar

import (
	"strings"

	"github.com/dora-dev/dora/tui/common"
)

// editorRow is one screen row of the editor: a piece of line line from rune start.
type editorRow struct {
	line, start int
	text        []rune
}

// editorRows wraps the lines being edited at w cells (one rune a cell: SQL is mostly ASCII).
func (m *Model) editorRows(w int) []editorRow {
	var rows []editorRow
	for i, l := range m.lines {
		if len(l) == 0 {
			rows = append(rows, editorRow{line: i})
			continue
		}
		for start := 0; start < len(l); start += w {
			rows = append(rows, editorRow{line: i, start: start, text: l[start:min(len(l), start+w)]})
		}
		if len(l)%w == 0 && i == m.row && m.col == len(l) { // the cursor after a full row
			rows = append(rows, editorRow{line: i, start: len(l)})
		}
	}
	return rows
}

// editorView draws the editor in exactly width x height cells: the rows around the cursor,
// highlighted, the caret under a parse error and the completion line.
func (m *Model) editorView() string {
	s := m.common.Styles
	w := max(1, m.width-3)
	rows := m.editorRows(w)
	cur := 0
	for i, r := range rows {
		if r.line == m.row && m.col >= r.start && (m.col < r.start+len(r.text) || m.col == r.start+len(r.text)) {
			cur = i
			if m.col < r.start+len(r.text) {
				break
			}
		}
	}
	var out []string
	quote := byte(0)
	for i, r := range rows {
		prompt := "  "
		if i == 0 {
			prompt = ": "
		}
		var line string
		if i == cur {
			at := m.col - r.start
			var before, after string
			before, quote = highlight(string(r.text[:at]), quote, m)
			cursor := " "
			rest := r.text[at:]
			if len(rest) > 0 {
				cursor, rest = string(rest[0]), rest[1:]
			}
			after, quote = highlight(string(rest), quote, m)
			line = before + s.List.Selected.Render(cursor) + after
		} else {
			line, quote = highlight(string(r.text), quote, m)
		}
		if i+1 < len(rows) && rows[i+1].line != r.line {
			quote = 0 // a quote left open does not run on into the next line's colours
		}
		out = append(out, " "+s.Muted.Render(prompt)+line)
		if m.errMsg != "" && r.line == m.errLine-1 && (i+1 == len(rows) || rows[i+1].line != r.line || m.errCol-1 < r.start+len(r.text)) &&
			m.errCol-1 >= r.start {
			pad := max(0, m.errCol-1-r.start)
			out = append(out, s.Status.Error.Render(common.Truncate("   "+strings.Repeat(" ", pad)+"^ "+m.errMsg, m.width)))
		}
	}
	if m.errMsg != "" && (m.errLine <= 0 || m.errLine > len(m.lines)) {
		out = append(out, s.Status.Error.Render(common.Truncate("   ✗ "+m.errMsg, m.width)))
	}
	if len(m.comp) > 0 {
		var b strings.Builder
		b.WriteString(s.Muted.Render("   tab ›"))
		for i, c := range m.comp {
			b.WriteString(" ")
			if i == m.compAt {
				b.WriteString(s.List.Selected.Render(c))
			} else {
				b.WriteString(s.Query.Text.Render(c))
			}
		}
		out = append(out, b.String())
	}
	// Taller than the room: the rows around the cursor.
	if len(out) > m.height {
		from := max(0, min(cur-m.height/2, len(out)-m.height))
		out = out[from : from+m.height]
	}
	return common.Block(strings.Join(out, "\n"), m.width, m.height)
}
