package etl

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/query/sqlquote"
)

// SnapshotChecks reads the check outcomes and the journal diff that a run wrote into its
// snapshot's summary (none for a snapshot dora did not write).
func SnapshotChecks(summary map[string]string) ([]CheckOutcome, *JournalDiff) {
	var checks []CheckOutcome
	json.Unmarshal([]byte(summary[PropChecks]), &checks)
	var j *JournalDiff
	if s := summary[PropJournal]; s != "" {
		j = &JournalDiff{}
		if json.Unmarshal([]byte(s), j) != nil {
			j = nil
		}
	}
	return checks, j
}

// Quality is one version's metrics, as stored in the namespace's quality table, and its checks.
type Quality struct {
	Table      string         `json:"table"`
	SnapshotID int64          `json:"snapshot_id"`
	RunID      string         `json:"run_id"`
	Metrics    []Metric       `json:"metrics"`
	Checks     []CheckOutcome `json:"checks"`
}

// ReadQuality reads a version's metrics (0: the current version) from NAMESPACE._dora_quality.
func ReadQuality(ctx context.Context, cat *catalog.Catalog, t *catalog.Table, snapshot int64) (*Quality, error) {
	var snap *catalog.Snapshot
	if snapshot == 0 {
		if snap = t.Current(); snap == nil {
			return nil, fmt.Errorf("%s has no version yet", t.Name())
		}
	} else {
		s, err := t.Snapshot(snapshot)
		if err != nil {
			return nil, err
		}
		snap = s
	}
	q := &Quality{Table: t.Name(), SnapshotID: snap.ID, RunID: snap.Summary[PropRunID], Metrics: []Metric{}}
	q.Checks, _ = SnapshotChecks(snap.Summary)
	if q.RunID == "" {
		return nil, fmt.Errorf("version %d of %s was not written by dora etl: it has no metrics", snap.ID, t.Name())
	}
	ns, _, _ := strings.Cut(t.Name(), ".")
	qt, err := cat.Load(ctx, ns+"."+QualityTable)
	if err != nil {
		return nil, fmt.Errorf("reading %s.%s: %w", ns, QualityTable, err)
	}
	rows, err := readParquetRows(ctx, qt, `SELECT column_name, metric, value, text FROM t WHERE run_id = ? ORDER BY column_name NULLS FIRST, metric`, q.RunID)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		m := Metric{Column: str(r[0]), Name: str(r[1]), Text: str(r[3])}
		if v, ok := r[2].(float64); ok {
			m.Value = &v
		}
		q.Metrics = append(q.Metrics, m)
	}
	return q, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// readParquetRows runs a query over the current version of a table (as the view t).
func readParquetRows(ctx context.Context, t *catalog.Table, query string, args ...any) ([][]any, error) {
	dir, err := os.MkdirTemp("", "dora-etl-read-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	files, err := t.Files(ctx, 0, dir)
	if err != nil || len(files) == 0 {
		return nil, err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	list := make([]string, len(files))
	for i, f := range files {
		list[i] = sqlquote.String(f)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE VIEW t AS SELECT * FROM read_parquet([%s], union_by_name = true, hive_partitioning = false)", strings.Join(list, ", "))); err != nil {
		return nil, err
	}
	rs, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out [][]any
	for rs.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, rs.Err()
}
