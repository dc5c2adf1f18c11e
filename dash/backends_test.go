package dash_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	_ "github.com/dora-dev/dora/backends/elastic"
	"github.com/dora-dev/dora/backends/session"
	"github.com/dora-dev/dora/dash"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/tui/format"
)

const bothDashboard = `title: Both
time: {column: shipped_at, from: 2025-06-01, to: 2025-07-01}
where: region IN ('West', 'South') AND items_kept > 0
panels:
  - {title: Shipments, sql: "SELECT count(*) FROM %[1]s"}
  - {title: Kept, sql: "SELECT sum(items_kept), max(price) FROM %[1]s"}
  - {title: Regions, sql: "SELECT region, count(*), avg(rating) FROM %[1]s GROUP BY region ORDER BY region"}
  - {title: Days, sql: "SELECT date_trunc('day', shipped_at) AS day, count(*) FROM %[1]s GROUP BY day ORDER BY day"}
  - {title: Mix, sql: "SELECT category, channel, count(*) FROM %[1]s WHERE is_first_fix = FALSE GROUP BY category, channel ORDER BY category, channel"}
  - {title: Returned, time: returned_at, sql: "SELECT count(*) FROM %[1]s"}
`

// TestScopeOnBothBackends lays one range and one filter over the same panels on DuckDB and on
// Elasticsearch (then OpenSearch 2, OpenSearch 3 and Elasticsearch 7) holding the same rows: the
// answers agree with each other, and with plain SQL through DuckDB, row by row; the period before
// agrees too.
func TestScopeOnBothBackends(t *testing.T) {
	for _, node := range testenv.SearchNodes() {
		t.Run(node.Name, func(t *testing.T) { scopeOnBoth(t, node.URL(t)) })
	}
}

