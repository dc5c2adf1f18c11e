package catalog

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

// WriteOptions says how a write publishes its snapshot.
type WriteOptions struct {
	// Base is the snapshot the caller planned against (0: the table was missing or empty). An
	// Overwrite whose table is no longer at Base returns an error wrapping ErrConflict and
	// publishes nothing. Append does not check it.
	Base int64
	// PartitionBy applies when the write creates the table: "col" (identity), "day(col)",
	// "month(col)", "year(col)" or "hour(col)".
	PartitionBy []string
	// Properties go into the snapshot summary (dora.run-id, dora.pipeline, dora.checks, ...).
	Properties map[string]string
	// Adopt lets an Overwrite of an unpartitioned table take the files as they are: moved (or,
	// for an S3 warehouse, uploaded) into the table's data folder and committed as its data
	// files, instead of read back and written again. The caller gives the files up: they may be
	// gone after the call. Files whose columns do not match the table's types exactly are
	// written the usual way.
	Adopt bool
}

// appendRetries bounds how often Append reloads and tries again after losing a race.
const appendRetries = 8

// Overwrite commits the rows of the given Parquet files (any number, none for an empty result)
// as one snapshot replacing all of the table's rows. The first write creates the namespace and
// the table with the files' schema; later writes add new columns by name, widen int to long and
// float to double, write columns the files lack as nulls, and refuse other type changes in
// words. Readers see the old or the new version whole, never a part.
func (c *Catalog) Overwrite(ctx context.Context, name string, files []string, w WriteOptions) (Snapshot, error) {
	return c.write(ctx, name, files, w, false)
}

// Append adds the rows of the given Parquet files as one snapshot, creating the table on first
// use. Appends do not depend on what was read, so a lost race is retried by reloading.
func (c *Catalog) Append(ctx context.Context, name string, files []string, w WriteOptions) (Snapshot, error) {
	for attempt := 1; ; attempt++ {
		snap, err := c.write(ctx, name, files, w, true)
		if !errors.Is(err, ErrConflict) || attempt == appendRetries {
			return snap, err
		}
		wait := time.Duration(10<<min(attempt, 6)) * time.Millisecond
		select {
		case <-ctx.Done():
			return Snapshot{}, ctx.Err()
		case <-time.After(wait + rand.N(wait)):
		}
	}
}

// Rollback makes an earlier snapshot of the table current again: an Iceberg rollback, which
// moves the main branch and rewrites no data. A snapshot that is no ancestor of the current one
// (the newer version a rollback left behind, say) is made current the same way.
func (c *Catalog) Rollback(ctx context.Context, name string, to int64) (Snapshot, error) {
	t, err := c.Load(ctx, name)
	if err != nil {
		return Snapshot{}, err
	}
	target, err := t.Snapshot(to)
	if err != nil {
		return Snapshot{}, err
	}
	if target.Current {
		return *target, nil
	}
	cur := t.tbl.CurrentSnapshot().SnapshotID
	// A rollback writes a metadata file: it records an intent like any write.
	it, err := c.beginIntent(ctx, t.tbl, name, "")
	if err != nil {
		return Snapshot{}, err
	}
	outcome := outcomeUnknown
	defer func() { c.settle(ctx, it, t.tbl, outcome) }()
	lookup := func(id int64) *table.Snapshot { return t.tbl.SnapshotByID(id) }
	if table.IsAncestorOf(cur, to, lookup) {
		txn := t.tbl.NewTransaction()
		if err := txn.RollbackToSnapshot(to); err != nil {
			return Snapshot{}, fmt.Errorf("rolling %s back to snapshot %d: %w", name, to, err)
		}
		if _, err := txn.Commit(ctx); err != nil {
			return Snapshot{}, commitError(name, "rolling back", err)
		}
	} else {
		// iceberg-go's transaction only rolls back to ancestors; setting the branch is what
		// Iceberg's set-current-snapshot does, guarded by the head this call saw.
		reqs := []table.Requirement{table.AssertRefSnapshotID(table.MainBranch, &cur)}
		updates := []table.Update{table.NewSetSnapshotRefUpdate(table.MainBranch, to, table.BranchRef, 0, 0, 0)}
		if _, _, err := c.cat.CommitTable(ctx, t.tbl.Identifier(), reqs, updates); err != nil {
			return Snapshot{}, commitError(name, "making snapshot current in", err)
		}
	}
	outcome = outcomePublished
	target.Current = true
	return *target, nil
}

