package dash

import (
	"fmt"
	"strings"
)

// Error is one problem in a dashboard file, at a line and column, as a compiler reports it.
type Error struct {
	File   string
	Line   int // 1-based; 0 when the problem has no place
	Column int // 1-based, in characters
	Msg    string
	Source string // the line of the file it is on
}

// Error prints "file:line:column: message", then the line with a caret under the spot.
func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	s := fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	if e.Source == "" {
		return s
	}
	num := fmt.Sprint(e.Line)
	src := strings.ReplaceAll(e.Source, "\t", " ")
	return s + fmt.Sprintf("\n  %s | %s\n  %s | %s^", num, src, strings.Repeat(" ", len(num)), strings.Repeat(" ", max(0, e.Column-1)))
}

// Errors is every problem found in one file, in the order of the file.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	if len(es) > 1 {
		return fmt.Sprintf("%d problems in %s:\n%s", len(es), es[0].File, strings.Join(parts, "\n"))
	}
	return strings.Join(parts, "\n")
}
