package builder

import (
	"strings"
	"testing"

	"github.com/dora-dev/dora/query"
)

func TestAddRatioAndCaseBucket(t *testing.T) {
	s, err := AddGroupBy(Open("shipments"), query.Dimension{Kind: query.DimColumn, Column: "region"})
	if err != nil {
		t.Fatal(err)
	}
	late := query.Metric{Func: query.AggCount, Filter: query.Compare{Column: "delay", Op: query.OpGt, Value: query.Int(15)}}
	if s, err = AddRatio(s, late, query.Metric{Func: query.AggCount}, true); err != nil {
		t.Fatal(err)
	}
	if s, err = AddRatio(s, query.Metric{Func: query.AggSum, Column: "price"}, query.Metric{Func: query.AggSum, Column: "qty"}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := AddRatio(s, query.Metric{Func: query.AggSum, Column: "price"}, query.Metric{Func: query.AggSum, Column: "qty"}, false); err == nil {
		t.Error("the same ratio twice was accepted")
	}
	want := "SELECT region, count(*), 100.0 * count(*) FILTER (WHERE delay > 15) / count(*) AS pct, sum(price) / sum(qty) AS ratio FROM shipments GROUP BY region ORDER BY count(*) DESC LIMIT 10"
	if got := s.SQL(); got != want {
		t.Errorf("SQL\n got %s\nwant %s", got, want)
	}
	back, err := query.Parse(s.SQL())
	if err != nil || back.SQL() != s.SQL() {
		t.Errorf("the line does not round-trip: %v %q", err, back.SQL())
	}
	d, err := CaseBucket("price", []float64{10, 100})
	if err != nil {
		t.Fatal(err)
	}
	if s, err = AddGroupBy(s, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.SQL(), "CASE WHEN price IS NULL THEN NULL WHEN price < 10.0 THEN '< 10' WHEN price < 100.0 THEN '10 to 100' ELSE '>= 100' END") {
		t.Errorf("CASE bucket: %s", s.SQL())
	}
	if _, err := query.Parse(s.SQL()); err != nil {
		t.Errorf("%s: %v", s.SQL(), err)
	}
	// removing a metric takes the ratios over it along
	for _, it := range Items(s) {
		if it.Kind == KindMetric && it.Label == "sum(qty)" {
			s = Remove(s, it)
		}
	}
	if strings.Contains(s.SQL(), "ratio") || !strings.Contains(s.SQL(), "pct") {
		t.Errorf("after removing sum(qty): %s", s.SQL())
	}
	if _, err := CaseBucket("price", []float64{5, 1}); err == nil {
		t.Error("edges going down were accepted")
	}
}
