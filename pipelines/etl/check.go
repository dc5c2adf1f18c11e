package etl

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// The metrics a check can name: row_count alone, the others of a column, and previous(m) for
// m's value in the last published version.
var (
	tableMetrics  = []string{"row_count"}
	columnMetrics = []string{"null_count", "null_fraction", "distinct_count", "min", "max", "mean"}
	checkFuncs    = []string{"abs", "least", "greatest", "coalesce", "round"}
	checkWords    = []string{"and", "or", "not", "is", "null", "true", "false", "between"}
)

// metricRef is a metric named in a check.
type metricRef struct {
	Metric   string
	Column   string // "" for row_count
	Previous bool
	at       int
}

// Key names the metric as stored: "row_count" or "null_fraction(director)".
func (m metricRef) Key() string {
	if m.Column == "" {
		return m.Metric
	}
	return m.Metric + "(" + m.Column + ")"
}

// checkExpr is a parsed check: SQL text with holes where metric values go.
type checkExpr struct {
	parts []string // text between refs; len(parts) == len(refs)+1
	refs  []metricRef
}

type checkError struct {
	at  int
	msg string
}

func (e *checkError) Error() string { return e.msg }

type checkToken struct {
	kind byte // 'n' number, 'i' identifier, 's' string, 'o' operator or punctuation
	text string
	at   int
}

func tokenizeCheck(s string) ([]checkToken, *checkError) {
	var out []checkToken
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case unicode.IsDigit(c) || c == '.' && i+1 < len(s) && unicode.IsDigit(rune(s[i+1])):
			j := i
			for j < len(s) && (unicode.IsDigit(rune(s[j])) || s[j] == '.' || s[j] == 'e' || s[j] == 'E' || (s[j] == '-' || s[j] == '+') && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			if _, err := strconv.ParseFloat(s[i:j], 64); err != nil {
				return nil, &checkError{i, fmt.Sprintf("%q is not a number", s[i:j])}
			}
			out = append(out, checkToken{'n', s[i:j], i})
			i = j
		case unicode.IsLetter(c) || c == '_':
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_') {
				j++
			}
			out = append(out, checkToken{'i', s[i:j], i})
			i = j
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, &checkError{i, "unterminated quoted column name"}
			}
			out = append(out, checkToken{'i', s[i+1 : i+1+j], i})
			i += j + 2
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, &checkError{i, "unterminated string"}
			}
			out = append(out, checkToken{'s', s[i : i+2+j], i})
			i += j + 2
		default:
			two := ""
			if i+1 < len(s) {
				two = s[i : i+2]
			}
			switch {
			case two == "<=" || two == ">=" || two == "<>" || two == "!=":
				out = append(out, checkToken{'o', two, i})
				i += 2
			case strings.ContainsRune("<>=+-*/(),", c):
				out = append(out, checkToken{'o', string(c), i})
				i++
			default:
				return nil, &checkError{i, fmt.Sprintf("unexpected %q", string(c))}
			}
		}
	}
	return out, nil
}

// parseCheck reads a check expression: comparisons and arithmetic over metrics, numbers and a
// few functions, as in "row_count >= 0.8 * previous(row_count)".
func parseCheck(s string) (*checkExpr, *checkError) {
	toks, err := tokenizeCheck(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, &checkError{0, "the check is empty"}
	}
	e := &checkExpr{}
	var b strings.Builder
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		call := i+1 < len(toks) && toks[i+1].text == "("
		switch {
		case t.kind == 'i' && t.text == "previous" && call:
			ref, next, err := metricAt(toks, i+2)
			if err != nil {
				return nil, err
			}
			if next >= len(toks) || toks[next].text != ")" {
				return nil, &checkError{toks[min(next, len(toks)-1)].at, "previous(...) takes one metric, as in previous(row_count)"}
			}
			ref.Previous, ref.at = true, t.at
			e.parts = append(e.parts, b.String())
			e.refs = append(e.refs, ref)
			b.Reset()
			i = next
		case t.kind == 'i' && (slices.Contains(tableMetrics, t.text) || slices.Contains(columnMetrics, t.text) && call):
			ref, next, err := metricAt(toks, i)
			if err != nil {
				return nil, err
			}
			e.parts = append(e.parts, b.String())
			e.refs = append(e.refs, ref)
			b.Reset()
			i = next - 1
		case t.kind == 'i' && call && slices.Contains(checkFuncs, strings.ToLower(t.text)):
			b.WriteString(" " + strings.ToLower(t.text))
		case t.kind == 'i' && slices.Contains(checkWords, strings.ToLower(t.text)):
			b.WriteString(" " + strings.ToUpper(t.text))
		case t.kind == 'i':
			return nil, &checkError{t.at, fmt.Sprintf("unknown name %q: a check compares metrics (%s, previous(...))", t.text, strings.Join(append(slices.Clone(tableMetrics), columnMetrics...), ", "))}
		default:
			if t.text == "(" {
				depth++
			} else if t.text == ")" {
				if depth--; depth < 0 {
					return nil, &checkError{t.at, "unbalanced ')'"}
				}
			}
			b.WriteString(" " + t.text)
		}
	}
	if depth != 0 {
		return nil, &checkError{len(s), "a '(' is not closed"}
	}
	e.parts = append(e.parts, b.String())
	if len(e.refs) == 0 {
		return nil, &checkError{0, "the check names no metric (row_count, null_fraction(col), ...)"}
	}
	return e, nil
}

// metricAt reads a metric at toks[i]: row_count or name(column). It returns the index after it.
func metricAt(toks []checkToken, i int) (metricRef, int, *checkError) {
	if i >= len(toks) || toks[i].kind != 'i' {
		at := 0
		if i < len(toks) {
			at = toks[i].at
		}
		return metricRef{}, i, &checkError{at, "expected a metric (row_count, null_fraction(col), ...)"}
	}
	t := toks[i]
	if slices.Contains(tableMetrics, t.text) {
		return metricRef{Metric: t.text, at: t.at}, i + 1, nil
	}
	if !slices.Contains(columnMetrics, t.text) {
		return metricRef{}, i, &checkError{t.at, fmt.Sprintf("%q is not a metric (%s)", t.text, strings.Join(append(slices.Clone(tableMetrics), columnMetrics...), ", "))}
	}
	if i+3 >= len(toks) || toks[i+1].text != "(" || toks[i+2].kind != 'i' || toks[i+3].text != ")" {
		return metricRef{}, i, &checkError{t.at, fmt.Sprintf("%s takes one column, as in %s(price)", t.text, t.text)}
	}
	return metricRef{Metric: t.text, Column: toks[i+2].text, at: t.at}, i + 4, nil
}

// SQL is the check as a SQL expression with each metric replaced by its value's literal.
func (e *checkExpr) SQL(value func(metricRef) string) string {
	var b strings.Builder
	for i, p := range e.parts {
		b.WriteString(p)
		if i < len(e.refs) {
			b.WriteString(" " + value(e.refs[i]))
		}
	}
	return strings.TrimSpace(b.String())
}