func (c *Catalog) write(ctx context.Context, name string, files []string, w WriteOptions, appending bool) (Snapshot, error) {
	ident, err := parseName(name)
	if err != nil {
		return Snapshot{}, err
	}
	var incoming *arrow.Schema
	if len(files) > 0 {
		if incoming, err = fileSchema(files); err != nil {
			return Snapshot{}, err
		}
	}
	tbl, err := c.loadIdent(ctx, ident)
	if errors.Is(err, ErrNoSuchTable) {
		if !appending && w.Base != 0 {
			return Snapshot{}, fmt.Errorf("%w: %s was planned against snapshot %d but the table is gone; nothing was published", ErrConflict, name, w.Base)
		}
		if incoming == nil {
			return Snapshot{}, fmt.Errorf("cannot create %s from no files: without a Parquet file its columns are unknown", name)
		}
		tbl, err = c.create(ctx, ident, incoming, w.PartitionBy)
	}
	if err != nil {
		return Snapshot{}, err
	}
	c.sweep(ctx, tbl, name)
	current := int64(0)
	if s := tbl.CurrentSnapshot(); s != nil {
		current = s.SnapshotID
	}
	if !appending && current != w.Base {
		return Snapshot{}, conflict(name, w.Base, current)
	}
	it, err := c.beginIntent(ctx, tbl, name, w.Properties[PropRunID])
	if err != nil {
		return Snapshot{}, err
	}
	outcome := outcomeNothing
	defer func() { c.settle(ctx, it, tbl, outcome) }()

	txn := tbl.NewTransaction()
	if !appending {
		// Pin main to the snapshot planned against: iceberg-go would otherwise replay the
		// overwrite on top of a concurrent commit instead of failing.
		if err := txn.AssertRefSnapshotID(table.MainBranch); err != nil {
			return Snapshot{}, err
		}
	}
	if incoming == nil {
		incoming, err = table.SchemaToArrowSchema(tbl.Schema(), nil, false, false)
		if err != nil {
			return Snapshot{}, err
		}
	}
	if err := evolve(txn, tbl.Schema(), incoming, name); err != nil {
		return Snapshot{}, err
	}
	staged, err := txn.StagedTable()
	if err != nil {
		return Snapshot{}, err
	}
	props := iceberg.Properties(w.Properties)
	if !appending && w.Adopt && len(files) > 0 && tbl.Spec().IsUnpartitioned() && adoptable(files, staged.Schema()) {
		if err := adopt(ctx, txn, staged.Table, files, props); err != nil {
			// The files are back where they were and this transaction is dropped: write the
			// rows the usual way, after this write's intent is settled (one write per table at
			// a time in a process).
			c.settle(ctx, it, tbl, outcomeNothing)
			w.Adopt = false
			return c.write(ctx, name, files, w, appending)
		}
	} else {
		target, err := table.SchemaToArrowSchema(staged.Schema(), nil, true, false)
		if err != nil {
			return Snapshot{}, fmt.Errorf("%s: %w", name, err)
		}
		rows := newFileRecords(ctx, files, target)
		defer rows.Release()
		if appending {
			err = txn.Append(ctx, rows, props)
		} else {
			err = txn.Overwrite(ctx, rows, props)
		}
		if err != nil {
			return Snapshot{}, fmt.Errorf("writing %s: %w", name, err)
		}
	}
	outcome = outcomeUnknown
	committed, err := txn.Commit(ctx)
	if err != nil {
		err = commitError(name, "committing", err)
		if errors.Is(err, ErrConflict) {
			outcome = outcomeNothing // its files go with the intent: a conflict leaves no orphans
		}
		return Snapshot{}, err
	}
	outcome = outcomePublished
	s := committed.CurrentSnapshot()
	return toSnapshot(*s, s.SnapshotID), nil
}

func conflict(name string, base, current int64) error {
	return fmt.Errorf("%w: %s is at snapshot %d but the write was planned against %d; nothing was published, plan again", ErrConflict, name, current, base)
}

