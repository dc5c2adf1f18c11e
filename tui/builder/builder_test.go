package builder

import (
	"testing"

	"github.com/dora-dev/dora/query"
)

func TestBuildAView(t *testing.T) {
	s := Open("shipments")
	if got, want := s.SQL(), "SELECT * FROM shipments LIMIT 100"; got != want {
		t.Fatalf("open: %q, want %q", got, want)
	}
	s, err := AddGroupBy(s, query.Dimension{Column: "category"})
	if err != nil {
		t.Fatal(err)
	}
	s, _ = AddMetric(s, query.Metric{Func: query.AggAvg, Column: "price"})
	s = AddFilter(s, query.Compare{Column: "region", Op: query.OpEq, Value: query.String("West")})
	s = SetOrder(s, "count(*)", true)
	s = SetLimit(s, 10)
	want := "SELECT category, count(*), avg(price) FROM shipments WHERE region = 'West' GROUP BY category ORDER BY count(*) DESC LIMIT 10"
	if got := s.SQL(); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if _, err := AddGroupBy(s, query.Dimension{Column: "category"}); err == nil {
		t.Error("grouping twice by category should fail")
	}

	// A new time bucket on the same column replaces the old one.
	s, _ = AddGroupBy(s, query.Dimension{Kind: query.DimDateTrunc, Unit: "month", Column: "shipped_at"})
	s, _ = AddGroupBy(s, query.Dimension{Kind: query.DimDateTrunc, Unit: "week", Column: "shipped_at"})
	if len(s.GroupBy) != 2 || s.GroupBy[1].Unit != "week" {
		t.Fatalf("bucket not replaced: %s", s.SQL())
	}
}

func TestRemove(t *testing.T) {
	s, _ := query.Parse("SELECT category, count(*) FROM shipments WHERE region = 'West' AND price > 10 GROUP BY category ORDER BY count(*) DESC LIMIT 5")
	items := Items(s)
	if len(items) != 6 {
		t.Fatalf("items: %+v", items)
	}
	// Removing the metric drops the order that names it.
	s2 := Remove(s, Item{Kind: KindMetric, Index: 0})
	if got, want := s2.SQL(), "SELECT category FROM shipments WHERE region = 'West' AND price > 10 GROUP BY category LIMIT 5"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	s3 := Remove(s, Item{Kind: KindFilter, Index: 0})
	if got := query.FormatExpr(s3.Where); got != "price > 10" {
		t.Errorf("where = %q", got)
	}
	// Removing every group and metric returns to discover.
	s4 := Remove(Remove(s, Item{Kind: KindGroupBy}), Item{Kind: KindMetric})
	if !s4.IsRaw() || len(s4.OrderBy) != 0 {
		t.Errorf("not raw: %s", s4.SQL())
	}
}

func TestHistory(t *testing.T) {
	var h History
	h.Reset(Open("t"))
	s, _ := AddGroupBy(h.Spec(), query.Dimension{Column: "a"})
	h.Push(s)
	h.Push(s) // same view again: no new step
	if h.Depth() != 1 {
		t.Fatalf("depth %d", h.Depth())
	}
	if !h.Undo() || h.Spec().SQL() != "SELECT * FROM t LIMIT 100" {
		t.Fatalf("undo: %s", h.Spec().SQL())
	}
	if h.Undo() {
		t.Error("undo past the start")
	}
}
