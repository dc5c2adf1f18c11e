// Package esdsl translates a validated query.Spec into Elasticsearch search request bodies and
// the responses back into a query.Result. It does no I/O: a backend posts each Body to
// /<table>/_search, hands the answer to Feed, and repeats while Feed says there is more.
//
// The shape of the request follows the question:
//   - raw rows: a search with _source, sort and search_after paging (in a point in time when the
//     caller opens one);
//   - metrics without group-bys: top-level metric aggregations;
//   - one group-by level ordered by a metric with a LIMIT: a top-N `terms` aggregation beside a
//     `missing` aggregation for the null group, with Elasticsearch's accuracy figures in Meta;
//   - every other group-by: a `composite` aggregation paged with after_key until done, then
//     HAVING, ORDER BY and LIMIT applied over the complete groups, as SQL does.
package esdsl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dora-dev/dora/query"
)

// Options tunes a plan.
type Options struct {
	// Now resolves now() in filters and HAVING. When zero, filters send Elasticsearch date math
	// ("now-7d") and HAVING uses the clock.
	Now time.Time
	// PageSize is the number of composite buckets or raw rows asked for per request; default
	// 1000, at most 10000.
	PageSize int
	// MaxRows caps the rows of the result; 0 means no cap. A cut clears Meta.Complete.
	MaxRows int
	// NoMissingOrder says the engine's composite aggregation has no missing_order (Elasticsearch
	// before 7.16, OpenSearch 1.x): its sources then keep the engine's own order, and every
	// group is fetched and sorted here.
	NoMissingOrder bool
	// Scripting says the cluster runs Painless scripts: what no query or aggregation expresses
	// natively is then computed by a script (script.go) instead of refused with
	// NeedsScriptingError.
	Scripting bool
}

// DefaultPageSize is the page size used when Options.PageSize is zero.
const DefaultPageSize = 1000

// maxWindow is Elasticsearch's index.max_result_window default: no page may be larger.
const maxWindow = 10000

type shape int

const (
	shapeRows      shape = iota // raw rows
	shapeGlobal                 // metrics over every matching row, no group-by
	shapeTerms                  // one top-N terms level
	shapeComposite              // complete group-bys
	shapeFilters                // one CASE group-by: a filters aggregation (casegroups.go)
)

// Search is a planned request sequence for one Spec. It is not safe for concurrent use.
type Search struct {
	spec    query.Spec
	opts    Options
	shape   shape
	filter  any // the query clause, nil for every document
	dims    []dimPlan
	metrics []metricPlan
	// group-by expressions (derived.go): the sources Elasticsearch groups by, which of them each
	// dimension is (-1: an expression), and each column's source
	merge    bool
	oneToOne bool // every expression key is one bucket's own (year over calendar years)
	sources  []dimPlan
	baseOf   []int
	colBase  map[string]int
	// a CASE group-by as a filters aggregation: each branch's key and filter, and ELSE's key
	caseKeys []caseBranch
	caseElse any
	cols     []query.Column // the computed columns: group keys then metrics, or the source columns
	schema   query.Schema

	// raw rows
	fields []query.Field // the selected columns, then the others computed expressions read
	// ORDER BY an expression over rows (rows.go): dora sorts every matching row by these keys
	sortInDora bool
	sortKeys   [][]any
	sortCut    bool // LIMIT cut rows off the sorted ones
	shown      int  // how many of fields are selected
	sort       []any
	want       int // rows wanted; -1 for all
	pit        string
	alive      string
	after      json.RawMessage // search_after values or composite after_key

	// composite
	composite obj  // the composite aggregation's body, where "after" goes
	ordered   bool // sources already sort as ORDER BY wants: stop at LIMIT

	first   []byte // the first body, for Explain
	groups  []group
	rows    [][]any
	total   int64
	pages   int
	shards  int
	bound   int64
	done    bool
	result  *query.Result
	termsAg termsResult
}

