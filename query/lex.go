package query

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokQuotedIdent
	tokString
	tokNumber
	tokSymbol
)

type token struct {
	kind tokKind
	text string // identifier or string value (unquoted), number text, or symbol
	pos  int    // byte offset in the input
}

// word returns the upper-cased text of a bare identifier, or "" for any other token.
func (t token) word() string {
	if t.kind != tokIdent {
		return ""
	}
	return strings.ToUpper(t.text)
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of query"
	case tokString:
		return "string '" + t.text + "'"
	case tokQuotedIdent:
		return `"` + t.text + `"`
	}
	return "'" + t.text + "'"
}

// lex splits the input into tokens, dropping whitespace and comments.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, errAt(src, i, "unterminated /* comment")
			}
			i += end + 4
		case c == '\'':
			s, n, ok := scanQuoted(src[i:], '\'')
			if !ok {
				return nil, errAt(src, i, "unterminated string: a ' has no closing '")
			}
			toks = append(toks, token{tokString, s, i})
			i += n
		case c == '"':
			s, n, ok := scanQuoted(src[i:], '"')
			if !ok {
				return nil, errAt(src, i, `unterminated quoted identifier: a " has no closing "`)
			}
			if s == "" {
				return nil, errAt(src, i, "empty quoted identifier")
			}
			toks = append(toks, token{tokQuotedIdent, s, i})
			i += n
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			n := scanNumber(src[i:])
			if n < len(src[i:]) && isIdentStart(rune(src[i+n])) {
				return nil, errAt(src, i+n, "unexpected character %q after number", src[i+n])
			}
			toks = append(toks, token{tokNumber, src[i : i+n], i})
			i += n
		case c < utf8.RuneSelf && isIdentStart(rune(c)) || c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(src[i:])
			if !isIdentStart(r) {
				return nil, errAt(src, i, "unexpected character %q", r)
			}
			j := i + size
			for j < len(src) {
				r, size := utf8.DecodeRuneInString(src[j:])
				if !isIdentPart(r) {
					break
				}
				j += size
			}
			toks = append(toks, token{tokIdent, src[i:j], i})
			i = j
		default:
			for _, sym := range []string{"<=", ">=", "!=", "<>", "::", "||"} {
				if strings.HasPrefix(src[i:], sym) {
					toks = append(toks, token{tokSymbol, sym, i})
					i += 2
					goto next
				}
			}
			if strings.IndexByte("(),*=<>;+-/.%[]", c) >= 0 {
				toks = append(toks, token{tokSymbol, string(c), i})
				i++
				continue
			}
			return nil, errAt(src, i, "unexpected character %q", c)
		}
	next:
	}
	toks = append(toks, token{kind: tokEOF, pos: len(src)})
	return toks, nil
}

// scanQuoted reads a quoted run starting at s[0], with the quote doubled to escape it. It returns
// the unescaped text and the bytes consumed.
func scanQuoted(s string, q byte) (string, int, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] == q {
			if i+1 < len(s) && s[i+1] == q {
				b.WriteByte(q)
				i++
				continue
			}
			return b.String(), i + 1, true
		}
		b.WriteByte(s[i])
	}
	return "", 0, false
}

func scanNumber(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	return i
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// ParseError is a query the parser or validator rejected, with the place it went wrong.
type ParseError struct {
	SQL    string
	Offset int // byte offset into SQL, -1 when the error has no single place
	Line   int // 1-based
	Column int // 1-based, in characters
	Msg    string
}

func errAt(src string, off int, format string, args ...any) *ParseError {
	if off > len(src) {
		off = len(src)
	}
	line, col := 1, 1
	for _, r := range src[:off] {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &ParseError{SQL: src, Offset: off, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// Error says what went wrong and where, then shows the line with a caret under the spot.
func (e *ParseError) Error() string {
	if e.Offset < 0 {
		return e.Msg
	}
	lines := strings.Split(e.SQL, "\n")
	text := ""
	if e.Line-1 < len(lines) {
		text = strings.TrimRight(lines[e.Line-1], "\r")
	}
	text = strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		return r
	}, text)
	return fmt.Sprintf("line %d, column %d: %s\n  %s\n  %s^", e.Line, e.Column, e.Msg, text, strings.Repeat(" ", max(0, e.Column-1)))
}
