// Package export writes a result to a CSV or JSON file, for the explorer's export key.
package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dora-dev/dora/query"
)

// Formats are the file formats Write knows.
var Formats = []string{"csv", "json"}

// Write saves res in dir as dora-export-<time>.<format> and returns the path.
func Write(dir string, res *query.Result, format string, now time.Time) (string, error) {
	if res == nil {
		return "", fmt.Errorf("nothing to export yet")
	}
	path := filepath.Join(dir, "dora-export-"+now.Format("20060102-150405")+"."+format)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("exporting: %w", err)
	}
	switch format {
	case "csv":
		err = writeCSV(f, res)
	case "json":
		err = writeJSON(f, res)
	default:
		err = fmt.Errorf("unknown export format %q", format)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("exporting %s: %w", path, err)
	}
	return path, nil
}

func writeCSV(f *os.File, res *query.Result) error {
	w := csv.NewWriter(f)
	header := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		header[i] = c.Name
	}
	if err := w.Write(header); err != nil {
		return err
	}
	for _, row := range res.Rows {
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = text(v)
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// text prints a value exactly, for CSV.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// writeJSON writes an array of objects whose keys keep the result's column order.
func writeJSON(f *os.File, res *query.Result) error {
	w := bufio.NewWriter(f)
	w.WriteString("[")
	for r, row := range res.Rows {
		if r > 0 {
			w.WriteString(",")
		}
		w.WriteString("\n  {")
		for i, v := range row {
			if i >= len(res.Columns) {
				break
			}
			if x, ok := v.(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
				v = nil // JSON has no NaN
			}
			k, err := json.Marshal(res.Columns[i].Name)
			if err != nil {
				return err
			}
			val, err := json.Marshal(v)
			if err != nil {
				return err
			}
			if i > 0 {
				w.WriteString(", ")
			}
			w.Write(k)
			w.WriteString(": ")
			w.Write(val)
		}
		w.WriteString("}")
	}
	w.WriteString("\n]\n")
	return w.Flush()
}
