package elastic

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestAppendTime compares appendTime with time.RFC3339Nano on edge and random times, in UTC and
// in other zones, with and without fractions.
func TestAppendTime(t *testing.T) {
	east := time.FixedZone("east", 5*3600+30*60)
	times := []time.Time{
		{},
		time.Unix(0, 0),
		time.Date(2024, 12, 1, 6, 0, 50, 0, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 100000000, east),
		time.Date(9999, 12, 31, 23, 59, 59, 1, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(7, 3, 4, 5, 6, 7, 120000, time.UTC),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		sec := r.Int64N(400*365*86400) - 100*365*86400
		ns := int64(0)
		switch r.IntN(3) {
		case 1:
			ns = r.Int64N(1000) * 1000000
		case 2:
			ns = r.Int64N(1000000000)
		}
		times = append(times, time.Unix(sec, ns), time.Unix(sec, ns).In(east))
	}
	for _, tm := range times {
		want := tm.UTC().Format(time.RFC3339Nano)
		if got := string(appendTime([]byte("x"), tm)); got != "x"+want {
			t.Fatalf("appendTime(%v) = %q, want %q", tm, got[1:], want)
		}
	}
}
