// Package demo builds dora's demo warehouse: a deterministic, realistic
// dataset of a clothing-styling subscription business (a client signs up,
// a stylist picks a "fix" of items, the client keeps some and returns the
// rest).
//
// Everything is generated inside DuckDB from range() with pseudo-random
// values derived from hash(row, salt), so the same row count and build day
// always yield identical tables, and 500k shipments build in a few seconds.
// The shipments cover the two years up to the build day, so "the last 30
// days" means something on the day a warehouse is built; seasonality
// follows the calendar (months, weekdays, holidays), growth the time since
// the start.
//
// The small "dimension" distributions (categories, brands, stylists,
// regions, ...) are declared in Go and rendered into SQL as lookup tables
// (LUTs): lists of lutSize indexes in which each value appears in
// proportion to its weight, so picking lut[1 + hash % lutSize] samples the
// weighted distribution.
package demo

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dora-dev/dora/query/sqlquote"
)

// DefaultRows is the number of shipments Build generates when rows <= 0.
const DefaultRows = 500_000

const (
	// itemRows is the size of the items catalog (independent of rows).
	itemRows = 12_000
	// minClients is the lower bound on the number of clients.
	minClients = 1_000
	// lutSize is the length of every weighted lookup table.
	lutSize = 1000
)

// Version identifies what the generator produces: a warehouse stamped with
// another version (or none: version 1 always covered 2024 and 2025) is out
// of date whatever its day.
const Version = 2

// frame is the calendar of one build, fixed by its day.
type frame struct {
	// Shipments span [shipStart, shipEnd): the two years before the build
	// day, so the newest shipment is from the day before.
	shipStart, shipEnd time.Time
	// Clients sign up in [signupStart, shipEnd): a base of clients from the
	// year before, then growth.
	signupStart time.Time
	// Items are added to the catalog in [itemStart, shipEnd).
	itemStart time.Time
	// Clients whose last activity is before churnCutoff are churned.
	churnCutoff time.Time
	// firstQuarter is year*4 + quarter-1 of shipStart: stylists' tenures
	// and the channel mix count calendar quarters from it.
	firstQuarter int
}

// quarters is how many calendar quarters two years can touch.
const quarters = 9

func frameFor(day time.Time) frame {
	end := Day(day)
	start := end.AddDate(-2, 0, 0)
	return frame{
		shipStart:    start,
		shipEnd:      end,
		signupStart:  end.AddDate(-3, 0, 0),
		itemStart:    end.AddDate(-4, 0, 0),
		churnCutoff:  end.AddDate(0, -4, 0),
		firstQuarter: start.Year()*4 + (int(start.Month())-1)/3,
	}
}

// Day returns midnight UTC of t's UTC day.
func Day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Build creates (replacing) the demo tables in db with rows shipments over
// the two years before today (UTC); see BuildAt.
func Build(ctx context.Context, db *sql.DB, rows int) error {
	return BuildAt(ctx, db, rows, time.Now())
}

