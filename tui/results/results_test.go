package results

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/chart"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/styles"
)

func TestSeriesLayoutHasSparklines(t *testing.T) {
	spec, _ := query.Parse("SELECT date_trunc('month', shipped_at), region, count(*) FROM shipments GROUP BY date_trunc('month', shipped_at), region")
	res := &query.Result{Columns: []query.Column{
		{Name: spec.GroupBy[0].Name(), Role: query.RoleDimension, Type: query.TypeTime},
		{Name: "region", Role: query.RoleDimension, Type: query.TypeString},
		{Name: "count(*)", Role: query.RoleMetric, Type: query.TypeInt},
	}}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 12; i++ {
		res.Rows = append(res.Rows, []any{t0.AddDate(0, i, 0), "West", int64(100 + i*10)}, []any{t0.AddDate(0, i, 0), "East", int64(300 - i*10)})
	}
	m := New(&common.Common{Styles: styles.Default(true, true)})
	m.SetSize(70, 6)
	m.SetResult(spec, res)
	m.Update(tea.KeyPressMsg(tea.Key{Code: 'p', Text: "p"}))
	if !m.Series() {
		t.Fatal("p should switch to the series layout")
	}
	out := ansi.Strip(m.View())
	lines := strings.Split(out, "\n")
	if !strings.Contains(lines[0], "trend of count(*)") || !strings.HasPrefix(strings.TrimSpace(lines[1]), "West") {
		t.Fatalf("series layout:\n%s", out)
	}
	// West rises: its sparkline ends higher than it starts.
	spark := []rune(strings.Fields(lines[1])[1])
	if len(spark) != 12 || spark[0] >= spark[11] {
		t.Errorf("West's sparkline should rise over 12 months: %q", string(spark))
	}
	if !strings.Contains(lines[1], "210") || !strings.Contains(lines[2], "300") {
		t.Errorf("max values missing:\n%s", out)
	}
}

func TestSortAsksForOrderBy(t *testing.T) {
	spec, _ := query.Parse("SELECT region, count(*) FROM shipments GROUP BY region")
	res := &query.Result{Columns: []query.Column{
		{Name: "region", Role: query.RoleDimension, Type: query.TypeString},
		{Name: "count(*)", Role: query.RoleMetric, Type: query.TypeInt},
	}, Rows: [][]any{{"West", int64(3)}, {"East", int64(5)}}}
	m := New(&common.Common{Styles: styles.Default(true, true)})
	m.SetSize(40, 5)
	m.SetResult(spec, res)
	m.Update(tea.KeyPressMsg(tea.Key{Code: tea.KeyRight}))
	cmd := m.Update(tea.KeyPressMsg(tea.Key{Code: 's', Text: "s"}))
	msg, ok := cmd().(SortMsg)
	if !ok || msg.Column != "count(*)" || !msg.DescFirst {
		t.Errorf("sort: %+v", msg)
	}
}

// TestSeriesLastLeavesOutAPartialBucket: with the last month partial, the series layout's "last
// whole" is the month before it and "change" compares it with the one before that.
func TestSeriesLastLeavesOutAPartialBucket(t *testing.T) {
	schema := query.Schema{Table: "shipments", Fields: []query.Field{{Name: "shipped_at", Type: query.TypeTime, Aggregatable: true}}}
	spec, err := query.Parse("SELECT date_trunc('month', shipped_at) AS month, count(*) FROM shipments GROUP BY month ORDER BY month")
	if err != nil {
		t.Fatal(err)
	}
	if spec, err = query.Validate(spec, schema); err != nil {
		t.Fatal(err)
	}
	res := &query.Result{Columns: query.ResultColumns(spec, schema)}
	for m, n := range []int64{310, 400, 500, 200} {
		res.Rows = append(res.Rows, []any{time.Date(2025, time.Month(m+1), 1, 0, 0, 0, 0, time.UTC), n})
	}
	m := New(&common.Common{Styles: styles.Default(true, true)})
	m.SetSize(120, 10)
	m.SetResult(spec, res)
	m.Update(tea.KeyPressMsg(tea.Key{Code: 'p', Text: "p"}))
	out := ansi.Strip(m.View())
	if strings.Contains(out, "last whole") || !strings.Contains(out, "200") || !strings.Contains(out, "-60.0%") {
		t.Fatalf("whole buckets: last should be 200 and change -60.0%%:\n%s", out)
	}
	m.SetPartial(chart.Partial{Last: true})
	out = ansi.Strip(m.View())
	if !strings.Contains(out, "last whole") || !strings.Contains(out, "500") || !strings.Contains(out, "+25.0%") {
		t.Errorf("a partial last month: last whole should be 500 and change +25.0%%:\n%s", out)
	}
	m.SetCountPartial(true) // the explorer's P
	out = ansi.Strip(m.View())
	if !strings.Contains(out, "last (partial)") || strings.Contains(out, "last whole") || !strings.Contains(out, "-60.0%") {
		t.Errorf("counted in, last is the partial month's 200 and change -60.0%%:\n%s", out)
	}
}
