package esdsl

import (
	"strings"
	"time"

	"github.com/dora-dev/dora/query"
)

// truth is SQL's three-valued logic: a comparison with NULL is unknown, and HAVING keeps only
// the groups for which its condition is true.
type truth int

const (
	no truth = iota
	yes
	unknown
)

func truthOf(b bool) truth {
	if b {
		return yes
	}
	return no
}

// eval evaluates a HAVING expression over one result row.
func eval(e query.Expr, cols []query.Column, row []any, now time.Time) truth {
	cell := func(name string) any {
		for i, c := range cols {
			if c.Name == name {
				return row[i]
			}
		}
		return nil
	}
	switch x := e.(type) {
	case query.And:
		out := yes
		for _, t := range x.Terms {
			switch eval(t, cols, row, now) {
			case no:
				return no
			case unknown:
				out = unknown
			}
		}
		return out
	case query.Or:
		out := no
		for _, t := range x.Terms {
			switch eval(t, cols, row, now) {
			case yes:
				return yes
			case unknown:
				out = unknown
			}
		}
		return out
	case query.Not:
		switch eval(x.X, cols, row, now) {
		case yes:
			return no
		case no:
			return yes
		}
		return unknown
	case query.IsNull:
		return truthOf((cell(x.Column) == nil) != x.Not)
	case query.Compare:
		v := cell(x.Column)
		c, ok := compareValue(v, x.Value, now)
		if !ok {
			return unknown
		}
		switch x.Op {
		case query.OpEq:
			return truthOf(c == 0)
		case query.OpNe:
			return truthOf(c != 0)
		case query.OpLt:
			return truthOf(c < 0)
		case query.OpLe:
			return truthOf(c <= 0)
		case query.OpGt:
			return truthOf(c > 0)
		case query.OpGe:
			return truthOf(c >= 0)
		}
		return unknown
	case query.In:
		v := cell(x.Column)
		out := no
		for _, lit := range x.Values {
			c, ok := compareValue(v, lit, now)
			if !ok {
				out = unknown
			} else if c == 0 {
				return yes
			}
		}
		return out
	case query.Between:
		v := cell(x.Column)
		lo, ok1 := compareValue(v, x.Low, now)
		hi, ok2 := compareValue(v, x.High, now)
		if !ok1 || !ok2 {
			return unknown
		}
		return truthOf(lo >= 0 && hi <= 0)
	case query.Like:
		s, ok := cell(x.Column).(string)
		if !ok {
			return unknown
		}
		return truthOf(strings.HasPrefix(s, x.Prefix))
	case query.Match:
		s, ok := cell(x.Column).(string)
		if !ok {
			return unknown
		}
		s = strings.ToLower(s)
		for _, w := range strings.Fields(strings.ToLower(x.Text)) {
			if !strings.Contains(s, w) {
				return no
			}
		}
		return yes
	}
	return unknown
}

// compareValue compares a cell with a literal; ok is false when either is null or they are of
// kinds that do not compare.
func compareValue(cell any, lit query.Value, now time.Time) (int, bool) {
	if cell == nil || lit.Kind == query.KindNull {
		return 0, false
	}
	if lit.Kind == query.KindRelNow {
		if now.IsZero() {
			now = time.Now()
		}
		lit = lit.Resolve(now)
	}
	v := lit.Any()
	if _, isTime := cell.(time.Time); isTime && lit.Kind == query.KindString {
		t, _, err := query.ParseTime(lit.Str)
		if err != nil {
			return 0, false
		}
		v = t
	}
	return compare(cell, v)
}

// compare orders two non-null values of comparable kinds.
func compare(a, b any) (int, bool) {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp3(x < y, x > y), true
		case float64:
			return cmp3(float64(x) < y, float64(x) > y), true
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return cmp3(x < float64(y), x > float64(y)), true
		case float64:
			return cmp3(x < y, x > y), true
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmp3(!x && y, x && !y), true
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), true
		}
	}
	return 0, false
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

// compareSQL orders two cells for ORDER BY: NULLs last whatever the direction.
func compareSQL(a, b any, desc bool) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	c, _ := compare(a, b)
	if desc {
		return -c
	}
	return c
}
