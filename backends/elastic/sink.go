package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
)

// sink writes a new index version <table>-<version> and publishes it by pointing the alias
// <table> at it, so readers see the old version or the new one, never half of one. Each Write is
// one _bulk request (retried as a whole on 429 and 5xx, and item by item for items the cluster
// was too busy to take), so the caller's concurrency bounds the bytes in flight.
type sink struct {
	b       *Backend
	table   string
	index   string
	schema  query.Schema
	keys    [][]byte // each field's name as a JSON string and a colon, as documents start it
	resumed bool

	created atomic.Int64 // documents created; re-written ids count once
}

// Sink creates the index for a new version of table, with mappings from the schema (or
// opts.Mapping), no replicas and no refreshes while it loads. With opts.Resume an existing index
// of that version is written into again.
func (b *Backend) Sink(ctx context.Context, table string, s query.Schema, opts backends.SinkOptions) (backends.Sink, error) {
	if table == "" || strings.HasPrefix(table, ".") || strings.ToLower(table) != table || strings.ContainsAny(table, `/\*?"<>| ,#:`) {
		return nil, fmt.Errorf("%w: %q cannot name an Elasticsearch or OpenSearch table: use lower-case letters, digits, - and _", backends.ErrBadQuery, table)
	}
	if b.engine.Serverless {
		return nil, fmt.Errorf("%w: dora cannot load into %s: Serverless supports neither _refresh nor _cluster/health (and its time-series collections refuse document ids), and a dora load refreshes and counts a new version before it publishes it, and writes rows by id so a re-run adds nothing; load into an OpenSearch Service domain or a self-run cluster", backends.ErrBadQuery, b.engine.Product())
	}
	if err := b.checkAlias(ctx, table); err != nil {
		return nil, err
	}
	version := strings.ToLower(opts.Version)
	if version == "" {
		version = time.Now().UTC().Format("20060102150405")
	}
	k := &sink{b: b, table: table, index: table + "-" + version, schema: s, keys: make([][]byte, len(s.Fields))}
	for i, f := range s.Fields {
		k.keys[i] = append(appendJSONString(nil, f.Name), ':')
	}
	mappings := Mappings(s)
	mappings["dynamic"] = false
	if len(opts.Mapping) > 0 {
		mappings = nil
		if err := json.Unmarshal(opts.Mapping, &mappings); err != nil || mappings == nil {
			return nil, fmt.Errorf("%w: the mapping is not a JSON object: %v", backends.ErrBadQuery, err)
		}
	}
	tagVersion(mappings, table, version)
	body := mappings
	raw, _ := json.Marshal(map[string]any{
		"settings": map[string]any{"index": map[string]any{"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"}},
		"mappings": body,
	})
	if _, err := b.do(ctx, "PUT", "/"+url.PathEscape(k.index), raw); err != nil {
		var ae *apiError
		if opts.Resume && errors.As(err, &ae) && ae.Type == "resource_already_exists_exception" {
			k.resumed = true
			return k, nil
		}
		return nil, fmt.Errorf("creating index %s: %w", k.index, err)
	}
	return k, nil
}

// checkAlias refuses a table that is a concrete index or data stream: an alias cannot take its
// name, so a version could never be published.
func (b *Backend) checkAlias(ctx context.Context, table string) error {
	r, err := b.resolve(ctx, table)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == 404 {
		return nil // nothing by that name yet
	}
	if err != nil {
		return fmt.Errorf("looking up %s: %w", table, err)
	}
	kind := ""
	for _, i := range r.Indices {
		if i.Name == table {
			kind = "index"
		}
	}
	for _, d := range r.DataStreams {
		if d.Name == table {
			kind = "data stream"
		}
	}
	if kind != "" {
		return fmt.Errorf("%w: %s is an %s, not an alias: dora publishes versions of a table behind an alias; write to another name or delete it", backends.ErrBadQuery, table, kind)
	}
	return nil
}

// bulkAttempts bounds the retries of one batch; with the backoff below that is about a minute of
// a cluster refusing work before the load gives up (and can be resumed).
const bulkAttempts = 10

