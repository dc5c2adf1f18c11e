// Command benchload prepares and replays the data `make bench-load` measures dora's load against:
//
//	benchload gen DIR ROWS FILES   writes ROWS demo shipments as FILES Parquet files in DIR and the
//	                               same documents as DIR.ndjson
//	benchload replay URL INDEX NDJSON WORKERS BATCH_BYTES [lean]
//	                               builds _bulk bodies from NDJSON first, then posts them with
//	                               WORKERS at once and prints docs and seconds of posting alone:
//	                               the ceiling for any loader at that concurrency. It reads the
//	                               node's whole answer, gzipped, as a plain HTTP client does;
//	                               with lean, only each item's status, uncompressed, as dora asks
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/dora-dev/dora/backends/duckdb/demo"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		if len(os.Args) != 5 {
			usage()
		}
		rows, _ := strconv.Atoi(os.Args[3])
		files, _ := strconv.Atoi(os.Args[4])
		err = gen(os.Args[2], rows, files)
	case "replay":
		if len(os.Args) != 7 && !(len(os.Args) == 8 && os.Args[7] == "lean") {
			usage()
		}
		workers, _ := strconv.Atoi(os.Args[5])
		batch, _ := strconv.Atoi(os.Args[6])
		err = replay(os.Args[2], os.Args[3], os.Args[4], workers, batch, len(os.Args) == 8)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchload:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchload gen DIR ROWS FILES | benchload replay URL INDEX NDJSON WORKERS BATCH_BYTES [lean]")
	os.Exit(2)
}

func gen(dir string, rows, files int) error {
	ctx := context.Background()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(os.TempDir(), fmt.Sprintf("benchload-%d.duckdb", os.Getpid()))
	defer os.Remove(tmp)
	db, err := sql.Open("duckdb", tmp)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := demo.Build(ctx, db, rows); err != nil {
		return err
	}
	for k := 0; k < files; k++ {
		path := filepath.Join(dir, fmt.Sprintf("part-%03d.parquet", k))
		q := fmt.Sprintf("COPY (SELECT * FROM shipments WHERE shipment_id %% %d = %d ORDER BY shipment_id) TO '%s' (FORMAT parquet, COMPRESSION zstd)", files, k, path)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	// Times as ISO 8601 in UTC, as dora writes them, so every loader sends the same documents.
	q := fmt.Sprintf(`COPY (SELECT * REPLACE (strftime(shipped_at, '%%Y-%%m-%%dT%%H:%%M:%%SZ') AS shipped_at,
		strftime(returned_at, '%%Y-%%m-%%dT%%H:%%M:%%SZ') AS returned_at) FROM shipments ORDER BY shipment_id) TO '%s' (FORMAT json)`, dir+".ndjson")
	_, err = db.ExecContext(ctx, q)
	return err
}

func replay(url, index, path string, workers, batchBytes int, lean bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// Build every body before the clock starts.
	var bodies [][]byte
	var cur bytes.Buffer
	docs := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		h := sha256.Sum256(line)
		fmt.Fprintf(&cur, `{"index":{"_id":"%s"}}`+"\n", hex.EncodeToString(h[:16]))
		cur.Write(line)
		cur.WriteByte('\n')
		docs++
		if cur.Len() >= batchBytes {
			bodies = append(bodies, bytes.Clone(cur.Bytes()))
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		bodies = append(bodies, bytes.Clone(cur.Bytes()))
	}
	if err := sc.Err(); err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	start := time.Now()
	work := make(chan []byte)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range work {
				for {
					target := url + "/" + index + "/_bulk"
					if lean {
						target += "?filter_path=errors,items.*.status"
					}
					req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
					if err != nil {
						errs <- err
						return
					}
					req.Header.Set("Content-Type", "application/x-ndjson")
					if lean {
						req.Header.Set("Accept-Encoding", "identity")
					}
					resp, err := client.Do(req)
					if err != nil {
						errs <- err
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusTooManyRequests {
						time.Sleep(100 * time.Millisecond)
						continue
					}
					if resp.StatusCode != http.StatusOK {
						errs <- fmt.Errorf("bulk: HTTP %d", resp.StatusCode)
						return
					}
					break
				}
			}
		}()
	}
	for _, b := range bodies {
		work <- b
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Printf("%d %.3f\n", docs, time.Since(start).Seconds())
	return nil
}