func scopeOnBoth(t *testing.T, esURL string) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "both.duckdb")
	if err := duckdb.BuildDemoAt(ctx, path, 20000, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	duck, err := backends.Open(ctx, "duckdb:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	es, err := backends.Open(ctx, esURL)
	if err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	index := fmt.Sprintf("dora_dash_test_%d", time.Now().UnixNano())
	t.Cleanup(func() { testenv.DeleteIndices(esURL, index+"*") })
	testenv.CopyTable(t, duck, es, "shipments", index, nil)

	run := func(b backends.Backend, table string) []dash.Answer {
		d, err := dash.Parse("both.yaml", []byte(fmt.Sprintf(bothDashboard, table)), nil)
		if err != nil {
			t.Fatal(err)
		}
		r := dash.NewRunner(b, dash.Parallel)
		now := time.Now()
		return r.RunAll(ctx, d, d.Scope(d.Range, d.Where, now), d.Previous(d.Range, d.Where, now))
	}
	da, ea := run(duck, "shipments"), run(es, index)

	db, err := sql.Open("duckdb", path+"?access_mode=READ_ONLY")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	where := " WHERE %s >= TIMESTAMP '2025-06-01' AND %[1]s < TIMESTAMP '2025-07-01' AND region IN ('West', 'South') AND items_kept > 0"
	plain := []string{
		"SELECT count(*) FROM shipments" + fmt.Sprintf(where, "shipped_at"),
		"SELECT sum(items_kept), max(price) FROM shipments" + fmt.Sprintf(where, "shipped_at"),
		"SELECT region, count(*), avg(rating) FROM shipments" + fmt.Sprintf(where, "shipped_at") + " GROUP BY region ORDER BY region",
		"SELECT date_trunc('day', shipped_at) AS day, count(*) FROM shipments" + fmt.Sprintf(where, "shipped_at") + " GROUP BY day ORDER BY day",
		"SELECT category, channel, count(*) FROM shipments" + fmt.Sprintf(where, "shipped_at") + " AND is_first_fix = FALSE GROUP BY category, channel ORDER BY category, channel",
		// the table has shipped_at, so the dashboard's column wins over the panel's own
		"SELECT count(*) FROM shipments" + fmt.Sprintf(where, "shipped_at"),
	}
	for i := range da {
		name := fmt.Sprintf("panel %d", i+1)
		if da[i].Err != nil || ea[i].Err != nil {
			t.Fatalf("%s: duckdb %v, elasticsearch %v", name, da[i].Err, ea[i].Err)
		}
		want := testenv.Rows(t, db, plain[i])
		same(t, name+" on DuckDB", da[i].Result.Rows, want)
		same(t, name+" on Elasticsearch", ea[i].Result.Rows, want)
		if len(want) < 1 || i == 3 && len(want) != 30 {
			t.Errorf("%s: the range should hold rows: %d", name, len(want))
		}
	}
	// The stats' period before: May 2025, the month before June.
	for _, i := range []int{0, 1} {
		prevSQL := fmt.Sprintf("%s WHERE shipped_at >= TIMESTAMP '2025-05-01' AND shipped_at < TIMESTAMP '2025-06-01' AND region IN ('West', 'South') AND items_kept > 0",
			map[int]string{0: "SELECT count(*) FROM shipments", 1: "SELECT sum(items_kept), max(price) FROM shipments"}[i])
		want := testenv.Rows(t, db, prevSQL)
		if da[i].Previous == nil || ea[i].Previous == nil {
			t.Fatalf("panel %d has no period before", i+1)
		}
		same(t, fmt.Sprintf("panel %d before, DuckDB", i+1), da[i].Previous.Rows, want)
		same(t, fmt.Sprintf("panel %d before, Elasticsearch", i+1), ea[i].Previous.Rows, want)
	}
}

// same compares rows value by value: integers exactly, floats to 1e-9 of their size, times as
// instants.
func same(t *testing.T, what string, got, want [][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d", what, len(got), len(want))
		return
	}
	for r := range want {
		if len(got[r]) != len(want[r]) {
			t.Errorf("%s row %d: %v, want %v", what, r, got[r], want[r])
			continue
		}
		for c := range want[r] {
			if !equal(got[r][c], want[r][c]) {
				t.Errorf("%s row %d column %d: %v (%T), want %v (%T)", what, r, c, got[r][c], got[r][c], want[r][c], want[r][c])
			}
		}
	}
}

func equal(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	fa, oka := format.Number(a)
	fb, okb := format.Number(b)
	if oka && okb {
		return fa == fb || math.Abs(fa-fb) <= 1e-9*math.Max(math.Abs(fa), math.Abs(fb))
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// tcpGate forwards 127.0.0.1:port to a real server and can be shut and opened again on the same
// port, as the network path to a restarting Elasticsearch would be.
type tcpGate struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newGate(t *testing.T, target string) *tcpGate {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &tcpGate{t: t, target: target, addr: ln.Addr().String()}
	ln.Close()
	t.Cleanup(g.shut)
	return g
}

func (g *tcpGate) open() {
	ln, err := net.Listen("tcp", g.addr)
	if err != nil {
		g.t.Fatal(err)
	}
	g.mu.Lock()
	g.ln = ln
	g.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", g.target)
			if err != nil {
				c.Close()
				continue
			}
			g.mu.Lock()
			g.conns = append(g.conns, c, s)
			g.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

func (g *tcpGate) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln != nil {
		g.ln.Close()
		g.ln = nil
	}
	for _, c := range g.conns {
		c.Close()
	}
	g.conns = nil
}

// TestElasticsearchDownAndBack: a dashboard started while Elasticsearch cannot be reached says so
// on every panel and answers once it can; losing it later fails the panels in words again, and
// the refresh after it is back answers them.
func TestElasticsearchDownAndBack(t *testing.T) {
	esURL := testenv.Elasticsearch(t)
	ctx := context.Background()
	u, err := url.Parse(esURL)
	if err != nil {
		t.Fatal(err)
	}
	g := newGate(t, u.Host)
	es, err := backends.Open(ctx, esURL)
	if err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	duck, err := backends.Open(ctx, "duckdb:"+demoWarehouse(t))
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	index := fmt.Sprintf("dora_dash_down_%d", time.Now().UnixNano())
	t.Cleanup(func() { testenv.DeleteIndices(esURL, index+"*") })
	rows := testenv.CopyTable(t, duck, es, "shipments", index, nil)

	d, err := dash.Parse("down.yaml", []byte(fmt.Sprintf("panels:\n  - {title: Count, sql: \"SELECT count(*) FROM %s\"}\n  - {title: Regions, sql: \"SELECT region, count(*) FROM %[1]s GROUP BY region\"}\n", index)), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := dash.NewRunner(session.New("", func(ctx context.Context) (backends.Backend, error) { return backends.Open(ctx, "http://"+g.addr) }), dash.Parallel)
	defer r.Close()
	refresh := func() []dash.Answer {
		time.Sleep(1100 * time.Millisecond) // past the runner's memory of a failed open
		return r.RunAll(ctx, d, d.Scope(dash.Range{}, nil, time.Now()), nil)
	}
	wantDown := func(when string, as []dash.Answer) {
		t.Helper()
		for i, a := range as {
			if !errors.Is(a.Err, backends.ErrUnavailable) || !strings.Contains(a.Err.Error(), "Elasticsearch") {
				t.Errorf("%s: panel %d should say Elasticsearch is unavailable: %v", when, i+1, a.Err)
			}
		}
	}
	wantUp := func(when string, as []dash.Answer) {
		t.Helper()
		for i, a := range as {
			if a.Err != nil {
				t.Fatalf("%s: panel %d: %v", when, i+1, a.Err)
			}
		}
		if n := as[0].Result.Rows[0][0]; fmt.Sprint(n) != fmt.Sprint(rows) {
			t.Errorf("%s: count %v, want %d", when, n, rows)
		}
	}
	wantDown("started while down", refresh())
	g.open()
	wantUp("once it answers", refresh())
	g.shut()
	wantDown("lost", refresh())
	g.open()
	wantUp("back", refresh())
}

// demoWarehouse builds a small demo warehouse for one test.
func demoWarehouse(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "demo.duckdb")
	if err := duckdb.BuildDemoAt(context.Background(), path, 5000, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	return path
}
