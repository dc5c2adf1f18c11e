// Package output prints a query.Result as an aligned table, CSV, JSON, NDJSON or Markdown. The
// table and Markdown are for people: every value and name in them goes through termsafe, so a
// control character in the data shows as an escape instead of reaching the terminal. CSV, JSON
// and NDJSON are for programs and keep the data byte for byte.
package output

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/query"
)

// Formats lists the names Write accepts.
var Formats = []string{"table", "csv", "json", "ndjson", "markdown"}

// Write prints res in the named format. width bounds the table format (80 when 0).
func Write(w io.Writer, res *query.Result, format string, width int) error {
	switch format {
	case "", "table":
		return Table(w, res, width)
	case "csv":
		return CSV(w, res)
	case "json":
		return JSON(w, res)
	case "ndjson":
		return NDJSON(w, res)
	case "markdown", "md":
		return Markdown(w, res)
	}
	return fmt.Errorf("unknown format %q: use %s", format, strings.Join(Formats, ", "))
}

// Text renders one value for people: times in RFC 3339, floats without noise, nulls empty.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05")
	case float64:
		return formatFloat(x)
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// formatFloat shows two decimals for ordinary magnitudes and significant digits for tiny or huge
// ones, so an average reads as 84.10 and a rate as 0.0012.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return strconv.FormatFloat(f, 'g', -1, 64)
	case f == math.Trunc(f) && math.Abs(f) < 1e15:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case math.Abs(f) >= 1e15 || math.Abs(f) < 0.01:
		return strconv.FormatFloat(f, 'g', 4, 64)
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

// exact renders a value for machines: full precision, RFC 3339 times.
func exact(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return Text(v)
}

func numeric(t query.Type) bool { return t == query.TypeInt || t == query.TypeFloat }

