package dashscreen

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/assets/dashboards"
	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	_ "github.com/dora-dev/dora/backends/elastic"
	"github.com/dora-dev/dora/backends/session"
	"github.com/dora-dev/dora/dash"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/tui/screen"
)

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

// benchWarehouse is $DORA_BENCH_WAREHOUSE, or a demo warehouse of the default 500,000 shipments
// built once for the run (scripts/bench-dash keeps one in the cache).
func benchWarehouse(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		if benchPath = os.Getenv("DORA_BENCH_WAREHOUSE"); benchPath != "" {
			return
		}
		benchPath = filepath.Join(os.TempDir(), fmt.Sprintf("dora-bench-dash-%d.duckdb", os.Getpid()))
		benchErr = duckdb.BuildDemo(context.Background(), benchPath, 0)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// drive runs the screen's commands as Bubble Tea does, concurrently, feeding answers back until
// no panel waits; clock ticks and spinner frames are dropped.
func drive(m *Model, cmd tea.Cmd) {
	msgs := make(chan tea.Msg, 64)
	var launch func(tea.Cmd)
	launch = func(c tea.Cmd) {
		if c != nil {
			go func() { msgs <- c() }()
		}
	}
	launch(cmd)
	for m.anyRunning() {
		switch msg := (<-msgs).(type) {
		case nil, clockMsg, spinner.TickMsg:
		case tea.BatchMsg:
			for _, c := range msg {
				launch(c)
			}
		default:
			_, c := m.Update(msg)
			launch(c)
		}
	}
}

// firstFrame times a dashboard from nothing (no backend open, no schema read) to its first frame
// with every panel answered, drawn at 160x48.
func firstFrame(b *testing.B, d *dash.Dashboard, open dash.Opener) time.Duration {
	start := time.Now()
	r := dash.NewRunner(session.New("", open), dash.Parallel)
	defer r.Close()
	m := newScreen(r, d, Options{Range: d.Range, Where: d.Where, WhereText: d.WhereText})
	m.SetSize(160, 48)
	m.Focus()
	_, first := m.Update(screen.ShownMsg{})
	drive(m, first)
	frame := m.View()
	took := time.Since(start)
	for i := range m.panels {
		if a := m.Answer(i); a == nil || a.Err != nil {
			b.Fatalf("panel %d: %+v", i, a)
		}
	}
	if len(frame) == 0 {
		b.Fatal("no frame")
	}
	return took
}

// panelsAlone runs each panel on its own, one after the other, on a runner whose backend is open
// and whose schemas are read: what each panel costs without the others. It returns the slowest,
// which one it was, and the sum.
func panelsAlone(b *testing.B, d *dash.Dashboard, r *dash.Runner) (slowest time.Duration, which int, sum time.Duration) {
	now := time.Now()
	sc, prev := d.Scope(d.Range, d.Where, now), d.Previous(d.Range, d.Where, now)
	for i, p := range d.Panels {
		start := time.Now()
		if a := r.Run(context.Background(), p, sc, prev); a.Err != nil {
			b.Fatalf("%s: %v", p.Title, a.Err)
		}
		took := time.Since(start)
		if took > slowest {
			slowest, which = took, i
		}
		sum += took
	}
	return slowest, which, sum
}

// samples appends `LABEL MS` lines to $DORA_BENCH_SAMPLES, one a measurement in the order taken,
// for scripts/interleave --samples to report medians, spreads and per-round ratios; nothing when
// it is unset.
type samples struct{ f *os.File }

func openSamples(b *testing.B) samples {
	path := os.Getenv("DORA_BENCH_SAMPLES")
	if path == "" {
		return samples{}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return samples{f}
}

func (s samples) add(label string, d time.Duration) {
	if s.f != nil {
		fmt.Fprintf(s.f, "%s %.3f\n", label, float64(d.Microseconds())/1000)
	}
}

func report(b *testing.B, n int, metrics map[string]time.Duration) {
	for unit, d := range metrics {
		b.ReportMetric(float64(d.Microseconds())/1000/float64(n), unit)
	}
}

// BenchmarkDashFirstFrame: the demo dashboard's eight panels from a cold start to the first
// complete frame, against the slowest of those panels run alone on a warm backend, and against a
// dashboard of that one panel from a cold start (opening the file, reading the schema, drawing),
// in the same run. Concurrency should make them close.
func BenchmarkDashFirstFrame(b *testing.B) {
	path := benchWarehouse(b)
	d := demoDashboard(b)
	warm := dash.NewRunner(session.New("", opener(path)), dash.Parallel)
	defer warm.Close()
	panelsAlone(b, d, warm) // open the backend and read the schemas
	_, which, _ := panelsAlone(b, d, warm)
	one := *d
	one.Panels = []dash.Panel{d.Panels[which]}
	b.Logf("the slowest panel alone: %s", d.Panels[which].Title)
	firstFrame(b, d, opener(path)) // a warm-up of each, not counted
	firstFrame(b, &one, opener(path))
	smp := openSamples(b)
	var frame, oneFrame, refresh, slowest, sum time.Duration
	n := 0
	for b.Loop() {
		f := firstFrame(b, d, opener(path))
		o := firstFrame(b, &one, opener(path))
		now := time.Now()
		start := time.Now()
		warm.RunAll(context.Background(), d, d.Scope(d.Range, d.Where, now), d.Previous(d.Range, d.Where, now))
		rf := time.Since(start)
		s, _, t := panelsAlone(b, d, warm)
		smp.add("frame", f)
		smp.add("one-panel-frame", o)
		smp.add("refresh", rf)
		smp.add("slowest-panel", s)
		smp.add("panels-in-turn", t)
		frame, oneFrame, refresh = frame+f, oneFrame+o, refresh+rf
		slowest, sum = slowest+s, sum+t
		n++
	}
	report(b, n, map[string]time.Duration{"frame-ms": frame, "one-panel-frame-ms": oneFrame, "refresh-ms": refresh,
		"slowest-panel-ms": slowest, "panels-in-turn-ms": sum})
	b.ReportMetric(float64(frame)/float64(slowest), "frame/slowest")
	b.ReportMetric(float64(frame)/float64(oneFrame), "frame/one-panel-frame")
}

// BenchmarkDashRefreshElasticsearch: one refresh of the demo dashboard's eight panels on
// Elasticsearch (backend open, schemas read), against the panels' bare requests one at a time.
func BenchmarkDashRefreshElasticsearch(b *testing.B) {
	esURL := testenv.Elasticsearch(b)
	path := benchWarehouse(b)
	ctx := context.Background()
	const index = "dora_bench_dash_shipments"
	duck, err := backends.Open(ctx, "duckdb:"+path)
	if err != nil {
		b.Fatal(err)
	}
	defer duck.Close()
	es, err := backends.Open(ctx, esURL)
	if err != nil {
		b.Fatal(err)
	}
	defer es.Close()
	if !sameCount(b, duck, es, index) { // kept between runs: a copy of 500,000 rows takes a while
		testenv.DeleteIndices(esURL, index+"*")
		testenv.CopyTable(b, duck, es, "shipments", index, nil)
		refresh(esURL, index)
	}
	text := strings.ReplaceAll(string(dashboards.Demo), "FROM shipments", "FROM "+index)
	d, err := dash.Parse("bench.yaml", []byte(text), nil)
	if err != nil {
		b.Fatal(err)
	}
	r := dash.NewRunner(es, dash.Parallel)
	panelsAlone(b, d, r) // read the schemas
	// a warm-up, not counted
	r.RunAll(ctx, d, d.Scope(d.Range, d.Where, time.Now()), d.Previous(d.Range, d.Where, time.Now()))
	smp := openSamples(b)
	var cycle, slowest, sum time.Duration
	n := 0
	for b.Loop() {
		now := time.Now()
		start := time.Now()
		for i, a := range r.RunAll(ctx, d, d.Scope(d.Range, d.Where, now), d.Previous(d.Range, d.Where, now)) {
			if a.Err != nil {
				b.Fatalf("panel %d: %v", i, a.Err)
			}
		}
		c := time.Since(start)
		s, _, t := panelsAlone(b, d, r)
		smp.add("refresh", c)
		smp.add("slowest-panel", s)
		smp.add("panels-in-turn", t)
		cycle += c
		slowest, sum = slowest+s, sum+t
		n++
	}
	report(b, n, map[string]time.Duration{"refresh-ms": cycle, "slowest-panel-ms": slowest, "panels-in-turn-ms": sum})
	b.ReportMetric(float64(cycle)/float64(slowest), "refresh/slowest")
}

func sameCount(b *testing.B, duck, es backends.Backend, index string) bool {
	count := func(be backends.Backend, table string) any {
		res, err := backends.Query(context.Background(), be, "SELECT count(*) FROM "+table)
		if err != nil || len(res.Rows) == 0 {
			return nil
		}
		return res.Rows[0][0]
	}
	want := count(duck, "shipments")
	return want != nil && fmt.Sprint(count(es, index)) == fmt.Sprint(want)
}

func refresh(esURL, index string) {
	if resp, err := http.Post(esURL+"/"+index+"/_refresh", "application/json", nil); err == nil {
		resp.Body.Close()
	}
}
