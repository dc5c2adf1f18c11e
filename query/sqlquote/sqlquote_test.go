package sqlquote

import (
	"database/sql"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestQuotingRoundTrips: DuckDB, not dora, reads each quoted name and literal back as the text
// it was made of.
func TestQuotingRoundTrips(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{"plain", "Mixed Case", `say "hi"`, "it's", `''""`, "select", "a;b --c", "ünï"} {
		var lit string
		if err := db.QueryRow("SELECT " + String(s)).Scan(&lit); err != nil || lit != s {
			t.Errorf("String(%q) = %s reads back as %q (%v)", s, String(s), lit, err)
		}
		var name string
		if err := db.QueryRow("SELECT column_name FROM (DESCRIBE SELECT 1 AS " + Ident(s) + ")").Scan(&name); err != nil || name != s {
			t.Errorf("Ident(%q) = %s names column %q (%v)", s, Ident(s), name, err)
		}
	}
}
