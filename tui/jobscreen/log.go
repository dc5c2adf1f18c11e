package jobscreen

import (
	"fmt"
	"regexp"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/tui/format"
)

// DefaultMaxLogLines is how many lines of a run's log the screen keeps; the earlier ones stay in
// the store, for dora jobs logs.
const DefaultMaxLogLines = 100_000

// addLog appends a chunk of the log read: whole lines to the log, the rest kept until its
// newline comes. Beyond the cap the earliest lines are let go, a tenth of the cap at a time so
// a followed log does not copy itself on every read.
func (m *Model) addLog(data []byte) {
	lines := strings.Split(m.partial+string(data), "\n")
	m.log, m.partial = append(m.log, lines[:len(lines)-1]...), lines[len(lines)-1]
	m.scanMatches()
	limit := m.opts.MaxLogLines
	if len(m.log) <= limit+limit/10 {
		return
	}
	drop := len(m.log) - limit
	m.log = append([]string(nil), m.log[drop:]...)
	m.dropped += drop
	m.scroll = max(0, m.scroll-drop)
	if m.mark -= drop; m.mark < 0 {
		m.mark = -1
	}
	kept := m.matches[:0]
	for _, i := range m.matches {
		if i >= drop {
			kept = append(kept, i-drop)
		}
	}
	m.matchAt -= len(m.matches) - len(kept)
	m.matches, m.scanned = kept, m.scanned-drop
	if m.matchAt < 0 {
		m.matchAt = min(0, len(m.matches)-1)
	}
}

// Dropped is how many of the log's first lines the screen let go of, beyond its cap.
func (m *Model) Dropped() int { return m.dropped }

// droppedLine says where the lines let go of are, above the log.
func (m *Model) droppedLine() string {
	return fmt.Sprintf("%s earlier lines in dora jobs logs %s", format.Int(int64(m.dropped)), m.detail.ID)
}

// pattern is the search typed, as a regexp: case-blind unless it has a capital letter.
func pattern(text string) *regexp.Regexp {
	flags := "(?i)"
	if strings.ToLower(text) != text {
		flags = ""
	}
	return regexp.MustCompile(flags + regexp.QuoteMeta(text))
}

// scanMatches finds the search in the whole lines not yet looked at.
func (m *Model) scanMatches() {
	if m.search == nil {
		m.scanned = len(m.log)
		return
	}
	for ; m.scanned < len(m.log); m.scanned++ {
		if m.search.MatchString(m.log[m.scanned]) {
			m.matches = append(m.matches, m.scanned)
		}
	}
}

// startSearch opens the search line under the log.
func (m *Model) startSearch() tea.Cmd {
	m.searching = true
	m.searchIn.SetValue("")
	m.searchIn.SetWidth(max(10, m.w-4))
	return m.searchIn.Focus()
}

func (m *Model) searchKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Back):
		m.searching = false
		m.searchIn.Blur()
		return nil
	case key.Matches(msg, m.keys.Open):
		m.searching = false
		m.searchIn.Blur()
		m.setSearch(m.searchIn.Value())
		return nil
	}
	var cmd tea.Cmd
	m.searchIn, cmd = m.searchIn.Update(msg)
	return cmd
}

// setSearch finds text in the log and shows the first match at or below the top line shown.
func (m *Model) setSearch(text string) {
	m.search, m.matches, m.scanned, m.matchAt = nil, nil, 0, -1
	if text == "" {
		return
	}
	m.search = pattern(text)
	m.scanMatches()
	if len(m.matches) == 0 {
		m.setNote(fmt.Sprintf("no line has %q", text), true)
		return
	}
	m.matchAt = 0
	for i, at := range m.matches {
		if at >= m.scroll {
			m.matchAt = i
			break
		}
	}
	m.showMatch()
}

// nextMatch moves to the next match (d 1) or the previous one (-1), round the ends.
func (m *Model) nextMatch(d int) {
	if len(m.matches) == 0 {
		m.setNote("no line matches "+m.search.String(), true)
		return
	}
	m.matchAt = (m.matchAt + d + len(m.matches)) % len(m.matches)
	m.showMatch()
}

// showMatch scrolls the current match into the middle of the log and says which it is.
func (m *Model) showMatch() {
	at := m.matches[m.matchAt]
	last := max(0, len(m.Log())-m.logH())
	m.scroll, m.following = max(0, min(at-m.logH()/2, last)), false
	m.setNote(fmt.Sprintf("match %d of %d · line %s", m.matchAt+1, len(m.matches), format.Int(int64(m.dropped+at+1))), false)
}

// Match is the log line the search is on, or -1.
func (m *Model) Match() int {
	if m.search == nil || m.matchAt < 0 || m.matchAt >= len(m.matches) {
		return -1
	}
	return m.matches[m.matchAt]
}

// highlight marks every match of the search in a log line.
func (m *Model) highlight(line string) string {
	if m.search == nil {
		return line
	}
	var b strings.Builder
	from := 0
	for _, loc := range m.search.FindAllStringIndex(line, -1) {
		if loc[0] == loc[1] {
			continue
		}
		b.WriteString(line[from:loc[0]])
		b.WriteString(m.styles.List.Selected.Render(line[loc[0]:loc[1]]))
		from = loc[1]
	}
	b.WriteString(line[from:])
	return b.String()
}
