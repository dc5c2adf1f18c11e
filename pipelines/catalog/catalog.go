// Package catalog keeps dora's Apache Iceberg tables: a SQL catalog (SQLite by default,
// PostgreSQL when shared) or a REST catalog, over a local or S3 warehouse, through iceberg-go.
// One write is one snapshot, so every reader sees a version whole or not at all; history, time
// travel and rollback come from the format.
package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/rest"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	_ "github.com/apache/iceberg-go/io/gocloud/s3" // the s3:// file IO
	"github.com/apache/iceberg-go/table"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/pipelines/objstore"
)

// Name is the catalog name dora's tables are filed under in a SQL catalog.
const Name = "dora"

var (
	// ErrNoSuchTable is what Load and the writers' lookups return for a table that is not in the
	// catalog; it is the backends' ErrNoSuchTable, so callers map it once.
	ErrNoSuchTable = backends.ErrNoSuchTable
	// ErrConflict says another writer changed the table since the snapshot a write planned
	// against; nothing was published and the caller should re-plan.
	ErrConflict = errors.New("the table changed since it was read")
)

// Catalog is an open Iceberg catalog and its warehouse.
type Catalog struct {
	cfg   Config
	cat   catalog.Catalog
	db    *sql.DB // nil for REST
	props map[string]string
	// notify hears what a write did besides its commit (files of an interrupted write removed).
	notify func(msg string)
	mu     sync.Mutex
	s3     *objstore.S3 // the intents' store for an S3 warehouse, made on first use
}

// PropRunID is the snapshot summary property that names the run which wrote it; a write's
// intent (intent.go) names the run from it too.
const PropRunID = "dora.run-id"

// SetNotify sets where a write says what it did besides its commit, such as removing the files
// of an interrupted write: one line for a person, naming no secret. Unset, nothing is said.
func (c *Catalog) SetNotify(fn func(msg string)) { c.notify = fn }

func (c *Catalog) say(msg string) {
	if c.notify != nil {
		c.notify(msg)
	}
}

// Open opens the catalog cfg names (resolved first), as the SQL catalog "dora" for sqlite: and
// postgres:// URLs, creating the SQLite file, its folder and a local warehouse folder as needed.
func Open(ctx context.Context, cfg Config) (*Catalog, error) {
	cfg = cfg.Resolve()
	k, err := cfg.kind()
	if err != nil {
		return nil, err
	}
	props, err := warehouseProps(ctx, cfg.Warehouse)
	if err != nil {
		return nil, err
	}
	c := &Catalog{cfg: cfg, props: props}
	switch k {
	case kindSQLite:
		err = c.openSQLite(ctx, strings.TrimPrefix(cfg.Catalog, "sqlite:"))
	case kindPostgres:
		err = c.openPostgres(ctx)
	case kindREST:
		// Thin by design: no REST server is at hand to test against.
		c.cat, err = rest.NewCatalog(ctx, Name, cfg.Catalog,
			rest.WithWarehouseLocation(props["warehouse"]), rest.WithAdditionalProps(props))
		if err != nil {
			err = fmt.Errorf("opening the REST catalog %s: %w", redact(cfg.Catalog), err)
		}
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Catalog) openSQLite(ctx context.Context, path string) error {
	if path == "" {
		return errors.New("catalog sqlite: needs a file path (sqlite:PATH)")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating the catalog folder: %w", err)
	}
	// WAL and a busy timeout on every pooled connection, so writers from several goroutines or
	// processes wait for each other instead of failing with "database is locked".
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
	return c.openSQL(ctx, "sqlite", dsn, sqlcat.SQLite, "sqlite:"+path)
}

func (c *Catalog) openPostgres(ctx context.Context) error {
	return c.openSQL(ctx, "pgx", c.cfg.Catalog, sqlcat.Postgres, redact(c.cfg.Catalog))
}

// openSQL opens the database, checks it answers, and puts iceberg-go's SQL catalog on it.
func (c *Catalog) openSQL(ctx context.Context, driver, dsn string, dialect sqlcat.SupportedDialect, shown string) error {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return fmt.Errorf("opening the catalog %s: %w", shown, err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return fmt.Errorf("%w: cannot reach the catalog database %s: %s", backends.ErrUnavailable, shown, scrub(err.Error(), c.cfg.Catalog))
	}
	cat, err := sqlcat.NewCatalog(Name, db, dialect, c.props)
	if err != nil {
		db.Close()
		return fmt.Errorf("opening the catalog %s: %s", shown, scrub(err.Error(), c.cfg.Catalog))
	}
	c.cat, c.db = cat, db
	return nil
}

// scrub removes the password of the URL u from a driver's message.
func scrub(msg, u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if at := strings.LastIndex(u, "@"); at > i {
			if _, pw, ok := strings.Cut(u[i+3:at], ":"); ok && pw != "" {
				msg = strings.ReplaceAll(msg, pw, "xxxxx")
			}
		}
	}
	return msg
}

// Close releases the catalog and its database connections.
func (c *Catalog) Close() error {
	var errs []error
	if cl, ok := c.cat.(catalog.Closer); ok {
		errs = append(errs, cl.Close())
	}
	if c.db != nil {
		errs = append(errs, c.db.Close())
	}
	return errors.Join(errs...)
}

// Config is the resolved configuration the catalog was opened with.
func (c *Catalog) Config() Config { return c.cfg }

// Tables lists every table of every namespace as "ns.table", sorted.
func (c *Catalog) Tables(ctx context.Context) ([]string, error) {
	namespaces, err := c.cat.ListNamespaces(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("listing namespaces in %s: %w", c.cfg, err)
	}
	var out []string
	for _, ns := range namespaces {
		for ident, err := range c.cat.ListTables(ctx, ns) {
			if err != nil {
				return nil, fmt.Errorf("listing tables of %s: %w", strings.Join(ns, "."), err)
			}
			out = append(out, strings.Join(ident, "."))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Load reads a table's current metadata; name is "ns.table". A table that is not there gives an
// error wrapping ErrNoSuchTable.
func (c *Catalog) Load(ctx context.Context, name string) (*Table, error) {
	ident, err := parseName(name)
	if err != nil {
		return nil, err
	}
	tbl, err := c.loadIdent(ctx, ident)
	if err != nil {
		return nil, err
	}
	return &Table{name: name, tbl: tbl}, nil
}

func (c *Catalog) loadIdent(ctx context.Context, ident table.Identifier) (*table.Table, error) {
	tbl, err := c.cat.LoadTable(ctx, ident)
	if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
		return nil, fmt.Errorf("%w: %s (in %s)", ErrNoSuchTable, strings.Join(ident, "."), c.cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", strings.Join(ident, "."), err)
	}
	return tbl, nil
}

// parseName splits "ns.table" (or "a.b.table" for a nested namespace) into an identifier.
func parseName(name string) (table.Identifier, error) {
	parts := strings.Split(name, ".")
	if len(parts) < 2 || slices.Contains(parts, "") {
		return nil, fmt.Errorf("table name %q: want namespace.table", name)
	}
	return parts, nil
}
