package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/decode"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/query"
)

// Options says what to load and how.
type Options struct {
	Source     string   // s3://bucket/prefix, a local file or a folder
	Table      string   // the table (alias) readers query
	Format     string   // auto, parquet, csv or ndjson
	IDColumns  []string // columns whose values make a row's id; empty: source object and row position
	Workers    int      // parallel writers (and at most this many objects decoded at once)
	BatchBytes int      // approximate size of one write
	Mapping    []byte   // the backend's own mapping document, overriding inference
	Shard      int      // this shard, 0-based, of Shards
	Shards     int      // 0: not sharded; else this load writes its shard into Version and Publish shows it
	Resume     bool     // continue the version a crashed load left, skipping finished objects
	DeadLetter string   // NDJSON file for rows that cannot be written; created when needed
	Checkpoint string   // the checkpoint file; derived from the table and source when empty
	Version    string   // the version to write; new (a timestamp) when empty and not resuming
	Keep       int      // versions to keep once this one is published, itself included; 0: DefaultKeep
	History    string   // the load history file; HistoryPath() when empty
	NoHistory  bool     // an internal load (the ETL screen's exports): not recorded in the history
	// Catalog is where an iceberg:NAMESPACE.TABLE source is found; its empty fields are
	// resolved as catalog.Config.Resolve does (DORA_CATALOG, DORA_WAREHOUSE, the defaults).
	Catalog catalog.Config
	// Types overrides the inferred type of the columns it names (a value that does not convert
	// is set aside as a dead letter, as any row that does not fit).
	Types map[string]query.Type
	// Progress, when set, is called about twice a second and once at the end.
	Progress func(Stats)
}

// Stats is a load's progress so far.
type Stats struct {
	Objects, ObjectsDone int
	BytesTotal           int64 // sum of the sizes of the objects to read
	BytesRead            int64
	RowsRead             int64
	Indexed              int64
	DeadLettered         int64
	Elapsed              time.Duration
}

// Summary is a finished load.
type Summary struct {
	Source       string   `json:"source"`
	RowsRead     int64    `json:"rows_read"`
	Indexed      int64    `json:"indexed"`
	DeadLettered int64    `json:"dead_lettered"`
	Bytes        int64    `json:"bytes"`
	Seconds      float64  `json:"seconds"`
	Objects      int      `json:"objects"`
	LeftOut      []string `json:"left_out,omitempty"` // files of no data format, not read (format auto)
	Resumed      int      `json:"objects_resumed"`
	Index        string   `json:"index"`
	Alias        string   `json:"alias"`
	Published    bool     `json:"published"`
	Deleted      []string `json:"versions_deleted,omitempty"` // older versions deleted after publishing
	DeadLetter   string   `json:"dead_letter_file,omitempty"`
}

// DefaultKeep is how many versions of a table a load keeps, the published one included: the
// live one and the one before it, to go back to.
const DefaultKeep = 2

// ErrReconcile means the rows read do not add up to the rows written plus those set aside.
var ErrReconcile = errors.New("load does not reconcile")

// batch is one Write's worth of rows from one object: the rows and their ids, or, for an
// EncodingSink, the body they were encoded into.
type batch struct {
	obj  *objectState
	rows []backends.Row
	ids  []string
	body *body
	pos  []int64 // each row's position in its object, for dead letters
}

// body is a batch encoded for an EncodingSink: item i is buf[at[i]:at[i+1]].
type body struct {
	buf []byte
	at  []int
}

// bodyPool keeps a load's bodies for reuse, each sized once for a whole batch: a load has a
// fixed number in flight (being encoded, waiting, being written), so after the first few
// batches it allocates none.
type bodyPool struct {
	free chan *body
	size int // bytes a body is made with: a batch and room for its last item
}

func newBodyPool(batchBytes, inFlight int) *bodyPool {
	return &bodyPool{free: make(chan *body, inFlight), size: batchBytes + batchBytes/8}
}

func (p *bodyPool) get() *body {
	select {
	case b := <-p.free:
		b.buf, b.at = b.buf[:0], b.at[:0]
		return b
	default:
		return &body{buf: make([]byte, 0, p.size)}
	}
}

func (p *bodyPool) put(b *body) {
	select {
	case p.free <- b:
	default: // more than in flight: let it go
	}
}

func (b batch) len() int { return len(b.pos) }

