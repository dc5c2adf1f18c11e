// Package inspect is the overlay that shows how the current answer was obtained: the exact
// request sent (SQL or Elasticsearch JSON), the time it took and the hit counts.
package inspect

import (
	"encoding/json"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/format"
)

// CloseMsg asks the root to close the overlay.
type CloseMsg struct{}

// KeyMap is the overlay's bindings.
type KeyMap struct {
	Up, Down, Close key.Binding
}

// DefaultKeyMap returns the overlay's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:    key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "scroll up")),
		Down:  key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "scroll down")),
		Close: key.NewBinding(key.WithKeys("esc", "i", "q"), key.WithHelp("esc", "close")),
	}
}

// Model is the inspect overlay.
type Model struct {
	common *common.Common
	keys   KeyMap
	lines  []string
	off    int
	width  int
	height int
}

// New returns an empty overlay.
func New(c *common.Common) *Model { return &Model{common: c, keys: DefaultKeyMap()} }

// SetContent fills the overlay from the view's SQL line and its result (nil before the first
// answer, when explain holds the request Run would send).
func (m *Model) SetContent(spec query.Spec, res *query.Result, explain string) {
	s := m.common.Styles
	var l []string
	add := func(k, v string) { l = append(l, s.Muted.Render(fmt.Sprintf("%-12s", k))+termsafe.String(v)) }
	add("SQL line", spec.SQL())
	request := explain
	if res != nil {
		meta := res.Meta
		add("backend", meta.Backend)
		add("took", format.Duration(meta.Took))
		add("rows", format.Int(int64(len(res.Rows))))
		if meta.Total >= 0 {
			add("hits", format.Int(meta.Total)+" rows matched the filters")
		} else {
			add("hits", "unknown")
		}
		exact := "exact"
		if meta.Approximate {
			exact = "approximate: a count distinct, a percentile or a group count may be off"
		}
		add("answer", exact)
		if !meta.Complete {
			add("complete", "no: a limit or the row cap cut groups or rows off")
		}
		if meta.OtherCount > 0 {
			add("other", format.Int(meta.OtherCount)+" rows in groups cut off by the limit")
		}
		if meta.ErrorBound > 0 {
			add("error bound", format.Int(meta.ErrorBound))
		}
		request = meta.Request
	}
	l = append(l, "", s.Bold.Render("request sent"))
	if strings.HasPrefix(strings.TrimSpace(request), "{") { // Elasticsearch JSON reads better indented
		var v any
		if json.Unmarshal([]byte(request), &v) == nil {
			if b, err := json.MarshalIndent(v, "", "  "); err == nil {
				request = string(b)
			}
		}
	}
	if request == "" {
		request = "(not sent yet)"
	}
	for _, line := range strings.Split(request, "\n") { // the request quotes values from the data
		l = append(l, termsafe.String(line))
	}
	m.lines = l
	m.off = 0
}

// SetSize sets the size of the whole box.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// Update handles a key press.
func (m *Model) Update(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Close):
		return func() tea.Msg { return CloseMsg{} }
	case key.Matches(msg, m.keys.Up):
		m.off = max(0, m.off-1)
	case key.Matches(msg, m.keys.Down):
		m.off = min(m.off+1, max(0, len(m.wrapped())-(m.height-2)))
	}
	return nil
}

func (m *Model) wrapped() []string {
	var out []string
	for _, l := range m.lines {
		out = append(out, strings.Split(ansi.Wrap(l, max(1, m.width-3), " ,"), "\n")...)
	}
	return out
}

// View renders the overlay box.
func (m *Model) View() string {
	w := m.wrapped()
	if m.off < len(w) {
		w = w[m.off:]
	}
	for i := range w {
		w[i] = " " + w[i]
	}
	return common.Box(m.common.Styles, "inspect · esc closes", strings.Join(w, "\n"), m.width, m.height, true)
}

// ShortHelp is the help bar.
func (m *Model) ShortHelp() []key.Binding { return []key.Binding{m.keys.Down, m.keys.Up, m.keys.Close} }

// FullHelp is the full help.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
