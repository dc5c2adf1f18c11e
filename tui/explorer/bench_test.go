package explorer

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/backends/duckdb/demo"
	"github.com/dora-dev/dora/internal/benchcpu"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
)

// BenchmarkViewLargeChart draws the whole screen at 200x60 with a 1,000-bucket time series
// (three series): redraw forces the chart to be drawn again every frame, as a theme change does;
// resize alternates 200x60 and 199x60; result hands the chart the same rows as a new result each
// frame (so they are pivoted again); cached draws frames where nothing changed. Each reports the
// process's CPU time per frame (cpu-ms/op) beside the wall time, which on a shared machine
// counts the waits for a core.
func BenchmarkViewLargeChart(b *testing.B) {
	m := New(common.New(context.Background(), newFake(), false), Options{})
	m.SetSize(200, 60)
	spec, err := query.Parse("SELECT date_trunc('day', shipped_at), region, count(*) FROM shipments GROUP BY date_trunc('day', shipped_at), region")
	if err != nil {
		b.Fatal(err)
	}
	res := &query.Result{Columns: []query.Column{
		{Name: spec.GroupBy[0].Name(), Role: query.RoleDimension, Type: query.TypeTime},
		{Name: "region", Role: query.RoleDimension, Type: query.TypeString},
		{Name: "count(*)", Role: query.RoleMetric, Type: query.TypeInt},
	}}
	t0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 1000; i++ {
		for r, reg := range []string{"West", "East", "South"} {
			res.Rows = append(res.Rows, []any{t0.AddDate(0, 0, i), reg, int64((r + 1) * (500 + (i*53+r*17)%300))})
		}
	}
	m.hist.Reset(spec)
	m.specChanged()
	m.res, m.resSpec = res, spec
	m.chart.SetResult(spec, res)
	m.results.SetResult(spec, res)
	m.layout()
	b.Run("redraw", func(b *testing.B) {
		done := benchcpu.Start(b)
		for b.Loop() {
			m.chart.Invalidate()
			_ = m.View()
		}
		done()
	})
	b.Run("resize", func(b *testing.B) {
		done := benchcpu.Start(b)
		i := 0
		for b.Loop() {
			i++
			m.SetSize(200-i%2, 60)
			_ = m.View()
		}
		done()
		m.SetSize(200, 60)
	})
	b.Run("result", func(b *testing.B) {
		done := benchcpu.Start(b)
		for b.Loop() {
			again := *res
			m.chart.SetResult(spec, &again)
			_ = m.View()
		}
		done()
	})
	b.Run("cached", func(b *testing.B) {
		done := benchcpu.Start(b)
		for b.Loop() {
			_ = m.View()
		}
		done()
	})
}

// TestMain removes the benchmarks' demo warehouse when the run is over.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchPath != "" {
		os.RemoveAll(filepath.Dir(benchPath))
	}
	os.Exit(code)
}

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

// demoWarehouse builds the demo warehouse once for the benchmarks: DORA_BENCH_ROWS shipments,
// the demo's default (500,000) when unset.
func demoWarehouse(b *testing.B) string {
	benchOnce.Do(func() {
		rows := demo.DefaultRows
		if n, err := strconv.Atoi(os.Getenv("DORA_BENCH_ROWS")); err == nil && n > 0 {
			rows = n
		}
		dir, err := os.MkdirTemp("", "dora-tui-bench")
		if err != nil {
			benchErr = err
			return
		}
		benchPath = filepath.Join(dir, "demo.duckdb")
		db, err := sql.Open("duckdb", benchPath)
		if err != nil {
			benchErr = err
			return
		}
		defer db.Close()
		benchErr = demo.Build(context.Background(), db, rows)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// initMsg carries Init's command into drive.
type initMsg struct{ cmd tea.Cmd }

// drive feeds a message to the model and runs the commands it returns synchronously, the way
// the Bubble Tea loop would, until the answers are in. Spinner ticks are dropped.
func drive(b *testing.B, m *Model, msg tea.Msg) {
	var cmd tea.Cmd
	if i, ok := msg.(initMsg); ok {
		cmd = i.cmd
	} else {
		_, cmd = m.Update(msg)
	}
	var run func(tea.Cmd)
	run = func(c tea.Cmd) {
		if c == nil {
			return
		}
		switch msg := c().(type) {
		case nil, spinner.TickMsg:
		case tea.BatchMsg:
			for _, c := range msg {
				run(c)
			}
		default:
			_, next := m.Update(msg)
			run(next)
		}
	}
	run(cmd)
	if err := m.Err(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkKeypressToFrame measures, on the demo warehouse in DuckDB at 80x24 and 200x60, the
// time from a key press that changes the view (s: sort the result by count, flipping direction)
// to the frame that shows the new answer: Update, the query, the result message and View.
func BenchmarkKeypressToFrame(b *testing.B) {
	path := demoWarehouse(b)
	ctx := context.Background()
	db, err := duckdb.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	var be backends.Backend = db
	defer be.Close()
	for _, bc := range []struct{ name, sql string }{
		{"category", "SELECT category, count(*), avg(price) FROM shipments GROUP BY category"},
		{"month_region", "SELECT date_trunc('month', shipped_at), region, count(*) FROM shipments GROUP BY date_trunc('month', shipped_at), region"},
	} {
		for _, size := range [][2]int{{80, 24}, {200, 60}} {
			b.Run(fmt.Sprintf("%s/%dx%d", bc.name, size[0], size[1]), func(b *testing.B) {
				m := New(common.New(ctx, be, false), Options{SQL: bc.sql})
				m.SetSize(size[0], size[1])
				drive(b, m, initMsg{m.Init()})
				// sort by the count column: its position in the table
				m.focus = focusResults
				m.layout()
				for i := 0; i < len(m.resSpec.GroupBy); i++ {
					drive(b, m, tea.KeyPressMsg(tea.Key{Code: tea.KeyRight}))
				}
				if m.Result() == nil {
					b.Fatal("the first query did not answer")
				}
				b.Logf("%s: %d shipments, %d groups", bc.name, m.Result().Meta.Total, len(m.Result().Rows))
				sortKey := tea.KeyPressMsg(tea.Key{Code: 's', Text: "s"})
				var query, frame time.Duration
				done := benchcpu.Start(b)
				for b.Loop() {
					start := time.Now()
					drive(b, m, sortKey)
					mid := time.Now()
					_ = m.View()
					frame += time.Since(mid)
					query += mid.Sub(start)
				}
				done()
				b.ReportMetric(float64(query.Microseconds())/float64(b.N)/1000, "ms-update+query/op")
				b.ReportMetric(float64(frame.Microseconds())/float64(b.N)/1000, "ms-view/op")
			})
		}
	}
}
