// Package loads is the Loads screen: S3 buckets and prefixes (and local folders) with their
// object counts and sizes, a form for a new load with a preview of the inferred schema, the
// load's live progress and its reconciliation, and the loads run from this machine. It drives
// pipelines/load as dora load does; the history is the one the loader itself writes.
package loads

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/internal/xdg"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/load"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/common"
	"github.com/dora-dev/dora/tui/screen"
	"github.com/dora-dev/dora/tui/styles"
)

// Options say where the screen starts and where it keeps its files.
type Options struct {
	// Start is the first location: s3:// lists the buckets, s3://bucket/prefix/ or a folder
	// lists that. s3:// when AWS settings are present, else the working folder, when "".
	Start string
	// History is the load history; load.HistoryPath() when "".
	History string
	// DeadLetterDir holds the rows set aside, TABLE.dead-letter.ndjson; the state folder's
	// loads/ when "".
	DeadLetterDir string
	Poll          time.Duration // how often the history is read again; 2s when 0
	// Catalog is where an iceberg:NAMESPACE.TABLE source is found, as dora load finds it.
	Catalog catalog.Config
}

// Entry is one line of a listing: a bucket, a folder (prefix) or a file.
type Entry struct {
	Name    string
	Key     string // what a load of it reads: s3://b/p/ or /abs/path
	Dir     bool
	Objects int   // files under it; -1 when not counted (buckets)
	Size    int64 // their total size
}

// Messages carrying answers back; each names what it answers by a sequence number.
type (
	listedMsg struct {
		seq     int
		loc     string
		entries []Entry
		err     error
	}
	historyMsg struct {
		seq  int
		recs []load.Record
		err  error
	}
	planMsg struct {
		seq  int
		plan load.Plan
		err  error
	}
	startedMsg struct {
		id     int
		events <-chan tea.Msg
	}
	progressMsg struct {
		id    int
		stats load.Stats
	}
	finishedMsg struct {
		id  int
		sum load.Summary
		err error
	}
	tickMsg struct{}
)

type mode int

const (
	modeBrowse mode = iota
	modeForm
	modeRun
)

type pane int

const (
	paneFiles pane = iota
	paneLoads
)

// The form's fields, in order.
const (
	fieldSource = iota
	fieldTable
	fieldIDs
	fieldWorkers
	fieldFormat
	fieldCount
)

var fieldNames = [fieldCount]string{"source", "table", "id columns", "workers", "format"}

// Run is the load started from this screen: the one in flight or the last one finished.
type Run struct {
	ID      int
	Opts    load.Options
	Stats   load.Stats
	Summary load.Summary
	Err     error
	Done    bool
	cancel  context.CancelFunc
	events  <-chan tea.Msg
}

// Model is the Loads screen.
type Model struct {
	ctx     context.Context
	backend backends.Backend
	opts    Options
	styles  *styles.Styles
	keys    KeyMap
	w, h    int
	focused bool

	loc      string
	locInput textinput.Model
	editLoc  bool
	locFresh bool // the prompt still holds the location as opened: typing replaces it
	entries  []Entry
	listErr  error
	listing  bool
	listSeq  int
	at       int
	pane     pane

	history []load.Record
	histErr error
	histSeq int
	histAt  int
	reading bool
	// readAgain asks for another read when the one in flight answers.
	readAgain bool

	mode     mode
	fields   [fieldCount]textinput.Model
	field    int
	plan     *load.Plan
	planErr  error
	planSeq  int
	planning bool
	planFor  string // the source and format the plan (or its request) is of
	// types are the column types set in the form over the inferred ones; typeAt is the column
	// of the mapping under the cursor while the mapping has the form's focus (field fieldCount).
	types  map[string]query.Type
	typeAt int
	// typing is a type being typed over the type of column typeAt (the mapping's lines are
	// editable: "int", "double", "keyword"… as dora load --type reads them); typeErr is why it
	// is not one yet.
	typing  string
	typeErr error

	run    *Run
	runSeq int

	note    string
	noteBad bool
}

var _ screen.Screen = (*Model)(nil)

// New builds the screen on c, loading into its backend. It does no I/O: Init lists the start
// location.
func New(c *common.Common, opts Options) *Model {
	if opts.Start == "" {
		opts.Start = defaultStart()
	}
	if opts.History == "" {
		opts.History = load.HistoryPath()
	}
	if opts.DeadLetterDir == "" {
		opts.DeadLetterDir = filepath.Join(xdg.StateDir(), "loads")
	}
	if opts.Poll <= 0 {
		opts.Poll = 2 * time.Second
	}
	m := &Model{ctx: c.Ctx, backend: c.Backend, opts: opts, styles: c.Styles, keys: DefaultKeyMap(), loc: opts.Start}
	m.locInput = textinput.New()
	m.locInput.Prompt = "location: "
	for i := range m.fields {
		m.fields[i] = textinput.New()
		m.fields[i].Prompt = ""
	}
	return m
}

// defaultStart is s3:// where S3 is configured, else the working folder.
func defaultStart() string {
	for _, k := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_PROFILE"} {
		if os.Getenv(k) != "" {
			return "s3://"
		}
	}
	if wd, err := os.Getwd(); err == nil {
		return wd
	}
	return "."
}

// Init lists the start location and reads the history.
func (m *Model) Init() tea.Cmd { return tea.Batch(m.list(m.loc), m.readHistory(), m.tick()) }

func (m *Model) tick() tea.Cmd {
	return tea.Tick(m.opts.Poll, func(time.Time) tea.Msg { return tickMsg{} })
}

