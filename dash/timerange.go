package dash

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dora-dev/dora/query"
)

// BoundKind says what a range's end is.
type BoundKind int

// The kinds of bound.
const (
	Open     BoundKind = iota // no bound: all time on that side
	Absolute                  // a fixed time
	Relative                  // now minus an interval (now itself when the interval is zero)
)

// Bound is one end of a time range.
type Bound struct {
	Kind BoundKind
	Time time.Time      // Absolute
	Ago  query.Interval // Relative: how far before now; N may be 0 (now) or negative (after now)
	Date bool           // Absolute written as a bare day
}

// Now is the bound "now".
func Now() Bound { return Bound{Kind: Relative} }

// Range is a time range: From included, To excluded. The zero Range is all time.
type Range struct{ From, To Bound }

// IsAll reports whether the range has no bounds at all.
func (r Range) IsAll() bool { return r.From.Kind == Open && r.To.Kind == Open }

// Resolve returns the range's ends at now; a zero time is an open end.
func (r Range) Resolve(now time.Time) (from, to time.Time) {
	return r.From.At(now), r.To.At(now)
}

// At returns the bound's time at now, or the zero time for an open bound.
func (b Bound) At(now time.Time) time.Time {
	switch b.Kind {
	case Absolute:
		return b.Time
	case Relative:
		return query.Subtract(now, b.Ago)
	}
	return time.Time{}
}

// unitLetters print relative bounds as now-30d; M is months, as Grafana writes it.
var unitLetters = map[string]string{"second": "s", "minute": "m", "hour": "h", "day": "d", "week": "w",
	"month": "M", "quarter": "q", "year": "y"}

var letterUnits = map[string]string{"s": "second", "sec": "second", "m": "minute", "min": "minute", "h": "hour",
	"d": "day", "w": "week", "M": "month", "mo": "month", "q": "quarter", "y": "year"}

// String prints the bound as ParseBound reads it: now, now-30d, 2024-01-01.
func (b Bound) String() string {
	switch b.Kind {
	case Absolute:
		return formatTime(b.Time)
	case Relative:
		switch {
		case b.Ago.N == 0:
			return "now"
		case b.Ago.N < 0:
			return fmt.Sprintf("now+%d%s", -b.Ago.N, unitLetters[b.Ago.Unit])
		}
		return fmt.Sprintf("now-%d%s", b.Ago.N, unitLetters[b.Ago.Unit])
	}
	return ""
}

func formatTime(t time.Time) string {
	t = t.UTC()
	switch {
	case t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0:
		return t.Format(time.DateOnly)
	case t.Second() == 0 && t.Nanosecond() == 0:
		return t.Format("2006-01-02 15:04")
	}
	return t.Format(time.DateTime)
}

// String prints the range as ParseRange reads it: now-30d..now, 2024-01-01..2024-02-01, all.
func (r Range) String() string {
	if r.IsAll() {
		return "all"
	}
	return r.From.String() + ".." + r.To.String()
}

// Describe prints the range for a person at now: "now-30d..now (2026-11-01 08:45 → 2026-12-01
// 08:45)", with the resolved times when a bound is relative.
func (r Range) Describe(now time.Time) string {
	if r.IsAll() {
		return "all time"
	}
	s := r.String()
	if r.From.Kind == Relative || r.To.Kind == Relative {
		from, to := r.Resolve(now)
		end := func(t time.Time) string {
			if t.IsZero() {
				return "…"
			}
			return formatTime(t.Truncate(time.Minute))
		}
		s += " (" + end(from) + " → " + end(to) + ")"
	}
	return s
}

// ParseBound reads one end of a range: now, now-30d (s, m, h, d, w, M or mo, q, y), now+1h, a
// day (2024-01-01) or a time (2024-01-01 10:00, RFC 3339). "" is an open bound.
func ParseBound(s string) (Bound, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Bound{}, nil
	}
	if rest, ok := strings.CutPrefix(strings.ToLower(s), "now"); ok {
		rest = s[len(s)-len(rest):] // keep the case: M is months, m minutes
		rest = strings.ReplaceAll(rest, " ", "")
		if rest == "" || rest == "()" {
			return Now(), nil
		}
		sign := 1
		switch rest[0] {
		case '-':
		case '+':
			sign = -1
		default:
			return Bound{}, fmt.Errorf("cannot read %q: write now, now-30d or now-12h", s)
		}
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		n, err := strconv.Atoi(rest[1:i])
		unit, ok := letterUnits[rest[i:]]
		if !ok {
			unit, ok = letterUnits[strings.ToLower(rest[i:])]
		}
		if err != nil || !ok || n > 1_000_000 {
			return Bound{}, fmt.Errorf("cannot read %q: write now-30d (units s, m, h, d, w, M, q, y)", s)
		}
		return Bound{Kind: Relative, Ago: query.Interval{N: sign * n, Unit: unit}}, nil
	}
	t, date, err := query.ParseTime(strings.Replace(s, "T", " ", 1))
	if err != nil {
		if t, err2 := time.Parse(time.RFC3339, s); err2 == nil {
			return Bound{Kind: Absolute, Time: t.UTC()}, nil
		}
		return Bound{}, fmt.Errorf("cannot read %q as a time: write now-30d, 2024-01-01 or 2024-01-01 10:00", s)
	}
	return Bound{Kind: Absolute, Time: t, Date: date}, nil
}

