// Package querybar shows the current view as its one SQL line and, after ':', lets the user edit
// it in a multi-line editor: highlighted as typed, completing tables, columns, functions and
// keywords, pointing at a parse error with a caret, with the history of lines run per backend.
package querybar

import (
	"strings"
	"unicode"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/tui/common"
)

// SubmitMsg carries an edited SQL line to the root, which parses and validates it.
type SubmitMsg struct{ SQL string }

// CancelMsg reports that editing was abandoned.
type CancelMsg struct{}

// KeyMap is the bar's bindings while editing.
type KeyMap struct {
	Submit, Cancel key.Binding
}

// DefaultKeyMap returns the bar's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run SQL")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// Model is the query bar.
type Model struct {
	common  *common.Common
	keys    KeyMap
	ekeys   EditorKeyMap
	sql     string
	editing bool
	width   int
	height  int

	lines    [][]rune // the text being edited
	row, col int      // the cursor, in lines and runes
	comp     []string // completion candidates for the word under the cursor
	compAt   int
	tables   []string
	columns  []string
	errMsg   string // a parse error of the text, drawn with a caret under errLine, errCol
	errLine  int    // 1-based
	errCol   int    // 1-based, in characters
	hist     []string
	histAt   int
	histPath string
	draft    string // what was typed before going up the history
}

// New returns an empty query bar.
func New(c *common.Common) *Model {
	return &Model{common: c, keys: DefaultKeyMap(), ekeys: DefaultEditorKeyMap(), height: 1, lines: [][]rune{nil}}
}

// SetSQL sets the line shown when not editing.
func (m *Model) SetSQL(sql string) { m.sql = sql }

// SQL is the line shown.
func (m *Model) SQL() string { return m.sql }

// Editing reports whether the line is being edited.
func (m *Model) Editing() bool { return m.editing }

// Value is the text being edited.
func (m *Model) Value() string { return m.text() }

// Edit starts editing the current line.
func (m *Model) Edit() tea.Cmd {
	m.editing = true
	m.errMsg = ""
	m.histAt = len(m.hist)
	m.setText(m.sql)
	return nil
}

// StopEditing leaves edit mode.
func (m *Model) StopEditing() {
	m.editing = false
	m.errMsg = ""
	m.comp = m.comp[:0]
}

// SetError shows a parse error of the text being edited: the message, and a caret under the
// place (1-based line and column; 0 when it has no single place).
func (m *Model) SetError(msg string, line, col int) {
	m.errMsg, m.errLine, m.errCol = msg, line, col
}

// Lines is how many rows the bar needs at width w: the wrapped SQL line, or while editing the
// editor's rows, its caret line and its completion line.
func (m *Model) Lines(w int) int {
	if m.editing {
		n := len(m.editorRows(max(1, w-3)))
		if m.errMsg != "" {
			n++
		}
		if len(m.comp) > 0 {
			n++
		}
		return n
	}
	if m.sql == "" {
		return 1
	}
	return len(m.wrap(max(1, w-2)))
}

func (m *Model) wrap(w int) []string {
	var hard []string
	// The line quotes values picked from the data: their controls show as escapes.
	for _, l := range strings.Split(ansi.Wordwrap(termsafe.String(m.sql), w, ""), "\n") { // words longer than a line still have to fit
		hard = append(hard, strings.Split(ansi.Hardwrap(l, w, true), "\n")...)
	}
	return hard
}

// SetSize sets the width and the number of lines the wrapped SQL may use.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = max(0, w), max(1, h)
}

// Update handles input while editing.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.keys.Submit):
			sql := m.text()
			return func() tea.Msg { return SubmitMsg{SQL: sql} }
		case key.Matches(msg, m.keys.Cancel) && len(m.comp) > 0:
			m.comp = m.comp[:0] // the first esc puts the completions away
			return nil
		case key.Matches(msg, m.keys.Cancel):
			m.StopEditing()
			return func() tea.Msg { return CancelMsg{} }
		}
		m.editKey(msg)
	case tea.PasteMsg:
		m.insert(msg.Content)
		m.errMsg = ""
		m.complete()
	}
	return nil
}

// View renders exactly width x height cells.
func (m *Model) View() string {
	s := m.common.Styles
	if m.editing {
		return m.editorView()
	}
	if m.sql == "" {
		return common.Block(s.Muted.Render(" open a table: tab to the tables list, enter; or : to type SQL"), m.width, m.height)
	}
	w := max(1, m.width-2)
	hard := m.wrap(w)
	if len(hard) > m.height {
		hard = hard[:m.height]
		last := hard[m.height-1]
		hard[m.height-1] = ansi.Truncate(last, max(0, w-1), "") + "…"
	}
	inQuote := byte(0)
	for i, l := range hard {
		hard[i], inQuote = highlight(l, inQuote, m)
		hard[i] = " " + hard[i]
	}
	return common.Block(strings.Join(hard, "\n"), m.width, m.height)
}

var keywords = func() map[string]bool {
	k := map[string]bool{}
	for _, w := range Keywords {
		k[w] = true
	}
	return k
}()

// highlight styles the SQL keywords of one wrapped line; quote carries an open string or
// identifier quote over from the previous line.
func highlight(line string, quote byte, m *Model) (string, byte) {
	s := m.common.Styles
	var b, word strings.Builder
	flush := func() {
		w := word.String()
		if keywords[strings.ToUpper(w)] {
			b.WriteString(s.Query.Keyword.Render(w))
		} else if w != "" {
			b.WriteString(s.Query.Text.Render(w))
		}
		word.Reset()
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			word.WriteByte(c)
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			flush()
			word.WriteByte(c)
			quote = c
		case c < 128 && !unicode.IsLetter(rune(c)) && !unicode.IsDigit(rune(c)) && c != '_':
			flush()
			b.WriteString(s.Query.Text.Render(string(c)))
		default:
			word.WriteByte(c)
		}
	}
	if quote != 0 {
		b.WriteString(s.Query.Text.Render(word.String()))
		word.Reset()
	}
	flush()
	return b.String(), quote
}

// ShortHelp is the help bar while editing.
func (m *Model) ShortHelp() []key.Binding {
	return []key.Binding{m.keys.Submit, m.ekeys.Complete, m.ekeys.Newline, m.ekeys.Up, m.keys.Cancel}
}

// FullHelp is the full help while editing.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.keys.Submit, m.keys.Cancel}, {m.ekeys.Complete, m.ekeys.Newline, m.ekeys.Up}}
}