// list reads a location's entries.
func (m *Model) list(loc string) tea.Cmd {
	m.listSeq++
	m.listing = true
	seq, ctx := m.listSeq, m.ctx
	return func() tea.Msg {
		entries, err := List(ctx, loc)
		return listedMsg{seq: seq, loc: loc, entries: entries, err: err}
	}
}

// readHistory reads the loads recorded on this machine, unless a read is in flight.
func (m *Model) readHistory() tea.Cmd {
	if m.reading {
		m.readAgain = true // the file may have changed since that read began
		return nil
	}
	m.reading = true
	m.histSeq++
	seq, ctx, path := m.histSeq, m.ctx, m.opts.History
	return func() tea.Msg {
		recs, err := load.History(ctx, path)
		return historyMsg{seq: seq, recs: recs, err: err}
	}
}

// preview infers the schema of the form's source, as the load will.
func (m *Model) preview() tea.Cmd {
	source, table, format := m.value(fieldSource), m.value(fieldTable), m.value(fieldFormat)
	if source+"\x00"+format == m.planFor {
		return nil
	}
	m.planFor = source + "\x00" + format
	m.planSeq++
	m.planning, m.plan, m.planErr = true, nil, nil
	seq, ctx := m.planSeq, m.ctx
	return func() tea.Msg {
		p, err := load.Infer(ctx, source, table, format)
		return planMsg{seq: seq, plan: p, err: err}
	}
}

// start runs a load in a goroutine of its own, under the shell's context, so it goes on while
// another screen is shown; its progress and end come back as messages through events.
func (m *Model) start(opts load.Options) tea.Cmd {
	m.runSeq++
	ctx, cancel := context.WithCancel(m.ctx)
	r := &Run{ID: m.runSeq, Opts: opts, cancel: cancel}
	m.run, m.mode = r, modeRun
	b, id := m.backend, r.ID
	return func() tea.Msg {
		events := make(chan tea.Msg, 8)
		opts.Progress = func(s load.Stats) {
			select { // a slow screen skips a tick rather than holding the load
			case events <- progressMsg{id: id, stats: s}:
			default:
			}
		}
		go func() {
			defer cancel()
			sum, err := load.Run(ctx, b, opts)
			events <- finishedMsg{id: id, sum: sum, err: err}
			close(events)
		}()
		return startedMsg{id: id, events: events}
	}
}

// wait is the next message of a running load.
func wait(events <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-events
		if !ok {
			return nil
		}
		return msg
	}
}

// List reads a location: s3:// is the buckets; a prefix or a folder is its folders and files,
// each folder with the count and size of the files under it.
func List(ctx context.Context, loc string) ([]Entry, error) {
	if loc == "s3://" || loc == "s3:" {
		s, err := objstore.NewS3(ctx)
		if err != nil {
			return nil, err
		}
		names, err := s.Buckets(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]Entry, len(names))
		for i, n := range names {
			out[i] = Entry{Name: n + "/", Key: "s3://" + n + "/", Dir: true, Objects: -1}
		}
		return out, nil
	}
	store, prefix, err := objstore.Open(ctx, loc)
	if err != nil {
		return nil, err
	}
	objs, err := store.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	base := prefix
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	var out []Entry
	dirs := map[string]int{}
	for _, o := range objs {
		rel, ok := strings.CutPrefix(o.Key, base)
		if !ok { // the location names this one file
			out = append(out, Entry{Name: filepath.Base(o.Key), Key: o.Key, Objects: 1, Size: o.Size})
			continue
		}
		child, _, nested := strings.Cut(rel, "/")
		if !nested {
			out = append(out, Entry{Name: child, Key: o.Key, Objects: 1, Size: o.Size})
			continue
		}
		i, ok := dirs[child]
		if !ok {
			i = len(out)
			dirs[child] = i
			out = append(out, Entry{Name: child + "/", Key: base + child + "/", Dir: true})
		}
		out[i].Objects++
		out[i].Size += o.Size
	}
	slices.SortStableFunc(out, func(a, b Entry) int { // folders first, then by name
		if a.Dir != b.Dir {
			if a.Dir {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// Parent is the location above loc: a bucket's is s3://, a folder's its folder.
func Parent(loc string) string {
	if rest, ok := strings.CutPrefix(loc, "s3://"); ok {
		rest = strings.TrimSuffix(rest, "/")
		i := strings.LastIndex(rest, "/")
		if i < 0 {
			return "s3://"
		}
		return "s3://" + rest[:i+1]
	}
	abs, err := filepath.Abs(loc)
	if err != nil {
		return loc
	}
	return filepath.Dir(abs)
}

// TableFor is the table a source loads into by default: its last component, without
// extensions, in lower case with anything but letters, digits and _ turned into _.
func TableFor(source string) string {
	name := strings.TrimRight(strings.TrimPrefix(source, "s3://"), "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.Index(name, "."); i > 0 {
		name = name[:i]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Location is the location listed.
func (m *Model) Location() string { return m.loc }

// Entries is the listing shown.
func (m *Model) Entries() []Entry { return m.entries }

// History is the loads recorded, newest first.
func (m *Model) History() []load.Record { return m.history }

// Current is the load started here, or nil.
func (m *Model) Current() *Run { return m.run }

// Plan is the form's preview, or nil.
func (m *Model) Plan() (*load.Plan, error) { return m.plan, m.planErr }

// Err is the listing's failure, if any.
func (m *Model) Err() error { return m.listErr }

func (m *Model) value(i int) string { return strings.TrimSpace(m.fields[i].Value()) }

func (m *Model) setNote(s string, bad bool) { m.note, m.noteBad = s, bad }
