package etl

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/dora-dev/dora/internal/golden"
)

// TestCleanseSQL: each cleanse step's SQL, built from the step and the batch's columns alone, is
// held to its golden and run by DuckDB, step after step, on a batch whose outcome the test
// knows row by row.
func TestCleanseSQL(t *testing.T) {
	steps := []Step{
		{Op: "trim", Columns: []string{"name"}},
		{Op: "lower", Columns: []string{"city"}},
		{Op: "regex_replace", Regex: []RegexReplace{{Column: "name", Pattern: "o", Replacement: "0"}}},
		{Op: "rename", Map: map[string]string{"city": "town"}, Order: []string{"city"}},
		{Op: "cast", Map: map[string]string{"score": "DOUBLE"}, Order: []string{"score"}},
		{Op: "defaults", Map: map[string]string{"town": "nowhere"}, Order: []string{"town"}},
		{Op: "drop_if_null", Columns: []string{"id"}},
		{Op: "dedupe", Columns: []string{"id"}},
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: the temporary tables stay visible
	exec := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
		return n
	}
	// Row 2's score is no number and its city is NULL, row 3 has no id, rows 4 and 5 are the same
	// row twice, rows 6 and 7 share an id and differ in score.
	exec(`CREATE TABLE batch AS SELECT * FROM (VALUES
		('f', 1, 1, '  Ann ', '7.5', 'OSLO'), ('f', 2, 2, 'Bob', 'x', NULL), ('f', 3, NULL, 'Cy', '1', 'Rome'),
		('f', 4, 4, 'Di', '2', 'Pisa'), ('f', 5, 4, 'Di', '2', 'Pisa'), ('f', 6, 6, 'Ed', '3', 'Lund'),
		('f', 7, 6, 'Ed', '4', 'Lund')) t(_dora_source, _dora_row, id, name, score, city)`)

	var got strings.Builder
	castFailures, lost := 0, 0
	var quarantined []string
	for _, s := range steps {
		cols := batchColumns(t, db)
		q := buildCleanse(s, cols)
		fmt.Fprintf(&got, "-- %s\n", s.Op)
		for _, it := range q.Items {
			if it.Check != "" {
				fmt.Fprintf(&got, "%s;\n", it.Check)
				exec(it.Check)
			}
			if it.Failures != "" {
				fmt.Fprintf(&got, "%s;\n", it.Failures)
				castFailures += count(it.Failures)
			}
		}
		if q.Lost != "" {
			fmt.Fprintf(&got, "%s;\n", q.Lost)
			lost += count(q.Lost)
		}
		for _, stmt := range q.Apply {
			fmt.Fprintf(&got, "%s;\n", stmt)
			exec(stmt)
		}
		if s.Op != "dedupe" {
			continue
		}
		collapse, dupes, quarantine := dedupeSQL(s.Columns, names(cols))
		fmt.Fprintf(&got, "%s;\n%s;\n%s;\n", collapse, dupes, quarantine)
		before := count("SELECT count(*) FROM batch")
		exec(collapse)
		lost += before - count("SELECT count(*) FROM batch")
		exec(dupes)
		rows, err := db.Query("SELECT _dora_row || ' ' || _dora_reason FROM (" + quarantine + ") ORDER BY _dora_row")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				t.Fatal(err)
			}
			quarantined = append(quarantined, r)
		}
		rows.Close()
	}
	golden.CheckFile(t, "cleanse_steps.sql", got.String())

	if castFailures != 1 || lost != 2 {
		t.Errorf("cast failures %d, rows lost %d; want 1 (row 2's score) and 2 (row 3, row 5)", castFailures, lost)
	}
	reason := "dedupe: id=6 has 2 different rows: score: 3.0 vs 4.0"
	if want := []string{"6 " + reason, "7 " + reason}; strings.Join(quarantined, "\n") != strings.Join(want, "\n") {
		t.Errorf("quarantined\n%s\nwant\n%s", strings.Join(quarantined, "\n"), strings.Join(want, "\n"))
	}
	rows, err := db.Query(`SELECT _dora_row, id, name, coalesce(score::VARCHAR, 'NULL'), town FROM batch ORDER BY _dora_row`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var final []string
	for rows.Next() {
		var row, id int
		var name, score, town string
		if err := rows.Scan(&row, &id, &name, &score, &town); err != nil {
			t.Fatal(err)
		}
		final = append(final, fmt.Sprintf("%d %d %s %s %s", row, id, name, score, town))
	}
	want := []string{"1 1 Ann 7.5 oslo", "2 2 B0b NULL nowhere", "4 4 Di 2.0 pisa", "6 6 Ed 3.0 lund", "7 6 Ed 4.0 lund"}
	if strings.Join(final, "\n") != strings.Join(want, "\n") {
		t.Errorf("batch after cleansing\n%s\nwant\n%s", strings.Join(final, "\n"), strings.Join(want, "\n"))
	}

	// The checks are what refuses a type DuckDB does not know and a default of the wrong type.
	bad := []Step{
		{Op: "cast", Map: map[string]string{"score": "NOPE"}, Order: []string{"score"}},
		{Op: "defaults", Map: map[string]string{"id": "abc"}, Order: []string{"id"}},
	}
	for _, s := range bad {
		q := buildCleanse(s, batchColumns(t, db))
		if _, err := db.Exec(q.Items[0].Check); err == nil {
			t.Errorf("%s: DuckDB accepted the check %s", s.Op, q.Items[0].Check)
		}
	}
}

// batchColumns is batch's columns without the hidden ones, as the run reads them.
func batchColumns(t *testing.T, db *sql.DB) []column {
	t.Helper()
	rows, err := db.Query(`SELECT column_name, data_type FROM duckdb_columns()
		WHERE table_name = 'batch' AND column_name NOT IN ('_dora_source', '_dora_row') ORDER BY column_index`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	return cols
}
