package esdsl

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/query"
)

// feedAll feeds responses in turn and checks that the search asks for exactly that many.
func feedAll(t *testing.T, s *Search, responses ...string) *query.Result {
	t.Helper()
	for i, r := range responses {
		if s.Body() == nil {
			t.Fatalf("no body for response %d", i)
		}
		more, err := s.Feed([]byte(r))
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		if want := i < len(responses)-1; more != want {
			t.Fatalf("response %d: more = %v, want %v", i, more, want)
		}
	}
	if s.Body() != nil {
		t.Fatal("Body after the last response is not nil")
	}
	return s.Result()
}

func checkRows(t *testing.T, got *query.Result, want [][]any) {
	t.Helper()
	if !reflect.DeepEqual(got.Rows, want) {
		t.Errorf("rows:\n got %#v\nwant %#v", got.Rows, want)
	}
}

func TestCompositePagingHavingOrder(t *testing.T) {
	s := plan(t, `SELECT "user.name", qty, count(*), sum(price) FROM shipments GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY count(*) DESC`, Options{PageSize: 2})
	page1 := `{"took":1,"timed_out":false,"_shards":{"total":1,"successful":1,"failed":0},"hits":{"total":{"value":11,"relation":"eq"},"hits":[]},
	  "aggregations":{"groups":{"after_key":{"g0":"bob","g1":null},"buckets":[
	    {"key":{"g0":"ann","g1":1},"doc_count":3,"m1":{"value":3.5},"m1n":{"value":3}},
	    {"key":{"g0":"bob","g1":null},"doc_count":2,"m1":{"value":0.0},"m1n":{"value":0}}]}}}`
	page2 := `{"_shards":{"total":1,"failed":0},"hits":{"total":{"value":11,"relation":"eq"},"hits":[]},
	  "aggregations":{"groups":{"after_key":{"g0":"cy","g1":3},"buckets":[
	    {"key":{"g0":null,"g1":2},"doc_count":5,"m1":{"value":10.25},"m1n":{"value":4}},
	    {"key":{"g0":"cy","g1":3},"doc_count":1,"m1":{"value":1.0},"m1n":{"value":1}}]}}}`
	page3 := `{"_shards":{"total":1,"failed":0},"hits":{"total":{"value":11,"relation":"eq"},"hits":[]},"aggregations":{"groups":{"buckets":[]}}}`

	if _, err := s.Feed([]byte(page1)); err != nil {
		t.Fatal(err)
	}
	if body := string(s.Body()); !strings.Contains(body, `"after":{"g0":"bob","g1":null}`) {
		t.Fatalf("second body does not page after the first: %s", body)
	}
	if _, err := s.Feed([]byte(page2)); err != nil {
		t.Fatal(err)
	}
	more, err := s.Feed([]byte(page3))
	if err != nil || more {
		t.Fatalf("last page: more %v, err %v", more, err)
	}
	res := s.Result()
	checkRows(t, res, [][]any{
		{nil, int64(2), int64(5), 10.25},
		{"ann", int64(1), int64(3), 3.5},
		{"bob", nil, int64(2), nil}, // sum over no values is NULL
	})
	wantCols := []query.Column{{Name: "user.name", Role: query.RoleDimension, Type: query.TypeString},
		{Name: "qty", Role: query.RoleDimension, Type: query.TypeInt},
		{Name: "count(*)", Role: query.RoleMetric, Type: query.TypeInt},
		{Name: "sum(price)", Role: query.RoleMetric, Type: query.TypeFloat}}
	if !reflect.DeepEqual(res.Columns, wantCols) {
		t.Errorf("columns %+v", res.Columns)
	}
	if m := res.Meta; m.Total != 11 || !m.Complete || m.Approximate || m.OtherCount != 0 {
		t.Errorf("meta %+v", m)
	}
}

