package esdsl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dora-dev/dora/query"
)

// response is the part of a search response dora reads.
type response struct {
	Error    json.RawMessage `json:"error"`
	TimedOut bool            `json:"timed_out"`
	Shards   struct {
		Total    int `json:"total"`
		Failed   int `json:"failed"`
		Failures []struct {
			Reason errorBody `json:"reason"`
		} `json:"failures"`
	} `json:"_shards"`
	Hits struct {
		Total *struct {
			Value    int64  `json:"value"`
			Relation string `json:"relation"`
		} `json:"total"`
		Hits []struct {
			Source json.RawMessage `json:"_source"`
			Sort   json.RawMessage `json:"sort"`
		} `json:"hits"`
	} `json:"hits"`
	Aggregations bucket `json:"aggregations"`
	PitID        string `json:"pit_id"`
}

type errorBody struct {
	Type     string      `json:"type"`
	Reason   string      `json:"reason"`
	CausedBy *errorBody  `json:"caused_by"`
	Root     []errorBody `json:"root_cause"`
}

// ResponseError is an error Elasticsearch reported inside a response: a failed search, shards
// that failed, or a timeout.
type ResponseError struct {
	Type   string // Elasticsearch's exception type, e.g. too_many_buckets_exception
	Reason string
}

func (e *ResponseError) Error() string {
	if e.Type == "" {
		return "Elasticsearch: " + e.Reason
	}
	return "Elasticsearch " + e.Type + ": " + e.Reason
}

// innermost returns the deepest cause, which names what actually went wrong.
func (e errorBody) innermost() errorBody {
	for e.CausedBy != nil {
		e = *e.CausedBy
	}
	if e.Type == "search_phase_execution_exception" && len(e.Root) > 0 {
		return e.Root[0].innermost()
	}
	return e
}

func (r *response) check() error {
	if len(r.Error) > 0 && string(r.Error) != "null" {
		var e errorBody
		if err := json.Unmarshal(r.Error, &e); err != nil || e.Type == "" {
			return &ResponseError{Reason: string(r.Error)}
		}
		in := e.innermost()
		return &ResponseError{Type: in.Type, Reason: in.Reason}
	}
	if r.Shards.Failed > 0 {
		e := &ResponseError{Reason: fmt.Sprintf("%d of %d shards failed; the answer would be partial", r.Shards.Failed, r.Shards.Total)}
		if len(r.Shards.Failures) > 0 {
			in := r.Shards.Failures[0].Reason.innermost()
			e.Type = in.Type
			e.Reason += ": " + in.Reason
		}
		return e
	}
	if r.TimedOut {
		return &ResponseError{Reason: "the search timed out; the answer would be partial"}
	}
	return nil
}

// bucket is an aggregation bucket (or the top-level aggregations): doc_count, key and
// sub-aggregations by name.
type bucket map[string]json.RawMessage

func (b bucket) docCount() (int64, error) {
	raw, ok := b["doc_count"]
	if !ok {
		return 0, nil
	}
	var n int64
	err := json.Unmarshal(raw, &n)
	return n, err
}

// metricValue is a metric aggregation's answer.
type metricValue struct {
	Value    *json.Number `json:"value"`
	DocCount *int64       `json:"doc_count"` // a filter aggregation
	Values   []struct {
		Value *json.Number `json:"value"`
	} `json:"values"` // percentiles with keyed: false
	Count *int64   `json:"count"` // extended_stats
	Sum   *float64 `json:"sum"`
	SumSq *float64 `json:"sum_of_squares"`
}

func (b bucket) metric(name string) (metricValue, error) {
	var v metricValue
	raw, ok := b[name]
	if !ok {
		return v, fmt.Errorf("the response has no aggregation %q", name)
	}
	err := json.Unmarshal(raw, &v)
	return v, err
}

