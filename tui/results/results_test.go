package results

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dora-dev/dora/query"
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