// commitError maps a lost race onto ErrConflict. The SQL catalog reports a stale requirement
// ("requirement failed: branch main has changed") as a plain error, while a lost
// compare-and-swap on the metadata location is ErrCommitFailed; both mean nothing was published.
func commitError(name, doing string, err error) error {
	if errors.Is(err, table.ErrCommitFailed) || strings.Contains(strings.ToLower(err.Error()), "requirement failed") {
		return fmt.Errorf("%w: another writer committed to %s first; nothing was published (%v)", ErrConflict, name, err)
	}
	return fmt.Errorf("%s %s: %w", doing, name, err)
}

// create makes the namespace and the table, with a partition spec from partitionBy. A table
// another writer created meanwhile is loaded instead.
func (c *Catalog) create(ctx context.Context, ident table.Identifier, sc *arrow.Schema, partitionBy []string) (*table.Table, error) {
	name := strings.Join(ident, ".")
	schema, err := table.ArrowSchemaToIcebergWithFreshIDs(sc, false)
	if err != nil {
		return nil, fmt.Errorf("creating %s: the files' columns %s: %w", name, sc, err)
	}
	spec, err := partitionSpec(schema, partitionBy)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	ns := catalog.NamespaceFromIdent(ident)
	if err := c.cat.CreateNamespace(ctx, ns, nil); err != nil && !errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
		return nil, fmt.Errorf("creating namespace %s: %w", strings.Join(ns, "."), err)
	}
	// The table's first metadata file is written before the catalog's row: a process killed
	// between the two leaves it behind, so its making is an intent as a commit's files are, and
	// the write that makes the table again sweeps it.
	it, err := c.createIntent(ctx, ns, ident, name)
	if err != nil {
		return nil, err
	}
	tbl, err := c.cat.CreateTable(ctx, ident, schema,
		catalog.WithPartitionSpec(&spec),
		catalog.WithProperties(iceberg.Properties{table.PropertyFormatVersion: "2"}))
	if err != nil {
		// Another writer's table, or a row the catalog may hold: the intent stays for the sweep,
		// which reads what the table references once this process is gone.
		_ = it.settle(nil, outcomeUnknown)
	} else {
		c.settle(ctx, it, tbl, outcomePublished)
	}
	if errors.Is(err, catalog.ErrTableAlreadyExists) {
		return c.loadIdent(ctx, ident)
	}
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	return tbl, nil
}

// createIntent is the intent of making table ident in the folder the SQL catalog gives it by
// default: the namespace's location, else the warehouse's NAMESPACE.db folder. A REST catalog
// chooses the folder itself, so its tables' making records nothing.
func (c *Catalog) createIntent(ctx context.Context, ns, ident table.Identifier, name string) (*intent, error) {
	if c.db == nil {
		return &intent{ended: true}, nil
	}
	props, err := c.cat.LoadNamespaceProperties(ctx, ns)
	if err != nil {
		return nil, fmt.Errorf("reading namespace %s: %w", strings.Join(ns, "."), err)
	}
	var loc string
	if l := props.Get("location", ""); l != "" {
		loc, err = url.JoinPath(l, ident[len(ident)-1])
	} else {
		loc, err = url.JoinPath(c.props["warehouse"], strings.Join(ns, ".")+".db", ident[len(ident)-1])
	}
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", name, err)
	}
	return c.beginIntentAt(ctx, loc, name, "")
}

var transformCall = regexp.MustCompile(`^\s*(\w+)\s*\(\s*([^()\s]+)\s*\)\s*$`)