type objectState struct {
	obj     objstore.Object
	pending atomic.Int64 // batches sent and not yet written, plus one while decoding
	read    atomic.Int64
	indexed atomic.Int64
	dead    atomic.Int64
	failed  atomic.Bool
}

// Run loads opts.Source into table opts.Table of b, whatever the source: files (S3, a local
// file or folder), or an Iceberg snapshot (iceberg:NAMESPACE.TABLE[@SNAPSHOT]) of the catalog
// opts.Catalog names. It is the one entry point of a load, for dora load and the Loads screen
// alike. Run records the load in the history when it starts and when it ends.
func Run(ctx context.Context, b backends.Backend, opts Options) (Summary, error) {
	if IsIceberg(opts.Source) {
		if _, err := ParseIceberg(opts.Source); err != nil {
			return Summary{}, err
		}
		cat, err := catalog.Open(ctx, opts.Catalog.Resolve())
		if err != nil {
			return Summary{}, err
		}
		defer cat.Close()
		return RunIceberg(ctx, b, cat, opts)
	}
	return run(ctx, b, opts, func(ctx context.Context) (objstore.Store, []objstore.Object, error) {
		store, prefix, err := objstore.Open(ctx, opts.Source)
		if err != nil {
			return nil, nil, err
		}
		objs, err := store.List(ctx, prefix)
		return store, objs, err // a listing error is worded by the store, with the URL
	})
}

// run loads the objects list gives into table opts.Table of b, recorded in the history.
func run(ctx context.Context, b backends.Backend, opts Options, list func(context.Context) (objstore.Store, []objstore.Object, error)) (Summary, error) {
	start := time.Now()
	rec := startRecord(b, opts, opts.Version, start)
	sum, err := runRecorded(ctx, b, opts, list, start, rec)
	rec.end(sum, err)
	return sum, err
}

// runRecorded is run's load, after the history records its start. Its summary's Seconds is
// set when it returns, once the loader has run.
func runRecorded(ctx context.Context, b backends.Backend, opts Options, list func(context.Context) (objstore.Store, []objstore.Object, error), start time.Time, rec *record) (sum Summary, err error) {
	if opts, err = opts.withDefaults(); err != nil {
		return Summary{}, err
	}
	store, objs, err := list(ctx)
	if err != nil {
		return Summary{}, err
	}
	counted := &countingStore{Store: store}
	if len(objs) == 0 {
		return Summary{}, fmt.Errorf("nothing to load: %s holds no files", opts.Source)
	}
	objs, leftOut, err := DataFiles(opts.Source, objs, opts.Format)
	if err != nil {
		return Summary{}, err
	}
	if opts.Shards > 0 {
		objs = shardOf(objs, opts.Shard, opts.Shards)
		if len(objs) == 0 {
			// More shards than files: this one has nothing to do, and the others write the version.
			return Summary{Source: opts.Source, Index: physicalName(b, opts.Table, opts.Version), Alias: opts.Table}, nil
		}
	}

	cp, err := openCheckpoint(opts)
	if err != nil {
		return Summary{}, err
	}
	rec.r.Version = cp.Version
	schema, planned, err := planSchema(ctx, counted, objs, opts)
	if err != nil {
		return Summary{}, err
	}
	// The decoders that read the samples go on to load their objects; those not loaded close.
	defer planned.closeExcept(nil)
	if schema, err = OverrideTypes(schema, opts.Types); err != nil {
		return Summary{}, err
	}
	if err := checkIDColumns(schema, opts.IDColumns); err != nil {
		return Summary{}, err
	}
	sink, err := b.Sink(ctx, opts.Table, schema, backends.SinkOptions{Version: cp.Version, Workers: opts.Workers, Resume: opts.Resume || cp.resumed || opts.Shards > 0, Mapping: opts.Mapping})
	if err != nil {
		return Summary{}, fmt.Errorf("creating version %s of %s: %w", cp.Version, opts.Table, err)
	}
	if err := cp.save(); err != nil {
		_ = sink.Abort(ctx)
		return Summary{}, err
	}

	dl := &deadLetter{path: opts.DeadLetter, append: cp.resumed}
	defer dl.Close()
	l := &loader{opts: opts, schema: schema, sink: sink, store: counted, dl: dl, cp: cp, planned: planned}
	// In flight at most: one body being written per worker, one being filled or handed over per
	// decoder.
	l.bodies = newBodyPool(opts.BatchBytes, opts.Workers+l.decoders(len(objs)))
	todo := l.pending(objs)
	var total int64
	for _, o := range objs {
		total += o.Size
	}
	stopProgress := l.progress(start, len(objs), total)
	err = l.run(ctx, todo)
	stopProgress()

	sum = Summary{Source: opts.Source, RowsRead: l.rowsRead.Load(), Indexed: l.indexed.Load(), DeadLettered: l.dead.Load(),
		Bytes: counted.read.Load() + l.bytesDone.Load(), Objects: len(objs), Resumed: l.stats.resumed, LeftOut: leftOut,
		Index: physicalName(b, opts.Table, cp.Version), Alias: opts.Table}
	if dl.written > 0 || cp.resumed && sum.DeadLettered > 0 {
		sum.DeadLetter = dl.path
	}
	defer func() { sum.Seconds = time.Since(start).Seconds() }()
	if err != nil {
		// Leave the version and the checkpoint for --resume.
		return sum, err
	}
	err = publish(ctx, b, sink, opts, cp, &sum)
	return sum, err
}

