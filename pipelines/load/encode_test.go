package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/decode/decodetest"
)

// pinnedES is the real Elasticsearch behind a proxy that keeps the bulk bodies a load sends, and
// a table name of the test's own.
func pinnedES(t testing.TB) (backends.Backend, *testenv.FaultProxy, string) {
	t.Helper()
	es := testenv.Elasticsearch(t)
	p := testenv.NewFaultProxy(t, es, 0)
	p.Record.Store(true)
	b, err := backends.Open(context.Background(), p.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	table := fmt.Sprintf("dora-pin-%d", time.Now().UnixNano())
	t.Cleanup(func() { testenv.DeleteIndices(es, table+"*") })
	return b, p, table
}

type pinnedRow struct {
	ID      int64     `parquet:"id"`
	Small   int32     `parquet:"small"`
	Name    string    `parquet:"name"`
	Note    *string   `parquet:"note,optional"`
	Price   float64   `parquet:"price"`
	Ratio   float32   `parquet:"ratio"`
	OK      bool      `parquet:"ok"`
	At      time.Time `parquet:"at,timestamp(microsecond)"`
	Tags    []string  `parquet:"tags,list"`
	Counted *int64    `parquet:"counted,optional"`
}

// TestLoadPinsDocuments pins the bulk bodies a load sends, byte for byte: the _id of each row
// (from --id columns and from the row position), and each document's JSON, for values of every
// kind a decoder yields, from Parquet and from CSV.
func TestLoadPinsDocuments(t *testing.T) {
	note := "tab\there \"quoted\" back\\slash \x01 é ☃ \xff"
	counted := int64(-9007199254740993)
	rows := []pinnedRow{
		{ID: 1, Small: -3, Name: "Grace Kim", Note: &note, Price: 167.33, Ratio: 0.1, OK: true,
			At: time.Date(2024, 12, 1, 6, 0, 50, 123456000, time.UTC), Tags: []string{"a", `b"c`}, Counted: &counted},
		{ID: 2, Small: 0, Name: "", Price: 1e21, Ratio: 3, OK: false,
			At: time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC)},
		{ID: 300, Small: 2147483647, Name: "line\nbreak</script>", Price: -0.000001, Ratio: -2.5e-8, OK: true,
			At: time.Date(2024, 2, 29, 23, 59, 59, 999999000, time.UTC), Tags: []string{}},
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "part-0.parquet"), decodetest.Parquet(t, rows, 2), 0o644); err != nil {
		t.Fatal(err)
	}
	// More rows than a decoder samples, over several row groups, pinned by the hash of the body.
	manyDir := t.TempDir()
	var many []pinnedRow
	for i := range 2500 {
		r := rows[i%len(rows)]
		r.ID = int64(i)
		r.Small = int32(i * 7919)
		r.Price = float64(i) / 8
		r.Ratio = float32(i) / 3
		r.At = r.At.Add(time.Duration(i) * 1234567 * time.Microsecond)
		if i%5 == 0 {
			r.Note, r.Counted = nil, nil
		}
		many = append(many, r)
	}
	if err := os.WriteFile(filepath.Join(manyDir, "many.parquet"), decodetest.Parquet(t, many, 700), 0o644); err != nil {
		t.Fatal(err)
	}
	csvDir := t.TempDir()
	csv := "id,name,price,when,flag\n7,\"a,b\",1.5,2024-01-02T03:04:05Z,true\n8,,2,2024-01-02 03:04:05.5,false\n9,zé,,,\n"
	if err := os.WriteFile(filepath.Join(csvDir, "rows.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	// price is whole in this object, a float in the table: converted on the way.
	if err := os.WriteFile(filepath.Join(csvDir, "rows2.csv"), []byte("id,price\n10,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, src string
		ids       []string
		want      string
	}{
		{"parquet by id", dir, []string{"id", "name"}, pinnedParquetByID},
		{"parquet by position", dir, nil, pinnedParquetByPosition},
		{"csv by id", csvDir, []string{"when", "id"}, pinnedCSV},
		{"parquet, 2500 rows", manyDir, []string{"id"}, pinnedManySHA256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, proxy, table := pinnedES(t)
			sum, err := Run(context.Background(), b, Options{Source: tc.src, Table: table, IDColumns: tc.ids,
				Workers: 1, Checkpoint: filepath.Join(t.TempDir(), "cp"), History: filepath.Join(t.TempDir(), "h")})
			if err != nil {
				t.Fatal(err)
			}
			got := string(bytes.Join(proxy.Bodies(), nil))
			if docs := int64(strings.Count(got, "\n") / 2); sum.Indexed != docs {
				t.Errorf("the node indexed %d documents of the %d sent", sum.Indexed, docs)
			}
			if !strings.HasPrefix(tc.want, "{") {
				sum := sha256.Sum256([]byte(got))
				got = hex.EncodeToString(sum[:])
			}
			want := tc.want
			for n := 1; strings.Contains(want, fmt.Sprintf(`"POS%d"`, n)); n++ {
				// The row-position ids hash the object's key (under a temporary folder), a 0 byte
				// and the row's 1-based position in decimal: the first 16 bytes of its SHA-256.
				sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d", filepath.Join(dir, "part-0.parquet"), n))
				want = strings.Replace(want, fmt.Sprintf(`"POS%d"`, n), `"`+hex.EncodeToString(sum[:16])+`"`, 1)
			}
			if got != want {
				t.Errorf("bulk body:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

const pinnedParquetByID = `{"index":{"_id":"9e9f01acf477a485538dac300f91fa6a"}}
{"id":1,"small":-3,"name":"Grace Kim","note":"tab\there \"quoted\" back\\slash \u0001 é ☃ \ufffd","price":167.33,"ratio":0.1,"ok":true,"at":"2024-12-01T06:00:50.123456Z","tags":"[\"a\",\"b\\\"c\"]","counted":-9007199254740993}
{"index":{"_id":"f1beb336018d616ee59aaa45e05b8d87"}}
{"id":2,"small":0,"name":"","price":1e+21,"ratio":3,"ok":false,"at":"1969-07-20T20:17:40Z"}
{"index":{"_id":"abf84f4904350934deb2ce66d40e4eb3"}}
{"id":300,"small":2147483647,"name":"line\nbreak</script>","price":-1e-06,"ratio":-2.5e-08,"ok":true,"at":"2024-02-29T23:59:59.999999Z"}
`
const pinnedParquetByPosition = `{"index":{"_id":"POS1"}}
{"id":1,"small":-3,"name":"Grace Kim","note":"tab\there \"quoted\" back\\slash \u0001 é ☃ \ufffd","price":167.33,"ratio":0.1,"ok":true,"at":"2024-12-01T06:00:50.123456Z","tags":"[\"a\",\"b\\\"c\"]","counted":-9007199254740993}
{"index":{"_id":"POS2"}}
{"id":2,"small":0,"name":"","price":1e+21,"ratio":3,"ok":false,"at":"1969-07-20T20:17:40Z"}
{"index":{"_id":"POS3"}}
{"id":300,"small":2147483647,"name":"line\nbreak</script>","price":-1e-06,"ratio":-2.5e-08,"ok":true,"at":"2024-02-29T23:59:59.999999Z"}
`

// pinnedManySHA256 is the SHA-256 of the bulk body of the 2,500 rows.
const pinnedManySHA256 = "09f8b637fd1fba0ad37a99d751f3677b6120ebb1661fc81202f9849c883f4fbc"

const pinnedCSV = `{"index":{"_id":"b1f55816421ed1c4ad2db40562d0693f"}}
{"id":7,"name":"a,b","price":1.5,"when":"2024-01-02T03:04:05Z","flag":true}
{"index":{"_id":"549b80367bdd116463d432d50ad88410"}}
{"id":8,"price":2,"when":"2024-01-02T03:04:05.5Z","flag":false}
{"index":{"_id":"f0536d0db3d0b5aa24939288eff3af12"}}
{"id":9,"name":"zé"}
{"index":{"_id":"ac2a03762889354180d3da5a7a9ae93c"}}
{"id":10,"price":3}
`

// BenchmarkLoadParquet runs a whole load of the Parquet files in $DORA_BENCH_PARQUET (a folder:
// `scripts/benchload gen DIR 1000000 6` writes the 1M-row one `make bench-load` uses) into the
// real Elasticsearch. One op is one load of all the files; cpu-s/op is this process's CPU, dora's
// side of the load (decode, encode, HTTP), which the node's own work does not count in.
//
//	DORA_BENCH_PARQUET=~/.cache/dora/s3-data/bench/shipments-1000000 \
//	  go test -run '^$' -bench LoadParquet -benchmem -benchtime 3x ./pipelines/load/
func BenchmarkLoadParquet(b *testing.B) {
	src := os.Getenv("DORA_BENCH_PARQUET")
	if src == "" {
		b.Skip("set DORA_BENCH_PARQUET to a folder of Parquet files")
	}
	be, proxy, table := pinnedES(b)
	proxy.Record.Store(false) // a million documents need not be kept
	var rows int64
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for i := range b.N {
		sum, err := Run(context.Background(), be, Options{Source: src, Table: fmt.Sprintf("%s-%d", table, i), IDColumns: []string{"shipment_id"},
			Workers: 4, BatchBytes: 5 << 20, Checkpoint: filepath.Join(b.TempDir(), "cp"), History: filepath.Join(b.TempDir(), "h")})
		if err != nil {
			b.Fatal(err)
		}
		rows = sum.Indexed
	}
	b.ReportMetric(float64(rows), "rows/op")
	// The process's CPU, which a busy machine does not inflate as it does the wall time of ns/op.
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
