package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/jobs/docker/dockertest"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/pipelines/objstore/s3test"
)

// testImage is the dora image the load jobs run, built from this tree by scripts/image (what
// make image runs) once per test binary.
const testImage = "dora:e2e"

var (
	imageOnce sync.Once
	imageErr  string
)

func doraImage(t *testing.T) string {
	t.Helper()
	testenv.Docker(t)
	imageOnce.Do(func() {
		cmd := exec.Command("bash", filepath.Join(testenv.Root(), "scripts", "image"), testImage)
		cmd.Dir = testenv.Root()
		if out, err := cmd.CombinedOutput(); err != nil {
			imageErr = fmt.Sprintf("scripts/image %s: %v\n%s", testImage, err, out)
		}
	})
	if imageErr != "" {
		t.Fatal(imageErr)
	}
	return testImage
}

// shardSource writes files CSV objects of rows rows each, ids 1.., under s3://bucket/in/.
func shardSource(t *testing.T, files, rows int) string {
	t.Helper()
	srv := s3test.Need(t)
	bucket := srv.Bucket(t)
	store, _, err := objstore.Open(t.Context(), "s3://"+bucket+"/")
	if err != nil {
		t.Fatal(err)
	}
	id := 0
	for f := range files {
		var b bytes.Buffer
		b.WriteString("id,region,amount\n")
		for range rows {
			id++
			fmt.Fprintf(&b, "%d,%s,%d.25\n", id, []string{"West", "East", "South"}[id%3], id%1000)
		}
		if err := store.Put(t.Context(), fmt.Sprintf("s3://%s/in/part-%02d.csv", bucket, f), &b); err != nil {
			t.Fatal(err)
		}
	}
	return "s3://" + bucket + "/in/"
}

// TestLoadAsJobInDocker loads real S3 into a real Elasticsearch as four shard containers and a
// publish, children of one run, and holds the table to the source: the exact count, no id
// twice, the sums; every container gone afterwards; the secrets redacted in the run.
func TestLoadAsJobInDocker(t *testing.T) {
	es := testenv.Elasticsearch(t)
	image := doraImage(t)
	const files, rows = 10, 2500
	src := shardSource(t, files, rows)
	table := fmt.Sprintf("dora-asjob-%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { testenv.DeleteIndices(es, table+"-*") })
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}

	r := dora(t, "", env, "load", src, "--table", table, "--id", "id", "--backend", es,
		"--as-job", "--runner", "docker", "--image", image, "--shards", "4", "--wait", "--json")
	if r.code != 0 {
		t.Fatalf("load --as-job: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var p runJSON
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if p.Status != jobs.Succeeded || p.Runner != "docker" || len(p.Children) != 5 {
		t.Fatalf("parent run: %+v", p)
	}
	shards := map[string]bool{}
	for _, c := range p.Children {
		if c.Status != jobs.Succeeded || c.Runner != "docker" || c.RunnerID == "" || c.Attempts != 1 {
			t.Errorf("child %s (%s): %s after %d attempts on %s", c.ID, c.Job, c.Status, c.Attempts, c.Runner)
		}
		shards[c.Job] = true
		if c.Env["AWS_SECRET_ACCESS_KEY"] != "****" || c.Env["AWS_ACCESS_KEY_ID"] == "" || c.Env["AWS_ENDPOINT_URL_S3"] == "" {
			t.Errorf("child %s env: %v", c.ID, c.Env)
		}
	}
	for i := range 4 {
		if job := fmt.Sprintf("load %s shard %d/4", table, i); !shards[job] {
			t.Errorf("no child %q among %v", job, shards)
		}
	}
	if !shards["load "+table+" publish"] {
		t.Errorf("no publish step among %v", shards)
	}
	// What the shards wrote is one version, published once: the exact count, each id once.
	want := files * rows
	q := queryJSON(t, fmt.Sprintf(`SELECT count(*), sum(id), min(id), max(id) FROM "%s"`, table), "--backend", es)
	if len(q.Rows) != 1 || num(q.Rows[0][0]) != float64(want) || num(q.Rows[0][1]) != float64(want*(want+1)/2) || num(q.Rows[0][2]) != 1 || num(q.Rows[0][3]) != float64(want) {
		t.Errorf("count, sum, min, max of id: %v, want %d rows with ids 1..%d", q.Rows, want, want)
	}
	dup := queryJSON(t, fmt.Sprintf(`SELECT id, count(*) FROM "%s" GROUP BY id HAVING count(*) > 1`, table), "--backend", es)
	if len(dup.Rows) != 0 {
		t.Errorf("ids loaded twice: %v", dup.Rows[:min(5, len(dup.Rows))])
	}
	// Each child's log was kept, and its container removed.
	c := dockertest.Client(t)
	for _, ch := range p.Children {
		res, err := c.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", "dora.run="+ch.ID)})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != 0 {
			t.Errorf("child %s left %d containers", ch.ID, len(res.Items))
		}
		logs := dora(t, "", env, "jobs", "logs", ch.ID)
		said := "rows read"
		if strings.HasSuffix(ch.Job, " publish") {
			said = "published version"
		}
		if !strings.Contains(logs.stdout, said) || strings.Contains(logs.stdout, "dora-test-secret") {
			t.Errorf("log of %s (%s):\n%s", ch.ID, ch.Job, logs.stdout)
		}
	}
}

// TestLoadJobFailsInWords runs shards that cannot succeed: they are tried --retries times, the
// parent fails naming the shard and why, and nothing is published.
func TestLoadJobFailsInWords(t *testing.T) {
	testenv.Elasticsearch(t)
	image := doraImage(t)
	src := shardSource(t, 2, 10)
	env := []string{"XDG_STATE_HOME=" + t.TempDir()}
	for _, c := range []struct {
		name, image, backend, want string
	}{
		// Nothing listens on port 1: dora load exits 3, a failure worth retrying.
		{"unreachable backend", image, "http://127.0.0.1:1", "exited with code 3"},
		{"missing image", "dora-e2e-no-such-image:1", "http://127.0.0.1:1", "not on the Docker host"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := dora(t, "", env, "load", src, "--table", "dora-asjob-fails", "--backend", c.backend,
				"--as-job", "--runner", "docker", "--image", c.image, "--shards", "2", "--retries", "2", "--wait", "--json")
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			var p runJSON
			if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
				t.Fatalf("--json: %v\n%s", err, r.stdout)
			}
			if p.Status != jobs.Failed || !strings.Contains(p.Reason, "shard") || !strings.Contains(p.Reason, c.want) || !strings.Contains(p.Reason, "nothing was published") {
				t.Errorf("parent: %s: %s", p.Status, p.Reason)
			}
			if !strings.Contains(r.stderr, p.Reason) {
				t.Errorf("stderr does not say why:\n%s", r.stderr)
			}
			gaveUp := 0
			for _, ch := range p.Children {
				if ch.Status == jobs.Failed && ch.Attempts == 2 {
					gaveUp++
				}
				if strings.HasSuffix(ch.Job, "publish") {
					t.Errorf("a publish step ran: %+v", ch)
				}
			}
			if gaveUp == 0 {
				t.Errorf("no child failed after 2 attempts: %+v", p.Children)
			}
		})
	}
}
