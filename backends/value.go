package backends

import (
	"strings"
	"time"
)

// Kind is the type of a Value.
type Kind uint8

// The kinds of Value, one per type a decoded value can have.
const (
	KindNull Kind = iota
	KindBool
	KindInt
	KindFloat
	KindString
	KindTime
	KindOther // anything else, in Value.Other
)

// Value is one value of a row without boxing it into an any: what a loader reads from a decoder
// and hands an EncodingSink, so a row costs no allocation per value. Str may point into the
// decoder's buffers: it is valid until the decoder's next call, so keep it only through Any.
type Value struct {
	Kind  Kind
	Int   int64 // KindInt; KindBool: 1 for true
	Float float64
	Str   string
	Time  time.Time // KindTime, in UTC
	Other any
}

// ValueOf is v (nil, bool, int64, float64, string, time.Time or anything else) as a Value.
func ValueOf(v any) Value {
	switch x := v.(type) {
	case nil:
		return Value{}
	case bool:
		return BoolValue(x)
	case int64:
		return Value{Kind: KindInt, Int: x}
	case float64:
		return Value{Kind: KindFloat, Float: x}
	case string:
		return Value{Kind: KindString, Str: x}
	case time.Time:
		return Value{Kind: KindTime, Time: x}
	}
	return Value{Kind: KindOther, Other: v}
}

// BoolValue is b as a Value.
func BoolValue(b bool) Value {
	if b {
		return Value{Kind: KindBool, Int: 1}
	}
	return Value{Kind: KindBool}
}

// Any is the value boxed, as in a Row; a string is copied, so it outlives the decoder's buffers.
func (v Value) Any() any {
	switch v.Kind {
	case KindBool:
		return v.Int != 0
	case KindInt:
		return v.Int
	case KindFloat:
		return v.Float
	case KindString:
		return strings.Clone(v.Str)
	case KindTime:
		return v.Time
	case KindOther:
		return v.Other
	}
	return nil
}
