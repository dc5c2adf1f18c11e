package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dora-dev/dora/internal/testenv"
)

// exportCSV writes the answer to sqlText on the test warehouse, as dora query --format csv prints
// it, to a file called name in dir, and returns the CSV text.
func exportCSV(t *testing.T, dir, name, sqlText string) string {
	t.Helper()
	r := dora(t, "", nil, "query", "--format", "csv", "--max-rows", "100000", sqlText)
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return r.stdout
}

// A load into a DuckDB file that does not exist yet creates it, and its folder; the rows read
// back are the rows exported. Reading a file that does not exist is still an error.
func TestLoadCreatesTheDuckDBFile(t *testing.T) {
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, "state")}
	exports := filepath.Join(home, "exports")
	const cols = "client_id, region, state, plan, age, lifetime_value, churned, signed_up_at"
	source := exportCSV(t, exports, "clients.csv", "SELECT "+cols+" FROM clients ORDER BY client_id")
	backend := "duckdb:~/data/w.duckdb"
	file := filepath.Join(home, "data", "w.duckdb")

	// A load that fails before it writes leaves no file behind.
	empty := filepath.Join(home, "empty")
	os.Mkdir(empty, 0o755)
	r := dora(t, "", env, "load", empty+"/", "--table", "clients", "--backend", backend)
	if r.code == 0 || !strings.Contains(r.stderr, "nothing to load") {
		t.Errorf("load of an empty folder: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("a failed load left %s behind (%v)", file, err)
	}
	r = dora(t, "", env, "query", "--backend", backend, "SELECT count(*) FROM clients")
	if r.code != 3 || !strings.Contains(r.stderr, "no DuckDB file at "+file) {
		t.Errorf("query of a missing file: exit %d, want 3 and %q\n%s", r.code, "no DuckDB file at "+file, r.stderr)
	}

	r = doraIn(t, home, "", env, "load", "./exports/", "--table", "clients", "--backend", backend, "--dead-letter", filepath.Join(home, "dead.ndjson"))
	if r.code != 0 || !strings.Contains(r.stdout, "published as clients") {
		t.Fatalf("load into a new file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the load did not create %s: %v", file, err)
	}
	r = dora(t, "", env, "query", "--backend", backend, "--format", "csv", "--max-rows", "100000", "SELECT "+cols+" FROM clients ORDER BY client_id")
	if r.code != 0 {
		t.Fatalf("query of the new file: exit %d\n%s", r.code, r.stderr)
	}
	if r.stdout != source {
		t.Errorf("rows read back differ from the source:\n%s\nsource:\n%s", firstLines(r.stdout, 5), firstLines(source, 5))
	}
	if n := strings.Count(source, "\n") - 1; n < 100 {
		t.Errorf("the source has only %d rows", n)
	}
}

// --type loads a column as the type named instead of the one inferred, held by DuckDB reading
// the file: zip codes stay text with their leading zeros, whole amounts become doubles. A type
// dora does not have is a usage error (exit 2); a column the source lacks, known once the source
// is read, an error (exit 1) that names it and the nearest column.
func TestLoadTypeOverride(t *testing.T) {
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, "state")}
	src := filepath.Join(home, "orders.csv")
	if err := os.WriteFile(src, []byte("id,zip,amount\n1,02134,12\n2,10001,7\n3,00501,30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(home, "w.duckdb")
	backend := "duckdb:" + file
	dead := filepath.Join(home, "dead.ndjson")
	for _, bad := range []struct {
		flag, want string
		code       int
	}{
		{"zipp=string", `column "zipp", which the source does not have; did you mean "zip"?`, 1},
		{"zip=money", `type "money" is not one of`, 2},
		{"zip", "want COLUMN=TYPE", 2},
	} {
		r := dora(t, "", env, "load", src, "--table", "orders", "--backend", backend, "--dead-letter", dead, "--type", bad.flag)
		if r.code != bad.code || !strings.Contains(r.stderr, bad.want) {
			t.Errorf("--type %s: exit %d, want %d and %q\n%s", bad.flag, r.code, bad.code, bad.want, r.stderr)
		}
	}
	r := dora(t, "", env, "load", src, "--table", "orders", "--backend", backend, "--dead-letter", dead, "--type", "zip=string", "--type", "amount=DOUBLE")
	if r.code != 0 {
		t.Fatalf("load with --type: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	db, err := sql.Open("duckdb", file+"?access_mode=READ_ONLY")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := testenv.Rows(t, db, "SELECT typeof(zip), zip, typeof(amount), amount FROM orders ORDER BY id")
	want := [][]any{{"VARCHAR", "02134", "DOUBLE", 12.0}, {"VARCHAR", "10001", "DOUBLE", 7.0}, {"VARCHAR", "00501", "DOUBLE", 30.0}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows as DuckDB reads them: %v, want %v", got, want)
	}
}