func TestCompositeOrderedStopsAtLimit(t *testing.T) {
	s := plan(t, "SELECT category, count(*) FROM shipments GROUP BY category ORDER BY category DESC LIMIT 2", Options{})
	res := feedAll(t, s, `{"_shards":{"total":1},"hits":{"total":{"value":20}},"aggregations":{"groups":{"after_key":{"g0":"a"},"buckets":[
	  {"key":{"g0":"c"},"doc_count":4},{"key":{"g0":"b"},"doc_count":6},{"key":{"g0":"a"},"doc_count":1}]}}}`)
	checkRows(t, res, [][]any{{"c", int64(4)}, {"b", int64(6)}})
	if m := res.Meta; m.Complete || m.OtherCount != 10 {
		t.Errorf("meta %+v: want incomplete with 10 other rows", m)
	}
}

func TestTermsNullGroupRanksWithTheOthers(t *testing.T) {
	spec, err := query.Parse("SELECT region, count(*), sum(qty) FROM shipments GROUP BY region ORDER BY count(*) DESC LIMIT 2")
	if err != nil {
		t.Fatal(err)
	}
	spec.Other = true
	s, err := Plan(spec, shipments, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := feedAll(t, s, `{"_shards":{"total":1},"hits":{"total":{"value":26}},"aggregations":{
	  "groups":{"doc_count_error_upper_bound":0,"sum_other_doc_count":4,"buckets":[
	    {"key":"West","doc_count":10,"m1":{"value":20.0},"m1n":{"value":10}},
	    {"key":"East","doc_count":5,"m1":{"value":7.0},"m1n":{"value":5}}]},
	  "missing":{"doc_count":7,"m1":{"value":0.0},"m1n":{"value":0}},
	  "all_m1":{"value":40.0},"all_m1n":{"value":21}}}`)
	checkRows(t, res, [][]any{
		{"West", int64(10), int64(20)},
		{nil, int64(7), nil},
		{"Other", int64(9), int64(20)}, // East's 5 rows and the 4 Elasticsearch left out
	})
	if m := res.Meta; m.OtherCount != 9 || m.Complete || m.Approximate || m.ErrorBound != 0 {
		t.Errorf("meta %+v", m)
	}
}

func TestTermsErrorBoundIsApproximate(t *testing.T) {
	s := plan(t, "SELECT category, count(*) FROM shipments GROUP BY category ORDER BY count(*) DESC LIMIT 1", Options{})
	res := feedAll(t, s, `{"_shards":{"total":3},"hits":{"total":{"value":100}},"aggregations":{
	  "groups":{"doc_count_error_upper_bound":4,"sum_other_doc_count":60,"buckets":[{"key":"x","doc_count":40}]},
	  "missing":{"doc_count":0}}}`)
	if m := res.Meta; !m.Approximate || m.ErrorBound != 4 || m.OtherCount != 60 || m.Complete {
		t.Errorf("meta %+v", m)
	}
}

func TestGlobalMetricsOverNoRows(t *testing.T) {
	s := plan(t, "SELECT count(*), count(qty), sum(qty), avg(price), min(shipped_at), max(qty), count(DISTINCT client_id), median(price) FROM shipments", Options{})
	res := feedAll(t, s, `{"_shards":{"total":1},"hits":{"total":{"value":0,"relation":"eq"}},"aggregations":{
	  "m1":{"value":0},"m2":{"value":0.0},"m2n":{"value":0},"m3":{"value":null},"m4":{"value":null},"m5":{"value":null},
	  "m6":{"value":0},"m7":{"values":[{"key":50.0,"value":null}]}}}`)
	checkRows(t, res, [][]any{{int64(0), int64(0), nil, nil, nil, nil, int64(0), nil}})
	if !res.Meta.Approximate {
		t.Error("count distinct and median are approximate")
	}
}

func TestGlobalMetricValues(t *testing.T) {
	s := plan(t, "SELECT sum(qty), min(shipped_at), max(qty), percentile(price, 0.9) FROM shipments HAVING sum(qty) > 100", Options{})
	res := feedAll(t, s, `{"_shards":{"total":1},"hits":{"total":{"value":3}},"aggregations":{
	  "m0":{"value":9007199254740.0},"m0n":{"value":3},"m1":{"value":1.7093664e12,"value_as_string":"2024-03-02T08:00:00.000Z"},
	  "m2":{"value":42.0},"m3":{"values":[{"key":90.0,"value":12.5}]}}}`)
	checkRows(t, res, [][]any{{int64(9007199254740), time.Date(2024, 3, 2, 8, 0, 0, 0, time.UTC), int64(42), 12.5}})
}

func TestTimeAndBoolKeys(t *testing.T) {
	s := plan(t, "SELECT date_trunc('day', shipped_at, 'America/Los_Angeles') AS day, paid, histogram(price, 10) AS p, count(*) FROM shipments GROUP BY 1, 2, 3", Options{})
	res := feedAll(t, s, `{"_shards":{"total":1},"hits":{"total":{"value":3}},"aggregations":{"groups":{"buckets":[
	  {"key":{"g0":1710057600000,"g1":true,"g2":10.0},"doc_count":2},
	  {"key":{"g0":1710057600000,"g1":false,"g2":null},"doc_count":1}]}}}`)
	la, _ := time.LoadLocation("America/Los_Angeles")
	day := time.Date(2024, 3, 10, 0, 0, 0, 0, la) // midnight in Los Angeles, before the DST change, in that zone
	if day.UTC() != time.Date(2024, 3, 10, 8, 0, 0, 0, time.UTC) {
		t.Fatal(day)
	}
	checkRows(t, res, [][]any{{day, false, nil, int64(1)}, {day, true, 10.0, int64(2)}})
	if res.Columns[0].Type != query.TypeTime || res.Columns[2].Type != query.TypeFloat {
		t.Errorf("columns %+v", res.Columns)
	}
}

func TestRawRowsPagingAndFlattening(t *testing.T) {
	s := plan(t, `SELECT "user.name", shipped_at, qty, price, paid, title FROM shipments ORDER BY qty LIMIT 3`, Options{PageSize: 2})
	if s.WantsPIT() != true {
		t.Error("three rows in pages of two should want a point in time")
	}
	s.UsePIT("pit-1", "1m")
	if body := string(s.Body()); !strings.Contains(body, `"pit":{"id":"pit-1","keep_alive":"1m"}`) || !strings.Contains(body, `{"_shard_doc":"asc"}`) {
		t.Fatalf("first body: %s", body)
	}
	page1 := `{"pit_id":"pit-2","_shards":{"total":1},"hits":{"total":{"value":10,"relation":"eq"},"hits":[
	  {"_source":{"user":{"name":"ann"},"shipped_at":"2024-03-10T10:00:00Z","qty":1,"price":9.5,"paid":true,"title":"a \"b\""},"sort":[1,17]},
	  {"_source":{"user.name":"bob","shipped_at":1710064800000,"qty":"2","price":3,"paid":"false","title":["x","y"]},"sort":[2,3]}]}}`
	if more, err := s.Feed([]byte(page1)); err != nil || !more {
		t.Fatalf("page 1: more %v err %v", more, err)
	}
	body := string(s.Body())
	for _, want := range []string{`"search_after":[2,3]`, `"size":1`, `"id":"pit-2"`, `"track_total_hits":false`} {
		if !strings.Contains(body, want) {
			t.Errorf("second body lacks %s: %s", want, body)
		}
	}
	if s.PIT() != "pit-2" {
		t.Errorf("PIT %q, want the newest id", s.PIT())
	}
	page2 := `{"_shards":{"total":1},"hits":{"hits":[{"_source":{"qty":3,"shipped_at":"2024-03-10"},"sort":[3,1]}]}}`
	if more, err := s.Feed([]byte(page2)); err != nil || more {
		t.Fatalf("page 2: more %v err %v", more, err)
	}
	ts := time.Date(2024, 3, 10, 10, 0, 0, 0, time.UTC)
	checkRows(t, s.Result(), [][]any{
		{"ann", ts, int64(1), 9.5, true, `a "b"`},
		{"bob", ts, int64(2), 3.0, false, `["x","y"]`},
		{nil, time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), int64(3), nil, nil, nil},
	})
	if m := s.Result().Meta; m.Total != 10 || m.Complete {
		t.Errorf("meta %+v", m)
	}
}

