package demo

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func openDB(t testing.TB, name string) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// testDay is the build day of most tests: the two years before it are
// exactly 2024 and 2025.
var testDay = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func build(t testing.TB, db *sql.DB, rows int, day time.Time) time.Duration {
	t.Helper()
	start := time.Now()
	if err := BuildAt(context.Background(), db, rows, day); err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}

func scalar[T any](t testing.TB, db *sql.DB, query string) T {
	t.Helper()
	var v T
	if err := db.QueryRow(query).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

// fingerprint is an order-sensitive digest of every row of every table.
func fingerprint(t testing.TB, db *sql.DB) string {
	t.Helper()
	fp := ""
	for _, q := range []string{
		"SELECT count(*)::VARCHAR || ':' || sum(hash(t))::VARCHAR || ':' || hash(list(hash(t) ORDER BY shipment_id))::VARCHAR FROM shipments t",
		"SELECT count(*)::VARCHAR || ':' || sum(hash(t))::VARCHAR || ':' || hash(list(hash(t) ORDER BY client_id))::VARCHAR FROM clients t",
		"SELECT count(*)::VARCHAR || ':' || sum(hash(t))::VARCHAR || ':' || hash(list(hash(t) ORDER BY item_id))::VARCHAR FROM items t",
	} {
		fp += scalar[string](t, db, q) + ";"
	}
	return fp
}

func TestBuild(t *testing.T) {
	const rows = 20_000
	db := openDB(t, "demo.duckdb")
	d := build(t, db, rows, testDay)
	t.Logf("built %d shipments in %v", rows, d)

	checkInt := func(name, query string, want int64) {
		t.Helper()
		if got := scalar[int64](t, db, query); got != want {
			t.Errorf("%s: got %d, want %d", name, got, want)
		}
	}
	checkInt("shipments rows", "SELECT count(*) FROM shipments", rows)
	checkInt("clients rows", "SELECT count(*) FROM clients", 3_333)
	checkInt("items rows", "SELECT count(*) FROM items", itemRows)
	checkInt("distinct shipment ids", "SELECT count(DISTINCT shipment_id) FROM shipments", rows)
	checkInt("shipment ids not chronological", `SELECT count(*) FROM (
		SELECT shipped_at < lag(shipped_at) OVER (ORDER BY shipment_id) AS bad FROM shipments) WHERE bad`, 0)

	// Column types.
	types := map[string]string{
		"shipment_id": "BIGINT", "shipped_at": "TIMESTAMP", "client_id": "BIGINT",
		"stylist": "VARCHAR", "region": "VARCHAR", "state": "VARCHAR", "category": "VARCHAR",
		"brand": "VARCHAR", "size": "VARCHAR", "price": "DOUBLE", "items_sent": "INTEGER",
		"items_kept": "INTEGER", "rating": "INTEGER", "channel": "VARCHAR",
		"is_first_fix": "BOOLEAN", "returned_at": "TIMESTAMP",
	}
	r, err := db.Query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'shipments'")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r.Next() {
		var col, typ string
		if err := r.Scan(&col, &typ); err != nil {
			t.Fatal(err)
		}
		n++
		if types[col] != typ {
			t.Errorf("shipments.%s: type %s, want %s", col, typ, types[col])
		}
	}
	r.Close()
	if n != len(types) {
		t.Errorf("shipments has %d columns, want %d", n, len(types))
	}

	// Built on 2026-01-01, the data spans 2024..2025.
	checkInt("min year", "SELECT year(min(shipped_at)) FROM shipments", 2024)
	checkInt("max year", "SELECT year(max(shipped_at)) FROM shipments", 2025)
	checkInt("months covered", "SELECT count(DISTINCT date_trunc('month', shipped_at)) FROM shipments", 24)

	// Skewed categories.
	top := scalar[int64](t, db, "SELECT max(n) FROM (SELECT count(*) AS n FROM shipments GROUP BY category)")
	low := scalar[int64](t, db, "SELECT min(n) FROM (SELECT count(*) AS n FROM shipments GROUP BY category)")
	if top <= 2*low {
		t.Errorf("category distribution not skewed: top %d, smallest %d", top, low)
	}
	topStylist := scalar[int64](t, db, "SELECT max(n) FROM (SELECT count(*) AS n FROM shipments GROUP BY stylist)")
	lowStylist := scalar[int64](t, db, "SELECT min(n) FROM (SELECT count(*) AS n FROM shipments GROUP BY stylist)")
	if topStylist <= 3*lowStylist {
		t.Errorf("stylist distribution not skewed: top %d, smallest %d", topStylist, lowStylist)
	}

	// Seasonality: December busier than February; outerwear in winter,
	// dresses in summer.
	dec := scalar[int64](t, db, "SELECT count(*) FROM shipments WHERE month(shipped_at) = 12")
	feb := scalar[int64](t, db, "SELECT count(*) FROM shipments WHERE month(shipped_at) = 2")
	if dec <= feb {
		t.Errorf("December %d shipments, February %d", dec, feb)
	}
	if scalar[bool](t, db, `SELECT count(*) FILTER (WHERE category = 'Outerwear' AND month(shipped_at) IN (12, 1))
		<= count(*) FILTER (WHERE category = 'Outerwear' AND month(shipped_at) IN (6, 7)) FROM shipments`) {
		t.Error("outerwear is not a winter category")
	}
	if scalar[bool](t, db, `SELECT count(*) FILTER (WHERE category = 'Dresses' AND month(shipped_at) IN (6, 7))
		<= count(*) FILTER (WHERE category = 'Dresses' AND month(shipped_at) IN (12, 1)) FROM shipments`) {
		t.Error("dresses are not a summer category")
	}
	// Growth: the second year busier than the first.
	if scalar[bool](t, db, "SELECT count(*) FILTER (WHERE year(shipped_at) = 2025) <= count(*) FILTER (WHERE year(shipped_at) = 2024) FROM shipments") {
		t.Error("no growth from 2024 to 2025")
	}

	// Nulls.
	ratingNull := scalar[float64](t, db, "SELECT avg(CASE WHEN rating IS NULL THEN 1 ELSE 0 END) FROM shipments")
	if ratingNull < 0.05 || ratingNull > 0.30 {
		t.Errorf("rating null share %.3f, want 5%%..30%%", ratingNull)
	}
	brandNull := scalar[float64](t, db, "SELECT avg(CASE WHEN brand IS NULL THEN 1 ELSE 0 END) FROM shipments")
	if brandNull <= 0 || brandNull > 0.05 {
		t.Errorf("brand null share %.3f, want a few", brandNull)
	}
	returnedNull := scalar[float64](t, db, "SELECT avg(CASE WHEN returned_at IS NULL THEN 1 ELSE 0 END) FROM shipments")
	if returnedNull <= 0 || returnedNull >= 1 {
		t.Errorf("returned_at null share %.3f", returnedNull)
	}

	// Invariants.
	checkInt("items_kept out of range", "SELECT count(*) FROM shipments WHERE items_kept < 0 OR items_kept > items_sent OR items_kept IS NULL", 0)
	checkInt("rating out of range", "SELECT count(*) FROM shipments WHERE rating NOT BETWEEN 1 AND 5", 0)
	checkInt("returned before shipped", "SELECT count(*) FROM shipments WHERE returned_at <= shipped_at", 0)
	checkInt("returned though all kept", "SELECT count(*) FROM shipments WHERE returned_at IS NOT NULL AND items_kept = items_sent", 0)
	checkInt("bad price", "SELECT count(*) FROM shipments WHERE price IS NULL OR price <= 0 OR price <> round(price, 2)", 0)
	checkInt("orphan client", "SELECT count(*) FROM shipments s ANTI JOIN clients c USING (client_id)", 0)
	checkInt("shipped before sign-up", "SELECT count(*) FROM shipments s JOIN clients c USING (client_id) WHERE s.shipped_at <= c.signed_up_at", 0)
	checkInt("region mismatch with client", "SELECT count(*) FROM shipments s JOIN clients c USING (client_id) WHERE s.region <> c.region OR s.state <> c.state", 0)
	checkInt("state in several regions", "SELECT count(*) FROM (SELECT state FROM shipments GROUP BY state HAVING count(DISTINCT region) > 1)", 0)
	checkInt("several first fixes", "SELECT count(*) FROM (SELECT client_id FROM shipments WHERE is_first_fix GROUP BY client_id HAVING count(*) > 1)", 0)
	checkInt("null columns", `SELECT count(*) FROM shipments WHERE shipped_at IS NULL OR client_id IS NULL OR stylist IS NULL
		OR region IS NULL OR state IS NULL OR category IS NULL OR size IS NULL OR channel IS NULL OR is_first_fix IS NULL`, 0)
	checkInt("null client columns", `SELECT count(*) FROM clients WHERE signed_up_at IS NULL OR age IS NULL OR region IS NULL
		OR state IS NULL OR plan IS NULL OR style_profile IS NULL OR lifetime_value IS NULL OR churned IS NULL`, 0)
	checkInt("null item columns", `SELECT count(*) FROM items WHERE brand IS NULL OR category IS NULL OR size IS NULL
		OR color IS NULL OR price IS NULL OR in_stock IS NULL OR added_at IS NULL`, 0)
	if scalar[bool](t, db, "SELECT avg(price) FILTER (WHERE category = 'Outerwear') <= avg(price) FILTER (WHERE category = 'Tops') FROM shipments") {
		t.Error("price does not depend on category")
	}
}

