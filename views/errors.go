package views

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/dora-dev/dora/internal/yamlfile"
	"github.com/dora-dev/dora/query"
)

// Error is a problem at a place in a views file, said the way a compiler says it: the file, line
// and column, what is wrong, and the line with a caret under the spot. It is the YAML files'
// one error type, quoting the line bare.
type Error = yamlfile.Error

// NotFoundError says a file has no view of the name asked for.
type NotFoundError struct {
	Name  string
	Path  string
	Names []string // the names the file has, in its order
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("no saved view named %q in %s", e.Name, e.Path)
	switch near := query.Nearest(e.Name, e.Names); {
	case near != "":
		return msg + fmt.Sprintf("; did you mean %q?", near)
	case len(e.Names) == 0:
		return msg + " (none is saved yet: S in the explorer saves the view on screen)"
	case len(e.Names) > 8:
		return msg + " (saved: " + strings.Join(e.Names[:8], ", ") + ", …; dora views ls lists them)"
	}
	return msg + " (saved: " + strings.Join(e.Names, ", ") + ")"
}

// errorAt is an Error at a node of the file.
func (f *File) errorAt(n *yaml.Node, format string, args ...any) *Error {
	return f.errorAtPos(n.Line, n.Column, format, args...)
}

func (f *File) errorAtPos(line, col int, format string, args ...any) *Error {
	return &Error{File: f.Path, Line: line, Column: col, Msg: fmt.Sprintf(format, args...), Source: sourceLine(f.src, line), Bare: true}
}

func sourceLine(src []byte, line int) string {
	lines := bytes.Split(src, []byte("\n"))
	if line < 1 || line > len(lines) {
		return ""
	}
	return strings.TrimRight(string(lines[line-1]), "\r")
}

// sqlError places a SQL parse error inside the file: at the very character when the value is
// written on one line and its text up to the error is the SQL's (no escapes before it), else at
// the start of the value.
func (f *File) sqlError(name string, n *yaml.Node, pe *query.ParseError) *Error {
	line, col := n.Line, n.Column
	if pe.Offset >= 0 && pe.Line == 1 && !strings.Contains(n.Value, "\n") {
		start := col - 1 // the value's first character, 0-based
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			start++
		}
		src := []rune(sourceLine(f.src, line))
		if start <= len(src) && strings.HasPrefix(string(src[start:]), pe.SQL[:pe.Offset]) {
			col = start + 1 + utf8.RuneCountInString(pe.SQL[:pe.Offset])
		}
	}
	return f.errorAtPos(line, col, "view %q: %s", name, pe.Msg)
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// syntaxError turns a YAML syntax error into an Error. yaml.v3 names the line where the
// enclosing block began, not the one that is wrong, and no column, so the wrong line is found as
// the end of the shortest start of the file that does not parse; the column is the character
// the message is about where it can be told (a tab, an unclosed quote, a second colon), else
// the line's first that is not a space.
func (f *File) syntaxError(err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	lines := strings.Split(string(f.src), "\n")
	if len(lines) <= 2000 { // each try parses the start of the file again
		lastOK := line - 1
		for k := max(1, line); k <= len(lines); k++ {
			var n yaml.Node
			perr := yaml.Unmarshal([]byte(strings.Join(lines[:k], "\n")), &n)
			if perr == nil {
				lastOK = k
				continue
			}
			if !strings.Contains(perr.Error(), "end of stream") { // not merely cut short
				lastOK = k - 1
				break
			}
		}
		line = min(lastOK+1, len(lines))
	}
	src := sourceLine(f.src, line)
	at := len(src) - len(strings.TrimLeft(src, " ")) // byte offset of the spot in src
	switch {
	case strings.Contains(msg, "cannot start any token"):
		if i := strings.IndexAny(src, "\t`@%"); i >= 0 {
			at = i
		}
	case strings.Contains(msg, "end of stream"):
		if i := strings.IndexAny(src, `"'`); i >= 0 {
			at = i
			msg = "this quote is never closed (" + msg + ")"
		}
	case strings.Contains(msg, "mapping values are not allowed"):
		// the second "key: value" on one line
		if i := strings.Index(src, ": "); i >= 0 {
			if j := strings.Index(src[i+2:], ":"); j >= 0 {
				at = i + 2 + j
			}
		}
	}
	return f.errorAtPos(line, utf8.RuneCountInString(src[:at])+1, "%s", msg)
}