func TestRawRowsSinglePage(t *testing.T) {
	s := plan(t, "SELECT qty FROM shipments", Options{PageSize: 5})
	res := feedAll(t, s, `{"hits":{"total":{"value":1},"hits":[{"_source":{"qty":7},"sort":[0]}]}}`)
	checkRows(t, res, [][]any{{int64(7)}})
	if !res.Meta.Complete {
		t.Error("every row was returned")
	}
}

func TestResponseErrors(t *testing.T) {
	tests := []struct {
		resp, typ, reason string
	}{
		{`{"error":{"root_cause":[{"type":"too_many_buckets_exception","reason":"Trying to create too many buckets"}],"type":"search_phase_execution_exception","reason":"all shards failed"},"status":400}`,
			"too_many_buckets_exception", "too many buckets"},
		{`{"error":{"type":"search_phase_execution_exception","reason":"all shards failed","caused_by":{"type":"illegal_argument_exception","reason":"bad field"}}}`,
			"illegal_argument_exception", "bad field"},
		{`{"_shards":{"total":2,"failed":1,"failures":[{"reason":{"type":"query_shard_exception","reason":"oops"}}]},"hits":{}}`,
			"query_shard_exception", "1 of 2 shards failed"},
		{`{"timed_out":true,"_shards":{"total":1},"hits":{}}`, "", "timed out"},
	}
	for _, tc := range tests {
		s := plan(t, "SELECT count(*) FROM shipments", Options{})
		_, err := s.Feed([]byte(tc.resp))
		var re *ResponseError
		if !errors.As(err, &re) || re.Type != tc.typ || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: got %v", tc.resp, err)
		}
	}
}

