// Package backends defines what dora asks of a data store: list tables, describe one, run a Spec,
// and accept rows. Implementations live one per sub-package and are chosen by URL with Open.
package backends

import (
	"context"
	"errors"
	"fmt"

	"github.com/dora-dev/dora/query"
)

// Shared errors that every backend maps its driver errors onto, so the CLI and TUI can say what
// happened in words.
var (
	ErrNoSuchTable = errors.New("no such table")
	ErrUnavailable = errors.New("backend unavailable")
	ErrBadQuery    = errors.New("bad query")
)

// Table is one queryable table (a DuckDB table or view; an Elasticsearch index, alias or data
// stream).
type Table struct {
	Name string
	Kind string // table, view, index, alias, data stream
	Rows int64  // -1 when unknown
}

// Backend is a data store dora can explore and write into.
type Backend interface {
	// Name is the backend's URL without credentials.
	Name() string
	Tables(ctx context.Context) ([]Table, error)
	Schema(ctx context.Context, table string) (query.Schema, error)
	// Run answers a Spec that has been validated against the table's schema.
	Run(ctx context.Context, spec query.Spec) (*query.Result, error)
	// Explain returns the request Run would send for the Spec, without sending it.
	Explain(ctx context.Context, spec query.Spec) (string, error)
	// Sink opens a writer into a new version of table; nothing is visible until Commit.
	Sink(ctx context.Context, table string, schema query.Schema, opts SinkOptions) (Sink, error)
	Close() error
}

// Planner is a Backend that can say which parts of a Spec its engine computes and which dora
// finishes, for --explain: one line per part, "who: what".
type Planner interface {
	Plan(ctx context.Context, spec query.Spec) ([]string, error)
}

// SinkOptions tunes a Sink.
type SinkOptions struct {
	Version string // the version suffix of the physical table or index; a timestamp when empty
	Workers int    // parallel writers, where the backend has them
	// Resume reopens the version if it exists (a load continuing after a crash) instead of
	// starting it afresh.
	Resume bool
	// Mapping, when set, is the backend's own mapping document (Elasticsearch "mappings" JSON) to
	// use instead of one derived from the Schema.
	Mapping []byte
}

// Row is one record handed to a Sink, in the Schema's field order.
type Row = []any

// Sink accepts batches of rows for a new version of a table, then publishes it atomically.
// Write may be called from several goroutines at once.
type Sink interface {
	// Write appends a batch. ids, when not nil, are deterministic document ids, one per row.
	// Rows the backend refuses for their content come back as a *RejectedError (the rest of the
	// batch is written); any other error means the batch may not have been written.
	Write(ctx context.Context, rows []Row, ids []string) error
	// Commit makes the new version the one readers of the table see.
	Commit(ctx context.Context) error
	// Abort discards everything written.
	Abort(ctx context.Context) error
}

// NoSuchTableError names a missing table and lists the ones that exist.
type NoSuchTableError struct {
	Table  string
	Tables []string
}

func (e *NoSuchTableError) Error() string {
	return fmt.Sprintf("no table %q; tables: %s", e.Table, joinOr(e.Tables))
}

// Unwrap makes errors.Is(err, ErrNoSuchTable) true.
func (e *NoSuchTableError) Unwrap() error { return ErrNoSuchTable }

func joinOr(names []string) string {
	if len(names) == 0 {
		return "(none)"
	}
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// TableNames returns the names of tables.
func TableNames(ts []Table) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// Rejection is one row a Sink refused, by its position in the batch, with the backend's reason.
type Rejection struct {
	Index  int
	Reason string
	Row    Row // the row as it was written, when the Sink can tell (EncodingSink.WriteItems does)
}

// RejectedError lists the rows of a batch a Sink refused; the other rows were written.
type RejectedError struct {
	Rows []Rejection
}

func (e *RejectedError) Error() string {
	if len(e.Rows) == 0 {
		return "no rows rejected"
	}
	return fmt.Sprintf("%d rows rejected; first: row %d: %s", len(e.Rows), e.Rows[0].Index, e.Rows[0].Reason)
}