// Write sends a batch as one _bulk request. ids, when given, are the documents' _id, so writing
// the same rows again replaces them instead of adding copies. Rows Elasticsearch refuses for
// their content come back in a *backends.RejectedError.
func (k *sink) Write(ctx context.Context, rows []backends.Row, ids []string) error {
	if ids != nil && len(ids) != len(rows) {
		return fmt.Errorf("writing %s: %d ids for %d rows", k.index, len(ids), len(rows))
	}
	// The body is built once; a retry of some items resends their lines from it.
	all := make([]byte, 0, 256*len(rows))
	at := make([]int, len(rows)+1) // item i is all[at[i]:at[i+1]]
	var vals []backends.Value
	for i, row := range rows {
		at[i] = len(all)
		vals = vals[:0]
		for _, v := range row {
			vals = append(vals, backends.ValueOf(v))
		}
		id := ""
		if ids != nil {
			id = ids[i]
		}
		var err error
		if all, err = k.AppendItem(all, id, vals); err != nil {
			return err
		}
	}
	at[len(rows)] = len(all)
	return k.WriteItems(ctx, all, at)
}

// AppendItem implements backends.EncodingSink: an index action, with the id when given, and the
// document, each on its line.
func (k *sink) AppendItem(all []byte, id string, row []backends.Value) ([]byte, error) {
	all = append(all, `{"index":{`...)
	if id != "" {
		all = append(all, `"_id":`...)
		all = appendJSONString(all, id)
	}
	all = append(all, "}}\n"...)
	var err error
	if all, err = k.appendDocument(all, row); err != nil {
		return nil, err
	}
	return append(all, '\n'), nil
}

// WriteItems implements backends.EncodingSink: it sends the items as one _bulk request, retried
// as Write says.
func (k *sink) WriteItems(ctx context.Context, all []byte, at []int) error {
	items := len(at) - 1
	todo := make([]int, items) // positions still to send
	for i := range todo {
		todo[i] = i
	}
	var rejected []backends.Rejection
	for attempt := 0; len(todo) > 0; attempt++ {
		if attempt > 0 {
			if attempt >= bulkAttempts {
				return fmt.Errorf("writing %s: the cluster refused %d documents %d times (too busy); resume the load later", k.index, len(todo), bulkAttempts)
			}
			if err := sleepBackoff(ctx, attempt); err != nil {
				return err
			}
		}
		body := all
		if len(todo) < items {
			body = nil
			for _, i := range todo {
				body = append(body, all[at[i]:at[i+1]]...)
			}
		}
		resp, err := k.b.bulk(ctx, k.index, body)
		var ae *apiError
		if errors.As(err, &ae) && (ae.Status == 429 || ae.Status >= 500) {
			continue // the whole request again
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", k.index, err)
		}
		if resp.allOK {
			k.created.Add(int64(resp.created))
			break
		}
		var retry []int
		for n, item := range resp.Items {
			if n >= len(todo) {
				break
			}
			r := item.Index
			switch {
			case r.Status < 300:
				if r.Status == http.StatusCreated {
					k.created.Add(1)
				}
			case r.Status == 429 || r.Status >= 500:
				retry = append(retry, todo[n])
			default:
				i := todo[n]
				rejected = append(rejected, backends.Rejection{Index: i, Reason: r.Error.Type + ": " + r.Error.Reason, Row: k.rowOf(all[at[i]:at[i+1]])})
			}
		}
		todo = retry
	}
	if len(rejected) > 0 {
		return &backends.RejectedError{Rows: rejected}
	}
	return nil
}

