package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/query"
)

func sample() *query.Result {
	return &query.Result{
		Columns: []query.Column{{Name: "category", Role: query.RoleDimension, Type: query.TypeString},
			{Name: "month", Role: query.RoleDimension, Type: query.TypeTime},
			{Name: "count(*)", Role: query.RoleMetric, Type: query.TypeInt},
			{Name: "avg(price)", Role: query.RoleMetric, Type: query.TypeFloat}},
		Rows: [][]any{
			{"Dresses", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), int64(48211), 84.1023},
			{nil, time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC), int64(7), 0.00123},
		},
		Meta: query.Meta{Backend: "duckdb:x", Request: "SELECT 1", Took: 38 * time.Millisecond, Complete: false, OtherCount: 12, Total: 48230},
	}
}

func TestTable(t *testing.T) {
	var b bytes.Buffer
	if err := Table(&b, sample(), 80); err != nil {
		t.Fatal(err)
	}
	want := `category  month                count(*)  avg(price)
Dresses   2024-03-01 00:00:00     48211       84.10
          2024-03-01 08:00:00         7     0.00123
(2 rows, 38 ms, exact, limited: 12 more rows in other groups)
`
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	Table(&b, sample(), 30) // too narrow for every column: the last ones are left off, and it says so
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n")[:3] {
		if len([]rune(l)) > 30 {
			t.Errorf("line wider than 30: %q", l)
		}
	}
	if !strings.Contains(b.String(), "more columns not shown") {
		t.Errorf("narrow table does not say columns were left off:\n%s", b.String())
	}
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	want := `{"columns":[{"name":"category","role":"dimension","type":"string"},{"name":"month","role":"dimension","type":"timestamp"},{"name":"count(*)","role":"metric","type":"int"},{"name":"avg(price)","role":"metric","type":"float"}],"rows":[["Dresses","2024-03-01T00:00:00Z",48211,84.1023],[null,"2024-03-01T08:00:00Z",7,0.00123]],"meta":{"backend":"duckdb:x","request":"SELECT 1","took_ms":38,"total":48230,"approximate":false,"complete":false,"other_count":12,"error_bound":0}}` + "\n"
	if b.String() != want {
		t.Errorf("json:\n%s\nwant:\n%s", b.String(), want)
	}
	var v map[string]any
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
}

func TestFormatFloat(t *testing.T) {
	for f, want := range map[float64]string{84.1023: "84.10", 3: "3", 0.00123: "0.00123", 1e20: "1e+20", -2.5: "-2.50"} {
		if got := Text(f); got != want {
			t.Errorf("Text(%v) = %q, want %q", f, got, want)
		}
	}
}