func TestDeterministic(t *testing.T) {
	const rows = 20_000
	a, b := openDB(t, "a.duckdb"), openDB(t, "b.duckdb")
	day := time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)
	build(t, a, rows, day)
	// Any time on the same UTC day is the same day.
	build(t, b, rows, time.Date(2026, 7, 16, 1, 59, 0, 0, time.FixedZone("CEST", 2*3600)))
	fa, fb := fingerprint(t, a), fingerprint(t, b)
	if fa != fb {
		t.Fatalf("two builds differ:\n%s\n%s", fa, fb)
	}
	// Rebuilding over an existing warehouse replaces it, with the same
	// result.
	build(t, a, rows, day)
	if got := fingerprint(t, a); got != fa {
		t.Fatalf("rebuild differs:\n%s\n%s", got, fa)
	}
	// The next day gives a different warehouse.
	build(t, b, rows, day.AddDate(0, 0, 1))
	if got := fingerprint(t, b); got == fa {
		t.Fatal("two days give the same fingerprint")
	}
	// So does a different size.
	build(t, b, 5_000, day)
	if got := fingerprint(t, b); got == fa {
		t.Fatal("rows=5000 and rows=20000 give the same fingerprint")
	}
	if n := scalar[int64](t, b, "SELECT count(*) FROM clients"); n != minClients {
		t.Errorf("clients for 5000 shipments: %d, want %d", n, minClients)
	}
}