// partitionSpec turns "col", "day(col)", "month(col)", "year(col)" and "hour(col)" into a spec.
func partitionSpec(schema *iceberg.Schema, partitionBy []string) (iceberg.PartitionSpec, error) {
	var opts []iceberg.PartitionOption
	for _, p := range partitionBy {
		fn, col := "identity", strings.TrimSpace(p)
		if m := transformCall.FindStringSubmatch(p); m != nil {
			fn, col = strings.ToLower(m[1]), m[2]
		} else if strings.ContainsAny(col, "() ") {
			return iceberg.PartitionSpec{}, fmt.Errorf("partition by %q: want col, day(col), month(col), year(col) or hour(col)", p)
		}
		var tr iceberg.Transform
		switch fn {
		case "identity":
			tr = iceberg.IdentityTransform{}
		case "day":
			tr = iceberg.DayTransform{}
		case "month":
			tr = iceberg.MonthTransform{}
		case "year":
			tr = iceberg.YearTransform{}
		case "hour":
			tr = iceberg.HourTransform{}
		default:
			return iceberg.PartitionSpec{}, fmt.Errorf("partition by %q: unknown transform %s; dora knows col, day(col), month(col), year(col) and hour(col)", p, fn)
		}
		field, ok := schema.FindFieldByName(col)
		if !ok {
			return iceberg.PartitionSpec{}, fmt.Errorf("partition by %q: there is no column %s (the columns are %s)", p, col, columnNames(schema))
		}
		if !tr.CanTransform(field.Type) {
			return iceberg.PartitionSpec{}, fmt.Errorf("partition by %q: column %s is %s, which %s() cannot partition", p, col, field.Type, fn)
		}
		target := col
		if fn != "identity" {
			target = col + "_" + fn
		}
		opts = append(opts, iceberg.AddPartitionFieldByName(col, target, tr, schema, nil))
	}
	spec, err := iceberg.NewPartitionSpecOpts(opts...)
	if err != nil {
		return iceberg.PartitionSpec{}, fmt.Errorf("partition by %s: %w", strings.Join(partitionBy, ", "), err)
	}
	return spec, nil
}

func columnNames(schema *iceberg.Schema) string {
	var names []string
	for _, f := range schema.Fields() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// evolve stages in txn the schema changes the incoming columns need: new columns are added
// (optional), int becomes long and float double where the rows need it, a required column the
// rows lack or hold nulls in becomes optional. A change Iceberg cannot make is refused.
func evolve(txn *table.Transaction, cur *iceberg.Schema, incoming *arrow.Schema, name string) error {
	upd := txn.UpdateSchema(true, false)
	changed := false
	seen := map[string]bool{}
	for _, f := range incoming.Fields() {
		seen[f.Name] = true
		typ, err := table.ArrowTypeToIceberg(f.Type, false)
		if err != nil {
			return fmt.Errorf("%s: column %s has type %s, which an Iceberg table cannot hold: %w", name, f.Name, f.Type, err)
		}
		existing, ok := cur.FindFieldByName(f.Name)
		switch {
		case !ok:
			upd.AddColumn([]string{f.Name}, typ, "", false, nil)
			changed = true
			continue
		case existing.Type.Equals(typ), sameInstantType(existing.Type, typ), widens(typ, existing.Type):
			// the reader casts the rows to the column's type
		case widens(existing.Type, typ):
			upd.UpdateColumn([]string{f.Name}, table.ColumnUpdate{FieldType: iceberg.Optional[iceberg.Type]{Val: typ, Valid: true}})
			changed = true
		default:
			return fmt.Errorf("%s: column %s is %s in the table but %s in the new rows; Iceberg cannot change a column's type that way (write it under a new name, or cast it back in the SQL)", name, f.Name, existing.Type, typ)
		}
		if existing.Required && f.Nullable {
			upd.UpdateColumn([]string{f.Name}, table.ColumnUpdate{Required: iceberg.Optional[bool]{Val: false, Valid: true}})
			changed = true
		}
	}
	for _, f := range cur.Fields() {
		if !seen[f.Name] && f.Required {
			upd.UpdateColumn([]string{f.Name}, table.ColumnUpdate{Required: iceberg.Optional[bool]{Val: false, Valid: true}})
			changed = true
		}
	}
	if !changed {
		return nil
	}
	if err := upd.Commit(); err != nil {
		return fmt.Errorf("%s: evolving the schema: %w", name, err)
	}
	return nil
}

// widens says whether Iceberg can promote a column of type from to type to.
func widens(from, to iceberg.Type) bool {
	switch from.(type) {
	case iceberg.Int32Type:
		_, ok := to.(iceberg.Int64Type)
		return ok
	case iceberg.Float32Type:
		_, ok := to.(iceberg.Float64Type)
		return ok
	case iceberg.DecimalType:
		f, t := from.(iceberg.DecimalType), to
		td, ok := t.(iceberg.DecimalType)
		return ok && f.Scale() == td.Scale() && f.Precision() <= td.Precision()
	}
	return false
}

// sameInstantType treats timestamp and timestamptz as one: dora writes both as UTC instants.
func sameInstantType(a, b iceberg.Type) bool {
	isTS := func(t iceberg.Type) bool {
		switch t.(type) {
		case iceberg.TimestampType, iceberg.TimestampTzType:
			return true
		}
		return false
	}
	return isTS(a) && isTS(b)
}
