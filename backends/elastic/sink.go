package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elastic/go-elasticsearch/v8/esutil"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
)

// keywordLimit is the ignore_above of keyword (sub-)fields dora creates: the longest value in
// characters whose UTF-8 fits Lucene's 32766-byte term, so values group whole as they do in SQL.
const keywordLimit = 8191

// sink writes a new index version <table>-<version> and publishes it by pointing the alias
// <table> at it, so readers see the old version or the new one, never half of one.
type sink struct {
	b      *Backend
	table  string
	index  string
	schema query.Schema
	bi     esutil.BulkIndexer
	closed bool // the bulk indexer panics when closed twice

	created atomic.Int64 // documents created; re-written ids count once
	failed  atomic.Int64
	mu      sync.Mutex
	first   error // the first failure, reported with the count
}

// Sink creates the index for a new version of table, with mappings from the schema, no
// replicas and no refreshes while it loads.
func (b *Backend) Sink(ctx context.Context, table string, s query.Schema, opts backends.SinkOptions) (backends.Sink, error) {
	if table == "" || strings.HasPrefix(table, ".") || strings.ToLower(table) != table || strings.ContainsAny(table, `/\*?"<>| ,#:`) {
		return nil, fmt.Errorf("%w: %q cannot name an Elasticsearch table: use lower-case letters, digits, - and _", backends.ErrBadQuery, table)
	}
	if err := b.checkAlias(ctx, table); err != nil {
		return nil, err
	}
	version := strings.ToLower(opts.Version)
	if version == "" {
		version = time.Now().UTC().Format("20060102150405")
	}
	k := &sink{b: b, table: table, index: table + "-" + version, schema: s}
	body := map[string]any{
		"settings": map[string]any{"index": map[string]any{"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"}},
		"mappings": map[string]any{"dynamic": false, "properties": properties(s)},
	}
	raw, _ := json.Marshal(body)
	if _, err := b.do(ctx, "PUT", "/"+url.PathEscape(k.index), raw); err != nil {
		return nil, fmt.Errorf("creating index %s: %w", k.index, err)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	var err error
	k.bi, err = esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client:     b.es,
		Index:      k.index,
		NumWorkers: workers,
		FlushBytes: 5 << 20,
		OnError:    func(_ context.Context, err error) { k.fail(err) },
	})
	if err != nil {
		_ = k.Abort(ctx)
		return nil, err
	}
	return k, nil
}

// checkAlias refuses a table that is a concrete index or data stream: an alias cannot take its
// name, so a version could never be published.
func (b *Backend) checkAlias(ctx context.Context, table string) error {
	ts, err := b.Tables(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.Name == table && t.Kind != "alias" {
			return fmt.Errorf("%w: %s is an %s, not an alias: dora publishes versions of a table behind an alias; write to another name or delete it", backends.ErrBadQuery, table, t.Kind)
		}
	}
	return nil
}

// properties maps a schema onto index mappings; dotted names become objects.
func properties(s query.Schema) map[string]any {
	root := map[string]any{}
	for _, f := range s.Fields {
		props := root
		parts := strings.Split(f.Name, ".")
		for _, p := range parts[:len(parts)-1] {
			o, ok := props[p].(map[string]any)
			if !ok {
				o = map[string]any{"properties": map[string]any{}}
				props[p] = o
			}
			props = o["properties"].(map[string]any)
		}
		props[parts[len(parts)-1]] = fieldMapping(f.Type)
	}
	return root
}

func fieldMapping(t query.Type) map[string]any {
	switch t {
	case query.TypeText:
		return map[string]any{"type": "text", "fields": map[string]any{"keyword": map[string]any{"type": "keyword", "ignore_above": keywordLimit}}}
	case query.TypeInt:
		return map[string]any{"type": "long"}
	case query.TypeFloat:
		return map[string]any{"type": "double"}
	case query.TypeBool:
		return map[string]any{"type": "boolean"}
	case query.TypeTime, query.TypeDate:
		return map[string]any{"type": "date"}
	}
	return map[string]any{"type": "keyword", "ignore_above": keywordLimit}
}

