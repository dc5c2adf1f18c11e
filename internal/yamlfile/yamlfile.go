// Package yamlfile reads YAML config files the way a compiler reads source: keys that are not
// known are refused, and every problem is reported at file:line:column with the line it is on.
package yamlfile

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dora-dev/dora/query"
)

// Error is one problem at a place in a file: the one error type of dora's YAML files
// (pipelines, job definitions, dashboards, saved views).
type Error struct {
	File   string
	Line   int // 1-based; 0 when the problem has no place
	Column int // 1-based, in characters
	Msg    string
	Source string // the line it is on
	// Bare quotes the line without its number in a gutter, as the saved views file's errors
	// do (a file dora writes itself, whose line numbers say little).
	Bare bool
}

// Error prints "file:line:column: message", then the line with a caret under the spot. A tab
// counts as one column, so it shows as one space above the caret.
func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	s := fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	if strings.TrimSpace(e.Source) == "" {
		return s
	}
	src, caret := strings.ReplaceAll(e.Source, "\t", " "), strings.Repeat(" ", max(0, e.Column-1))+"^"
	if e.Bare {
		return s + "\n  " + src + "\n  " + caret
	}
	num := strconv.Itoa(e.Line)
	return s + fmt.Sprintf("\n  %s | %s\n  %s | %s", num, src, strings.Repeat(" ", len(num)), caret)
}

// Errors is every problem found in one file, in the file's order.
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

// File is a file being read: its lines, for quoting, and the problems found so far.
type File struct {
	Path  string
	lines []string
	errs  Errors
}

// Parse reads data as YAML and returns the file and its top node, nil when the file is empty or
// not YAML (the file then holds the error).
func Parse(path string, data []byte) (*File, *yaml.Node) {
	f := &File{Path: path, lines: strings.Split(string(data), "\n")}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		f.syntaxError(err)
		return f, nil
	}
	if len(root.Content) == 0 {
		return f, nil
	}
	return f, root.Content[0]
}

// Err is nil when no problem was found, else the Errors.
func (f *File) Err() error {
	if len(f.errs) == 0 {
		return nil
	}
	return f.errs
}

// ErrorAt records a problem at line and column.
func (f *File) ErrorAt(line, col int, format string, args ...any) {
	e := &Error{File: f.Path, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
	if line > 0 && line <= len(f.lines) {
		e.Source = strings.TrimRight(f.lines[line-1], "\r")
	}
	f.errs = append(f.errs, e)
}

// Errorf records a problem at a node (the file as a whole when n is nil).
func (f *File) Errorf(n *yaml.Node, format string, args ...any) {
	if n == nil {
		f.ErrorAt(0, 0, format, args...)
		return
	}
	f.ErrorAt(n.Line, n.Column, format, args...)
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// syntaxError places the YAML library's "yaml: line 3: ..." at that line's first character.
func (f *File) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		f.ErrorAt(1, 1, "%s", msg)
		return
	}
	line, _ := strconv.Atoi(m[1])
	col := 1
	if line >= 1 && line <= len(f.lines) {
		col = len(f.lines[line-1]) - len(strings.TrimLeft(f.lines[line-1], " ")) + 1
	}
	f.ErrorAt(line, col, "%s", m[2])
}

// Fields walks a mapping, refusing keys not in known and keys given twice; each known key's
// value goes to fn. what names the mapping in messages ("the job", "retries").
func (f *File) Fields(n *yaml.Node, what string, known []string, fn func(key string, v *yaml.Node)) {
	WalkFields(n, what, known, f.Errorf, func(key string, _, v *yaml.Node) { fn(key, v) })
}

// WalkFields is Fields for a parser that keeps its own errors: each problem goes to report.
func WalkFields(n *yaml.Node, what string, known []string, report func(n *yaml.Node, format string, args ...any), fn func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		report(n, "%s should be a mapping of keys (%s), not %s", what, strings.Join(known, ", "), Describe(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !slices.Contains(known, k.Value):
			msg := fmt.Sprintf("unknown key %q in %s", k.Value, what)
			if near := query.Nearest(k.Value, known); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			report(k, "%s (known keys: %s)", msg, strings.Join(known, ", "))
		case seen[k.Value]:
			report(k, "%q is given twice in %s", k.Value, what)
		default:
			seen[k.Value] = true
			fn(k.Value, k, v)
		}
	}
}

// Scalar is a single value; a list or mapping is refused.
func (f *File) Scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		f.Errorf(n, "%s should be a single value, not %s", what, Describe(n))
		return "", false
	}
	return n.Value, true
}

// StringMap is a mapping of single values; key, when not nil, checks each key and says what is
// wrong with it.
func (f *File) StringMap(n *yaml.Node, what string, key func(string) string) map[string]string {
	if n.Kind != yaml.MappingNode {
		f.Errorf(n, "%s should be a mapping of names to values, not %s", what, Describe(n))
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := out[k.Value]; dup {
			f.Errorf(k, "%q is given twice in %s", k.Value, what)
			continue
		}
		if key != nil {
			if problem := key(k.Value); problem != "" {
				f.Errorf(k, "%s", problem)
				continue
			}
		}
		if s, ok := f.Scalar(v, what+"."+k.Value); ok {
			out[k.Value] = s
		}
	}
	return out
}

// Describe names a node's kind for messages.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "this"
}
