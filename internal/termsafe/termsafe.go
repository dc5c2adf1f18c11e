// Package termsafe makes text drawn from data safe to write to a terminal. Values in a warehouse
// table, field and table names, error messages that quote them and job logs were written by
// somebody other than the person at the terminal; a control character among them could clear the
// screen, recolour or hide what follows, retitle the window or write the clipboard. Every such
// character becomes a visible escape instead: ESC prints as \x1b, a bidi override as \u202e.
//
// The escaped form is plain printable text, so widths measured after escaping are the widths
// drawn, and escaping twice changes nothing. Only text for people goes through here: CSV, JSON
// and NDJSON stay byte-exact, they are for programs.
package termsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// mode says which harmless layout characters a context keeps.
type mode int

const (
	oneLine  mode = iota // cells, names: every control escaped
	block                // errors, the inspect view: newlines and tabs kept
	logLines             // job logs: newlines kept, CRLF read as a newline, SGR colours rebuilt
)

// String returns s for a one-line place (a cell, a column, field or table name, a picker item):
// every C0 control including tab and newline, DEL, every C1 control, every bidi control and
// every byte that is not UTF-8 becomes a visible escape.
func String(s string) string {
	if safe(s, oneLine) {
		return s
	}
	return escape(s, oneLine)
}

// Text returns s for a place of several lines (an error, the inspect view): as String, but
// newlines and tabs are kept.
func Text(s string) string {
	if safe(s, block) {
		return s
	}
	return escape(s, block)
}

// Log returns a job's log for a terminal: as Text, but a carriage return before a newline is
// read as part of the newline, and the log's SGR colour sequences (ESC [ n;n... m) are parsed
// and written anew from their numbers, never passed through; any other sequence is shown
// escaped.
func Log(s string) string {
	if safe(s, logLines) {
		return s
	}
	return escape(s, logLines)
}

// Escaped reports whether String would change s.
func Escaped(s string) bool { return !safe(s, oneLine) }

// safe is the fast path: whether s has nothing to escape in mode m.
func safe(s string, m mode) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20:
			if m == oneLine || (c != '\n' && c != '\t') {
				return false
			}
		case c == 0x7f:
			return false
		case c >= 0x80:
			r, n := utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && n <= 1) || dangerous(r) {
				return false
			}
			i += n - 1
		}
	}
	return true
}

// dangerous reports whether a rune other than an ASCII control must be escaped: the C1
// controls, the bidi controls (embeddings, overrides, isolates and marks) and the line and
// paragraph separators, which some terminals break lines at.
func dangerous(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

func escape(s string, m mode) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n' && m != oneLine, c == '\t' && m != oneLine:
			b.WriteByte(c)
			i++
		case c == '\r' && m == logLines && i+1 < len(s) && s[i+1] == '\n':
			i++ // CRLF: the newline is written next
		case c == 0x1b && m == logLines:
			if n, sgr := parseSGR(s[i:]); n > 0 {
				b.WriteString(sgr)
				i += n
				continue
			}
			writeByte(&b, c)
			i++
		case c < 0x20 || c == 0x7f:
			writeByte(&b, c)
			i++
		case c < 0x80:
			b.WriteByte(c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && n <= 1:
				writeByte(&b, c)
			case dangerous(r):
				b.WriteString(`\u`)
				b.WriteByte(hexDigits[r>>12&0xf])
				b.WriteByte(hexDigits[r>>8&0xf])
				b.WriteByte(hexDigits[r>>4&0xf])
				b.WriteByte(hexDigits[r&0xf])
			default:
				b.WriteString(s[i : i+n])
			}
			i += n
		}
	}
	return b.String()
}

// writeByte writes a control or stray byte as a visible escape: \t, \n and \r by name, the
// rest as \xNN.
func writeByte(b *strings.Builder, c byte) {
	switch c {
	case '\t':
		b.WriteString(`\t`)
	case '\n':
		b.WriteString(`\n`)
	case '\r':
		b.WriteString(`\r`)
	default:
		b.WriteString(`\x`)
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
}

// maxSGRParams bounds the parameters of one colour sequence; a longer one is shown escaped.
const maxSGRParams = 16

// parseSGR reads one SGR sequence at the start of s (ESC [ params m, params being numbers
// separated by ; or :) and returns how many bytes it took and the sequence written anew from
// its numbers; 0 when s does not start with one.
func parseSGR(s string) (int, string) {
	if len(s) < 3 || s[0] != 0x1b || s[1] != '[' {
		return 0, ""
	}
	var out strings.Builder
	out.WriteString("\x1b[")
	params, num, digits := 0, 0, 0
	for i := 2; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if digits++; digits > 3 {
				return 0, ""
			}
			num = num*10 + int(c-'0')
		case c == ';' || c == ':' || c == 'm':
			if digits > 0 {
				if num > 255 {
					return 0, ""
				}
				out.WriteString(strconv.Itoa(num))
			}
			if params++; params > maxSGRParams {
				return 0, ""
			}
			if c == 'm' {
				out.WriteByte('m')
				return i + 1, out.String()
			}
			out.WriteByte(c)
			num, digits = 0, 0
		default:
			return 0, ""
		}
	}
	return 0, ""
}
