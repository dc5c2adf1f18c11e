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

// Edits keep a typed SELECT list as it is written and add to its end; a categorical group-by
// built by keys shows the top values, and a time bucket orders by time.
func TestEditsKeepTheSelectList(t *testing.T) {
	s, err := query.Parse("SELECT count(*) AS n, region AS r, region FROM shipments GROUP BY region HAVING avg(price) > 1")
	if err != nil {
		t.Fatal(err)
	}
	s, _ = AddMetric(s, query.Metric{Func: query.AggMax, Column: "price"})
	if got, want := s.SQL(), "SELECT count(*) AS n, region AS r, region, max(price) FROM shipments GROUP BY r HAVING avg(price) > 1"; got != want {
		t.Errorf("add a metric:\n got %q\nwant %q", got, want)
	}
	// avg(price) is computed for HAVING; adding it selects it.
	s, _ = AddMetric(s, query.Metric{Func: query.AggAvg, Column: "price"})
	if got := OutputNames(s); len(got) != 5 || got[4] != "avg(price)" || len(s.Metrics) != 3 {
		t.Errorf("outputs %q, metrics %v", got, s.Metrics)
	}
	if _, err := AddMetric(s, query.Metric{Func: query.AggAvg, Column: "price"}); err == nil {
		t.Error("selecting avg(price) twice by keys should fail")
	}
	s, _ = AddGroupBy(s, query.Dimension{Column: "category"})
	if got := OutputNames(s); got[3] != "category" {
		t.Errorf("a new group key goes after the others: %q", got)
	}
	// Removing the region group drops both of its outputs.
	s = Remove(s, Item{Kind: KindGroupBy, Index: 0})
	if got, want := s.SQL(), "SELECT count(*) AS n, category, max(price), avg(price) FROM shipments GROUP BY category HAVING avg(price) > 1 ORDER BY n DESC LIMIT 10"; got != want {
		t.Errorf("remove a group:\n got %q\nwant %q", got, want)
	}

	top, _ := AddGroupBy(Open("shipments"), query.Dimension{Column: "airport"})
	if got, want := top.SQL(), "SELECT airport, count(*) FROM shipments GROUP BY airport ORDER BY count(*) DESC LIMIT 10"; got != want {
		t.Errorf("categorical group-by:\n got %q\nwant %q", got, want)
	}
	timed, _ := AddGroupBy(top, query.Dimension{Kind: query.DimDateTrunc, Unit: "month", Column: "shipped_at"})
	if got, want := timed.SQL(), "SELECT airport, date_trunc('month', shipped_at), count(*) FROM shipments GROUP BY airport, date_trunc('month', shipped_at) ORDER BY date_trunc('month', shipped_at)"; got != want {
		t.Errorf("then a time bucket:\n got %q\nwant %q", got, want)
	}
	byTime, _ := AddGroupBy(Open("shipments"), query.Dimension{Kind: query.DimDateTrunc, Unit: "week", Column: "shipped_at"})
	byTime, _ = AddGroupBy(byTime, query.Dimension{Column: "airport"})
	if byTime.Limit != 0 || len(byTime.OrderBy) != 0 {
		t.Errorf("a split of a time series keeps every group: %s", byTime.SQL())
	}
}