// withDefaults is opts with every unset tuning filled in, or an error for a setting no load can
// honour.
func (opts Options) withDefaults() (Options, error) {
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 5 << 20
	}
	if opts.Format == "" {
		opts.Format = decode.FormatAuto
	}
	if opts.Keep == 0 {
		opts.Keep = DefaultKeep
	}
	if opts.Keep < 0 {
		return opts, fmt.Errorf("keeping %d versions of %s: keep at least 1, the published one", opts.Keep, opts.Table)
	}
	return opts, nil
}

// pending is the objects of objs the checkpoint does not hold as done, with the done ones
// counted into l's totals. Only the objects decoded first keep the decoder they were sampled
// with: a stream left unread while others load could time out, and a finished object needs none.
func (l *loader) pending(objs []objstore.Object) []*objectState {
	var todo []*objectState
	for _, o := range objs {
		if done, ok := l.cp.Done[o.Key]; ok && done.ETag == o.ETag {
			l.stats.resumed++
			l.rowsRead.Add(done.Read)
			l.indexed.Add(done.Indexed)
			l.dead.Add(done.Dead)
			l.bytesDone.Add(o.Size)
			continue
		}
		todo = append(todo, &objectState{obj: o})
	}
	first := map[string]bool{}
	for _, o := range todo[:l.decoders(len(todo))] {
		first[o.obj.Key] = true
	}
	l.planned.closeExcept(first)
	return todo
}

// publish checks that every row read is written or set aside and that the sink holds them,
// then makes the version the table, forgets the checkpoint and prunes old versions. A shard
// only checks: the publish is a separate step once every shard is done.
func publish(ctx context.Context, b backends.Backend, sink backends.Sink, opts Options, cp *checkpoint, sum *Summary) error {
	if sum.RowsRead != sum.Indexed+sum.DeadLettered {
		return fmt.Errorf("%w: read %d rows, wrote %d, set aside %d", ErrReconcile, sum.RowsRead, sum.Indexed, sum.DeadLettered)
	}
	if c, ok := sink.(backends.CountingSink); ok {
		n, err := c.Count(ctx)
		if err != nil {
			return fmt.Errorf("counting %s: %w", sum.Index, err)
		}
		// Shards share the version, so one shard can only check that its rows are all there.
		if n != sum.Indexed && !(opts.Shards > 0 && n > sum.Indexed) {
			return fmt.Errorf("%w: wrote %d rows but %s holds %d (rows sharing an id overwrite each other: check --id)", ErrReconcile, sum.Indexed, sum.Index, n)
		}
	}
	if opts.Shards > 0 {
		return nil
	}
	if err := sink.Commit(ctx); err != nil {
		return fmt.Errorf("publishing %s: %w", opts.Table, err)
	}
	sum.Published = true
	cp.remove()
	var err error
	sum.Deleted, err = prune(ctx, b, opts.Table, opts.Keep)
	return err
}

// physicalName is the versioned table or index a load writes.
func physicalName(b backends.Backend, table, version string) string {
	if n, ok := backends.As[backends.VersionNamer](b); ok {
		return n.VersionTable(table, version)
	}
	return table + "-" + version
}

func shardOf(objs []objstore.Object, shard, shards int) []objstore.Object {
	var out []objstore.Object
	for i, o := range objs {
		if i%shards == shard {
			out = append(out, o)
		}
	}
	return out
}

