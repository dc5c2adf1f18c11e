package testenv

import (
	"database/sql"
	"testing"
)

// Rows runs a query straight through database/sql (the independent answer a test holds dora
// to) and returns its rows as the driver gives them.
func Rows(t testing.TB, db *sql.DB, q string, args ...any) [][]any {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out, err := ScanRows(rows)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// ScanRows reads every row of a result as the driver gives its values, and closes it.
func ScanRows(rows *sql.Rows) ([][]any, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}