func (k *sink) fail(err error) {
	k.failed.Add(1)
	k.mu.Lock()
	if k.first == nil {
		k.first = err
	}
	k.mu.Unlock()
}

func (k *sink) onSuccess(_ context.Context, _ esutil.BulkIndexerItem, r esutil.BulkIndexerResponseItem) {
	if r.Result == "created" {
		k.created.Add(1)
	}
}

func (k *sink) onFailure(_ context.Context, item esutil.BulkIndexerItem, r esutil.BulkIndexerResponseItem, err error) {
	if err == nil {
		err = fmt.Errorf("document %q: %s: %s", item.DocumentID, r.Error.Type, r.Error.Reason)
	}
	k.fail(err)
}

// Write queues a batch for the bulk indexer. ids, when given, are the documents' _id, so writing
// the same rows again replaces them instead of adding copies.
func (k *sink) Write(ctx context.Context, rows []backends.Row, ids []string) error {
	if ids != nil && len(ids) != len(rows) {
		return fmt.Errorf("writing %s: %d ids for %d rows", k.index, len(ids), len(rows))
	}
	for i, row := range rows {
		doc, err := k.document(row)
		if err != nil {
			return err
		}
		item := esutil.BulkIndexerItem{Action: "index", Body: bytes.NewReader(doc), OnSuccess: k.onSuccess, OnFailure: k.onFailure}
		if ids != nil {
			item.DocumentID = ids[i]
		}
		if err := k.bi.Add(ctx, item); err != nil {
			return fmt.Errorf("writing %s: %w", k.index, err)
		}
	}
	return k.err()
}

func (k *sink) err() error {
	if n := k.failed.Load(); n > 0 {
		k.mu.Lock()
		defer k.mu.Unlock()
		return fmt.Errorf("writing %s: %d documents failed; the first: %w", k.index, n, k.first)
	}
	return nil
}

// document is a row as JSON in the schema's field order; nulls are left out, as Elasticsearch
// expects of a missing value.
func (k *sink) document(row backends.Row) ([]byte, error) {
	if len(row) != len(k.schema.Fields) {
		return nil, fmt.Errorf("writing %s: a row has %d values for %d columns", k.index, len(row), len(k.schema.Fields))
	}
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	for i, v := range row {
		if v == nil {
			continue
		}
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339Nano)
		}
		val, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("writing %s: column %s: %w", k.index, k.schema.Fields[i].Name, err)
		}
		if n > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(k.schema.Fields[i].Name)
		b.Write(name)
		b.WriteByte(':')
		b.Write(val)
		n++
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Commit flushes, restores refreshes and replicas, checks that every document arrived, and
// points the alias at the new index in one atomic step, taking it off the older versions.
func (k *sink) Commit(ctx context.Context) error {
	if err := k.closeIndexer(ctx); err != nil {
		return fmt.Errorf("writing %s: %w", k.index, err)
	}
	if err := k.err(); err != nil {
		return err
	}
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
	body, err := k.b.do(ctx, "GET", "/"+url.PathEscape(k.index)+"/_count", nil)
	if err != nil {
		return fmt.Errorf("counting %s: %w", k.index, err)
	}
	var c struct {
		Count int64 `json:"count"`
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return fmt.Errorf("counting %s: %w", k.index, err)
	}
	if want := k.created.Load(); c.Count != want {
		return fmt.Errorf("writing %s: %d documents were created but the index holds %d; not publishing it", k.index, want, c.Count)
	}
	return k.b.swapAlias(ctx, k.table, k.index)
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

func (k *sink) closeIndexer(ctx context.Context) error {
	if k.bi == nil || k.closed {
		return nil
	}
	k.closed = true
	return k.bi.Close(ctx)
}

// Abort stops writing and deletes the new index.
func (k *sink) Abort(ctx context.Context) error {
	_ = k.closeIndexer(ctx)
	if _, err := k.b.do(ctx, "DELETE", "/"+url.PathEscape(k.index), nil); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == 404 {
			return nil
		}
		return fmt.Errorf("deleting %s: %w", k.index, err)
	}
	return nil
}
