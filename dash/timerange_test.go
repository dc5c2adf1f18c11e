package dash

import (
	"errors"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 1, 8, 45, 30, 0, time.UTC)

func TestParseRange(t *testing.T) {
	cases := []struct{ in, str, from, to string }{
		{"now-30d", "now-30d..now", "2026-11-01 08:45:30", "2026-12-01 08:45:30"},
		{"now-7d..now-1d", "now-7d..now-1d", "2026-11-24 08:45:30", "2026-11-30 08:45:30"},
		{"now-3M..now", "now-3M..now", "2026-09-01 08:45:30", "2026-12-01 08:45:30"},
		{"now-90m..now", "now-90m..now", "2026-12-01 07:15:30", "2026-12-01 08:45:30"},
		{"2024-01-01..2024-02-01", "2024-01-01..2024-02-01", "2024-01-01", "2024-02-01"},
		{"2024-01-01 10:00..2024-01-01T12:30:15Z", "2024-01-01 10:00..2024-01-01 12:30:15", "2024-01-01 10:00", "2024-01-01 12:30:15"},
		{"2024-06-01..", "2024-06-01..", "2024-06-01", ""},
		{"all", "all", "", ""},
	}
	for _, c := range cases {
		r, err := ParseRange(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		from, to := r.Resolve(now)
		if r.String() != c.str || fmtOr(from) != c.from || fmtOr(to) != c.to {
			t.Errorf("%s: %s [%s, %s), want %s [%s, %s)", c.in, r, fmtOr(from), fmtOr(to), c.str, c.from, c.to)
		}
	}
	for _, bad := range []string{"now-30", "yesterday", "now*2d", "2024-02-01..2024-01-01", "now..now-1d"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}

func fmtOr(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatTime(t)
}

func TestShiftAndResize(t *testing.T) {
	r, _ := ParseRange("now-30d..now")
	steps := []struct {
		op   func(Range) (Range, error)
		want string
	}{
		{func(r Range) (Range, error) { return r.Shift(-1, now) }, "now-60d..now-30d"},
		{func(r Range) (Range, error) { return r.Shift(1, now) }, "now-30d..now"},
		{func(r Range) (Range, error) { return r.Shift(1, now) }, "now..now+30d"},
		{func(r Range) (Range, error) { return r.Shift(-1, now) }, "now-30d..now"},
		{func(r Range) (Range, error) { return r.Resize(true, now) }, "now-60d..now"},
		{func(r Range) (Range, error) { return r.Resize(false, now) }, "now-30d..now"},
		{func(r Range) (Range, error) { return r.Resize(false, now) }, "now-15d..now"},
	}
	for i, s := range steps {
		var err error
		if r, err = s.op(r); err != nil || r.String() != s.want {
			t.Fatalf("step %d: %s %v, want %s", i, r, err, s.want)
		}
	}
	one, _ := ParseRange("now-1d")
	if n, _ := one.Resize(false, now); n.String() != "now-12h..now" {
		t.Errorf("halving a day: %s", n)
	}
	abs, _ := ParseRange("2024-01-01..2024-02-01")
	if p, _ := abs.Shift(-1, now); p.String() != "2023-12-01..2024-01-01" {
		t.Errorf("the period before January: %s", p)
	}
	march, _ := ParseRange("2024-03-01..2024-04-01")
	if p, _ := march.Shift(-1, now); p.String() != "2024-02-01..2024-03-01" {
		t.Errorf("the month before March is February, not 31 days: %s", p)
	}
	days, _ := ParseRange("2024-03-01..2024-03-08")
	if p, _ := days.Shift(-1, now); p.String() != "2024-02-23..2024-03-01" {
		t.Errorf("the week before: %s", p)
	}
	if w, _ := abs.Resize(true, now); w.String() != "2023-12-01..2024-02-01" {
		t.Errorf("January widened: %s", w)
	}
	if _, err := (Range{}).Shift(-1, now); !errors.Is(err, ErrOpenRange) {
		t.Errorf("shifting all time: %v", err)
	}
	if got := r.Describe(now); got != "now-15d..now (2026-11-16 08:45 → 2026-12-01 08:45)" {
		t.Errorf("describe: %s", got)
	}
}
