package etl

import (
	"database/sql"
	"testing"

	"github.com/dora-dev/dora/internal/golden"
)

// TestJudgeSQL: the validate step's SQL, built from the rules alone, is held to its golden and
// run by DuckDB on a batch whose broken rows are known by construction.
func TestJudgeSQL(t *testing.T) {
	rules := []Rule{
		{Kind: "not_null", Columns: []string{"id"}},
		{Kind: "unique", Columns: []string{"id"}},
		{Kind: "range", Column: "rating", Min: "0", Max: "10"},
		{Kind: "accepted_values", Column: "kind", Values: []string{"film", "short"}},
		{Kind: "regex", Column: "code", Pattern: "[A-Z]{2}-[0-9]+"},
	}
	cols := []column{{"id", "INTEGER"}, {"rating", "DOUBLE"}, {"kind", "VARCHAR"}, {"code", "VARCHAR"}}
	q := judgeSQL(rules, cols)
	golden.CheckFile(t, "validate_judged.sql", q+";\n")
	if judgeSQL(nil, cols) != "" {
		t.Error("no rules should judge nothing")
	}

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: the temporary tables stay visible
	// Rows 2 (null id), 3 and 4 (id 7 twice), 5 (rating 11), 6 (kind 'doc'), 7 (code 'x') break
	// one rule each; rows 1 and 8 break none.
	if _, err := db.Exec(`CREATE TEMP TABLE batch AS SELECT * FROM (VALUES
		('f', 1, 1, 8.5, 'film', 'AB-1'), ('f', 2, NULL, 5.0, 'film', 'AB-2'), ('f', 3, 7, 5.0, 'short', 'AB-3'),
		('f', 4, 7, 5.0, 'film', 'AB-4'), ('f', 5, 5, 11.0, 'film', 'AB-5'), ('f', 6, 6, 5.0, 'doc', 'AB-6'),
		('f', 7, 8, 5.0, 'film', 'x'), ('f', 8, 9, 0.0, NULL, NULL)) t(_dora_source, _dora_row, id, rating, kind, code)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	rows, err := db.Query(`SELECT _dora_row, len(reasons) FROM judged ORDER BY _dora_row`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := map[int]int{1: 0, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 0}
	n := 0
	for rows.Next() {
		var row, reasons int
		if err := rows.Scan(&row, &reasons); err != nil {
			t.Fatal(err)
		}
		if reasons != want[row] {
			t.Errorf("row %d has %d reasons, want %d", row, reasons, want[row])
		}
		n++
	}
	if n != len(want) {
		t.Errorf("judged %d rows, want %d", n, len(want))
	}
}