func TestHavingThreeValuedLogic(t *testing.T) {
	cols := []query.Column{{Name: "a"}, {Name: "b"}, {Name: "t"}}
	ts := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	row := []any{nil, int64(5), ts}
	tests := []struct {
		e    query.Expr
		want query.Truth
	}{
		{query.Compare{Column: "a", Op: query.OpGt, Value: query.Int(1)}, query.Unknown},
		{query.Not{X: query.Compare{Column: "a", Op: query.OpGt, Value: query.Int(1)}}, query.Unknown},
		{query.Or{Terms: []query.Expr{query.Compare{Column: "a", Op: query.OpGt, Value: query.Int(1)}, query.Compare{Column: "b", Op: query.OpEq, Value: query.Float(5)}}}, query.True},
		{query.And{Terms: []query.Expr{query.Compare{Column: "a", Op: query.OpGt, Value: query.Int(1)}, query.Compare{Column: "b", Op: query.OpLt, Value: query.Int(5)}}}, query.False},
		{query.IsNull{Column: "a"}, query.True},
		{query.In{Column: "b", Values: []query.Value{query.Int(4), query.Int(5)}}, query.True},
		{query.Between{Column: "b", Low: query.Int(5), High: query.Float(5.5)}, query.True},
		{query.Compare{Column: "t", Op: query.OpGe, Value: query.String("2024-01-02")}, query.True},
		{query.Compare{Column: "t", Op: query.OpLt, Value: query.Ago(query.Interval{N: 1, Unit: "day"})}, query.True},
	}
	for _, tc := range tests {
		if got := eval(tc.e, cols, row, time.Time{}); got != tc.want {
			t.Errorf("%s: got %v, want %v", query.FormatExpr(tc.e), got, tc.want)
		}
	}
}

// TestCaseGroupKeys: a CASE group-by's keys keep the CASE's type: integers, or doubles when a
// branch is one; ELSE NULL is the null group, and a branch without documents is no group.
func TestCaseGroupKeys(t *testing.T) {
	s := plan(t, "SELECT CASE WHEN qty > 5 THEN 1 WHEN qty > 2 THEN 2.5 END AS k, count(*) FROM shipments GROUP BY 1 ORDER BY 1 NULLS FIRST", Options{})
	more, err := s.Feed([]byte(`{"hits":{"total":{"value":9}},"aggregations":{"groups":{"buckets":{
		"b0":{"doc_count":4},"b1":{"doc_count":0},"else":{"doc_count":5}}}}}`))
	if err != nil || more {
		t.Fatalf("Feed: more=%v err=%v", more, err)
	}
	got := s.Result().Rows
	want := [][]any{{nil, int64(5)}, {1.0, int64(4)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows %#v, want %#v", got, want)
	}
}
