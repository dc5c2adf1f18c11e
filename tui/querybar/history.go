package querybar

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/internal/xdg"
)

// historyKeep is how many lines the history of one backend keeps.
const historyKeep = 500

// HistoryMsg carries the history read from disk.
type HistoryMsg struct {
	Path    string
	Entries []string
	Err     error
}

// HistoryPath is where the lines run against a backend are kept: one file a backend, named by
// its URL without secrets, under $XDG_STATE_HOME/dora/sql-history.
func HistoryPath(backend string) string {
	var b strings.Builder
	for _, r := range backend {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := b.String()
	if len(name) > 120 {
		name = name[len(name)-120:]
	}
	return filepath.Join(xdg.StateDir(), "sql-history", name+".ndjson")
}

// LoadHistory reads the history at path: one JSON string a line, oldest first.
func LoadHistory(path string) tea.Cmd {
	return func() tea.Msg {
		entries, err := readHistory(path)
		return HistoryMsg{Path: path, Entries: entries, Err: err}
	}
}

func readHistory(path string) ([]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the SQL history: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var s string
		if json.Unmarshal(sc.Bytes(), &s) == nil && s != "" {
			out = append(out, s)
		}
	}
	return out[max(0, len(out)-historyKeep):], sc.Err()
}

// SetHistory takes the history read.
func (m *Model) SetHistory(msg HistoryMsg) {
	m.histPath = msg.Path
	m.hist = append(msg.Entries, m.hist...) // lines run before the read came back stay newest
	m.histAt = len(m.hist)
}

// Remember adds a line run to the history and returns the command that writes it; the same line
// as the last is not added again.
func (m *Model) Remember(sql string) tea.Cmd {
	sql = strings.TrimSpace(sql)
	if sql == "" || len(m.hist) > 0 && m.hist[len(m.hist)-1] == sql {
		m.histAt = len(m.hist)
		return nil
	}
	m.hist = append(m.hist, sql)
	m.histAt = len(m.hist)
	path := m.histPath
	if path == "" {
		return nil
	}
	return func() tea.Msg {
		line, _ := json.Marshal(sql)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil // the history is a convenience: running never fails for it
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil
		}
		f.Write(append(line, '\n'))
		f.Close()
		return nil
	}
}

// History is the lines run, oldest first.
func (m *Model) History() []string { return m.hist }
