package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// PyIceberg returns the Python of the pyiceberg venv that $DORA_TEST_PYICEBERG names
// (scripts/pyiceberg builds it once and prints the variable; make test sets it), the independent
// reader that tests hold dora's Iceberg commits to. Without the variable, or when it names no
// program, the test goes through Unavailable.
func PyIceberg(t testing.TB) string {
	t.Helper()
	py := os.Getenv("DORA_TEST_PYICEBERG")
	if py == "" {
		Unavailable(t, "DORA_TEST_PYICEBERG is not set (eval \"$(scripts/pyiceberg | grep ^export)\", or make test)")
	}
	if fi, err := os.Stat(py); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		Unavailable(t, "DORA_TEST_PYICEBERG="+py+" is not a program (run scripts/pyiceberg to build the venv)")
	}
	return py
}

// IcebergRead is what pyiceberg found in a table (see testdata/iceberg_read.py).
type IcebergRead struct {
	Snapshots []int64  `json:"snapshots"` // every snapshot's id, in commit order
	Current   int64    `json:"current"`   // the current snapshot's id; 0 when there is none
	Snapshot  int64    `json:"snapshot"`  // the snapshot read; 0 when there is none
	Columns   []string `json:"columns"`   // the column names of the snapshot read
	Types     []string `json:"types"`     // their Iceberg types: "long", "string", "timestamptz", ...
	// Rows holds every row, sorted (nulls first). Numbers are json.Number, so 64-bit integers stay
	// exact; decimals are strings; dates, times and timestamps ISO 8601 strings; binary is hex.
	Rows [][]any `json:"rows"`
}

// ReadIceberg reads table ("namespace.table") with pyiceberg's SqlCatalog named "dora" on
// catalogURI (a SQLite file path or a postgres:// URL) over warehouse (a folder or s3://...; for
// S3, AWS_ENDPOINT_URL_S3, the AWS keys and AWS_REGION are used), at snapshot, or at the current
// snapshot when snapshot is 0. A failure to read fails the test.
func ReadIceberg(t testing.TB, catalogURI, warehouse, table string, snapshot int64) IcebergRead {
	t.Helper()
	r, err := TryReadIceberg(t, catalogURI, warehouse, table, snapshot)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TryReadIceberg is ReadIceberg returning the error (pyiceberg's own words) instead of failing;
// the test still goes through Unavailable when pyiceberg is missing.
func TryReadIceberg(t testing.TB, catalogURI, warehouse, table string, snapshot int64) (IcebergRead, error) {
	t.Helper()
	py := PyIceberg(t)
	script := filepath.Join(Root(), "internal", "testenv", "testdata", "iceberg_read.py")
	args := []string{script, "--catalog", catalogURI, "--warehouse", warehouse, "--table", table}
	if snapshot != 0 {
		args = append(args, "--snapshot", strconv.FormatInt(snapshot, 10))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return IcebergRead{}, fmt.Errorf("pyiceberg reading %s: %s", table, msg)
	}
	var r IcebergRead
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return IcebergRead{}, fmt.Errorf("pyiceberg reading %s printed no JSON (%v): %s", table, err, stdout.String())
	}
	return r, nil
}