func checkIDColumns(s query.Schema, cols []string) error {
	for _, c := range cols {
		if _, ok := s.Field(c); !ok {
			msg := fmt.Sprintf("--id names column %q, which the source does not have", c)
			if near := query.Nearest(c, s.Names()); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			return errors.New(msg)
		}
	}
	return nil
}

// planSchema infers the table's schema from the samples of the first objects, opened at once,
// and returns their decoders, which go on past the sample.
func planSchema(ctx context.Context, store objstore.Store, objs []objstore.Object, opts Options) (query.Schema, *openDecoders, error) {
	first := objs[:min(3, len(objs))]
	decs := make([]decode.Decoder, len(first))
	errs := make([]error, len(first))
	var wg sync.WaitGroup
	for i, o := range first {
		wg.Go(func() { decs[i], errs[i] = decode.NewDecoder(ctx, store, o, opts.Format) })
	}
	wg.Wait()
	open := &openDecoders{byKey: map[string]decode.Decoder{}}
	var merged query.Schema
	for i, o := range first {
		if errs[i] != nil {
			for _, d := range decs {
				if d != nil {
					d.Close()
				}
			}
			return query.Schema{}, nil, readingErr(o.Key, errs[i])
		}
		merged = mergeSchema(merged, decs[i].Schema())
		open.byKey[o.Key] = decs[i]
	}
	merged.Table = opts.Table
	return merged, open, nil
}

// openDecoders are decoders opened ahead of the load, by object key.
type openDecoders struct {
	mu    sync.Mutex
	byKey map[string]decode.Decoder
}

// get hands over the decoder opened for key, or nil.
func (o *openDecoders) get(key string) decode.Decoder {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.byKey[key]
	delete(o.byKey, key)
	return d
}

// closeExcept closes the decoders of every key but those in keep.
func (o *openDecoders) closeExcept(keep map[string]bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, d := range o.byKey {
		if !keep[k] {
			d.Close()
			delete(o.byKey, k)
		}
	}
}

// mergeSchema adds b's fields to a; a field typed in both keeps the wider type.
func mergeSchema(a, b query.Schema) query.Schema {
	for _, f := range b.Fields {
		i := -1
		for j, g := range a.Fields {
			if g.Name == f.Name {
				i = j
			}
		}
		if i < 0 {
			a.Fields = append(a.Fields, f)
			continue
		}
		g := a.Fields[i]
		switch {
		case g.Type == f.Type || f.Type == "":
		case g.Type == "" || g.Type == query.TypeOther:
			a.Fields[i].Type = f.Type
		case g.Type == query.TypeInt && f.Type == query.TypeFloat:
			a.Fields[i].Type = query.TypeFloat
		case g.Type == query.TypeString && f.Type == query.TypeText:
			a.Fields[i].Type, a.Fields[i].Keyword = f.Type, f.Keyword
		}
	}
	return a
}

type loader struct {
	opts    Options
	schema  query.Schema
	sink    backends.Sink
	store   *countingStore
	dl      *deadLetter
	cp      *checkpoint
	planned *openDecoders // decoders planSchema opened, taken by the objects' decode
	bodies  *bodyPool

	rowsRead, indexed, dead, bytesDone atomic.Int64
	objectsDone                        atomic.Int64
	stats                              struct{ resumed int }
}

// decoders is how many objects are decoded at once.
func (l *loader) decoders(objects int) int {
	return min(max(1, (l.opts.Workers+1)/2), objects)
}

