package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/tui/format"
)

// faultESPort is the private Elasticsearch node the fault tests restart (transport on
// faultESPort+10): never the shared one on 9200. 9230-9260 are the fault suite's ports.
const faultESPort = 9232

// privateES is an Elasticsearch node of the fault tests' own, started by scripts/elasticsearch
// on its own port and data folder, which a test may freeze, kill and start again.
type privateES struct {
	testenv.Private
	url string
}

func startPrivateES(t *testing.T) *privateES {
	t.Helper()
	p := &privateES{url: fmt.Sprintf("http://127.0.0.1:%d", faultESPort), Private: testenv.Private{T: t, Script: "elasticsearch",
		Env:     append(os.Environ(), fmt.Sprintf("ES_PORT=%d", faultESPort), fmt.Sprintf("ES_TRANSPORT_PORT=%d", faultESPort+10), "ES_START_TIMEOUT=600"),
		PidFile: filepath.Join(testenv.CacheDir(t), fmt.Sprintf("es-run-%d", faultESPort), "es.pid")}}
	p.Begin()
	return p
}

// outage freezes the node (SIGSTOP), runs inFlight (which leaves a request of the screen s
// waiting on it), kills the node with SIGKILL as a crash would, waits until the screen shows
// word, and starts the node again. It returns the screen's line holding word, when the node was
// killed and when it answered again.
func (p *privateES) outage(s *testenv.Tmux, inFlight func(), word string) (said string, killed, up time.Time) {
	p.T.Helper()
	p.Signal(syscall.SIGSTOP)
	inFlight()
	killed = p.Signal(syscall.SIGKILL)
	scr := s.WaitWithin(time.Minute, fmt.Sprintf("the screen to say %q", word), func(scr string) bool { return strings.Contains(scr, word) })
	p.Start()
	return statusLine(scr, word), killed, time.Now()
}

// get asks the node for path (not through dora) and decodes the JSON answer into v.
func (p *privateES) get(path, body string, v any) error {
	req, _ := http.NewRequest(http.MethodPost, p.url+path, strings.NewReader(body))
	if body == "" {
		req.Method = http.MethodGet
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, data)
	}
	return json.Unmarshal(data, v)
}

// faultRegions are the region values of the fault tests' rows, one per row in turn.
var faultRegions = []string{"North", "South", "East", "West"}

