package etl

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dora-dev/dora/query/sqlquote"
)

// The columns a journal adds to the source's.
const (
	validFrom = "valid_from"
	validTo   = "valid_to"
	isCurrent = "is_current"
	rowHash   = "row_hash"
	isDeleted = "is_deleted"
)

var journalColumns = []string{validFrom, validTo, isCurrent, rowHash, isDeleted}

// JournalDiff counts what a run does to a journal's keys.
type JournalDiff struct {
	Inserted  int64 `json:"inserted"`  // keys never seen before
	Changed   int64 `json:"changed"`   // current row closed, new version opened
	Closed    int64 `json:"closed"`    // keys gone from the source (hard_deletes: invalidate or new_record)
	Reopened  int64 `json:"reopened"`  // keys back after being closed
	Unchanged int64 `json:"unchanged"` // current row kept as it is
	Kept      int64 `json:"kept"`      // keys missing from this batch whose current row stays: quarantined, or hard_deletes: ignore
}

// journalize builds "result", the journal after this run, from batch and the previous journal
// (the table "prev", empty for a first run), at the run's as-of time.
func (r *run) journalize(ctx context.Context, hasPrev bool) (*JournalDiff, error) {
	j := r.p.Journal
	cols, err := r.d.columns(ctx, "batch", false)
	if err != nil {
		return nil, err
	}
	checkCols := j.CheckColumns
	if len(checkCols) == 0 {
		for _, c := range cols {
			if !slices.Contains(j.Key, c.Name) {
				checkCols = append(checkCols, c.Name)
			}
		}
	}
	for _, c := range append(append([]string(nil), checkCols...), j.UpdatedAt) {
		if _, ok := find(cols, c); c != "" && !ok {
			return nil, r.posError(j.Pos, "journal: the rows have no column %q (they have %s)", c, strings.Join(names(cols), ", "))
		}
	}
	for _, c := range cols {
		if slices.Contains(journalColumns, c.Name) {
			return nil, r.posError(j.Pos, "journal: the source has a column %q, which the journal adds itself; rename it in cleanse", c.Name)
		}
	}
	newRecord := j.HardDeletes == "new_record"
	if !hasPrev {
		def := make([]string, 0, len(cols)+5)
		for _, c := range cols {
			def = append(def, sqlquote.Ident(c.Name)+" "+c.Type)
		}
		def = append(def, "valid_from TIMESTAMPTZ", "valid_to TIMESTAMPTZ", "is_current BOOLEAN", "row_hash VARCHAR")
		if newRecord {
			def = append(def, "is_deleted BOOLEAN")
		}
		if err := r.d.exec(ctx, "CREATE OR REPLACE TEMP TABLE prev ("+strings.Join(def, ", ")+")"); err != nil {
			return nil, err
		}
	} else {
		pcols, err := r.d.columns(ctx, "prev", true)
		if err != nil {
			return nil, err
		}
		if _, ok := find(pcols, isDeleted); newRecord && !ok {
			if err := r.d.exec(ctx, "ALTER TABLE prev ADD COLUMN is_deleted BOOLEAN DEFAULT false"); err != nil {
				return nil, err
			}
		}
		for _, c := range checkCols {
			if _, ok := find(pcols, c); !ok {
				// A column new in the source: the old rows had none of it.
				if err := r.d.exec(ctx, fmt.Sprintf("ALTER TABLE prev ADD COLUMN %s %s", sqlquote.Ident(c), colType(cols, c))); err != nil {
					return nil, err
				}
			}
		}
	}
	q := buildJournal(j, checkCols, r.opts.AsOf)
	if err := r.d.exec(ctx, q.QKeys); err != nil {
		return nil, err
	}
	if err := r.d.exec(ctx, q.Actions); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	// Changing a version that began at or after the as-of time would give it no length: the
	// journal only moves forward.
	var early struct {
		n    int64
		from string
	}
	err = r.d.conn.QueryRowContext(ctx, q.Early).Scan(&early.n, &early.from)
	if err != nil {
		return nil, err
	}
	if early.n > 0 {
		return nil, fmt.Errorf("journal: --as-of %s is not after the current versions of %d changed keys (the latest began %s); a journal only moves forward", r.opts.AsOf.UTC().Format(time.RFC3339), early.n, early.from)
	}
	// result is a view, computed once, by the COPY that writes the new version.
	for _, stmt := range []string{q.Result, q.Touched, q.TouchedResult} {
		if err := r.d.exec(ctx, stmt); err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
	}
	diff := &JournalDiff{}
	rows, err := r.d.conn.QueryContext(ctx, "SELECT action, count(*) FROM actions GROUP BY 1")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		var n int64
		if err := rows.Scan(&a, &n); err != nil {
			return nil, err
		}
		switch a {
		case "inserted":
			diff.Inserted = n
		case "changed":
			diff.Changed = n
		case "closed":
			diff.Closed = n
		case "reopened":
			diff.Reopened = n
		case "unchanged":
			diff.Unchanged = n
		case "kept":
			diff.Kept = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Every previous row stays (closed or not), each new version adds one, and so does each
	// deletion marker; the COPY that writes result checks the sum.
	prevRows, err := r.d.count(ctx, "SELECT count(*) FROM prev")
	if err != nil {
		return nil, err
	}
	r.journalRows = prevRows + diff.Inserted + diff.Changed + diff.Reopened
	if newRecord {
		r.journalRows += diff.Closed
	}
	return diff, nil
}

// journalSQL is the SQL of a journal step, in the order journalize runs it: the quarantined
// keys, each key's action, the check that the journal moves forward, the journal after the run
// ("result"), the keys the run touches and the journal over them ("touched_result", which the
// invariants are checked on).
type journalSQL struct {
	QKeys, Actions, Early, Result, Touched, TouchedResult string
}

// buildJournal builds the journal step's SQL from the pipeline's journal:, the columns compared
// (checkCols, resolved against the batch) and the run's as-of time alone: it runs nothing.
func buildJournal(j *Journal, checkCols []string, at time.Time) journalSQL {
	var q journalSQL
	key := qis(j.Key)
	newRecord := j.HardDeletes == "new_record"
	hash := func(alias string) string {
		fields := make([]string, len(checkCols))
		for i, c := range checkCols {
			fields[i] = fmt.Sprintf("%s := %s%s", sqlquote.Ident(c), alias, sqlquote.Ident(c))
		}
		return "md5(to_json(struct_pack(" + strings.Join(fields, ", ") + "))::VARCHAR)"
	}
	asOf := fmt.Sprintf("TIMESTAMPTZ %s", sqlquote.String(at.UTC().Format(time.RFC3339Nano)))
	deletedCur := "false"
	if newRecord {
		deletedCur = "coalesce(c.is_deleted, false)"
	}
	changed := fmt.Sprintf("%s IS DISTINCT FROM %s", hash("c."), hash("i."))
	if j.Strategy == "timestamp" {
		changed = fmt.Sprintf("i.%[1]s > c.%[1]s OR c.%[1]s IS NULL AND i.%[1]s IS NOT NULL", sqlquote.Ident(j.UpdatedAt))
	}
	absent := "'kept'"
	if j.HardDeletes != "ignore" {
		absent = "'closed'"
	}
	// The quarantined keys, read back from the quarantined rows' values.
	qkeys := make([]string, len(j.Key))
	qmatch := make([]string, len(j.Key))
	for i, k := range j.Key {
		qkeys[i] = fmt.Sprintf(`"values"->>%s AS %s`, sqlquote.String(k), sqlquote.Ident(k))
		qmatch[i] = fmt.Sprintf("q.%s = c.%s::VARCHAR", sqlquote.Ident(k), sqlquote.Ident(k))
	}
	eq := make([]string, len(j.Key))
	for i, k := range j.Key {
		eq[i] = fmt.Sprintf("c.%[1]s = i.%[1]s", sqlquote.Ident(k))
	}
	coalesced := make([]string, len(j.Key))
	for i, k := range j.Key {
		coalesced[i] = fmt.Sprintf("coalesce(i.%[1]s, c.%[1]s) AS %[1]s", sqlquote.Ident(k))
	}
	q.QKeys = fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE qkeys AS SELECT DISTINCT %s FROM quarantine WHERE "values" IS NOT NULL`, strings.Join(qkeys, ", "))
	q.Actions = fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE actions AS
		SELECT %[1]s, c.valid_from AS cur_from,
			CASE
				WHEN c.%[2]s IS NULL AND coalesce(seen, false) THEN 'reopened'
				WHEN c.%[2]s IS NULL THEN 'inserted'
				WHEN i.%[2]s IS NULL AND %[3]s THEN 'unchanged'
				WHEN i.%[2]s IS NULL AND EXISTS (SELECT 1 FROM qkeys q WHERE %[4]s) THEN 'kept'
				WHEN i.%[2]s IS NULL THEN %[5]s
				WHEN %[3]s THEN 'reopened'
				WHEN %[6]s THEN 'changed'
				ELSE 'unchanged'
			END AS action
		FROM (SELECT * FROM prev WHERE is_current) c
		FULL JOIN batch i ON %[7]s
		LEFT JOIN (SELECT DISTINCT %[8]s, true AS seen FROM prev) s ON %[9]s`,
		strings.Join(coalesced, ", "), sqlquote.Ident(j.Key[0]), deletedCur, strings.Join(qmatch, " AND "), absent, changed,
		strings.Join(eq, " AND "), key, seenMatch(j.Key))
	q.Early = fmt.Sprintf(`SELECT count(*), coalesce(max(cur_from)::VARCHAR, '') FROM actions
		WHERE action IN ('changed', 'closed', 'reopened') AND cur_from >= %s`, asOf)
	newCols := "i.*, " + hash("i.") + " AS row_hash"
	deletedNew := ""
	if newRecord {
		deletedNew = ", false AS is_deleted"
	}
	// journal is the journal after this run, built from a previous journal, a batch and their
	// actions: over all keys it is "result", over the keys this run touches the rows the
	// invariants are checked on.
	journal := func(prev, batch, actions string) string {
		cur := "(SELECT * FROM " + prev + " WHERE is_current)"
		q := fmt.Sprintf(`SELECT * FROM %[6]s WHERE NOT is_current
		UNION ALL BY NAME
		SELECT c.* FROM %[7]s c JOIN %[8]s a USING (%[1]s) WHERE a.action IN ('unchanged', 'kept')
		UNION ALL BY NAME
		SELECT c.* REPLACE (%[2]s AS valid_to, false AS is_current)
		FROM %[7]s c JOIN %[8]s a USING (%[1]s) WHERE a.action IN ('changed', 'closed', 'reopened')
		UNION ALL BY NAME
		SELECT %[3]s, %[2]s AS valid_from, NULL::TIMESTAMPTZ AS valid_to, true AS is_current%[4]s
		FROM %[5]s i JOIN %[8]s a USING (%[1]s) WHERE a.action IN ('inserted', 'changed', 'reopened')`,
			key, asOf, newCols, deletedNew, batch, prev, cur, actions)
		if newRecord {
			q += fmt.Sprintf(`
		UNION ALL BY NAME
		SELECT c.* REPLACE (%[1]s AS valid_from, NULL::TIMESTAMPTZ AS valid_to, true AS is_current, true AS is_deleted)
		FROM %[3]s c JOIN %[4]s a USING (%[2]s) WHERE a.action = 'closed'`, asOf, key, cur, actions)
		}
		return q
	}
	q.Result = "CREATE OR REPLACE TEMP VIEW result AS " + journal("prev", "batch", "actions")
	// The keys this run inserts, changes, closes or reopens: every other key's rows are the
	// previous version's, which were checked when it was published.
	q.Touched = fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE touched AS
		SELECT %s FROM actions WHERE action IN ('inserted', 'changed', 'closed', 'reopened')`, key)
	only := func(t string) string { return fmt.Sprintf("(SELECT * FROM %s SEMI JOIN touched USING (%s))", t, key) }
	q.TouchedResult = "CREATE OR REPLACE TEMP TABLE touched_result AS " + journal(only("prev"), only("batch"), only("actions"))
	return q
}

func seenMatch(key []string) string {
	parts := make([]string, len(key))
	for i, k := range key {
		parts[i] = fmt.Sprintf("s.%[1]s = coalesce(i.%[1]s, c.%[1]s)", sqlquote.Ident(k))
	}
	return strings.Join(parts, " AND ")
}

func colType(cols []column, name string) string {
	c, _ := find(cols, name)
	return c.Type
}

// checkJournal refuses a journal that breaks what a journal promises: one current row per key,
// unique (key, valid_from), and ranges that neither overlap nor run backwards. It looks at the
// keys the run touched (touched_result), the only ones whose rows it changes.
func (r *run) checkJournal(ctx context.Context) error {
	key := qis(r.p.Journal.Key)
	checks := []struct{ what, sql string }{
		{"more than one current row for a key", fmt.Sprintf("SELECT count(*) FROM (SELECT %s FROM touched_result WHERE is_current GROUP BY ALL HAVING count(*) > 1)", key)},
		{"two versions of a key starting at the same time", fmt.Sprintf("SELECT count(*) FROM (SELECT %s, valid_from FROM touched_result GROUP BY ALL HAVING count(*) > 1)", key)},
		{"overlapping or backward validity ranges", fmt.Sprintf(`SELECT count(*) FROM (
			SELECT valid_from, valid_to, is_current, lead(valid_from) OVER (PARTITION BY %s ORDER BY valid_from) AS next FROM touched_result)
			WHERE (valid_to IS NULL) <> is_current OR valid_to < valid_from OR next IS NOT NULL AND (valid_to IS NULL OR valid_to > next)`, key)},
	}
	for _, c := range checks {
		n, err := r.d.count(ctx, c.sql)
		if err != nil {
			return err
		}
		if n > 0 {
			return &StoppedError{Reason: fmt.Sprintf("the journal would have %s (%d keys); nothing was published", c.what, n)}
		}
	}
	return nil
}