func (l *loader) run(ctx context.Context, objs []*objectState) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	queue := make(chan *objectState)
	// Decoding is cheaper than indexing: half as many decoders as writers keep the writers busy,
	// and with no queue between them, at most workers + 2 x decoders batches are in memory.
	batches := make(chan batch)
	var decoders, writers sync.WaitGroup
	for range l.decoders(len(objs)) {
		decoders.Add(1)
		go func() {
			defer decoders.Done()
			for o := range queue {
				if err := l.decode(ctx, o, batches); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	for range l.opts.Workers {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for b := range batches {
				if ctx.Err() != nil {
					continue // drain
				}
				if err := l.write(ctx, b); err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for _, o := range objs {
		select {
		case queue <- o:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	decoders.Wait()
	close(batches)
	writers.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// readingErr names the object an error came from, unless the decoder's error already does.
func readingErr(key string, err error) error {
	if strings.Contains(err.Error(), key) {
		return err
	}
	return fmt.Errorf("reading %s: %w", key, err)
}

// decode streams one object into batches. The object's pending count holds one extra unit while
// decoding so it cannot be marked finished before its last batch is sent.
func (l *loader) decode(ctx context.Context, o *objectState, out chan<- batch) error {
	o.pending.Store(1)
	d := l.planned.get(o.obj.Key)
	if d == nil {
		var err error
		if d, err = decode.NewDecoder(ctx, l.store, o.obj, l.opts.Format); err != nil {
			return readingErr(o.obj.Key, err)
		}
	}
	defer d.Close()
	pr := newProjection(d.Schema(), l.schema)
	idPos := make([]int, len(l.opts.IDColumns))
	for i, c := range l.opts.IDColumns {
		for j, f := range l.schema.Fields {
			if f.Name == c {
				idPos[i] = j
			}
		}
	}
	enc, _ := l.sink.(backends.EncodingSink)
	newBatch := func() batch {
		b := batch{obj: o}
		if enc != nil {
			b.body = l.bodies.get()
		}
		return b
	}
	cur := newBatch()
	size := 0
	var n int64
	var read int64 // rows read and not yet added to the shared counts, which other decoders add to
	send := func() error {
		o.read.Add(read)
		l.rowsRead.Add(read)
		read = 0
		if cur.len() == 0 {
			return nil
		}
		o.pending.Add(1)
		select {
		case out <- cur:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		cur = newBatch()
		size = 0
		return nil
	}
	vd := decode.Values(d)
	var raw, row []backends.Value
	var idBuf []byte
	var idHex [32]byte
	for {
		var err error
		raw, err = vd.NextValues(raw)
		if err == io.EOF {
			break
		}
		var rowErr *decode.RowError
		if errors.As(err, &rowErr) {
			n++
			read++
			if err := l.setAside(o, n, rowErr.Error(), rowErr.Column, rowErr.Value, nil); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return readingErr(o.obj.Key, err)
		}
		n++
		read++
		var bad string
		if row, bad = pr.conform(raw, row); bad != "" {
			if err := l.setAside(o, n, bad, "", "", boxed(row)); err != nil {
				return err
			}
			continue
		}
		idBuf = l.id(idBuf[:0], o.obj, n, row, idPos)
		hex.Encode(idHex[:], idBuf)
		cur.pos = append(cur.pos, n)
		if enc != nil {
			bd := cur.body
			bd.at = append(bd.at, len(bd.buf))
			// The id only lives through the call: a string over idHex, not a copy.
			if bd.buf, err = enc.AppendItem(bd.buf, unsafe.String(&idHex[0], len(idHex)), row); err != nil {
				return err
			}
			size = len(bd.buf)
		} else {
			r := boxed(row)
			cur.rows = append(cur.rows, r)
			cur.ids = append(cur.ids, string(idHex[:]))
			size += rowSize(r)
		}
		if size >= l.opts.BatchBytes {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if err := send(); err != nil {
		return err
	}
	if cur.body != nil {
		l.bodies.put(cur.body)
	}
	l.finishOne(o)
	return nil
}

// projection maps a source's rows onto the table's fields.
type projection struct {
	fields []query.Field
	pos    []int           // target field -> source field, -1 when absent
	kinds  []backends.Kind // the kind each target field takes as it is
	same   bool            // the source's fields are the table's, in order
}

// newProjection is the projection of rows of src onto the fields of table.
func newProjection(src, table query.Schema) projection {
	pr := projection{fields: table.Fields, pos: make([]int, len(table.Fields)), kinds: make([]backends.Kind, len(table.Fields)),
		same: len(src.Fields) == len(table.Fields)}
	for i, f := range table.Fields {
		pr.pos[i] = -1
		for j, g := range src.Fields {
			if g.Name == f.Name {
				pr.pos[i] = j
			}
		}
		pr.same = pr.same && pr.pos[i] == i
		pr.kinds[i] = decode.KindOf(f.Type)
	}
	return pr
}

// conform is raw as a row of the table's fields, each converted to its field's type, reusing
// row's (or, when the fields are the table's, raw's own) memory; bad says why the row cannot be
// written, naming the first column that does not convert, or is "".
func (pr *projection) conform(raw, row []backends.Value) ([]backends.Value, string) {
	if pr.same && len(raw) == len(pr.pos) {
		row = raw // converted in place below
	} else {
		row = append(row[:0], make([]backends.Value, len(pr.pos))...)
		for i, p := range pr.pos {
			if p >= 0 && p < len(raw) {
				row[i] = raw[p]
			}
		}
	}
	var bad string
	for i := range row {
		v := &row[i]
		if v.Kind == backends.KindNull || v.Kind == pr.kinds[i] && v.Kind != backends.KindOther {
			continue
		}
		c, err := decode.ConvertValue(*v, pr.fields[i].Type)
		if err != nil && bad == "" {
			bad = fmt.Sprintf("column %q: %v", pr.fields[i].Name, err)
		}
		*v = c
	}
	return row, bad
}

// boxed is row as a Row, its strings copied.
func boxed(row []backends.Value) backends.Row {
	out := make(backends.Row, len(row))
	for i, v := range row {
		out[i] = v.Any()
	}
	return out
}

// finishOne drops one pending unit; the object is done when none are left.
func (l *loader) finishOne(o *objectState) {
	if o.pending.Add(-1) != 0 || o.failed.Load() {
		return
	}
	l.objectsDone.Add(1)
	l.cp.markDone(o.obj, o.read.Load(), o.indexed.Load(), o.dead.Load())
}

func (l *loader) write(ctx context.Context, b batch) error {
	var err error
	if b.body != nil {
		bd := b.body
		err = l.sink.(backends.EncodingSink).WriteItems(ctx, bd.buf, append(bd.at, len(bd.buf)))
		l.bodies.put(bd)
	} else {
		err = l.sink.Write(ctx, b.rows, b.ids)
	}
	var rej *backends.RejectedError
	rejected := 0
	if errors.As(err, &rej) {
		for _, r := range rej.Rows {
			if r.Index < 0 || r.Index >= b.len() {
				continue
			}
			doc := r.Row
			if b.rows != nil {
				doc = b.rows[r.Index]
			}
			if err := l.setAside(b.obj, b.pos[r.Index], r.Reason, "", "", doc); err != nil {
				return err
			}
			rejected++
		}
		err = nil
	}
	if err != nil {
		b.obj.failed.Store(true)
		return fmt.Errorf("writing rows of %s: %w", b.obj.obj.Key, err)
	}
	ok := int64(b.len() - rejected)
	b.obj.indexed.Add(ok)
	l.indexed.Add(ok)
	l.finishOne(b.obj)
	return nil
}

func (l *loader) setAside(o *objectState, row int64, reason, column, value string, doc backends.Row) error {
	o.dead.Add(1)
	l.dead.Add(1)
	return l.dl.add(deadRow{Source: o.obj.Key, Row: row, Reason: reason, Column: column, Value: value}, l.schema, doc)
}

// id appends a row's deterministic document id to b (raw bytes, hex-encoded by the caller): the
// first 16 bytes of a SHA-256 of its --id columns' key texts, or of its source object and
// position, so a re-run writes the same ids and never duplicates.
func (l *loader) id(b []byte, o objstore.Object, n int64, row []backends.Value, idPos []int) []byte {
	key := b
	if len(idPos) == 0 {
		key = append(key, o.Key...)
		key = append(key, 0)
		key = strconv.AppendInt(key, n, 10)
	} else {
		for _, p := range idPos {
			key = decode.AppendKeyText(key, row[p])
			key = append(key, 0x1f)
		}
	}
	sum := sha256.Sum256(key)
	return append(key[:0], sum[:16]...)
}

func rowSize(row backends.Row) int {
	n := 2
	for _, v := range row {
		switch x := v.(type) {
		case string:
			n += len(x) + 16
		case time.Time:
			n += 40
		default:
			n += 16
		}
	}
	return n
}

type countingStore struct {
	objstore.Store
	read atomic.Int64
}

func (c *countingStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := c.Store.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	return &countingReader{rc, &c.read}, nil
}

func (c *countingStore) ReaderAt(ctx context.Context, key string, size int64) (io.ReaderAt, error) {
	ra, err := c.Store.ReaderAt(ctx, key, size)
	if err != nil {
		return nil, err
	}
	return &countingReaderAt{ra, &c.read}, nil
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n.Add(int64(n))
	return n, err
}

type countingReaderAt struct {
	io.ReaderAt
	n *atomic.Int64
}

func (r *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.ReaderAt.ReadAt(p, off)
	r.n.Add(int64(n))
	return n, err
}

// Close closes the wrapped reader when it has a Close.
func (r *countingReaderAt) Close() error {
	if c, ok := r.ReaderAt.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
