package backends_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/query"
)

// TestRelativeTime holds year(ts) conditions in WHERE (time ranges) and times relative to the query's clock (now(), current_timestamp,
// current_date, each +/- an interval) and constant date arithmetic against DuckDB running the
// same SQL text, in UTC: dora resolves them once per query into a literal range on both
// backends. The rows sit half an hour off every hour boundary, so the few seconds between the
// clocks of dora and DuckDB never move one across a bound (a run across midnight UTC may differ
// on current_date).
func TestRelativeTime(t *testing.T) {
	base := time.Now().UTC().Truncate(time.Hour)
	data := fmt.Sprintf(`CREATE TABLE ev AS SELECT i AS id,
  TIMESTAMP '%s' - to_minutes(i * 60 + 30) AS ts FROM range(-72, 24 * 800) t(i)`, base.Format("2006-01-02 15:04:05"))
	path, duck := openDuck(t, "reltime.duckdb", data)
	direct := fzOpenDirect(t, path)

	y := base.Year() - 1
	for _, bad := range []string{"year(ts) + 1 = 2025", "year(ts) = '2024'", "year(ts) LIKE '2%'"} {
		_, err := query.Parse("SELECT count(*) FROM ev WHERE " + bad)
		if err == nil || !strings.Contains(err.Error(), "year") && !strings.Contains(err.Error(), "month(ts)") {
			t.Errorf("WHERE %s: %v, want an error naming the expression", bad, err)
		}
	}
	wheres := []string{
		"ts >= current_date - INTERVAL '30' DAY",
		"ts < now() - INTERVAL '7 days'",
		"ts >= now() - INTERVAL '7 days' AND ts < now() + INTERVAL '1' DAY",
		"ts > current_timestamp - INTERVAL '3 hours'",
		"ts >= current_date",
		"ts < current_date + INTERVAL '2 days' AND ts >= current_date - INTERVAL '1' MONTH",
		"ts BETWEEN current_date - INTERVAL '1 year' AND now() - INTERVAL '1 quarter'",
		"ts >= now() - INTERVAL '2' WEEK OR ts < current_date - INTERVAL '700 days'",
		fmt.Sprintf("ts >= DATE '%d-01-31' + INTERVAL '1' MONTH AND ts < TIMESTAMP '%d-03-31 12:00:00' + INTERVAL '1 month'", y, y),
		fmt.Sprintf("ts < DATE '%d-03-31' - INTERVAL '1' MONTH AND ts >= DATE '%d-12-31' - INTERVAL '11 months'", y, y-1),
		// year(ts) in WHERE is a time range on ts
		fmt.Sprintf("year(ts) = %d", y),
		fmt.Sprintf("extract(year FROM ts) BETWEEN %d AND %d", y-1, y),
		fmt.Sprintf("year(ts) IN (%d, %d) AND ts < now()", y-1, y+1),
		fmt.Sprintf("year(ts) != %d", y),
		fmt.Sprintf("year(ts) <= %d OR year(ts) > %d", y-1, y),
		fmt.Sprintf("NOT date_part('year', ts) >= %d", y),
		fmt.Sprintf("year(ts) < %d AND year(ts) NOT BETWEEN %d AND %d", y+1, y-5, y-1),
	}
	for _, node := range testenv.SearchNodes() {
		t.Run(node.Name, func(t *testing.T) {
			es, esURL := openSearch(t, node)
			index := fmt.Sprintf("dora-reltime-%d", os.Getpid())
			t.Cleanup(func() { testenv.DeleteIndices(esURL, index+"*") })
			if n := testenv.CopyTable(t, duck, es, "ev", index, nil); n != 72+24*800 {
				t.Fatalf("copied %d rows", n)
			}
			for i, w := range wheres {
				text := "SELECT count(*), min(id), max(id) FROM TABLE WHERE " + w
				want, err := fzQuery(direct, strings.Replace(text, "TABLE", "ev", 1))
				if err != nil {
					t.Fatalf("duckdb: %s: %v", text, err)
				}
				if n := toF(want[0][0]); n == 0 {
					t.Fatalf("%d: %s matches no row: the case must have an answer to compare", i, w)
				}
				d := runOn(t, duck, strings.Replace(text, "TABLE", "ev", 1), false)
				e := runOn(t, es, strings.Replace(text, "TABLE", `"`+index+`"`, 1), false)
				for name, got := range map[string][][]any{"dora on duckdb": d.Rows, "dora on " + node.Name: e.Rows} {
					if len(got) != 1 || len(got[0]) != 3 {
						t.Fatalf("%s: %s: want one row of three, got %v", w, name, got)
					}
					for c := range 3 {
						if toF(got[0][c]) != toF(want[0][c]) {
							t.Errorf("%s: %s: %v, duckdb %v", w, name, got[0], want[0])
							break
						}
					}
				}
			}
		})
	}
}