// ParseRange reads a range as typed: FROM..TO, or FROM alone (until now), or "all".
func ParseRange(s string) (Range, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "all") {
		return Range{}, nil
	}
	from, to, two := strings.Cut(s, "..")
	var r Range
	var err error
	if r.From, err = ParseBound(from); err != nil {
		return Range{}, err
	}
	if !two {
		r.To = Now()
	} else if r.To, err = ParseBound(to); err != nil {
		return Range{}, err
	}
	return r, r.check(time.Now())
}

// MakeRange builds a range from two bounds as written (either may be empty) and checks it.
func MakeRange(from, to string) (Range, error) {
	var r Range
	var err error
	if r.From, err = ParseBound(from); err != nil {
		return Range{}, err
	}
	if r.To, err = ParseBound(to); err != nil {
		return Range{}, err
	}
	return r, r.check(time.Now())
}

func (r Range) check(now time.Time) error {
	from, to := r.Resolve(now)
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return fmt.Errorf("the range %s is empty: its start must come before its end", r)
	}
	return nil
}

// ErrOpenRange is what shifting or resizing a range with an open end says.
var ErrOpenRange = errors.New("the range has an open end, so it has no length to shift or resize by")

// sameUnit returns the range's length in a unit when both ends are relative in it (now counts as
// any unit).
func (r Range) sameUnit() (n int, unit string, ok bool) {
	if r.From.Kind != Relative || r.To.Kind != Relative {
		return 0, "", false
	}
	unit = r.From.Ago.Unit
	switch {
	case r.From.Ago.N == 0:
		unit = r.To.Ago.Unit
	case r.To.Ago.N != 0 && r.To.Ago.Unit != unit:
		return 0, "", false
	}
	if unit == "" {
		return 0, "", false
	}
	return r.From.Ago.N - r.To.Ago.N, unit, true
}

func rel(n int, unit string) Bound {
	if n == 0 {
		return Now()
	}
	return Bound{Kind: Relative, Ago: query.Interval{N: n, Unit: unit}}
}

// Shift moves the range by k times its length: -1 is the period before, 1 the one after. A
// relative range stays relative, so it keeps moving with now.
func (r Range) Shift(k int, now time.Time) (Range, error) {
	if r.From.Kind == Open || r.To.Kind == Open {
		return r, ErrOpenRange
	}
	if n, unit, ok := r.sameUnit(); ok {
		return Range{rel(r.From.Ago.N-k*n, unit), rel(r.To.Ago.N-k*n, unit)}, nil
	}
	from, to := r.Resolve(now)
	if months := wholeMonths(from, to); months > 0 { // a calendar month moves by months
		return Range{Bound{Kind: Absolute, Time: from.AddDate(0, k*months, 0)}, Bound{Kind: Absolute, Time: to.AddDate(0, k*months, 0)}}, nil
	}
	d := time.Duration(k) * to.Sub(from)
	return Range{Bound{Kind: Absolute, Time: from.Add(d)}, Bound{Kind: Absolute, Time: to.Add(d)}}, nil
}

// wholeMonths is how many months lie between two firsts of a month at midnight, else 0.
func wholeMonths(from, to time.Time) int {
	first := func(t time.Time) bool { return t.Day() == 1 && t.Equal(t.Truncate(24*time.Hour)) }
	if !first(from) || !first(to) {
		return 0
	}
	return (to.Year()-from.Year())*12 + int(to.Month()) - int(from.Month())
}

// smaller is the unit a one-unit range is halved in, and how many of them make one.
var smaller = map[string]struct {
	unit string
	n    int
}{"year": {"month", 12}, "quarter": {"month", 3}, "month": {"day", 30}, "week": {"day", 7},
	"day": {"hour", 24}, "hour": {"minute", 60}, "minute": {"second", 60}}

// Resize keeps the range's end and doubles its length (wider) or halves it.
func (r Range) Resize(wider bool, now time.Time) (Range, error) {
	if r.From.Kind == Open || r.To.Kind == Open {
		return r, ErrOpenRange
	}
	if n, unit, ok := r.sameUnit(); ok {
		to := r.To.Ago.N
		if wider {
			return Range{rel(to+2*n, unit), r.To}, nil
		}
		if n == 1 {
			s, ok := smaller[unit]
			if !ok {
				return r, errors.New("the range is one second: it cannot be narrower")
			}
			return Range{rel(to*s.n+s.n/2, s.unit), rel(to*s.n, s.unit)}, nil
		}
		return Range{rel(to+n/2, unit), r.To}, nil
	}
	from, to := r.Resolve(now)
	d := to.Sub(from)
	if wider {
		d *= 2
	} else {
		d /= 2
	}
	if d < time.Second {
		return r, errors.New("the range is one second: it cannot be narrower")
	}
	end := r.To
	if end.Kind == Relative {
		end = Bound{Kind: Absolute, Time: to}
	}
	return Range{Bound{Kind: Absolute, Time: to.Add(-d)}, end}, nil
}
