package export

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/query"
)

func TestWrite(t *testing.T) {
	res := &query.Result{
		Columns: []query.Column{{Name: "category"}, {Name: "count(*)"}, {Name: "avg(price)"}},
		Rows:    [][]any{{"Dresses", int64(3), 84.25}, {nil, int64(1), nil}},
	}
	dir := t.TempDir()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	path, err := Write(dir, res, "csv", now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, "dora-export-20260102-030405.csv") {
		t.Errorf("path %s", path)
	}
	b, _ := os.ReadFile(path)
	if got, want := string(b), "category,count(*),avg(price)\nDresses,3,84.25\n,1,\n"; got != want {
		t.Errorf("csv:\n%s\nwant\n%s", got, want)
	}
	path, err = Write(dir, res, "json", now)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	var rows []map[string]any
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if len(rows) != 2 || rows[0]["avg(price)"] != 84.25 || !strings.Contains(string(b), `{"category": "Dresses", "count(*)": 3`) {
		t.Errorf("json: %s", b)
	}
}