func TestBuildCanceled(t *testing.T) {
	db := openDB(t, "canceled.duckdb")
	build(t, db, 5_000, testDay)
	old := fingerprint(t, db)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := BuildAt(ctx, db, 20_000, testDay); err == nil {
		t.Fatal("Build with a canceled context succeeded")
	}
	if got := fingerprint(t, db); got != old {
		t.Fatal("a failed Build changed the warehouse")
	}

	// Interrupted part-way (or, on a fast machine, finished): the
	// warehouse is either entirely old or entirely new, never a mix.
	ctx, cancel = context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	err := BuildAt(ctx, db, DefaultRows, testDay)
	shipments := scalar[int64](t, db, "SELECT count(*) FROM shipments")
	clients := scalar[int64](t, db, "SELECT count(*) FROM clients")
	t.Logf("interrupted build: err=%v, shipments=%d, clients=%d", err, shipments, clients)
	if err != nil {
		if got := fingerprint(t, db); got != old {
			t.Fatal("an interrupted Build changed the warehouse")
		}
	} else if shipments != DefaultRows || clients != DefaultRows/6 {
		t.Fatalf("successful Build left shipments=%d clients=%d", shipments, clients)
	}
}

// TestDefaultRowsTiming reports how long the default-size warehouse takes
// to build (not asserted).
func TestDefaultRowsTiming(t *testing.T) {
	db := openDB(t, "default.duckdb")
	d := build(t, db, 0, time.Now())
	if n := scalar[int64](t, db, "SELECT count(*) FROM shipments"); n != DefaultRows {
		t.Errorf("shipments: %d, want %d", n, DefaultRows)
	}
	t.Logf("built %d shipments (+%d clients, %d items) in %v",
		DefaultRows, DefaultRows/6, itemRows, d.Round(time.Millisecond))
}

