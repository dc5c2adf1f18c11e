package backends

import "context"

// The optional capabilities of a backend or a sink, declared together: a caller asks for one
// with a type assertion and does without where it is missing. Every Backend and Sink has the
// methods of its interface; these are what only some engines do.

// EncodingSink is a Sink that lets its caller build a batch's request body itself, one row at a
// time from Values into a buffer it reuses, instead of handing Write a []Row: no Row and no
// boxed value per row.
type EncodingSink interface {
	Sink
	// AppendItem appends one row, its values in the Schema's field order, as an item of a batch
	// body, with id as its document id when not empty. It keeps nothing of row or id.
	AppendItem(body []byte, id string, row []Value) ([]byte, error)
	// WriteItems writes a body of AppendItem's items as one batch: item i is body[at[i]:at[i+1]].
	// As with Write, rows refused for their content come back as a *RejectedError, each with the
	// row it refused (Rejection.Row). WriteItems keeps nothing of body once it returns.
	WriteItems(ctx context.Context, body []byte, at []int) error
}

// CountingSink is a Sink that can count the rows of the version it writes, so a load can check
// that every row written is there (rows sharing an id overwrite each other).
type CountingSink interface {
	Sink
	Count(ctx context.Context) (int64, error)
}

// VersionPruner is a backend that keeps versions of a table (Elasticsearch: an index per
// version behind the table's alias) and deletes all but the newest keep of them, returning
// the names deleted. DuckDB replaces a table whole and keeps none.
type VersionPruner interface {
	PruneVersions(ctx context.Context, table string, keep int) ([]string, error)
}

// VersionNamer is a backend that writes a version of a table somewhere else than the
// versioned index TABLE-VERSION behind an alias, and names it (DuckDB: the table itself).
type VersionNamer interface {
	VersionTable(table, version string) string
}

// RowCapper is a backend whose cap on the rows a query without a LIMIT returns can be set.
type RowCapper interface {
	SetMaxRows(n int)
}

// Unwrapper is a Backend that stands for another one, as the workbench's session does; it
// returns nil while it holds none.
type Unwrapper interface {
	Unwrap() Backend
}

// As is b as the capability T, looking through Unwrappers to the backend they stand for.
func As[T any](b Backend) (T, bool) {
	for b != nil {
		if t, ok := b.(T); ok {
			return t, true
		}
		u, ok := b.(Unwrapper)
		if !ok {
			break
		}
		b = u.Unwrap()
	}
	var zero T
	return zero, false
}
