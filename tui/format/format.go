// Package format prints result values for people: human numbers for charts (1.2k, 3.4M), exact
// numbers with thousands separators for tables, and time buckets at the precision of their unit.
package format

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dora-dev/dora/internal/termsafe"
)

// Human prints a number short: 950, 1.2k, 48.2k, 512k, 3.4M, 1.1B. Small fractions keep two
// significant decimals.
func Human(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	if math.IsInf(v, 0) {
		if v > 0 {
			return "∞"
		}
		return "-∞"
	}
	sign := ""
	if v < 0 {
		sign = "-"
		v = -v
	}
	if v < 1000 {
		switch {
		case v == math.Trunc(v):
			return sign + strconv.FormatFloat(v, 'f', 0, 64)
		case v >= 100:
			return sign + trimZeros(strconv.FormatFloat(v, 'f', 0, 64))
		case v >= 10:
			return sign + trimZeros(strconv.FormatFloat(v, 'f', 1, 64))
		default:
			return sign + trimZeros(strconv.FormatFloat(v, 'f', 2, 64))
		}
	}
	units := []string{"k", "M", "B", "T", "P", "E"}
	scaled := v
	for i, u := range units {
		scaled /= 1000
		digits := 1
		if scaled >= 100 {
			digits = 0
		}
		s := strconv.FormatFloat(scaled, 'f', digits, 64)
		if r, _ := strconv.ParseFloat(s, 64); r >= 1000 && i < len(units)-1 {
			continue
		}
		return sign + trimZeros(s) + u
	}
	return sign + strconv.FormatFloat(v, 'g', 3, 64)
}

func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Int prints an integer with thousands separators: 48,211.
func Int(i int64) string {
	s := strconv.FormatInt(i, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Float prints a float exactly enough for a table: two decimals with thousands separators, or
// scientific notation when it is very large or very small.
func Float(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Human(f)
	}
	a := math.Abs(f)
	if a != 0 && (a >= 1e15 || a < 0.01) {
		return strconv.FormatFloat(f, 'g', 4, 64)
	}
	s := strconv.FormatFloat(f, 'f', 2, 64)
	whole, frac, _ := strings.Cut(s, ".")
	w, _ := strconv.ParseInt(whole, 10, 64)
	out := Int(w)
	if w == 0 && strings.HasPrefix(whole, "-") {
		out = "-0"
	}
	return out + "." + frac
}

// Time prints a time at the precision of a bucket unit ("" for a plain timestamp).
func Time(t time.Time, unit string) string {
	switch unit {
	case "year":
		return t.Format("2006")
	case "quarter":
		return t.Format("2006") + "-Q" + strconv.Itoa((int(t.Month())-1)/3+1)
	case "month":
		return t.Format("2006-01")
	case "week", "day":
		return t.Format("2006-01-02")
	case "hour":
		return t.Format("2006-01-02 15:00")
	case "minute":
		return t.Format("2006-01-02 15:04")
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format("2006-01-02")
	}
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000")
}

// ShortTime prints a time for an axis label: as short as its unit allows.
func ShortTime(t time.Time, unit string) string {
	switch unit {
	case "year":
		return t.Format("2006")
	case "quarter":
		return t.Format("06") + "Q" + strconv.Itoa((int(t.Month())-1)/3+1)
	case "month":
		return t.Format("Jan 06")
	case "week", "day":
		return t.Format("Jan 02")
	case "hour", "minute":
		return t.Format("02 15:04")
	}
	return t.Format("2006-01-02")
}

// Value prints one result cell for a table. unit is the time bucket unit of the column, if any.
// Text from the data comes out through termsafe: a control character shows as an escape.
func Value(v any, unit string) string {
	switch x := v.(type) {
	case nil:
		return "∅"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int64:
		return Int(x)
	case int:
		return Int(int64(x))
	case int32:
		return Int(int64(x))
	case float64:
		return Float(x)
	case float32:
		return Float(float64(x))
	case string:
		return termsafe.String(x)
	case time.Time:
		return Time(x, unit)
	case []byte:
		return termsafe.String(string(x))
	}
	return "?"
}

// Label prints a value as a chart or legend label.
func Label(v any, unit string) string {
	switch x := v.(type) {
	case nil:
		return "(null)"
	case time.Time:
		return Time(x, unit)
	case float64:
		return Human(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return Value(v, unit)
}

// Number returns a value as a float64 for charting, and whether it is a number.
func Number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case float64:
		return x, !math.IsNaN(x)
	case float32:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case time.Time:
		return float64(x.Unix()), true
	}
	return 0, false
}

// Duration prints a query time: 38 ms, 1.2 s.
func Duration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + " µs"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	}
	return d.Round(time.Second).String()
}