// Table prints an aligned table with numbers right-aligned, cutting wide text columns so the
// whole fits in width, then a one-line summary.
func Table(w io.Writer, res *query.Result, width int) error {
	if width <= 0 {
		width = 80
	}
	n := len(res.Columns)
	cells := make([][]string, len(res.Rows)+1)
	cells[0] = make([]string, n)
	widths := make([]int, n)
	for i, c := range res.Columns {
		cells[0][i] = termsafe.String(c.Name)
	}
	days := dayColumns(res)
	for r, row := range res.Rows {
		cells[r+1] = make([]string, n)
		for i := 0; i < n && i < len(row); i++ {
			if t, ok := row[i].(time.Time); ok && !days[i] {
				cells[r+1][i] = t.Format("2006-01-02 15:04:05")
				continue
			}
			cells[r+1][i] = termsafe.String(Text(row[i]))
		}
	}
	for _, row := range cells {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	shown := fit(widths, width)
	hidden := n - shown
	n = shown
	var b strings.Builder
	for _, row := range cells {
		for i, c := range row[:n] {
			if i > 0 {
				b.WriteString("  ")
			}
			c = cut(c, widths[i])
			pad := strings.Repeat(" ", max(0, widths[i]-utf8.RuneCountInString(c)))
			if numeric(res.Columns[i].Type) {
				b.WriteString(pad + c)
			} else if i == n-1 {
				b.WriteString(c)
			} else {
				b.WriteString(c + pad)
			}
		}
		b.WriteString("\n")
	}
	sum := Summary(res)
	if hidden > 0 {
		sum = strings.TrimSuffix(sum, ")") + fmt.Sprintf(", %d more columns not shown: use --format csv or name the columns)", hidden)
	}
	b.WriteString(sum + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// dayColumns marks the columns whose times all fall on midnight, which print as days; a column
// with any other time prints every value with its time of day, so the column reads evenly.
func dayColumns(res *query.Result) []bool {
	days := make([]bool, len(res.Columns))
	for i := range days {
		days[i] = true
	}
	for _, row := range res.Rows {
		for i, v := range row {
			if t, ok := v.(time.Time); ok && i < len(days) && (t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0) {
				days[i] = false
			}
		}
	}
	return days
}

// Summary is the line under a table: rows, time taken and how exact the answer is.
func Summary(res *query.Result) string {
	parts := []string{plural(len(res.Rows), "row")}
	parts = append(parts, fmt.Sprintf("%d ms", res.Meta.Took.Milliseconds()))
	if res.Meta.Approximate {
		parts = append(parts, "approximate")
	} else {
		parts = append(parts, "exact")
	}
	if !res.Meta.Complete {
		if res.Meta.OtherCount > 0 {
			parts = append(parts, fmt.Sprintf("limited: %d more rows in other groups", res.Meta.OtherCount))
		} else {
			parts = append(parts, "limited: more rows may match")
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// fit shrinks the widest columns until the table fits in room, keeping each column at least
// 8 wide (or its natural width), and returns how many leading columns fit at all.
func fit(widths []int, room int) int {
	n := len(widths)
	for {
		sum, wi := 2*(n-1), -1
		for i, w := range widths[:n] {
			sum += w
			if w > 8 && (wi < 0 || w > widths[wi]) {
				wi = i
			}
		}
		if sum <= room || n == 1 {
			if n == 1 {
				widths[0] = min(widths[0], max(room, 8))
			}
			return n
		}
		if wi < 0 {
			n-- // every column is at its narrowest: leave off the last
			continue
		}
		widths[wi]--
	}
}

func cut(s string, w int) string {
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	r := []rune(s)
	return string(r[:max(0, w-1)]) + "…"
}

// CSV prints a header and one record per row.
func CSV(w io.Writer, res *query.Result) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		head[i] = c.Name
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(res.Columns))
	for _, row := range res.Rows {
		for i := range rec {
			rec[i] = ""
			if i < len(row) {
				rec[i] = exact(row[i])
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

type jsonColumn struct {
	Name string `json:"name"`
	Role string `json:"role"`
	Type string `json:"type"`
}

type jsonMeta struct {
	Backend     string `json:"backend"`
	Request     string `json:"request"`
	TookMS      int64  `json:"took_ms"`
	Total       int64  `json:"total"`
	Approximate bool   `json:"approximate"`
	Complete    bool   `json:"complete"`
	OtherCount  int64  `json:"other_count"`
	ErrorBound  int64  `json:"error_bound"`
}

// JSONValue converts a row value for encoding/json: times as RFC 3339 strings, and non-finite
// floats, which JSON cannot carry, as null.
func JSONValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	}
	return v
}

// JSON prints exactly one object: columns, rows and meta.
func JSON(w io.Writer, res *query.Result) error {
	cols := make([]jsonColumn, len(res.Columns))
	for i, c := range res.Columns {
		cols[i] = jsonColumn{c.Name, string(c.Role), string(c.Type)}
	}
	rows := make([][]any, len(res.Rows))
	for r, row := range res.Rows {
		rows[r] = make([]any, len(row))
		for i, v := range row {
			rows[r][i] = JSONValue(v)
		}
	}
	m := res.Meta
	out := struct {
		Columns []jsonColumn `json:"columns"`
		Rows    [][]any      `json:"rows"`
		Meta    jsonMeta     `json:"meta"`
	}{cols, rows, jsonMeta{m.Backend, m.Request, m.Took.Milliseconds(), m.Total, m.Approximate, m.Complete, m.OtherCount, m.ErrorBound}}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// NDJSON prints one object per row, keyed by column name.
func NDJSON(w io.Writer, res *query.Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, row := range res.Rows {
		obj := make(orderedRow, len(res.Columns))
		for i, c := range res.Columns {
			var v any
			if i < len(row) {
				v = JSONValue(row[i])
			}
			obj[i] = kv{c.Name, v}
		}
		if err := enc.Encode(obj); err != nil {
			return err
		}
	}
	return nil
}

type kv struct {
	k string
	v any
}

// orderedRow encodes as an object with keys in column order.
type orderedRow []kv

func (o orderedRow) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, p := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.k)
		v, err := json.Marshal(p.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// Markdown prints a pipe table.
func Markdown(w io.Writer, res *query.Result) error {
	var b strings.Builder
	esc := func(s string) string { return strings.ReplaceAll(termsafe.String(s), "|", `\|`) }
	b.WriteString("|")
	for _, c := range res.Columns {
		b.WriteString(" " + esc(c.Name) + " |")
	}
	b.WriteString("\n|")
	for _, c := range res.Columns {
		if numeric(c.Type) {
			b.WriteString(" ---: |")
		} else {
			b.WriteString(" --- |")
		}
	}
	b.WriteString("\n")
	for _, row := range res.Rows {
		b.WriteString("|")
		for i := range res.Columns {
			s := ""
			if i < len(row) {
				s = Text(row[i])
			}
			b.WriteString(" " + esc(s) + " |")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
