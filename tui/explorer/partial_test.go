package explorer

import (
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/tui/chart"
)

// TestPCountsPartialBucketsIn: with partial first and last months, the chart says they are left
// out of last and change and the help bar offers P; P counts them in (the series layout's last is
// then the partial month's, named so) and P again leaves them out.
func TestPCountsPartialBucketsIn(t *testing.T) {
	h := newHarness(t, Options{SQL: "SELECT date_trunc('month', shipped_at), count(*) FROM shipments GROUP BY date_trunc('month', shipped_at)"}, 160, 40)
	h.wantScreen("count(*) by date_trunc('month', shipped_at)")
	if strings.Contains(h.screen(), "P count partial") {
		t.Fatalf("with no partial bucket known the help bar should not offer P:\n%s", h.screen())
	}
	// The fake's rows are the months starting on 2024-01-01 … 01-04; the data spans the 6th to
	// the 20th, so the first and last are partial.
	h.send(extentMsg{seq: h.m.seq, extent: chart.Extent{From: time.Date(2024, 1, 6, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 1, 20, 0, 0, 0, 0, time.UTC)}})
	h.wantScreen("(left out of last and change)", "P count partial buckets")
	h.focusOn(focusResults)
	h.keys("p")
	h.wantScreen("last whole")
	// The rows are 4000, 3000, 2000, 1000: left out, the last whole is 2k and its change -33.3%.
	h.wantScreen("2k  -33.3%")

	h.keys("P")
	h.wantScreen("(counted in last and change)", "last (partial)", "P leave out partial buckets", "1k  -50.0%")
	if s := h.screen(); strings.Contains(s, "last whole") {
		t.Errorf("counted in, the last is not the last whole one:\n%s", s)
	}
	h.keys("P")
	h.wantScreen("(left out of last and change)", "last whole", "2k  -33.3%")
}
