package dash

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/session"
	"github.com/dora-dev/dora/charts"
	"github.com/dora-dev/dora/query"
)

// Opener opens the dashboard's backend; a session.Session on it calls it on first use and again
// after it failed, so a dashboard started while its backend is down comes up when the backend does.
type Opener = session.Opener

// Parallel is how many panel queries run at once by default.
const Parallel = 4

// PanelTimeout bounds one panel's queries, so a stuck backend never holds a panel forever.
const PanelTimeout = time.Minute

// Runner answers panels: at most a few at a time, each table's schema read once for the
// dashboard's life (read again after a query that no longer fits it).
type Runner struct {
	src *session.Session // the backend, opened on first use and again after it failed
	sem chan struct{}

	smu     sync.Mutex
	schemas map[string]*schemaEntry
}

// schemaEntry is one table's schema; its lock makes the panels of a cold start wait for one read
// instead of each reading it.
type schemaEntry struct {
	mu     sync.Mutex
	schema query.Schema
	ok     bool
}

// NewRunner returns a runner on b that runs up to parallel queries at once. b is usually a
// session.Session (session.New opens it lazily and retries, as the workbench's own does); any
// other backend is taken as open.
func NewRunner(b backends.Backend, parallel int) *Runner {
	return &Runner{src: session.Of(b), sem: make(chan struct{}, max(1, parallel)), schemas: map[string]*schemaEntry{}}
}

// Backend returns the runner's session once its backend is open, opening it if it is not open
// yet; through the session, what the backend answers tells whether it is up.
func (r *Runner) Backend(ctx context.Context) (backends.Backend, error) {
	if _, err := r.src.Backend(ctx); err != nil {
		return nil, err
	}
	return r.src, nil
}

// Close closes the backend if it was opened.
func (r *Runner) Close() error { return r.src.Close() }

// Schema returns a table's schema, read once.
func (r *Runner) Schema(ctx context.Context, b backends.Backend, table string) (query.Schema, error) {
	r.smu.Lock()
	e := r.schemas[table]
	if e == nil {
		e = &schemaEntry{}
		r.schemas[table] = e
	}
	r.smu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ok {
		return e.schema, nil
	}
	s, err := b.Schema(ctx, table)
	if err != nil {
		return query.Schema{}, err
	}
	e.schema, e.ok = s, true
	return s, nil
}

func (r *Runner) forget(table string) {
	r.smu.Lock()
	delete(r.schemas, table)
	r.smu.Unlock()
}

// Answer is one panel's answer to one refresh.
type Answer struct {
	Applied  Applied       // the Spec that ran, with what it left out
	Result   *query.Result // nil when Err is set
	Previous *query.Result // a stat's answer over the period before, when asked for
	Err      error
	Took     time.Duration // the panel's queries, waiting for a turn not included
	// From and To are the time a lines or stacked panel's calendar buckets span under its
	// filter and range (zero when unknown): they tell a partial first or last bucket.
	From, To time.Time
	At       time.Time // when the answer came
}

// Run answers one panel under the scope; for a stat, prev (when not nil) is the scope of the
// period before, whose answer goes in Previous. It waits for a turn among the runner's parallel
// queries and gives up with ctx.
func (r *Runner) Run(ctx context.Context, p Panel, sc Scope, prev *Scope) Answer {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return Answer{Err: ctx.Err(), At: time.Now()}
	}
	defer func() { <-r.sem }()
	ctx, cancel := context.WithTimeout(ctx, PanelTimeout)
	defer cancel()
	start := time.Now()
	a := r.run(ctx, p, sc, prev)
	a.Took, a.At = time.Since(start), time.Now()
	return a
}

func (r *Runner) run(ctx context.Context, p Panel, sc Scope, prev *Scope) Answer {
	var a Answer
	b, err := r.Backend(ctx)
	if err != nil {
		a.Err = err
		return a
	}
	schema, err := r.Schema(ctx, b, p.Spec.Table)
	if err != nil {
		a.Err = err
		return a
	}
	a.Applied = Apply(p, schema, sc)
	if a.Applied.Spec, a.Result, a.Err = r.query(ctx, b, schema, a.Applied.Spec); a.Err != nil {
		return a
	}
	if prev != nil && p.Chart == charts.Number && a.Applied.TimeColumn != "" {
		before := Apply(p, schema, *prev)
		_, a.Previous, a.Err = r.query(ctx, b, schema, before.Spec)
	}
	if p.Chart.Series() {
		a.From, a.To = r.extent(ctx, b, schema, a.Applied, sc)
	}
	return a
}

// extent is the time the applied Spec's calendar buckets span under its filter, for telling a
// partial first or last bucket; zero times when it has none or the question fails (nothing is
// marked partial then). With the range on that column, the range decides what the data does not:
// data that starts in the bucket the range starts in starts with the range (a day whose first
// row came at 00:40 is whole from midnight), and the range's end ends the last bucket's period
// (now, in the middle of a month), not the last row in it; data that starts buckets later than
// the range (a table whose rows begin on the 6th of a month) starts where it starts.
func (r *Runner) extent(ctx context.Context, b backends.Backend, schema query.Schema, ap Applied, sc Scope) (from, to time.Time) {
	q, unit, ok := query.ExtentSpec(ap.Spec)
	if !ok {
		return
	}
	_, res, err := r.query(ctx, b, schema, q)
	if err != nil || len(res.Rows) == 0 || len(res.Rows[0]) < 2 {
		return
	}
	from, _ = res.Rows[0][0].(time.Time)
	to, _ = res.Rows[0][1].(time.Time)
	if from.IsZero() || to.IsZero() || ap.TimeColumn != q.Metrics[0].Column {
		return from, to
	}
	if !sc.From.IsZero() && query.TruncTime(from, unit).Equal(query.TruncTime(sc.From, unit)) {
		from = sc.From
	}
	if !sc.To.IsZero() {
		to = sc.To.Add(-time.Second) // the range's end is exclusive
	}
	return from, to
}

// query validates spec against its table and runs it, returning the Spec as validated.
func (r *Runner) query(ctx context.Context, b backends.Backend, schema query.Schema, spec query.Spec) (query.Spec, *query.Result, error) {
	valid, err := query.Validate(spec, schema)
	if err != nil {
		return spec, nil, err
	}
	res, err := b.Run(ctx, valid)
	if errors.Is(err, backends.ErrBadQuery) || errors.Is(err, backends.ErrNoSuchTable) {
		r.forget(spec.Table) // the table may have changed under the dashboard: read it again next time
	}
	return valid, res, err
}

// RunAll answers every panel of d under one scope, concurrently, and returns the answers in
// panel order. prev is the period before, for stats; nil leaves their change out.
func (r *Runner) RunAll(ctx context.Context, d *Dashboard, sc Scope, prev *Scope) []Answer {
	out := make([]Answer, len(d.Panels))
	var wg sync.WaitGroup
	for i, p := range d.Panels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = r.Run(ctx, p, sc, prev)
		}()
	}
	wg.Wait()
	return out
}

// Previous returns the scope of the period before sc's range r (shifted back by its length),
// or nil when the range has an open end.
func (d *Dashboard) Previous(r Range, where query.Expr, now time.Time) *Scope {
	before, err := r.Shift(-1, now)
	if err != nil {
		return nil
	}
	sc := d.Scope(before, where, now)
	return &sc
}
