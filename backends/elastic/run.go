package elastic

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
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
	s, err := esdsl.Plan(spec, schema, esdsl.Options{Now: time.Now().UTC(), PageSize: b.PageSize, MaxRows: b.MaxRows})
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
	if s.WantsPIT() {
		id, err := b.openPIT(ctx, spec.Table)
		if err != nil {
			return nil, b.queryError(ctx, spec.Table, err)
		}
		s.UsePIT(id, pitKeepAlive)
		path = "/_search" // a point in time names its indices itself
		defer func() { b.closePIT(s.PIT()) }()
	}
	for body := s.Body(); body != nil; body = s.Body() {
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