// number returns a metric's single number; ok is false when it is null.
func (v metricValue) number() (f float64, ok bool) {
	n := v.Value
	if len(v.Values) > 0 {
		n = v.Values[0].Value
	}
	if v.DocCount != nil {
		return float64(*v.DocCount), true
	}
	if n == nil {
		return 0, false
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// count reads an integer metric exactly.
func (v metricValue) count() int64 {
	if v.DocCount != nil {
		return *v.DocCount
	}
	if v.Value == nil {
		return 0
	}
	if n, err := v.Value.Int64(); err == nil {
		return n
	}
	f, _ := v.number()
	return int64(f)
}

// metricValues reads every metric of a bucket, and for sums how many values were summed.
func (s *Search) metricValues(b bucket, docs int64) (vals []any, counts []int64, err error) {
	vals = make([]any, len(s.metrics))
	counts = make([]int64, len(s.metrics))
	for i, m := range s.metrics {
		if vals[i], counts[i], err = m.read(b, docs); err != nil {
			return nil, nil, err
		}
	}
	return vals, counts, nil
}

// read reads one metric of a bucket of docs documents: its value and how many values it
// aggregated.
func (m metricPlan) read(b bucket, docs int64) (any, int64, error) {
	fdocs := docs
	if m.filter != "" {
		var sub bucket
		if err := json.Unmarshal(b[m.filter], &sub); err != nil {
			return nil, 0, fmt.Errorf("reading the filter aggregation of %s: %w", m.m.Expr(), err)
		}
		var err error
		if fdocs, err = sub.docCount(); err != nil {
			return nil, 0, err
		}
		b = sub
	}
	rest := docs - fdocs // rows where a CASE WHEN's condition does not hold: they count ELSE
	if m.constant != nil {
		n := fdocs
		if m.other != nil {
			n += rest
		}
		if m.m.Func == query.AggCount {
			return n, n, nil
		}
		if n == 0 {
			return nil, 0, nil
		}
		return addScaled(m.constant, fdocs, m.other, rest, m.typ), n, nil
	}
	if m.name == "" {
		return fdocs, fdocs, nil
	}
	v, err := b.metric(m.name)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case m.spread:
		return spread(m.m.Func, v), 0, nil
	case m.stats:
		if v.Count == nil || *v.Count == 0 || v.Sum == nil {
			return nil, 0, nil
		}
		return *v.Sum / float64(*v.Count), *v.Count, nil
	case m.m.Func == query.AggCount || m.m.Func == query.AggCountDistinct:
		n := v.count()
		if m.other != nil {
			n += rest
		}
		return n, n, nil
	case m.m.Func == query.AggSum:
		c, err := b.metric(m.countName())
		if err != nil {
			return nil, 0, err
		}
		n := c.count()
		if m.other != nil {
			n += rest
		}
		if n == 0 {
			return nil, 0, nil // SQL's sum over no values is NULL; Elasticsearch says 0
		}
		f, _ := v.number()
		val := typed(f, m.typ)
		if m.other != nil && rest > 0 {
			val = addScaled(val, 1, m.other, rest, m.typ)
		}
		return val, n, nil
	}
	f, ok := v.number()
	if !ok {
		return nil, 0, nil
	}
	return typed(f, m.typ), 0, nil
}

// addScaled is a*na + b*nb in the column's type (b nil for none).
func addScaled(a any, na int64, b any, nb int64, t query.Type) any {
	if t == query.TypeInt {
		ia, _ := a.(int64)
		ib, _ := b.(int64)
		return ia*na + ib*nb
	}
	f := func(v any) float64 {
		switch x := v.(type) {
		case int64:
			return float64(x)
		case float64:
			return x
		}
		return 0
	}
	return f(a)*float64(na) + f(b)*float64(nb)
}

// spread computes a standard deviation or variance from extended_stats' count, sum and sum of
// squares: NULL over no values, and the sample forms NULL over one, as SQL answers.
func spread(fn query.AggFunc, v metricValue) any {
	if v.Count == nil || v.Sum == nil || v.SumSq == nil {
		return nil
	}
	n := float64(*v.Count)
	if n == 0 || fn.Sample() && n < 2 {
		return nil
	}
	ss := max(0, *v.SumSq-*v.Sum**v.Sum/n)
	d := n
	if fn.Sample() {
		d = n - 1
	}
	r := ss / d
	if fn.Root() {
		r = math.Sqrt(r)
	}
	return r
}

// typed converts an aggregation's double to the column's Go type.
func typed(f float64, t query.Type) any {
	switch {
	case t == query.TypeInt:
		return int64(math.Round(f))
	case t.Temporal():
		return fromMillis(f)
	}
	return f
}

func fromMillis(ms float64) time.Time {
	whole := math.Floor(ms)
	return time.UnixMilli(int64(whole)).Add(time.Duration((ms - whole) * 1e6)).UTC()
}

// key reads a group key as the dimension's Go type; null is the null group.
func (d dimPlan) key(raw json.RawMessage) (any, error) {
	v, err := decodeAny(raw)
	if err != nil || v == nil {
		return nil, err
	}
	switch d.d.Kind {
	case query.DimDateTrunc, query.DimTimeBucket:
		return toTime(v)
	case query.DimHistogram:
		return toFloat(v)
	}
	return convert(v, d.typ)
}

// convert turns a decoded JSON value into the Go type for a column type; a value that does not
// fit is returned as text rather than dropped.
func convert(v any, t query.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t {
	case query.TypeString, query.TypeText:
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			return x.String(), nil
		case bool:
			return strconv.FormatBool(x), nil
		}
	case query.TypeInt:
		switch x := v.(type) {
		case json.Number:
			if n, err := x.Int64(); err == nil {
				return n, nil
			}
			if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
				return int64(f), nil
			}
		case string:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n, nil
			}
		}
	case query.TypeFloat:
		if f, err := toFloat(v); err == nil {
			return f, nil
		}
	case query.TypeBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case json.Number:
			return x.String() != "0", nil
		case string:
			if b, err := strconv.ParseBool(x); err == nil {
				return b, nil
			}
		}
	case query.TypeTime, query.TypeDate:
		if t, err := toTime(v); err == nil {
			return t, nil
		}
	}
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, nil
		}
		f, _ := x.Float64()
		return f, nil
	case string, bool:
		return x, nil
	}
	return string(marshal(v)), nil
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case json.Number:
		return x.Float64()
	case string:
		return strconv.ParseFloat(strings.TrimSpace(x), 64)
	}
	return 0, fmt.Errorf("%v is not a number", v)
}

// timeLayouts are the date formats read from _source: Elasticsearch's default
// strict_date_optional_time in its common spellings.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02",
	"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}

// toTime reads epoch milliseconds or a timestamp string as a UTC time.
func toTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return time.UnixMilli(n).UTC(), nil
		}
		f, err := x.Float64()
		if err != nil {
			return time.Time{}, err
		}
		return fromMillis(f), nil
	case string:
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, x); err == nil {
				return t.UTC(), nil
			}
		}
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return time.UnixMilli(n).UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %v as a time", v)
}

// decodeAny decodes JSON keeping numbers as json.Number, so 64-bit integers stay exact.
func decodeAny(raw []byte) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}