// faultCSVs writes files CSV files of per rows each (id, region, amount) into dir and returns
// the row count, the amounts' sum and the count by region, computed here.
func faultCSVs(t *testing.T, dir string, files, per int) (n, sum int64, byRegion map[string]int64) {
	t.Helper()
	byRegion = map[string]int64{}
	for f := range files {
		var b bytes.Buffer
		b.WriteString("id,region,amount\n")
		for i := range per {
			id := int64(f*per + i + 1)
			region, amount := faultRegions[id%4], id*7%1000
			fmt.Fprintf(&b, "%d,%s,%d\n", id, region, amount)
			n, sum = n+1, sum+amount
			byRegion[region]++
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%02d.csv", f)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return n, sum, byRegion
}

// TestElasticsearchRestarted kills a private Elasticsearch node (SIGKILL) and starts it again in
// the middle of a load, of a dashboard refresh and of an explorer query, on one node (it takes
// about a minute to start here). The load stops saying what failed and --resume completes it
// with every row once, as Elasticsearch itself counts them; the dashboard and the explorer say
// the backend is unavailable and show the answer again by themselves once it is back.
func TestElasticsearchRestarted(t *testing.T) {
	es := startPrivateES(t)
	table := fmt.Sprintf("esfault-%d", os.Getpid())
	t.Cleanup(func() { testenv.DeleteIndices(es.url, table+"*") })
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.Mkdir(src, 0o755)
	n, sum, byRegion := faultCSVs(t, src, 20, 10_000)
	env := []string{"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_STATE_HOME=" + filepath.Join(dir, "state"), "XDG_DATA_HOME=" + filepath.Join(dir, "data")}

	t.Run("load", func(t *testing.T) {
		args := []string{"load", src, "--table", table, "--id", "id", "--workers", "2", "--batch-bytes", "131072",
			"--backend", es.url, "--dead-letter", filepath.Join(dir, "dead.ndjson")}
		cmd := exec.Command(doraBin, args...)
		cmd.Env = append(os.Environ(), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// Kill the node once a fifth of the rows are indexed, as Elasticsearch counts them.
		for {
			var stats struct {
				All struct {
					Primaries struct {
						Indexing struct {
							IndexTotal int64 `json:"index_total"`
						} `json:"indexing"`
					} `json:"primaries"`
				} `json:"_all"`
			}
			if es.get("/"+table+"-*/_stats/indexing", "", &stats) == nil && stats.All.Primaries.Indexing.IndexTotal >= n/5 {
				break
			}
			select {
			case err := <-exited:
				t.Fatalf("the load ended before the node could be killed (%v):\n%s", err, out.String())
			case <-time.After(50 * time.Millisecond):
			}
		}
		killedAt := es.Signal(syscall.SIGKILL)
		var err error
		select {
		case err = <-exited:
		case <-time.After(5 * time.Minute):
			cmd.Process.Kill()
			t.Fatalf("the load neither finished nor stopped 5 minutes after the node was killed:\n%s", out.String())
		}
		stoppedAt := time.Now()
		first := out.String()
		resumed := false
		es.Start()
		upAt := time.Now()
		if err != nil {
			if !strings.Contains(first, "cannot reach Elasticsearch at "+es.url) || !strings.Contains(first, "--resume") {
				t.Errorf("the load stopped without saying the node is unreachable and that --resume continues:\n%s", first)
			}
			r := dora(t, "", env, append(args, "--resume")...)
			if r.code != 0 {
				t.Fatalf("--resume after the node came back: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			resumed = true
			out.Reset()
			out.WriteString(r.stdout)
		}
		ended := time.Now()
		want := fmt.Sprintf("%d rows read, %d written, 0 set aside", n, n)
		if !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "published as "+table) {
			t.Errorf("the load says:\n%s\nwant %q and published", out.String(), want)
		}
		// Elasticsearch's own count and sums: every row once.
		var count struct{ Count int64 }
		if err := es.get("/"+table+"/_count", "", &count); err != nil {
			t.Fatal(err)
		}
		var aggs struct {
			Aggregations struct {
				Sum     struct{ Value float64 }
				Regions struct {
					Buckets []struct {
						Key      string
						DocCount int64 `json:"doc_count"`
					}
				}
			}
		}
		if err := es.get("/"+table+"/_search", `{"size":0,"aggs":{"sum":{"sum":{"field":"amount"}},"regions":{"terms":{"field":"region"}}}}`, &aggs); err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, b := range aggs.Aggregations.Regions.Buckets {
			got[b.Key] = b.DocCount
		}
		if count.Count != n || int64(aggs.Aggregations.Sum.Value) != sum || fmt.Sprint(got) != fmt.Sprint(byRegion) {
			t.Errorf("Elasticsearch holds %d rows, sum %v, regions %v; want %d, %d, %v", count.Count, aggs.Aggregations.Sum.Value, got, n, sum, byRegion)
		}
		t.Logf("node killed %.1f s into a %d-row load; the load stopped %.1f s later: %q; node back %.1f s after the kill; resumed %v; done %.1f s after the node was back; Elasticsearch counts %d rows (duplicates %d)",
			killedAt.Sub(start).Seconds(), n, stoppedAt.Sub(killedAt).Seconds(), statusLine(first, "cannot reach"), upAt.Sub(killedAt).Seconds(), resumed, ended.Sub(upAt).Seconds(), count.Count, count.Count-n)
		if t.Failed() {
			t.FailNow()
		}
	})
	if t.Failed() {
		return
	}

	tui := func(t *testing.T, name string, args ...string) *testenv.Tmux {
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = strconv.Quote(a)
		}
		script := fmt.Sprintf("cd %q && env TERM=xterm-256color %s %q %s --backend %s; echo \"dora exited $?\"; sleep 300",
			dir, strings.Join(env, " "), doraBin, strings.Join(quoted, " "), es.url)
		return testenv.StartTmux(t, name, script, 120, 40)
	}

	t.Run("dashboard", func(t *testing.T) {
		file := filepath.Join(dir, "wall.yaml")
		text := fmt.Sprintf("title: Faults\nrefresh: 2s\npanels:\n  - title: Rows\n    chart: stat\n    sql: SELECT count(*) FROM %q\n", table)
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		s := tui(t, fmt.Sprintf("dora-esfault-dash-%d", os.Getpid()), "dash", file)
		s.WaitText("Faults", format.Int(n))
		// Freeze the node so the next refresh (every 2 s) is in flight, then kill it under it.
		down, killedAt, upAt := es.outage(s, func() { time.Sleep(3 * time.Second) }, "✗")
		s.WaitWithin(3*time.Minute, "the count again, without an error", func(scr string) bool {
			return strings.Contains(scr, format.Int(n)) && !strings.Contains(scr, "✗")
		})
		t.Logf("dashboard: said %q after the kill; the count back %.1f s after the node answered (%.1f s after the kill)",
			down, time.Since(upAt).Seconds(), time.Since(killedAt).Seconds())
	})

	t.Run("explorer", func(t *testing.T) {
		sql := fmt.Sprintf("SELECT region, count(*) AS n FROM %q GROUP BY region ORDER BY region", table)
		s := tui(t, fmt.Sprintf("dora-esfault-explorer-%d", os.Getpid()), "--sql", sql)
		rows := func(scr string) bool {
			for region, c := range byRegion {
				if !regexp.MustCompile(region + `\s+` + regexp.QuoteMeta(format.Int(c)) + `\s`).MatchString(scr) {
					return false
				}
			}
			return true
		}
		s.WaitFor("the regions' counts", rows)
		// Freeze the node, re-run the query (r) so it is in flight, then kill the node under it.
		down, killedAt, upAt := es.outage(s, func() {
			s.Keys("r")
			time.Sleep(2 * time.Second)
		}, "unavailable")
		s.WaitWithin(3*time.Minute, "the regions' counts again, without an error", func(scr string) bool {
			return rows(scr) && !strings.Contains(scr, "unavailable")
		})
		t.Logf("explorer: said %q after the kill; rows back %.1f s after the node answered (%.1f s after the kill)",
			down, time.Since(upAt).Seconds(), time.Since(killedAt).Seconds())
	})
}