// Plan turns a Spec that query.Validate accepted into a request sequence.
func Plan(spec query.Spec, schema query.Schema, opts Options) (*Search, error) {
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	opts.PageSize = min(opts.PageSize, maxWindow)
	s := &Search{spec: spec, opts: opts, total: -1, schema: schema}
	tr := translator{schema: schema, now: opts.Now, scripting: opts.Scripting}
	var err error
	if s.filter, err = tr.where(spec.Where); err != nil {
		return nil, err
	}
	if spec.IsRaw() {
		err = s.planRows(schema)
	} else {
		err = s.planGroups(schema)
	}
	if err != nil {
		return nil, err
	}
	s.first = s.Body()
	return s, nil
}

// Body returns the next request body to POST to /<table>/_search (to /_search once UsePIT has
// been called), or nil when the search is done.
func (s *Search) Body() []byte {
	if s.done {
		return nil
	}
	var body obj
	switch s.shape {
	case shapeRows:
		body = s.rowsBody()
	default:
		body = s.aggBody()
	}
	return marshal(body)
}

// Explain returns the first request body as indented JSON.
func (s *Search) Explain() string {
	var out bytes.Buffer
	if err := json.Indent(&out, s.first, "", "  "); err != nil {
		return string(s.first)
	}
	return out.String()
}

// WantsPIT reports whether the search may page through raw rows, where a point in time keeps
// the pages consistent. The caller opens one (POST /<table>/_pit?keep_alive=1m) and passes its
// id to UsePIT before the first Body.
func (s *Search) WantsPIT() bool {
	return s.shape == shapeRows && (s.want < 0 || s.want > s.opts.PageSize)
}

// UsePIT makes the following bodies search inside the point in time id, kept alive for
// keepAlive ("1m") between pages. Bodies then go to /_search, without the table in the path.
func (s *Search) UsePIT(id, keepAlive string) {
	s.pit, s.alive = id, keepAlive
}

// PIT returns the newest point-in-time id, for the caller to close when done; "" without one.
func (s *Search) PIT() string { return s.pit }

// Feed consumes the response to the last Body. more reports that Body has another request to
// send.
func (s *Search) Feed(resp []byte) (more bool, err error) {
	if s.done {
		return false, fmt.Errorf("esdsl: Feed called after the search finished")
	}
	var r response
	if err := json.Unmarshal(resp, &r); err != nil {
		return false, fmt.Errorf("reading the Elasticsearch response: %w", err)
	}
	if err := r.check(); err != nil {
		return false, err
	}
	s.pages++
	s.shards = max(s.shards, r.Shards.Total)
	if r.Hits.Total != nil && s.total < 0 {
		s.total = r.Hits.Total.Value
	}
	if r.PitID != "" {
		s.pit = r.PitID
	}
	switch s.shape {
	case shapeRows:
		more, err = s.feedRows(&r)
	case shapeGlobal:
		err = s.feedGlobal(&r)
	case shapeTerms:
		err = s.feedTerms(&r)
	case shapeFilters:
		err = s.feedFilters(&r)
	case shapeComposite:
		more, err = s.feedComposite(&r)
	}
	if err != nil {
		return false, err
	}
	if !more {
		if s.sortInDora {
			if err := s.sortRows(); err != nil {
				return false, err
			}
		}
		s.done = true
		s.finish()
	}
	return more, nil
}

// Result returns the answer once Feed has reported no more requests; nil before.
func (s *Search) Result() *query.Result { return s.result }

// Columns returns the result's columns, known before any request is sent.
func (s *Search) Columns() []query.Column { return query.ResultColumns(s.spec, s.schema) }

// obj is a JSON object under construction; encoding/json writes its keys sorted, so bodies are
// deterministic.
type obj = map[string]any

func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep <, > and & readable in --explain; the JSON is valid either way
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("esdsl: encoding a request body: %v", err)) // only our own values are encoded
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

func (s *Search) base() obj {
	body := obj{"track_total_hits": true}
	if s.filter != nil {
		body["query"] = s.filter
	}
	return body
}