func BenchmarkBuild(b *testing.B) {
	db := openDB(b, "bench.duckdb")
	for b.Loop() {
		if err := Build(context.Background(), db, DefaultRows); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTwoYearsToTheBuildDay checks that the data ends the day before the
// build day and starts two years earlier, whatever the day.
func TestTwoYearsToTheBuildDay(t *testing.T) {
	for _, day := range []time.Time{
		testDay,
		time.Date(2026, 8, 14, 0, 0, 0, 0, time.UTC),    // mid-quarter: the data touches nine quarters
		time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC),   // a leap day
		time.Date(2031, 12, 31, 23, 59, 0, 0, time.UTC), // late in the day
	} {
		t.Run(day.Format(time.DateOnly), func(t *testing.T) {
			db := openDB(t, "demo.duckdb")
			build(t, db, 20_000, day)
			const dateOnly = "%Y-%m-%d"
			last := Day(day).AddDate(0, 0, -1).Format(time.DateOnly)
			first := Day(day).AddDate(-2, 0, 0).Format(time.DateOnly)
			if got := scalar[string](t, db, "SELECT strftime(max(shipped_at), '"+dateOnly+"') FROM shipments"); got != last {
				t.Errorf("newest shipment on %s, want %s", got, last)
			}
			if got := scalar[string](t, db, "SELECT strftime(min(shipped_at), '"+dateOnly+"') FROM shipments"); got != first {
				t.Errorf("oldest shipment on %s, want %s", got, first)
			}
			end := "TIMESTAMP '" + Day(day).Format(time.DateOnly) + "'"
			for _, q := range []string{
				"SELECT count(*) FROM shipments WHERE returned_at >= " + end,
				"SELECT count(*) FROM clients WHERE signed_up_at >= " + end,
				"SELECT count(*) FROM items WHERE added_at >= " + end,
			} {
				if n := scalar[int64](t, db, q); n != 0 {
					t.Errorf("%s: %d, want none after the data ends", q, n)
				}
			}
			// Every calendar quarter has its stylists and channels.
			if n := scalar[int64](t, db, "SELECT count(*) FROM shipments WHERE stylist IS NULL OR channel IS NULL"); n != 0 {
				t.Errorf("%d shipments without a stylist or channel", n)
			}
			// The year before the build day holds a little over half the
			// shipments (the business grows).
			if share := scalar[float64](t, db, "SELECT avg(CASE WHEN shipped_at > "+end+" - INTERVAL '365 days' THEN 1 ELSE 0 END) FROM shipments"); share < 0.5 || share > 0.62 {
				t.Errorf("the last 365 days hold %.3f of the shipments, want about half", share)
			}
		})
	}
}

// TestTheLastYearIsHalfTheData is the README's example: built today, a
// filter on now() - INTERVAL '365 days' keeps about half the shipments and
// one on the last 30 days about a twentieth.
func TestTheLastYearIsHalfTheData(t *testing.T) {
	before := Day(time.Now())
	db := openDB(t, "today.duckdb")
	if err := Build(context.Background(), db, 20_000); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx) // one connection, so the zone set below applies to the query
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	var year, month float64
	var newest time.Time
	if err := conn.QueryRowContext(ctx, `SELECT
		avg(CASE WHEN shipped_at > now() - INTERVAL '365 days' THEN 1 ELSE 0 END),
		avg(CASE WHEN shipped_at > now() - INTERVAL '30 days' THEN 1 ELSE 0 END),
		max(shipped_at) FROM shipments`).Scan(&year, &month, &newest); err != nil {
		t.Fatal(err)
	}
	t.Logf("last 365 days %.3f, last 30 days %.3f, newest %v", year, month, newest)
	if year < 0.5 || year > 0.62 {
		t.Errorf("the last 365 days hold %.3f of the shipments, want about half", year)
	}
	if month < 0.03 || month > 0.08 {
		t.Errorf("the last 30 days hold %.3f of the shipments, want about a twentieth", month)
	}
	if d := Day(newest); !d.Equal(before.AddDate(0, 0, -1)) && !d.Equal(before) {
		t.Errorf("newest shipment %v, want on the day before %v", newest, before)
	}
}

