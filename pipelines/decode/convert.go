package decode

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
)

// KeyText is the canonical text of a decoded value, the same whatever the format it came from:
// times in RFC 3339 (UTC), whole floats without a fraction (so 3.0 and 3 agree), nil as
// "\x00null" (so it differs from the string "null"). Loads hash it into row ids.
func KeyText(v any) string {
	if x := backends.ValueOf(v); x.Kind != backends.KindOther {
		return string(AppendKeyText(nil, x))
	}
	return fmt.Sprint(v)
}

// AppendKeyText appends KeyText of v to b, without allocating.
func AppendKeyText(b []byte, v backends.Value) []byte {
	switch v.Kind {
	case backends.KindNull:
		return append(b, "\x00null"...)
	case backends.KindTime:
		return v.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	case backends.KindFloat:
		if x := v.Float; x == math.Trunc(x) && math.Abs(x) < 1e18 {
			return strconv.AppendInt(b, int64(x), 10)
		}
		return strconv.AppendFloat(b, v.Float, 'g', -1, 64)
	case backends.KindInt:
		return strconv.AppendInt(b, v.Int, 10)
	case backends.KindBool:
		return strconv.AppendBool(b, v.Int != 0)
	case backends.KindString:
		return append(b, v.Str...)
	}
	return fmt.Append(b, v.Other)
}

// KindOf is the kind of the values a column of type t holds: ConvertValue returns a value of that
// kind (or a null) as it is. Other types give KindOther.
func KindOf(t query.Type) backends.Kind {
	switch t {
	case query.TypeInt:
		return backends.KindInt
	case query.TypeFloat:
		return backends.KindFloat
	case query.TypeString, query.TypeText:
		return backends.KindString
	case query.TypeTime, query.TypeDate:
		return backends.KindTime
	case query.TypeBool:
		return backends.KindBool
	}
	return backends.KindOther
}

// ConvertValue is Convert for a Value: a value already of type t is returned as it is, without
// boxing it.
func ConvertValue(v backends.Value, t query.Type) (backends.Value, error) {
	if v.Kind == backends.KindNull || v.Kind != backends.KindOther && v.Kind == KindOf(t) {
		return v, nil
	}
	x, err := Convert(v.Any(), t)
	return backends.ValueOf(x), err
}

// Convert converts a decoded value to a column of type t, as when rows of several objects are
// written into one table whose type for a column is wider than one object's: an int64 into a float
// column, a number into a string column. nil stays nil. The error says why the value does not fit
// (for example `"abc" is not a number`), in words fit for a RowError or a dead letter.
func Convert(v any, t query.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t {
	case query.TypeInt:
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
				return int64(x), nil
			}
		case string:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n, nil
			}
		case bool:
			break
		}
		return nil, fmt.Errorf("%v is not a whole number", quoteValue(v))
	case query.TypeFloat:
		switch x := v.(type) {
		case int64:
			return float64(x), nil
		case float64:
			return x, nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
				return f, nil
			}
		}
		return nil, fmt.Errorf("%v is not a number", quoteValue(v))
	case query.TypeBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			if b, err := strconv.ParseBool(x); err == nil {
				return b, nil
			}
		}
		return nil, fmt.Errorf("%v is not true or false", quoteValue(v))
	case query.TypeTime, query.TypeDate:
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			if tm, _, err := query.ParseTime(x); err == nil {
				return tm, nil
			}
		}
		return nil, fmt.Errorf("%v is not a time", quoteValue(v))
	case query.TypeString, query.TypeText:
		switch x := v.(type) {
		case string:
			return x, nil
		case time.Time:
			return x.UTC().Format(time.RFC3339Nano), nil
		}
		return KeyText(v), nil
	}
	return v, nil
}

func quoteValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}
