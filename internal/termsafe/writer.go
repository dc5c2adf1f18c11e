package termsafe

import (
	"io"
	"unicode/utf8"
)

// LogWriter passes a log through Log on its way to a terminal. A chunk may end inside a colour
// sequence, a character or a CRLF; that tail is held back until the next Write or Close, so a
// sequence split across reads is judged whole.
type LogWriter struct {
	w       io.Writer
	pending []byte
}

// NewLogWriter returns a LogWriter writing to w; Close writes what is held back.
func NewLogWriter(w io.Writer) *LogWriter { return &LogWriter{w: w} }

// maxHeld bounds what a Write holds back: a longer unfinished sequence is no colour sequence.
const maxHeld = 64

// Write escapes p (with what the last Write held back) and writes it, holding back an
// unfinished tail. It reports len(p) when the write succeeded.
func (l *LogWriter) Write(p []byte) (int, error) {
	l.pending = append(l.pending, p...)
	cut := heldFrom(l.pending)
	if cut > 0 {
		if _, err := io.WriteString(l.w, Log(string(l.pending[:cut]))); err != nil {
			return 0, err
		}
	}
	l.pending = append(l.pending[:0], l.pending[cut:]...)
	return len(p), nil
}

// Close writes what was held back.
func (l *LogWriter) Close() error {
	if len(l.pending) == 0 {
		return nil
	}
	_, err := io.WriteString(l.w, Log(string(l.pending)))
	l.pending = l.pending[:0]
	return err
}

// heldFrom is where the unfinished tail of b starts: a carriage return that a newline may
// follow, a rune cut short, or an ESC [ whose sequence has not ended yet.
func heldFrom(b []byte) int {
	n := len(b)
	if n == 0 {
		return 0
	}
	if b[n-1] == '\r' {
		return n - 1
	}
	for i := n - 1; i >= max(0, n-utf8.UTFMax); i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	for i := n - 1; i >= max(0, n-maxHeld); i-- {
		if b[i] == 0x1b {
			if unfinishedSGR(b[i:]) {
				return i
			}
			break
		}
	}
	return n
}

// unfinishedSGR reports whether b, which starts with ESC, could still become a colour sequence.
func unfinishedSGR(b []byte) bool {
	if len(b) == 1 {
		return true
	}
	if b[1] != '[' {
		return false
	}
	for _, c := range b[2:] {
		if !(c >= '0' && c <= '9' || c == ';' || c == ':') {
			return false
		}
	}
	return true
}
