package catalog

// A commit killed half-way (kill -9, a lost machine) leaves files in the table's folder that no
// version references: the adopted data file, manifests, a manifest list, a metadata file.
// Iceberg's own remove_orphan_files waits days before it deletes such files, because it cannot
// know whether a writer is still committing them. dora's writers say so themselves:
//
//   - Before a write creates any file in a table's folder it records an intent,
//     LOCATION/_dora_intents/ID.json: its owner (machine, pid, process start, run id) and,
//     write-ahead, every file it is about to create: by the random token in its name (the UUID
//     that all data files of one iceberg-go write, or all manifests of one commit, share), or
//     by name when it has none. The intent is rewritten (atomically: a rename on a local disk,
//     one PUT on S3) before a file with a new token is created, through the iceberg-go IO
//     factories recordio.go wraps, and renewed every intentRenew while the write lasts.
//   - A write that ends settles its intent: published, the intent is removed; failed with
//     nothing published (an error before the commit, or a lost race), its files are deleted and
//     then the intent. When the catalog may or may not have taken the commit, the intent stays.
//   - Every write first sweeps the table's intents. It deletes a file only when all of these
//     hold: (1) an intent names it, or its token; (2) the intent's owner is provably gone: on this machine
//     (same host, boot and pid namespace) its pid is gone or belongs to a later process, and
//     anywhere else (and always for a REST catalog, whose server may finish a commit after its
//     client died) the intent was not renewed for intentLease; (3) the table's metadata, read
//     after (2) was decided, references it nowhere: not as the current or a previous metadata
//     file, nor as any snapshot's manifest list, manifest or data file. Then the intent goes.
//
// A live writer's files are named only in its own intent, whose owner is alive, so no sweep
// takes them; a gone writer cannot commit any more, so a file of its that nothing references
// now never will be. Files of other engines are never named in an intent, so never touched.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"

	"github.com/dora-dev/dora/pipelines/objstore"
)

// intentDir is the folder of a table's intents; the leading "_" is the Hadoop convention for
// markers, which Spark's orphan-file action and dora's object listings skip.
const intentDir = "_dora_intents"

var (
	// intentRenew is how often a write rewrites its intent to show it is alive.
	intentRenew = time.Minute
	// intentLease is how long an intent of another machine's writer (or any writer, for a REST
	// catalog) may go unrenewed before the sweep counts its owner gone. Far above intentRenew, to
	// allow for clock skew between machines and a stalled but living process.
	intentLease = 15 * time.Minute
)

// intentRecord is an intent as stored.
type intentRecord struct {
	Table   string    `json:"table"`
	RunID   string    `json:"run_id,omitempty"`
	Host    string    `json:"host"`
	Machine string    `json:"machine"` // host, boot and pid namespace: where PID names this process
	PID     int       `json:"pid"`
	Start   uint64    `json:"process_start,omitempty"` // clock ticks after boot (/proc/PID/stat)
	Began   time.Time `json:"began"`
	Renewed time.Time `json:"renewed"`
	// Tokens are the random names (UUIDs) in the files the write created or was about to: all
	// files of one write or commit share one (iceberg-go's write and commit UUIDs), so a file
	// in the table's folder whose name holds one is this write's. Files are those without one.
	Tokens []string `json:"tokens"`
	Files  []string `json:"files"`
}

// nameToken finds the random part of a file's name: a UUID, or the 32 hex digits dora names
// adopted data files with; "" when there is none.
func nameToken(file string) string {
	return tokenPattern.FindString(path.Base(file))
}

var tokenPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}`)

// names says whether the record names file, by its token or itself.
func (r intentRecord) names(file string) bool {
	if tok := nameToken(file); tok != "" && slices.Contains(r.Tokens, tok) {
		return true
	}
	return slices.ContainsFunc(r.Files, func(f string) bool { return normalizePath(f) == normalizePath(file) })
}

// intent is a write's own intent while it lasts.
type intent struct {
	mu     sync.Mutex
	prefix string // the table location, normalized, with a trailing slash
	key    string // the marker's name in store
	store  objstore.Store
	rec    intentRecord
	made   []string // every file announced, for a write that removes its own
	stop   chan struct{}
	done   chan struct{}
	unlock func()
	ended  bool
}

// active holds this process's open intents, which the wrapped IO factories announce files to.
var active struct {
	sync.Mutex
	set map[*intent]bool
}

// markers is the store a table's intents are kept in; nil for a location that is neither a
// local folder nor S3 (a table another engine made elsewhere), whose writes record none.
func (c *Catalog) markers(ctx context.Context, loc string) (objstore.Store, error) {
	if _, local := localPath(loc); local {
		return objstore.Local{}, nil
	}
	if !strings.HasPrefix(loc, "s3://") {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s3 == nil {
		s3, err := objstore.NewS3(ctx)
		if err != nil {
			return nil, err
		}
		c.s3 = s3
	}
	return c.s3, nil
}

// beginIntent records a write's intent to create files under tbl's location and starts
// renewing it. runID names the run in messages ("" when none).
func (c *Catalog) beginIntent(ctx context.Context, tbl *table.Table, name, runID string) (*intent, error) {
	return c.beginIntentAt(ctx, tbl.Location(), name, runID)
}

// beginIntentAt is beginIntent for the table whose folder is loc, made or not yet made.
func (c *Catalog) beginIntentAt(ctx context.Context, loc, name, runID string) (*intent, error) {
	loc = strings.TrimRight(loc, "/")
	store, err := c.markers(ctx, loc)
	if err != nil {
		return nil, fmt.Errorf("recording the write to %s: %w", name, err)
	}
	if store == nil {
		return &intent{ended: true}, nil
	}
	prefix := normalizePath(loc) + "/"
	unlock, err := lockTable(ctx, prefix)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	me := self()
	it := &intent{
		unlock: unlock,
		prefix: prefix,
		key:    fmt.Sprintf("%s/%s/%s-%d-%s.json", loc, intentDir, now.Format("20060102T150405Z"), me.PID, randomID()[:8]),
		store:  store,
		rec:    intentRecord{Table: name, RunID: runID, Host: me.Host, Machine: me.Machine, PID: me.PID, Start: me.Start, Began: now, Renewed: now, Tokens: []string{}, Files: []string{}},
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	if err := it.save(); err != nil {
		unlock()
		return nil, fmt.Errorf("recording the write to %s: %w", name, err)
	}
	active.Lock()
	if active.set == nil {
		active.set = map[*intent]bool{}
	}
	active.set[it] = true
	active.Unlock()
	go it.renew()
	return it, nil
}

// tableLocks holds one lock per table location: a process writes a table once at a time, so
// every file it creates is announced to exactly one intent (a write that fails with nothing
// published deletes the files its intent names).
var tableLocks sync.Map // normalized location -> chan struct{}

func lockTable(ctx context.Context, prefix string) (func(), error) {
	v, _ := tableLocks.LoadOrStore(prefix, make(chan struct{}, 1))
	ch := v.(chan struct{})
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// save writes the record; the caller holds mu or is the only user.
func (it *intent) save() error {
	b, err := json.Marshal(it.rec)
	if err != nil {
		return err
	}
	// Not the caller's context: an intent must be written even while the write is cancelled,
	// or the file after it would go unrecorded.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return it.store.Put(ctx, it.key, bytes.NewReader(b))
}

// add records file before it is created; a file whose token is recorded already needs no write.
func (it *intent) add(file string) error {
	it.mu.Lock()
	defer it.mu.Unlock()
	it.made = append(it.made, file)
	if it.rec.names(file) {
		return nil
	}
	if tok := nameToken(file); tok != "" {
		it.rec.Tokens = append(it.rec.Tokens, tok)
	} else {
		it.rec.Files = append(it.rec.Files, file)
	}
	it.rec.Renewed = time.Now().UTC()
	if err := it.save(); err != nil {
		return fmt.Errorf("recording %s before writing it: %w", file, err)
	}
	return nil
}

func (it *intent) renew() {
	defer close(it.done)
	tick := time.NewTicker(intentRenew)
	defer tick.Stop()
	for {
		select {
		case <-it.stop:
			return
		case <-tick.C:
			it.mu.Lock()
			it.rec.Renewed = time.Now().UTC()
			_ = it.save() // a missed renewal is caught up by the next one, long before the lease ends
			it.mu.Unlock()
		}
	}
}

// settle ends the intent: published, it only goes; with nothing published (the catalog surely
// did not take the commit), its files go first; unknown, it stays for a later sweep, which
// reads the table's metadata to see what the catalog took. Only the first call counts.
func (it *intent) settle(fsys icebergio.IO, outcome writeOutcome) error {
	if it.ended {
		return nil
	}
	it.ended = true
	active.Lock()
	delete(active.set, it)
	active.Unlock()
	close(it.stop)
	<-it.done
	defer it.unlock()
	switch outcome {
	case outcomeUnknown:
		return nil
	case outcomeNothing:
		if _, err := removeFiles(fsys, it.made); err != nil {
			return err
		}
	}
	return removeFile(fsys, it.key)
}

// writeOutcome is what a write knows about its commit when it ends.
type writeOutcome int

const (
	outcomeNothing   writeOutcome = iota // nothing published
	outcomeUnknown                       // the catalog may or may not have taken the commit
	outcomePublished                     // the commit is in
)

// announce records file in every open intent whose table folder holds it, before the caller
// creates it. Marker files are not announced.
func announce(file string) error {
	n := normalizePath(file)
	if strings.Contains(n, "/"+intentDir+"/") {
		return nil
	}
	active.Lock()
	var in []*intent
	for it := range active.set {
		if strings.HasPrefix(n, it.prefix) {
			in = append(in, it)
		}
	}
	active.Unlock()
	for _, it := range in {
		if err := it.add(file); err != nil {
			return err
		}
	}
	return nil
}

// normalizePath spells a local file as a plain path, so file:///x and /x compare equal.
func normalizePath(p string) string {
	if rest, ok := strings.CutPrefix(p, "file://"); ok {
		return rest
	}
	return p
}

// Sweep is what the sweep removed of one interrupted write.
type Sweep struct {
	Table string
	Files int    // files removed
	PID   int    // the interrupted writer's process
	Host  string // and its machine
	RunID string // its run, when it had one
}

// String says it for a person.
func (s Sweep) String() string {
	run := ""
	if s.RunID != "" {
		run = ", run " + s.RunID
	}
	return fmt.Sprintf("removed %d %s of an interrupted write to %s (pid %d on %s%s)", s.Files, plural(s.Files, "file"), s.Table, s.PID, s.Host, run)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// sweep removes the files of the table's interrupted writes and says so.
func (c *Catalog) sweep(ctx context.Context, tbl *table.Table, name string) {
	sweeps, err := c.sweepIntents(ctx, tbl, name, c.db == nil)
	for _, s := range sweeps {
		c.say(s.String())
	}
	if err != nil {
		c.say(fmt.Sprintf("could not remove all files of an interrupted write to %s (the next write tries again): %v", name, err))
	}
}

// settle ends a write's intent (see intent.settle), saying what went wrong.
func (c *Catalog) settle(ctx context.Context, it *intent, tbl *table.Table, outcome writeOutcome) {
	fsys, err := tbl.FS(context.WithoutCancel(ctx))
	if err == nil {
		err = it.settle(fsys, outcome)
	}
	if err != nil {
		c.say(fmt.Sprintf("could not remove the files of this write to %s (the next write after this process ends does): %v", it.rec.Table, err))
	}
}

// sweepIntents removes the files of the table's interrupted writes, by the rule at the top of
// this file. leaseOnly says the catalog may finish a commit after its client died (REST), so
// only an expired lease proves a writer gone.
func (c *Catalog) sweepIntents(ctx context.Context, tbl *table.Table, name string, leaseOnly bool) ([]Sweep, error) {
	loc := strings.TrimRight(tbl.Location(), "/")
	store, err := c.markers(ctx, loc)
	if err != nil || store == nil {
		return nil, err
	}
	objs, err := store.List(ctx, loc+"/"+intentDir)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the intents of %s: %w", name, err)
	}
	type deadIntent struct {
		key string
		rec intentRecord
	}
	var dead []deadIntent
	now, me := time.Now(), self()
	for _, o := range objs {
		if !strings.HasSuffix(o.Key, ".json") {
			continue
		}
		rec, err := readIntent(ctx, store, o.Key)
		if err != nil {
			continue // unreadable: nothing can be known of its files, so none is touched
		}
		if ownerGone(rec, me, now, leaseOnly) {
			dead = append(dead, deadIntent{o.Key, rec})
		}
	}
	if len(dead) == 0 {
		return nil, nil
	}
	// The owners are gone, so what the metadata says now is final for their files.
	fresh, err := c.cat.LoadTable(ctx, tbl.Identifier())
	if err != nil {
		return nil, fmt.Errorf("reading %s before removing files of interrupted writes: %w", name, err)
	}
	plan, err := fresh.PlanOrphanFiles(ctx, table.WithFilesOlderThan(0))
	if err != nil {
		return nil, fmt.Errorf("finding the files %s references: %w", name, err)
	}
	fsys, err := fresh.FS(ctx)
	if err != nil {
		return nil, err
	}
	var out []Sweep
	var errs []error
	for _, d := range dead {
		var files []string
		for _, f := range plan.Files() {
			if d.rec.names(f) {
				files = append(files, f)
			}
		}
		n, err := removeFiles(fsys, files)
		if err == nil {
			err = removeFile(fsys, d.key)
		}
		if err != nil {
			errs = append(errs, err)
		}
		if n > 0 {
			out = append(out, Sweep{Table: name, Files: n, PID: d.rec.PID, Host: d.rec.Host, RunID: d.rec.RunID})
		}
	}
	return out, errors.Join(errs...)
}

func readIntent(ctx context.Context, store objstore.Store, key string) (intentRecord, error) {
	var rec intentRecord
	rc, err := store.Open(ctx, key)
	if err != nil {
		return rec, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return rec, err
	}
	err = json.Unmarshal(b, &rec)
	return rec, err
}

// removeFiles deletes files, counting those that were there; a missing one is no error (the
// write may have died before creating it).
func removeFiles(fsys icebergio.IO, files []string) (int, error) {
	n := 0
	var errs []error
	for _, f := range files {
		err := fsys.Remove(f)
		switch {
		case err == nil:
			n++
		case !errors.Is(err, fs.ErrNotExist):
			errs = append(errs, fmt.Errorf("removing %s: %w", f, err))
		}
	}
	return n, errors.Join(errs...)
}

func removeFile(fsys icebergio.IO, f string) error {
	_, err := removeFiles(fsys, []string{f})
	return err
}
