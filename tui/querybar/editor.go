package querybar

import (
	"slices"
	"strings"
	"unicode"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// The editor behind ':': the SQL as lines of runes with a cursor, completion of the word under
// the cursor from the schema, and the history of lines run.

// EditorKeyMap is the editor's bindings beyond typing.
type EditorKeyMap struct {
	Newline, Complete, Up, Down, Left, Right, Home, End, Backspace, Delete, KillLine key.Binding
}

// DefaultEditorKeyMap returns the editor's default bindings.
func DefaultEditorKeyMap() EditorKeyMap {
	return EditorKeyMap{
		Newline:   key.NewBinding(key.WithKeys("alt+enter", "ctrl+o"), key.WithHelp("ctrl+o", "new line")),
		Complete:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "complete")),
		Up:        key.NewBinding(key.WithKeys("up"), key.WithHelp("↑↓", "line, history")),
		Down:      key.NewBinding(key.WithKeys("down")),
		Left:      key.NewBinding(key.WithKeys("left")),
		Right:     key.NewBinding(key.WithKeys("right")),
		Home:      key.NewBinding(key.WithKeys("home", "ctrl+a")),
		End:       key.NewBinding(key.WithKeys("end", "ctrl+e")),
		Backspace: key.NewBinding(key.WithKeys("backspace")),
		Delete:    key.NewBinding(key.WithKeys("delete", "ctrl+d")),
		KillLine:  key.NewBinding(key.WithKeys("ctrl+u")),
	}
}

// Functions are the SQL functions the editor completes (dora's SQL subset and its wider wave).
var Functions = []string{"count", "sum", "avg", "min", "max", "percentile", "median", "stddev", "variance",
	"date_trunc", "time_bucket", "histogram", "match", "now", "round", "abs", "coalesce", "lower", "upper",
	"length", "extract", "date_part", "floor", "ceil"}

// Keywords are the SQL words the editor completes and highlights.
var Keywords = []string{"SELECT", "FROM", "WHERE", "GROUP", "BY", "ORDER", "HAVING", "LIMIT", "OFFSET", "AND",
	"OR", "NOT", "IN", "DESC", "ASC", "AS", "BETWEEN", "IS", "NULL", "LIKE", "ILIKE", "DISTINCT", "INTERVAL",
	"TIMESTAMP", "DATE", "TRUE", "FALSE", "CASE", "WHEN", "THEN", "ELSE", "END", "NULLS", "FIRST", "LAST"}

// maxCompletions is how many candidates the completion line offers.
const maxCompletions = 8

// SetCompletions gives the names the editor completes: the backend's tables and the open
// table's columns.
func (m *Model) SetCompletions(tables, columns []string) {
	m.tables, m.columns = tables, columns
}

// text is the editor's content.
func (m *Model) text() string {
	parts := make([]string, len(m.lines))
	for i, l := range m.lines {
		parts[i] = string(l)
	}
	return strings.Join(parts, "\n")
}

// setText replaces the content and puts the cursor at its end.
func (m *Model) setText(s string) {
	m.lines = nil
	for _, l := range strings.Split(s, "\n") {
		m.lines = append(m.lines, []rune(l))
	}
	m.row = len(m.lines) - 1
	m.col = len(m.lines[m.row])
	m.complete()
}

// insert types s at the cursor.
func (m *Model) insert(s string) {
	for _, r := range s {
		if r == '\n' {
			m.newline()
			continue
		}
		if r == '\r' || r < ' ' && r != '\t' {
			continue // control characters never enter the SQL
		}
		l := m.lines[m.row]
		m.lines[m.row] = slices.Insert(l, m.col, r)
		m.col++
	}
}

func (m *Model) newline() {
	l := m.lines[m.row]
	rest := slices.Clone(l[m.col:])
	m.lines[m.row] = l[:m.col]
	m.lines = slices.Insert(m.lines, m.row+1, rest)
	m.row, m.col = m.row+1, 0
}

