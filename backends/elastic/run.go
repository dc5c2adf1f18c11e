package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/query/esdsl"
)

// pitKeepAlive is how long a point in time lives between two pages of raw rows.
const pitKeepAlive = "1m"

func (b *Backend) plan(ctx context.Context, spec query.Spec) (*esdsl.Search, error) {
	schema, err := b.Schema(ctx, spec.Table)
	if err != nil {
		return nil, err
	}
	opts := esdsl.Options{Now: time.Now().UTC(), PageSize: b.pageSize(spec), MaxRows: b.MaxRows,
		NoMissingOrder: !b.engine.missingOrder()}
	s, err := esdsl.Plan(spec, schema, opts)
	var ns *esdsl.NeedsScriptingError
	if errors.As(err, &ns) && b.scripting(ctx) {
		// Native first: only a query that needs a script asks whether the cluster runs them.
		opts.Scripting = true
		s, err = esdsl.Plan(spec, schema, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", backends.ErrBadQuery, err)
	}
	return s, nil
}

// Explain returns the first search body Run would send, as indented JSON.
func (b *Backend) Explain(ctx context.Context, spec query.Spec) (string, error) {
	s, err := b.plan(ctx, spec)
	if err != nil {
		return "", err
	}
	return s.Explain(), nil
}

// Plan says which parts of the Spec Elasticsearch computes and which dora finishes.
func (b *Backend) Plan(ctx context.Context, spec query.Spec) ([]string, error) {
	s, err := b.plan(ctx, spec)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, st := range s.Plan() {
		out = append(out, st.String())
	}
	return out, nil
}

var _ backends.Planner = (*Backend)(nil)

// Run answers a validated Spec: it posts the planned searches, page after page, and returns the
// result with the first request in Meta.Request.
func (b *Backend) Run(ctx context.Context, spec query.Spec) (*query.Result, error) {
	s, err := b.plan(ctx, spec)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	path := "/" + url.PathEscape(spec.Table) + "/_search"
	var scroll string // the scroll's id, once the first page opened one
	if s.WantsPIT() {
		switch b.engine.paging() {
		case pagingPIT:
			id, err := b.openPIT(ctx, spec.Table)
			if err != nil {
				return nil, b.queryError(ctx, spec.Table, err)
			}
			s.UsePIT(id, pitKeepAlive)
			path = "/_search" // a point in time names its indices itself
			defer func() { b.closePIT(s.PIT()) }()
		case pagingScroll:
			path += "?scroll=" + pitKeepAlive
			defer func() { b.closeScroll(scroll) }()
		}
	}
	for body := s.Body(); body != nil; body = s.Body() {
		if scroll != "" {
			// The scroll remembers the search; the next page is asked for by its id alone.
			path, body = "/_search/scroll", marshalJSON(map[string]string{"scroll": pitKeepAlive, "scroll_id": scroll})
		}
		resp, err := b.do(ctx, "POST", path, body)
		if err != nil {
			return nil, b.queryError(ctx, spec.Table, err)
		}
		more, err := s.Feed(resp)
		if err != nil {
			return nil, b.queryError(ctx, spec.Table, err)
		}
		if !more {
			break
		}
		if !s.WantsPIT() {
			continue // composite pages carry their own after_key
		}
		switch b.engine.paging() {
		case pagingScroll:
			if scroll = scrollID(resp); scroll == "" {
				return nil, fmt.Errorf("%w: %s answered a scrolled search without a scroll id", backends.ErrUnavailable, b.engine)
			}
		case pagingNone:
			return nil, fmt.Errorf("%w: %s has neither scroll nor point in time, so a query can read at most %d rows of %s: add a LIMIT or a filter", backends.ErrBadQuery, b.engine.Product(), b.pageSize(spec), spec.Table)
		}
	}
	res := s.Result()
	res.Meta.Backend = b.Name()
	res.Meta.Request = s.Explain()
	res.Meta.Took = time.Since(start)
	return res, nil
}

func (b *Backend) openPIT(ctx context.Context, table string) (string, error) {
	body, err := b.do(ctx, "POST", "/"+url.PathEscape(table)+"/_pit?keep_alive="+pitKeepAlive, nil)
	if err != nil {
		return "", err
	}
	var r struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.ID == "" {
		return "", fmt.Errorf("opening a point in time on %s: no id in %s", table, body)
	}
	return r.ID, nil
}

// closePIT frees a point in time; it expires by itself if this fails, so errors are dropped.
func (b *Backend) closePIT(id string) {
	if id == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	body, _ := json.Marshal(map[string]string{"id": id})
	_, _ = b.do(ctx, "DELETE", "/_pit", body)
}

// pageSize is the page size a plan uses. Serverless reads one page of raw rows, as large as a
// page can be. OpenSearch (and Elasticsearch 7) sizes a count distinct's sketch for its precision
// threshold in every bucket at once, so a composite page of them is kept small enough for a modest heap (1,000
// buckets took 230 MB of a 512 MB node's and tripped its circuit breaker).
func (b *Backend) pageSize(spec query.Spec) int {
	switch {
	case b.PageSize != 0:
		return b.PageSize
	case b.engine.paging() == pagingNone:
		return maxResultWindow
	case b.engine.sketchesEveryBucket() && slices.ContainsFunc(spec.Metrics, func(m query.Metric) bool { return m.Func == query.AggCountDistinct }):
		return openSearchDistinctPage
	}
	return 0
}

// openSearchDistinctPage is the composite page size on OpenSearch and Elasticsearch 7 when a query
// counts distinct values: about 23 MB of sketches per page.
const openSearchDistinctPage = 100

// maxResultWindow is index.max_result_window's default: the most hits one search returns.
const maxResultWindow = 10000

// scrollID reads the scroll id a scrolled search answered with.
func scrollID(resp []byte) string {
	var r struct {
		ID string `json:"_scroll_id"`
	}
	_ = json.Unmarshal(resp, &r)
	return r.ID
}

// closeScroll frees a scroll; it expires by itself if this fails, so errors are dropped.
func (b *Backend) closeScroll(id string) {
	if id == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = b.do(ctx, "DELETE", "/_search/scroll", marshalJSON(map[string][]string{"scroll_id": {id}}))
}

func marshalJSON(v any) []byte {
	out, _ := json.Marshal(v) // maps of strings always encode
	return out
}
