package etl

import (
	"database/sql"
	"testing"

	"github.com/dora-dev/dora/internal/golden"
)

// TestMeasureSQL: the quality step's query, built from the batch's columns alone, is held to
// its golden and run by DuckDB on rows whose metrics the test knows.
func TestMeasureSQL(t *testing.T) {
	cols := []column{{"id", "INTEGER"}, {"name", "VARCHAR"}, {"ok", "BOOLEAN"}}
	q, slots := measureSQL(cols)
	golden.CheckFile(t, "quality_measure.sql", q+";\n")

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TEMP TABLE batch AS SELECT * FROM (VALUES (1, 'b', true), (4, NULL, false), (NULL, 'a', true), (4, 'b', NULL)) t(id, name, ok)`); err != nil {
		t.Fatal(err)
	}
	dest := make([]any, len(slots))
	for i, s := range slots {
		if s.text {
			dest[i] = new(sql.NullString)
		} else {
			dest[i] = new(sql.NullFloat64)
		}
	}
	if err := db.QueryRow(q).Scan(dest...); err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for i, s := range slots {
		switch v := dest[i].(type) {
		case *sql.NullFloat64:
			got[s.col+"."+s.metric] = v.Float64
		case *sql.NullString:
			got[s.col+"."+s.metric] = v.String
		}
	}
	// Counted by hand from the four rows above.
	for k, want := range map[string]any{".row_count": 4.0, "id.null_count": 1.0, "id.null_fraction": 0.25, "id.distinct_count": 2.0,
		"id.min": 1.0, "id.max": 4.0, "id.mean": 3.0, "name.null_count": 1.0, "name.distinct_count": 2.0, "name.min": "a", "name.max": "b",
		"ok.null_count": 1.0, "ok.distinct_count": 2.0} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if _, ok := got["ok.min"]; ok {
		t.Error("a BOOLEAN column has no min")
	}
}