// sleepBackoff waits an exponentially growing, jittered time: about 100 ms, 200 ms, ... up to 8 s.
func sleepBackoff(ctx context.Context, attempt int) error {
	d := time.Duration(100<<min(attempt-1, 6)) * time.Millisecond
	d = d/2 + time.Duration(rand.Int64N(int64(d)))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

type bulkResponse struct {
	allOK   bool // every item succeeded; Items is not filled in
	created int  // with allOK: how many items created a document

	Errors bool `json:"errors"`
	Items  []struct {
		Index struct {
			Status int `json:"status"` // 201 for a document created, 200 for one replaced
			Error  struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"error"`
		} `json:"index"`
	} `json:"items"`
}

// bulkFilter trims the bulk response to what Write reads (every item's status, and the error of
// those that failed), and puts "errors" first.
const bulkFilter = "?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason"

// bulkHeader asks for the bulk answer uncompressed: it is an item list read once, and gzipping
// it (which Go's transport asks for) costs the node CPU it would rather spend indexing.
var bulkHeader = http.Header{"Accept-Encoding": {"identity"}}

// bulk posts one _bulk body to index. When nothing failed, the answer is not decoded item by item
// (that was a quarter of a load's CPU): the documents created are counted in the raw text.
func (b *Backend) bulk(ctx context.Context, index string, body []byte) (*bulkResponse, error) {
	status, out, err := b.send(ctx, http.MethodPost, "/"+url.PathEscape(index)+"/_bulk"+bulkFilter, "application/x-ndjson", body, bulkHeader)
	if err != nil {
		return nil, err
	}
	if status >= 300 {
		return nil, b.parseAPIError(status, out)
	}
	if bytes.HasPrefix(out, []byte(`{"errors":false`)) {
		return &bulkResponse{allOK: true, created: bytes.Count(out, []byte(`"status":201`))}, nil
	}
	var r bulkResponse
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("reading the bulk response: %w", err)
	}
	return &r, nil
}

// appendDocument appends a row as JSON in the schema's field order; nulls are left out, as
// Elasticsearch expects of a missing value.
func (k *sink) appendDocument(b []byte, row []backends.Value) ([]byte, error) {
	if len(row) != len(k.schema.Fields) {
		return nil, fmt.Errorf("writing %s: a row has %d values for %d columns", k.index, len(row), len(k.schema.Fields))
	}
	b = append(b, '{')
	n := 0
	for i := range row {
		v := &row[i]
		if v.Kind == backends.KindNull || v.Kind == backends.KindOther && v.Other == nil {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, k.keys[i]...)
		switch v.Kind {
		case backends.KindString:
			b = appendJSONString(b, v.Str)
		case backends.KindInt:
			b = strconv.AppendInt(b, v.Int, 10)
		case backends.KindFloat:
			if math.IsNaN(v.Float) || math.IsInf(v.Float, 0) {
				b = append(b, "null"...)
			} else {
				b = strconv.AppendFloat(b, v.Float, 'g', -1, 64)
			}
		case backends.KindBool:
			b = strconv.AppendBool(b, v.Int != 0)
		case backends.KindTime:
			b = append(b, '"')
			b = appendTime(b, v.Time)
			b = append(b, '"')
		default:
			val, err := json.Marshal(v.Other)
			if err != nil {
				return nil, fmt.Errorf("writing %s: column %s: %w", k.index, k.schema.Fields[i].Name, err)
			}
			b = append(b, val...)
		}
		n++
	}
	return append(b, '}'), nil
}

// appendTime appends t in UTC as time.RFC3339Nano formats it. For the years 0 to 9999 it works
// straight from the Unix seconds (Howard Hinnant's civil-from-days arithmetic), without
// AppendFormat's layout walk: every document of a load with times formats them.
func appendTime(b []byte, t time.Time) []byte {
	secs := t.Unix()
	days := secs / 86400
	if secs%86400 < 0 {
		days--
	}
	clock := int(secs - days*86400)
	z := days + 719468 // days since 0000-03-01
	era := z / 146097
	if z%146097 < 0 {
		era--
	}
	doe := z - era*146097                                  // day of the 400-year era
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // year of the era
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // day of the year, from March
	mp := (5*doy + 2) / 153
	year, month, day := int(yoe+era*400), int(mp+3), int(doy-(153*mp+2)/5+1)
	if month > 12 {
		month -= 12
		year++
	}
	if year < 0 || year > 9999 {
		return t.UTC().AppendFormat(b, time.RFC3339Nano)
	}
	hour, minute, sec := clock/3600, clock/60%60, clock%60
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	b = append(b, byte('0'+month/10), byte('0'+month%10), '-', byte('0'+day/10), byte('0'+day%10), 'T')
	b = append(b, byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':')
	b = append(b, byte('0'+sec/10), byte('0'+sec%10))
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, 'Z')
}

// rowOf reads an item AppendItem wrote back into a row, for a dead letter: the values as they
// were sent, numbers by their column's type, times as their text.
func (k *sink) rowOf(item []byte) backends.Row {
	_, doc, _ := bytes.Cut(item, []byte("\n"))
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var m map[string]any
	if d.Decode(&m) != nil {
		return nil
	}
	row := make(backends.Row, len(k.schema.Fields))
	for i, f := range k.schema.Fields {
		v := m[f.Name]
		if n, ok := v.(json.Number); ok {
			if x, err := n.Int64(); err == nil && f.Type == query.TypeInt {
				v = x
			} else if x, err := n.Float64(); err == nil {
				v = x
			}
		}
		row[i] = v
	}
	return row
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\\ufffd"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Commit flushes, restores refreshes and replicas, checks that every document arrived, and
// points the alias at the new index in one atomic step, taking it off the older versions.
func (k *sink) Commit(ctx context.Context) error {
	replicas, err := k.b.replicas(ctx)
	if err != nil {
		return err
	}
	settings, _ := json.Marshal(map[string]any{"index": map[string]any{"refresh_interval": nil, "number_of_replicas": replicas}})
	if _, err := k.b.do(ctx, "PUT", "/"+url.PathEscape(k.index)+"/_settings", settings); err != nil {
		return fmt.Errorf("restoring the settings of %s: %w", k.index, err)
	}
	if _, err := k.b.do(ctx, "POST", "/"+url.PathEscape(k.index)+"/_refresh", nil); err != nil {
		return fmt.Errorf("refreshing %s: %w", k.index, err)
	}
	n, err := k.count(ctx)
	if err != nil {
		return err
	}
	// A resumed version also holds what the crashed load wrote; its caller counts those.
	if want := k.created.Load(); !k.resumed && n != want {
		return fmt.Errorf("writing %s: %d documents were created but the index holds %d; not publishing it", k.index, want, n)
	}
	defer k.b.schemas.Forget(k.table)
	return k.b.swapAlias(ctx, k.table, k.index)
}

// Count refreshes the new index and returns how many documents it holds.
func (k *sink) Count(ctx context.Context) (int64, error) {
	if _, err := k.b.do(ctx, "POST", "/"+url.PathEscape(k.index)+"/_refresh", nil); err != nil {
		return 0, fmt.Errorf("refreshing %s: %w", k.index, err)
	}
	return k.count(ctx)
}

func (k *sink) count(ctx context.Context) (int64, error) {
	body, err := k.b.do(ctx, "GET", "/"+url.PathEscape(k.index)+"/_count", nil)
	if err != nil {
		return 0, fmt.Errorf("counting %s: %w", k.index, err)
	}
	var c struct {
		Count int64 `json:"count"`
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return 0, fmt.Errorf("counting %s: %w", k.index, err)
	}
	return c.Count, nil
}

// replicas is the replica count a published index gets: one, unless the cluster has a single
// data node, where a replica could never be placed.
func (b *Backend) replicas(ctx context.Context) (int, error) {
	body, err := b.do(ctx, "GET", "/_cluster/health", nil)
	if err != nil {
		return 0, err
	}
	var h struct {
		DataNodes int `json:"number_of_data_nodes"`
	}
	if err := json.Unmarshal(body, &h); err != nil {
		return 0, err
	}
	return min(1, max(h.DataNodes-1, 0)), nil
}

// swapAlias points alias at index and takes it off every other index, in one _aliases call.
func (b *Backend) swapAlias(ctx context.Context, alias, index string) error {
	actions := []any{}
	body, err := b.do(ctx, "GET", "/_alias/"+url.PathEscape(alias), nil)
	var ae *apiError
	switch {
	case err == nil:
		var holders map[string]json.RawMessage
		if err := json.Unmarshal(body, &holders); err != nil {
			return err
		}
		for old := range holders {
			if old != index {
				actions = append(actions, map[string]any{"remove": map[string]any{"index": old, "alias": alias}})
			}
		}
	case errors.As(err, &ae) && ae.Status == 404: // no version published yet
	default:
		return fmt.Errorf("reading alias %s: %w", alias, err)
	}
	actions = append(actions, map[string]any{"add": map[string]any{"index": index, "alias": alias}})
	raw, _ := json.Marshal(map[string]any{"actions": actions})
	if _, err := b.do(ctx, "POST", "/_aliases", raw); err != nil {
		return fmt.Errorf("publishing %s as %s: %w", index, alias, err)
	}
	return nil
}

// Abort stops writing and deletes the new index.
func (k *sink) Abort(ctx context.Context) error {
	if _, err := k.b.do(ctx, "DELETE", "/"+url.PathEscape(k.index), nil); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == 404 {
			return nil
		}
		return fmt.Errorf("deleting %s: %w", k.index, err)
	}
	return nil
}
