package query

import (
	"testing"
	"time"
)

// TruncTime starts buckets where date_trunc does: weeks on Monday, quarters in Jan/Apr/Jul/Oct.
func TestTruncTime(t *testing.T) {
	at := time.Date(2025, 11, 12, 17, 45, 30, 0, time.UTC) // a Wednesday
	for unit, want := range map[string]time.Time{
		"minute":     time.Date(2025, 11, 12, 17, 45, 0, 0, time.UTC),
		"hour":       time.Date(2025, 11, 12, 17, 0, 0, 0, time.UTC),
		"day":        time.Date(2025, 11, 12, 0, 0, 0, 0, time.UTC),
		"week":       time.Date(2025, 11, 10, 0, 0, 0, 0, time.UTC),
		"month":      time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC),
		"quarter":    time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC),
		"year":       time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		"15 minutes": at, // not a calendar unit
	} {
		if got := TruncTime(at, unit); !got.Equal(want) {
			t.Errorf("TruncTime(%s) = %v, want %v", unit, got, want)
		}
	}
	if got := TruncTime(time.Date(2025, 11, 16, 23, 0, 0, 0, time.UTC), "week"); !got.Equal(time.Date(2025, 11, 10, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a Sunday's week starts on the Monday before: %v", got)
	}
}