// TestSeasonsFollowTheCalendar builds windows that start in January and in
// August: both have their busy Decembers, summer dresses and quiet Sundays.
func TestSeasonsFollowTheCalendar(t *testing.T) {
	for _, day := range []time.Time{testDay, time.Date(2026, 8, 14, 0, 0, 0, 0, time.UTC)} {
		db := openDB(t, "seasons.duckdb")
		build(t, db, 20_000, day)
		for _, c := range []struct{ what, sql string }{
			{"December busier than February", `SELECT count(*) FILTER (WHERE month(shipped_at) = 12)
				> count(*) FILTER (WHERE month(shipped_at) = 2) FROM shipments`},
			{"Mondays busier than Sundays", `SELECT count(*) FILTER (WHERE isodow(shipped_at) = 1)
				> 1.3 * count(*) FILTER (WHERE isodow(shipped_at) = 7) FROM shipments`},
			{"Christmas quiet", `SELECT count(*) FILTER (WHERE month(shipped_at) = 12 AND day(shipped_at) = 25) * 3
				< count(*) FILTER (WHERE month(shipped_at) = 12 AND day(shipped_at) = 18) FROM shipments`},
			{"dresses in summer", `SELECT count(*) FILTER (WHERE category = 'Dresses' AND month(shipped_at) IN (6, 7))
				> count(*) FILTER (WHERE category = 'Dresses' AND month(shipped_at) IN (12, 1)) FROM shipments`},
			{"outerwear in winter", `SELECT count(*) FILTER (WHERE category = 'Outerwear' AND month(shipped_at) IN (12, 1))
				> count(*) FILTER (WHERE category = 'Outerwear' AND month(shipped_at) IN (6, 7)) FROM shipments`},
			{"the second year busier than the first", `SELECT count(*) FILTER (WHERE shipped_at >= TIMESTAMP '` +
				day.AddDate(-1, 0, 0).Format(time.DateOnly) + `') > 1.15 * count(*) FILTER (WHERE shipped_at < TIMESTAMP '` +
				day.AddDate(-1, 0, 0).Format(time.DateOnly) + `') FROM shipments`},
		} {
			if !scalar[bool](t, db, c.sql) {
				t.Errorf("built on %s: %s is false", day.Format(time.DateOnly), c.what)
			}
		}
	}
}

func TestStamp(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, "stamp.duckdb")
	day := time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)
	build(t, db, 3_000, day.Add(13*time.Hour))
	s, err := ReadStamp(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if s != (Stamp{Version: Version, Rows: 3_000, Day: day}) {
		t.Errorf("stamp %+v", s)
	}
	if !s.Current(day.Add(23*time.Hour)) || s.Current(day.AddDate(0, 0, 1)) || s.Current(day.Add(-time.Second)) {
		t.Error("Current is not true on the build day only")
	}
	// A warehouse from before stamps is out of date, and its size known.
	if _, err := db.Exec("DROP TABLE " + stampTable); err != nil {
		t.Fatal(err)
	}
	if s, err = ReadStamp(ctx, db); err != nil || s != (Stamp{Rows: 3_000}) || s.Current(day) {
		t.Errorf("unstamped: %+v, %v", s, err)
	}
}