// BuildAt creates (replacing) the demo tables in db: shipments, clients,
// items, and the stamp that ReadStamp reads. rows is the number of
// shipments (DefaultRows when <= 0); there are max(1000, rows/6) clients
// and 12,000 items. The shipments cover the two years before day's UTC day,
// and the output depends only on rows and that day. All tables are
// replaced in a single transaction, so a concurrent reader sees either the
// old or the new warehouse, never a mix.
func BuildAt(ctx context.Context, db *sql.DB, rows int, day time.Time) error {
	if rows <= 0 {
		rows = DefaultRows
	}
	clients := max(minClients, rows/6)
	f := frameFor(day)

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("demo: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit

	sts := append(statements(f, rows, clients), statement{"stamp", fmt.Sprintf(
		"CREATE OR REPLACE TABLE %s AS SELECT %d AS version, CAST(%d AS BIGINT) AS rows, DATE '%s' AS day",
		stampTable, Version, rows, f.shipEnd.Format(time.DateOnly))})
	for _, st := range sts {
		if _, err := tx.ExecContext(ctx, st.sql); err != nil {
			return fmt.Errorf("demo: %s: %w", st.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("demo: commit: %w", err)
	}
	return nil
}

// stampTable records how a warehouse was built; the _dora prefix keeps it
// out of dora's table list.
const stampTable = "_dora_demo"

// Stamp says how a demo warehouse was built.
type Stamp struct {
	Version int       // the generator's Version; 0 for a warehouse without a stamp
	Rows    int       // shipments
	Day     time.Time // the build day, midnight UTC; the data ends the day before
}

// Current reports whether the warehouse is what BuildAt makes on now's UTC
// day (with the same rows).
func (s Stamp) Current(now time.Time) bool {
	return s.Version == Version && s.Day.Equal(Day(now))
}

// ReadStamp returns the stamp of the demo warehouse in db. One built before
// stamps existed gets Version 0 and its shipment count as Rows.
func ReadStamp(ctx context.Context, db *sql.DB) (Stamp, error) {
	var stamped bool
	err := db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?`, stampTable).Scan(&stamped)
	if err != nil {
		return Stamp{}, fmt.Errorf("demo: looking for the stamp: %w", err)
	}
	var s Stamp
	if !stamped {
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM shipments").Scan(&s.Rows); err != nil {
			return Stamp{}, fmt.Errorf("demo: counting shipments: %w", err)
		}
		return s, nil
	}
	if err := db.QueryRowContext(ctx, "SELECT version, rows, day FROM "+stampTable).Scan(&s.Version, &s.Rows, &s.Day); err != nil {
		return Stamp{}, fmt.Errorf("demo: reading the stamp: %w", err)
	}
	s.Day = Day(s.Day)
	return s, nil
}

type statement struct{ name, sql string }

// ---------------------------------------------------------------------------
// Dimensions.

type category struct {
	name   string
	weight float64
	price  float64     // median item price, USD
	keep   float64     // keep-probability adjustment
	season [12]float64 // monthly demand multiplier, Jan..Dec
}

var flat = [12]float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}

var categories = []category{
	{"Tops", 22, 48, 0.03, [12]float64{1, 1, 1, 1.05, 1.1, 1.1, 1.1, 1.05, 1, 0.95, 0.9, 0.95}},
	{"Dresses", 13, 89, 0, [12]float64{0.45, 0.55, 0.85, 1.3, 1.75, 2.0, 1.95, 1.55, 0.95, 0.65, 0.6, 0.85}},
	{"Jeans", 12, 98, -0.06, [12]float64{1, 0.95, 1, 0.95, 0.9, 0.8, 0.8, 1.1, 1.35, 1.2, 1.0, 0.95}},
	{"Knits", 10, 74, 0.02, [12]float64{1.7, 1.5, 1.0, 0.6, 0.35, 0.25, 0.25, 0.45, 1.0, 1.55, 1.8, 1.9}},
	{"Pants", 7, 79, -0.04, flat},
	{"Activewear", 7, 58, 0.05, [12]float64{1.9, 1.4, 1.1, 1.0, 1.0, 0.95, 0.9, 0.85, 0.9, 0.85, 0.75, 0.8}},
	{"Outerwear", 6, 149, -0.05, [12]float64{2.1, 1.7, 1.0, 0.5, 0.22, 0.12, 0.12, 0.3, 0.85, 1.7, 2.3, 2.5}},
	{"Shoes", 6, 118, -0.08, flat},
	{"Skirts", 4, 64, 0, [12]float64{0.5, 0.6, 0.9, 1.3, 1.6, 1.7, 1.7, 1.4, 1.0, 0.8, 0.7, 0.8}},
	{"Accessories", 4, 36, 0.12, [12]float64{0.9, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.4, 2.2}},
	{"Jewelry", 2, 42, 0.08, [12]float64{0.8, 1.4, 0.9, 0.9, 1.0, 0.9, 0.8, 0.8, 0.9, 1.0, 1.5, 2.4}},
	{"Swimwear", 2, 62, -0.02, [12]float64{0.2, 0.3, 0.7, 1.4, 2.6, 3.0, 2.6, 1.2, 0.4, 0.2, 0.2, 0.5}},
}

type brand struct {
	name string
	mult float64 // price multiplier
}

// brands are in popularity order; weights are Zipf-like (long tail).
var brands = []brand{
	{"Market & Spruce", 0.80}, {"Northline", 0.95}, {"Hale Street", 1.00},
	{"Atlas Denim", 1.10}, {"Juniper Row", 0.90}, {"Loom & Thread", 1.05},
	{"Copper Lane", 0.85}, {"Fern & Finch", 1.00}, {"Cove Athletic", 0.95},
	{"Marlowe", 1.30}, {"Saltwater Co.", 1.05}, {"Wren", 1.15},
	{"Birch Hollow", 0.90}, {"Parker James", 1.20}, {"Sable", 1.45},
	{"Kestrel", 1.10}, {"Margo Ray", 1.25}, {"Tidewell", 0.95},
	{"Oakhaven", 1.00}, {"Luma", 0.85}, {"Solene", 1.60},
	{"Veranda", 1.10}, {"Ivy Marsh", 1.20}, {"Quill", 1.35},
	{"Rowan & Reed", 1.15}, {"Hollis", 1.50}, {"Briar", 1.05},
	{"Seaport", 0.95}, {"Lark Lane", 1.25}, {"Elm & Ember", 1.80},
}

type stylist struct {
	name       string
	skill      float64 // keep-probability adjustment
	from, till int     // active calendar quarters, 0 = the one the data starts in .. 8
}

// stylists are in workload order (Zipf-like); a few joined late or left.
var stylists = []stylist{
	{"Maya Chen", 0.06, 0, 8}, {"Olivia Brooks", 0.04, 0, 8}, {"Sofia Ramirez", 0.05, 0, 8},
	{"Emma Walsh", 0.02, 0, 8}, {"Ava Patel", 0.03, 0, 8}, {"Chloe Nguyen", 0.01, 0, 8},
	{"Isabella Rossi", 0.04, 0, 8}, {"Grace Kim", 0.00, 0, 8}, {"Harper Lee", 0.02, 0, 5},
	{"Lily Thompson", -0.01, 0, 8}, {"Zoe Martin", 0.03, 0, 8}, {"Nora Jensen", 0.00, 0, 8},
	{"Hannah Cohen", -0.02, 0, 8}, {"Leah Okafor", 0.05, 2, 8}, {"Mia Fischer", 0.01, 0, 8},
	{"Ella Dubois", -0.03, 0, 8}, {"Aria Santos", 0.02, 0, 6}, {"Ruby Clarke", -0.01, 0, 8},
	{"Stella Novak", 0.00, 0, 8}, {"Ivy Bennett", 0.03, 4, 8}, {"Camila Torres", -0.02, 0, 8},
	{"Naomi Hart", 0.01, 0, 8}, {"Jade Foster", -0.04, 0, 3}, {"Alice Moreau", 0.02, 0, 8},
	{"Clara Lindqvist", 0.00, 0, 8}, {"Priya Shah", 0.04, 3, 8}, {"Elena Petrova", -0.01, 0, 8},
	{"Tessa Reid", -0.05, 0, 8}, {"Quinn Murphy", 0.01, 0, 8}, {"Jordan Ellis", -0.02, 0, 8},
	{"Sam Rivera", 0.00, 5, 8}, {"Taylor Brooks", -0.03, 0, 8}, {"Morgan Yates", 0.02, 0, 4},
	{"Riley Park", -0.01, 0, 8}, {"Casey Nolan", -0.06, 0, 8}, {"Jamie Ortiz", 0.01, 6, 8},
	{"Avery Stone", -0.02, 0, 8}, {"Drew Kapoor", 0.00, 1, 8}, {"Rowan Blake", -0.04, 0, 8},
	{"Skyler Vance", 0.03, 0, 8},
}

type weighted struct {
	name   string
	weight float64
}

type region struct {
	name   string
	weight float64
	states []weighted
}

var regions = []region{
	{"West", 31, []weighted{
		{"CA", 40}, {"WA", 12}, {"CO", 9}, {"AZ", 9}, {"OR", 8}, {"UT", 5}, {"NV", 5},
		{"ID", 3}, {"NM", 3}, {"HI", 2}, {"MT", 2}, {"AK", 1}, {"WY", 1},
	}},
	{"South", 30, []weighted{
		{"TX", 28}, {"FL", 22}, {"GA", 10}, {"NC", 10}, {"VA", 8}, {"TN", 6}, {"MD", 5},
		{"SC", 5}, {"AL", 3}, {"LA", 3}, {"KY", 3}, {"OK", 2}, {"AR", 2}, {"MS", 1},
		{"WV", 1}, {"DE", 1}, {"DC", 1},
	}},
	{"Northeast", 21, []weighted{
		{"NY", 35}, {"PA", 22}, {"NJ", 17}, {"MA", 13}, {"CT", 6}, {"NH", 3}, {"ME", 2},
		{"RI", 2}, {"VT", 1},
	}},
	{"Midwest", 18, []weighted{
		{"IL", 22}, {"OH", 20}, {"MI", 17}, {"MN", 10}, {"WI", 10}, {"MO", 10}, {"IN", 9},
		{"IA", 5}, {"KS", 4}, {"NE", 3}, {"SD", 1}, {"ND", 1},
	}},
}

var (
	sizes      = []weighted{{"XS", 7}, {"S", 21}, {"M", 31}, {"L", 24}, {"XL", 12}, {"XXL", 5}}
	itemsSent  = []weighted{{"3", 3}, {"4", 4}, {"5", 84}, {"6", 5}, {"8", 4}}
	channels   = []string{"web", "ios", "android"}
	plans      = []weighted{{"Monthly", 22}, {"Every 2 months", 28}, {"Every 3 months", 24}, {"On demand", 26}}
	styleProfs = []weighted{
		{"Classic", 22}, {"Casual", 20}, {"Boho", 12}, {"Minimalist", 12}, {"Preppy", 10},
		{"Edgy", 8}, {"Romantic", 8}, {"Athleisure", 8},
	}
	colors = []weighted{
		{"Black", 18}, {"Navy", 12}, {"White", 10}, {"Grey", 9}, {"Blue", 8}, {"Beige", 7},
		{"Brown", 5}, {"Olive", 5}, {"Burgundy", 4}, {"Red", 4}, {"Pink", 4}, {"Green", 4},
		{"Cream", 4}, {"Floral", 2}, {"Striped", 2}, {"Mustard", 2},
	}
)

// Monthly shipment volume (holidays and spring refresh are busy, late
// winter and midsummer quiet) and day-of-week volume (Mon..Sun; the
// warehouse ships less at weekends).
var (
	shipMonth   = [12]float64{0.92, 0.80, 1.05, 1.15, 1.12, 0.95, 0.88, 0.93, 1.02, 1.05, 1.30, 1.38}
	shipWeekday = [7]float64{1.15, 1.10, 1.05, 1.00, 0.95, 0.75, 0.70}
	// Sign-ups peak in January (new-year resolutions) and early autumn.
	signupMonth   = [12]float64{1.45, 1.10, 1.05, 1.00, 0.95, 0.85, 0.85, 0.95, 1.15, 1.10, 0.95, 0.80}
	signupWeekday = [7]float64{1.10, 1.00, 0.95, 0.95, 0.90, 1.00, 1.20}
)

// ---------------------------------------------------------------------------
// Deterministic helpers.

// mix is the splitmix64 finalizer, used for Go-side deterministic noise.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func unit(x uint64) float64 { return float64(mix(x)>>11) / (1 << 53) }

// buildLUT returns lutSize 1-based indexes into w, each index i appearing
// about w[i]/sum(w)*lutSize times (at least once when w[i] > 0), using the
// largest-remainder method so the result is exact and deterministic.
func buildLUT(w []float64) []int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	counts := make([]int, len(w))
	rem := make([]float64, len(w))
	n := 0
	for i, x := range w {
		if x <= 0 {
			continue
		}
		q := x / total * lutSize
		counts[i] = max(1, int(q))
		rem[i] = q - float64(int(q))
		n += counts[i]
	}
	order := make([]int, len(w))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rem[order[a]] > rem[order[b]] })
	for k := 0; n < lutSize; k = (k + 1) % len(order) {
		if w[order[k]] > 0 {
			counts[order[k]]++
			n++
		}
	}
	for n > lutSize { // only when many tiny weights were bumped to 1
		big := 0
		for i := range counts {
			if counts[i] > counts[big] {
				big = i
			}
		}
		counts[big]--
		n--
	}
	lut := make([]int, 0, lutSize)
	for i, c := range counts {
		for range c {
			lut = append(lut, i+1)
		}
	}
	return lut
}

func weightsOf(ws []weighted) []float64 {
	out := make([]float64, len(ws))
	for i, w := range ws {
		out[i] = w.weight
	}
	return out
}

func namesOf(ws []weighted) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.name
	}
	return out
}

func intList(xs []int) string {
	var b strings.Builder
	b.Grow(len(xs) * 3)
	b.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(x))
	}
	b.WriteByte(']')
	return b.String()
}

func floatList(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatFloat(x, 'f', -1, 64) + "::DOUBLE"
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func strList(xs []string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = sqlquote.String(x)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func tsLit(t time.Time) string { return "TIMESTAMP '" + t.Format("2006-01-02 15:04:05") + "'" }

// hashOf is a 64-bit pseudo-random value of (key, salt).
func hashOf(key, salt string) string { return fmt.Sprintf("hash(%s, %s)", key, sqlquote.String(salt)) }

// uniform is a pseudo-random DOUBLE in [0, 1) derived from (key, salt).
func uniform(key, salt string) string {
	return fmt.Sprintf("((%s >> 11)::DOUBLE / 9007199254740992.0)", hashOf(key, salt))
}

// normal is an approximately standard-normal DOUBLE (Irwin–Hall with four
// 16-bit uniforms from one hash) derived from (key, salt).
func normal(key, salt string) string {
	h := hashOf(key, salt)
	return fmt.Sprintf("((((%[1]s & 65535) + ((%[1]s >> 16) & 65535) + ((%[1]s >> 32) & 65535) + (%[1]s >> 48))::DOUBLE / 65536.0 - 2.0) * 1.7320508075688772)", h)
}

// pick samples a 1-based index from lut (a flat concatenation of LUTs),
// using the sub-table selected by the 1-based SQL expression sub ("" for a
// single table) and the hash expression h.
func pick(lut []int, sub, h string) string {
	off := ""
	if sub != "" {
		off = fmt.Sprintf("(%s - 1) * %d + ", sub, lutSize)
	}
	return fmt.Sprintf("%s[%s1 + (%s %% %d)::BIGINT]", intList(lut), off, h, lutSize)
}

// ---------------------------------------------------------------------------
// Calendar allocation (done in Go: exact counts per day).

type dayAlloc struct {
	day    time.Time
	lo, hi int64 // rows [lo, hi) fall on this day
}

// allocate spreads n rows over the days in [from, to) in proportion to
// weight(day), returning cumulative ranges; the ranges cover exactly [0, n).
func allocate(from, to time.Time, n int, salt uint64, weight func(time.Time) float64) []dayAlloc {
	var days []dayAlloc
	var ws []float64
	total := 0.0
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		w := weight(d) * (0.9 + 0.2*unit(salt^uint64(d.Unix())))
		days = append(days, dayAlloc{day: d})
		ws = append(ws, w)
		total += w
	}
	cum := 0.0
	var prev int64
	for i := range days {
		cum += ws[i]
		hi := int64(math.Floor(float64(n) * cum / total))
		if i == len(days)-1 {
			hi = int64(n)
		}
		hi = max(hi, prev)
		days[i].lo, days[i].hi = prev, hi
		prev = hi
	}
	return days
}

func weekdayIndex(d time.Time) int { return (int(d.Weekday()) + 6) % 7 } // Mon=0

// holiday returns a volume multiplier for US holidays.
func holiday(d time.Time) float64 {
	m, day := d.Month(), d.Day()
	switch {
	case m == time.January && day == 1:
		return 0.3
	case m == time.July && day == 4:
		return 0.4
	case m == time.December && day == 24:
		return 0.6
	case m == time.December && day == 25:
		return 0.15
	case m == time.December && day == 31:
		return 0.7
	case m == time.November && d.Weekday() == time.Thursday && day >= 22 && day <= 28:
		return 0.25 // Thanksgiving
	case m == time.November && d.Weekday() == time.Friday && day >= 23 && day <= 29:
		return 1.35 // Black Friday
	case (m == time.November || m == time.December) && d.Weekday() == time.Monday && (day >= 26 || (m == time.December && day <= 2)):
		return 1.5 // Cyber Monday
	}
	return 1
}

func daysValues(days []dayAlloc, extra func(dayAlloc) string) string {
	var b strings.Builder
	for i, d := range days {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "(DATE '%s', %d, %d", d.day.Format("2006-01-02"), d.lo, d.hi)
		if extra != nil {
			b.WriteString(", ")
			b.WriteString(extra(d))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// SQL.

func statements(f frame, rows, nClients int) []statement {
	// Shipments per day: trend (+55% over two years) x month x weekday x
	// holidays x noise.
	span := f.shipEnd.Sub(f.shipStart).Hours() / 24
	shipDays := allocate(f.shipStart, f.shipEnd, rows, 0x5ee4, func(d time.Time) float64 {
		t := d.Sub(f.shipStart).Hours() / 24 / span
		return (1 + 0.55*t) * shipMonth[d.Month()-1] * shipWeekday[weekdayIndex(d)] * holiday(d)
	})
	// Sign-ups per day: strong growth over three years.
	sspan := f.shipEnd.Sub(f.signupStart).Hours() / 24
	signupDays := allocate(f.signupStart, f.shipEnd, nClients, 0x516e, func(d time.Time) float64 {
		t := d.Sub(f.signupStart).Hours() / 24 / sspan
		return (0.6 + 1.2*t) * signupMonth[d.Month()-1] * signupWeekday[weekdayIndex(d)]
	})
	// Clients available to ship to on a day = those who signed up on an
	// earlier day (client ids are assigned in sign-up order).
	firstByDay := map[string]int64{}
	for _, d := range signupDays {
		firstByDay[d.day.Format("2006-01-02")] = d.lo
	}

	// Lookup tables.
	catNames := make([]string, len(categories))
	catPrice := make([]float64, len(categories))
	catKeep := make([]float64, len(categories))
	var catBase []float64
	for i, c := range categories {
		catNames[i], catPrice[i], catKeep[i] = c.name, c.price, c.keep
		catBase = append(catBase, c.weight)
	}
	var catByMonth []int
	for m := range 12 {
		w := make([]float64, len(categories))
		for i, c := range categories {
			w[i] = c.weight * c.season[m]
		}
		catByMonth = append(catByMonth, buildLUT(w)...)
	}

	brandNames := make([]string, len(brands))
	brandMult := make([]float64, len(brands))
	brandW := make([]float64, len(brands))
	for i, b := range brands {
		brandNames[i], brandMult[i] = b.name, b.mult
		brandW[i] = 1 / math.Pow(float64(i+1), 1.05)
	}

	stylistNames := make([]string, len(stylists))
	stylistSkill := make([]float64, len(stylists))
	var stylistByQuarter []int
	for i, s := range stylists {
		stylistNames[i], stylistSkill[i] = s.name, s.skill
	}
	for q := range quarters {
		w := make([]float64, len(stylists))
		for i, s := range stylists {
			if q >= s.from && q <= s.till {
				w[i] = 1 / math.Pow(float64(i+1), 0.6)
				if q == s.from && s.from > 0 {
					w[i] *= 0.5 // ramping up
				}
			}
		}
		stylistByQuarter = append(stylistByQuarter, buildLUT(w)...)
	}

	// Channel mix shifts from web to the apps over the two years.
	var channelByQuarter []int
	for q := range quarters {
		t := float64(q) / (quarters - 1)
		channelByQuarter = append(channelByQuarter, buildLUT([]float64{52 - 14*t, 35 + 10*t, 13 + 4*t})...)
	}

	regionNames := make([]string, len(regions))
	regionW := make([]float64, len(regions))
	var stateNames []string
	var stateByRegion []int
	for i, r := range regions {
		regionNames[i], regionW[i] = r.name, r.weight
		lut := buildLUT(weightsOf(r.states))
		for k := range lut {
			lut[k] += len(stateNames) // global 1-based state index
		}
		stateByRegion = append(stateByRegion, lut...)
		stateNames = append(stateNames, namesOf(r.states)...)
	}

	sentVals := make([]int, len(itemsSent))
	for i, s := range itemsSent {
		sentVals[i], _ = strconv.Atoi(s.name)
	}

	var out []statement
	add := func(name, sql string) { out = append(out, statement{name, sql}) }

	// Calendar scaffolding (temp tables live on the transaction's
	// connection and are dropped before commit).
	add("ship days", `CREATE OR REPLACE TEMP TABLE _demo_ship_days AS
SELECT day, CAST(lo AS BIGINT) AS lo, CAST(hi AS BIGINT) AS hi, CAST(avail AS BIGINT) AS avail
FROM (VALUES `+daysValues(shipDays, func(d dayAlloc) string {
		return strconv.FormatInt(firstByDay[d.day.Format("2006-01-02")], 10)
	})+`) v(day, lo, hi, avail)`)
	add("signup days", `CREATE OR REPLACE TEMP TABLE _demo_signup_days AS
SELECT day, CAST(lo AS BIGINT) AS lo, CAST(hi AS BIGINT) AS hi
FROM (VALUES `+daysValues(signupDays, nil)+`) v(day, lo, hi)`)

	// Client base: attributes as indexes; lifetime value and churn are
	// derived from shipments below.
	add("client base", fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE _demo_clients AS
WITH b AS (
  SELECT day, unnest(range(lo, hi)) AS k FROM _demo_signup_days
), r AS (
  SELECT k + 1 AS client_id,
    CAST(day AS TIMESTAMP) + to_seconds(CAST(floor(%[1]s * 86400) AS BIGINT)) AS signed_up_at,
    CAST(least(78, greatest(18, round(37 + 10.5 * %[2]s))) AS INTEGER) AS age,
    %[3]s AS region_idx,
    %[4]s AS plan_idx,
    %[5]s AS style_idx,
    %[6]s AS size_idx,
    (%[7]s - 0.5) * 0.24 AS affinity
  FROM b
)
SELECT *, %[8]s AS state_idx FROM r`,
		uniform("k", "c.t"),
		normal("k", "c.age"),
		pick(buildLUT(regionW), "", hashOf("k", "c.region")),
		pick(buildLUT(weightsOf(plans)), "", hashOf("k", "c.plan")),
		pick(buildLUT(weightsOf(styleProfs)), "", hashOf("k", "c.style")),
		pick(buildLUT(weightsOf(sizes)), "", hashOf("k", "c.size")),
		uniform("k", "c.aff"),
		pick(stateByRegion, "region_idx", hashOf("client_id", "c.state")),
	))

	// Kept items: one Bernoulli(keep_p) draw per item sent, eight draws
	// from the bytes of a single hash.
	var kept []string
	for j := range 8 {
		kept = append(kept, fmt.Sprintf("CASE WHEN %d < items_sent AND ((hk >> %d) & 255) < keep_p * 256 THEN 1 ELSE 0 END", j, 8*j))
	}

	add("shipments", fmt.Sprintf(`CREATE OR REPLACE TABLE shipments AS
WITH b AS (
  SELECT day, lo, hi, avail, unnest(range(lo, hi)) AS i FROM _demo_ship_days
), p AS (
  -- shipped 06:00..22:00, stratified so shipment ids are chronological
  SELECT i, day,
    CAST(month(day) AS BIGINT) AS m,
    CAST(year(day) * 4 + quarter(day) - %[29]d AS BIGINT) AS q,
    CAST(day AS TIMESTAMP) + to_seconds(CAST(21600 + floor(57600 * (i - lo + %[1]s) / (hi - lo)) AS BIGINT)) AS shipped_at,
    1 + CAST(floor(avail * sqrt(%[2]s)) AS BIGINT) AS client_id
  FROM b
), s AS (
  SELECT p.*,
    %[3]s AS cat_idx,
    CASE WHEN %[4]s < 0.015 THEN NULL ELSE %[5]s END AS brand_idx,
    %[6]s AS channel_idx,
    %[7]s AS items_sent,
    %[8]s AS z_price
  FROM p
), c AS (
  SELECT s.*, cl.region_idx, cl.state_idx, cl.size_idx, cl.affinity,
    row_number() OVER (PARTITION BY s.client_id ORDER BY s.shipped_at, s.i) = 1
      AND cl.signed_up_at >= %[9]s AS is_first_fix,
    %[10]s AS stylist_idx
  FROM s JOIN _demo_clients cl USING (client_id)
), k AS (
  SELECT c.*,
    greatest(0.05, least(0.95, 0.47 + %[11]s[stylist_idx] + %[12]s[cat_idx] + affinity
      - CASE WHEN is_first_fix THEN 0.07 ELSE 0 END)) AS keep_p,
    %[13]s AS hk
  FROM c
), kk AS (
  SELECT k.*, CAST(%[14]s AS INTEGER) AS items_kept FROM k
)
SELECT
  i + 1 AS shipment_id,
  shipped_at,
  client_id,
  %[15]s[stylist_idx] AS stylist,
  %[16]s[region_idx] AS region,
  %[17]s[state_idx] AS state,
  %[18]s[cat_idx] AS category,
  %[19]s[brand_idx] AS brand,
  %[20]s[size_idx] AS size,
  round(%[21]s[cat_idx] * coalesce(%[22]s[brand_idx], 1.0) * exp(0.28 * z_price), 2) AS price,
  items_sent,
  items_kept,
  CASE WHEN %[23]s < 0.15 THEN NULL
       ELSE CAST(least(5, greatest(1, round(1.7 + 3.4 * items_kept / items_sent + (%[24]s - 0.5) * 1.8))) AS INTEGER)
  END AS rating,
  %[25]s[channel_idx] AS channel,
  is_first_fix,
  CASE WHEN items_kept < items_sent THEN
    nullif(least(shipped_at + to_seconds(CAST((3 + floor(%[26]s * 10)) * 86400 + floor(%[27]s * 86400) AS BIGINT)), %[28]s), %[28]s)
  END AS returned_at
FROM kk
ORDER BY shipment_id`,
		uniform("i", "s.t"),                                   // 1
		uniform("i", "s.client"),                              // 2
		pick(catByMonth, "m", hashOf("i", "s.cat")),           // 3
		uniform("i", "s.brand_null"),                          // 4
		pick(buildLUT(brandW), "", hashOf("i", "s.brand")),    // 5
		pick(channelByQuarter, "q", hashOf("i", "s.channel")), // 6
		intList(sentVals)+"["+pick(buildLUT(weightsOf(itemsSent)), "", hashOf("i", "s.sent"))+"]", // 7
		normal("i", "s.price"), // 8
		tsLit(f.shipStart),     // 9
		pick(stylistByQuarter, "q", fmt.Sprintf("CASE WHEN %s < 0.65 THEN %s ELSE %s END",
			uniform("i", "s.loyal"), hashOf("s.client_id", "c.stylist"), hashOf("i", "s.stylist"))), // 10
		floatList(stylistSkill),       // 11
		floatList(catKeep),            // 12
		hashOf("i", "s.keep"),         // 13
		strings.Join(kept, " + "),     // 14
		strList(stylistNames),         // 15
		strList(regionNames),          // 16
		strList(stateNames),           // 17
		strList(catNames),             // 18
		strList(brandNames),           // 19
		strList(namesOf(sizes)),       // 20
		floatList(catPrice),           // 21
		floatList(brandMult),          // 22
		uniform("i", "s.rating_null"), // 23
		uniform("i", "s.rating"),      // 24
		strList(channels),             // 25
		uniform("i", "s.ret_days"),    // 26
		uniform("i", "s.ret_time"),    // 27
		tsLit(f.shipEnd),              // 28: returns after the data ends are still pending
		f.firstQuarter,                // 29: quarter(day) is 1-based, so q is too
	))

	// Clients: lifetime value = kept merchandise + $20 styling fee for fixes
	// where nothing was kept, summed in integer cents so it is exact.
	add("clients", fmt.Sprintf(`CREATE OR REPLACE TABLE clients AS
WITH a AS (
  SELECT client_id,
    sum(CAST(round(price * 100) AS BIGINT) * items_kept + CASE WHEN items_kept = 0 THEN 2000 ELSE 0 END) AS cents,
    max(shipped_at) AS last_shipped_at
  FROM shipments GROUP BY client_id
)
SELECT c.client_id,
  c.signed_up_at,
  c.age,
  %[1]s[c.region_idx] AS region,
  %[2]s[c.state_idx] AS state,
  %[3]s[c.plan_idx] AS plan,
  %[4]s[c.style_idx] AS style_profile,
  CAST(coalesce(a.cents, 0) AS DOUBLE) / 100 AS lifetime_value,
  coalesce(a.last_shipped_at, c.signed_up_at) < %[5]s AS churned
FROM _demo_clients c LEFT JOIN a USING (client_id)
ORDER BY c.client_id`,
		strList(regionNames), strList(stateNames), strList(namesOf(plans)), strList(namesOf(styleProfs)),
		tsLit(f.churnCutoff)))

	// Items catalog: added over four years (growing), older items more
	// often out of stock.
	ispan := int64(f.shipEnd.Sub(f.itemStart).Seconds())
	add("items", fmt.Sprintf(`CREATE OR REPLACE TABLE items AS
WITH b AS (
  SELECT range AS i, %[1]s AS cat_idx, %[2]s AS brand_idx, sqrt(%[3]s) AS age_frac
  FROM range(%[4]d)
)
SELECT i + 1 AS item_id,
  %[5]s[brand_idx] AS brand,
  %[6]s[cat_idx] AS category,
  %[7]s[%[8]s] AS size,
  %[9]s[%[10]s] AS color,
  round(%[11]s[cat_idx] * %[12]s[brand_idx] * exp(0.25 * %[13]s), 2) AS price,
  %[14]s < 0.55 + 0.4 * age_frac AS in_stock,
  %[15]s + to_seconds(CAST(floor(age_frac * %[16]d) AS BIGINT)) AS added_at
FROM b
ORDER BY item_id`,
		pick(buildLUT(catBase), "", hashOf("i", "it.cat")),
		pick(buildLUT(brandW), "", hashOf("i", "it.brand")),
		uniform("i", "it.added"),
		itemRows,
		strList(brandNames), strList(catNames),
		strList(namesOf(sizes)), pick(buildLUT(weightsOf(sizes)), "", hashOf("i", "it.size")),
		strList(namesOf(colors)), pick(buildLUT(weightsOf(colors)), "", hashOf("i", "it.color")),
		floatList(catPrice), floatList(brandMult), normal("i", "it.price"),
		uniform("i", "it.stock"),
		tsLit(f.itemStart), ispan,
	))

	for _, t := range []string{"_demo_ship_days", "_demo_signup_days", "_demo_clients"} {
		add("cleanup", "DROP TABLE "+t)
	}
	return out
}