// editKey handles a key while editing; it reports whether the key was the editor's.
func (m *Model) editKey(k tea.KeyPressMsg) bool {
	ek := m.ekeys
	changed := true
	switch {
	case key.Matches(k, ek.Complete):
		if len(m.comp) == 0 {
			return true
		}
		m.accept(m.comp[m.compAt])
	case key.Matches(k, ek.Newline):
		m.newline()
	case key.Matches(k, ek.Up) && len(m.comp) > 0:
		m.compAt = (m.compAt + len(m.comp) - 1) % len(m.comp)
		return true
	case key.Matches(k, ek.Down) && len(m.comp) > 0:
		m.compAt = (m.compAt + 1) % len(m.comp)
		return true
	case key.Matches(k, ek.Up):
		if m.row == 0 {
			m.historyStep(-1)
			return true
		}
		m.row--
		m.col = min(m.col, len(m.lines[m.row]))
		changed = false
	case key.Matches(k, ek.Down):
		if m.row == len(m.lines)-1 {
			m.historyStep(1)
			return true
		}
		m.row++
		m.col = min(m.col, len(m.lines[m.row]))
		changed = false
	case key.Matches(k, ek.Left):
		if m.col > 0 {
			m.col--
		} else if m.row > 0 {
			m.row--
			m.col = len(m.lines[m.row])
		}
		changed = false
	case key.Matches(k, ek.Right):
		if m.col < len(m.lines[m.row]) {
			m.col++
		} else if m.row < len(m.lines)-1 {
			m.row, m.col = m.row+1, 0
		}
		changed = false
	case key.Matches(k, ek.Home):
		m.col, changed = 0, false
	case key.Matches(k, ek.End):
		m.col, changed = len(m.lines[m.row]), false
	case key.Matches(k, ek.Backspace):
		switch {
		case m.col > 0:
			m.lines[m.row] = slices.Delete(m.lines[m.row], m.col-1, m.col)
			m.col--
		case m.row > 0:
			prev := len(m.lines[m.row-1])
			m.lines[m.row-1] = append(m.lines[m.row-1], m.lines[m.row]...)
			m.lines = slices.Delete(m.lines, m.row, m.row+1)
			m.row, m.col = m.row-1, prev
		}
	case key.Matches(k, ek.Delete):
		switch {
		case m.col < len(m.lines[m.row]):
			m.lines[m.row] = slices.Delete(m.lines[m.row], m.col, m.col+1)
		case m.row < len(m.lines)-1:
			m.lines[m.row] = append(m.lines[m.row], m.lines[m.row+1]...)
			m.lines = slices.Delete(m.lines, m.row+1, m.row+2)
		}
	case key.Matches(k, ek.KillLine):
		m.lines[m.row] = slices.Clone(m.lines[m.row][m.col:])
		m.col = 0
	case k.Text != "" && k.Mod&^tea.ModShift == 0:
		m.insert(k.Text)
	default:
		return false
	}
	if changed {
		m.errMsg = "" // the caret pointed into text that changed
	}
	m.complete()
	return true
}

// word is the identifier before the cursor and where it starts.
func (m *Model) word() (string, int) {
	l := m.lines[m.row]
	start := m.col
	for start > 0 && isIdent(l[start-1]) {
		start--
	}
	return string(l[start:m.col]), start
}

func isIdent(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// prevWord is the word before the one under the cursor, upper-cased: FROM asks for a table.
func (m *Model) prevWord(start int) string {
	l := m.lines[m.row]
	i := start
	for i > 0 && unicode.IsSpace(l[i-1]) {
		i--
	}
	end := i
	for i > 0 && isIdent(l[i-1]) {
		i--
	}
	return strings.ToUpper(string(l[i:end]))
}

// complete finds the candidates for the word under the cursor: after FROM the tables, else the
// columns, then tables, functions and keywords that start with it, case aside.
func (m *Model) complete() {
	m.comp, m.compAt = m.comp[:0], 0
	w, start := m.word()
	if w == "" || start > 0 && m.lines[m.row][start-1] == '\'' {
		return
	}
	lw := strings.ToLower(w)
	seen := map[string]bool{}
	add := func(names []string) {
		for _, n := range names {
			if len(m.comp) == maxCompletions {
				return
			}
			ln := strings.ToLower(n)
			if len(ln) > len(lw) && strings.HasPrefix(ln, lw) && !seen[ln] {
				seen[ln] = true
				m.comp = append(m.comp, n)
			}
		}
	}
	if m.prevWord(start) == "FROM" {
		add(m.tables)
		return
	}
	add(m.columns)
	add(m.tables)
	add(Functions)
	add(Keywords)
}

// accept replaces the word under the cursor with a candidate; a function gets its "(".
func (m *Model) accept(c string) {
	_, start := m.word()
	l := m.lines[m.row]
	text := []rune(c)
	if slices.Contains(Functions, c) {
		text = append(text, '(')
	}
	m.lines[m.row] = append(append(slices.Clone(l[:start]), text...), l[m.col:]...)
	m.col = start + len(text)
}

// Completions is what the completion line offers now.
func (m *Model) Completions() []string { return m.comp }

// historyStep moves through the lines run before: -1 the older, 1 the newer; past the newest
// is what was being typed.
func (m *Model) historyStep(d int) {
	if len(m.hist) == 0 {
		return
	}
	if m.histAt == len(m.hist) {
		m.draft = m.text()
	}
	m.histAt = max(0, min(len(m.hist), m.histAt+d))
	if m.histAt == len(m.hist) {
		m.setText(m.draft)
	} else {
		m.setText(m.hist[m.histAt])
	}
	m.errMsg = ""
}
