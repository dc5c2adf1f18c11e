package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	batchclient "k8s.io/client-go/kubernetes/typed/batch/v1"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/objstore"
)

// dora etl run --as-job --runner kubernetes, on the real API server of scripts/kubernetes (kwok
// completes the pod; no container runs the pipeline, so what is checked is the Job dora made and
// the run's record): the Job runs `dora etl run` in the given image with the pipeline in
// DORA_PIPELINE, the shared catalog without its password, and the password in a Secret the Job
// references, never in the Job's spec; once the run ends, the Job and the Secret are gone and the
// run is recorded Succeeded on the kubernetes runner.
func TestETLRunAsJobOnKubernetes(t *testing.T) {
	ns, rc, core := testenv.KubeNamespace(t, "dora-etl")
	ctx := context.Background()
	batch, _ := batchclient.NewForConfig(rc)
	// A watch outside dora records the Job as the API server made it (dora deletes it at the end).
	w, err := batch.Jobs(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var mu sync.Mutex
	var made []*batchv1.Job
	go func() {
		for ev := range w.ResultChan() {
			if j, ok := ev.Object.(*batchv1.Job); ok && ev.Type == watch.Added {
				mu.Lock()
				made = append(made, j)
				mu.Unlock()
			}
		}
	}()

	h := newIcebergHome(t, true)
	h.cfg.Catalog = testenv.Postgres(t)
	h.env = append(h.env, "DORA_CATALOG="+h.cfg.Catalog, "KUBECONFIG="+testenv.Kubernetes(t), "DORA_KUBE_NAMESPACE="+ns)
	src := strings.TrimSuffix(h.cfg.Warehouse, "/warehouse") + "/src/"
	store, _, err := objstore.Open(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	h.orders("day1", 1, 20, 3)
	data, _ := os.ReadFile(filepath.Join(h.dir, "src", "day1.csv"))
	if err := store.Put(t.Context(), src+"day1.csv", strings.NewReader(string(data))); err != nil {
		t.Fatal(err)
	}
	p := h.pipeline(fmt.Sprintf("table: shop.orders\nsource: %sday1.csv\n", src))
	image := "registry.local/dora:dev"

	r := h.dora("etl", "run", p, "--as-job", "--runner", "kubernetes", "--image", image, "--wait", "--json")
	if r.code != 0 {
		t.Fatalf("etl run --as-job --runner kubernetes: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var run runJSON
	if err := json.Unmarshal([]byte(r.stdout), &run); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if run.Status != jobs.Succeeded || run.Runner != "kubernetes" || !strings.HasPrefix(run.RunnerID, ns+"/") {
		t.Errorf("run: %s on %s (%s)", run.Status, run.Runner, run.RunnerID)
	}
	u, _ := url.Parse(h.cfg.Catalog)
	password, _ := u.User.Password()
	if password == "" {
		t.Fatalf("the test catalog %s has no password to keep secret", u.Redacted())
	}
	if run.Env["PGPASSWORD"] != jobs.Redacted {
		t.Errorf("PGPASSWORD in the run: %q, want it redacted", run.Env["PGPASSWORD"])
	}

	mu.Lock()
	defer mu.Unlock()
	if len(made) != 1 {
		t.Fatalf("the API server saw %d Jobs, want 1", len(made))
	}
	job := made[0]
	spec, _ := json.Marshal(job)
	if strings.Contains(string(spec), password) {
		t.Error("the catalog's password is in the Job's spec")
	}
	if job.Labels["dora.run"] != run.ID || *job.Spec.BackoffLimit != 0 {
		t.Errorf("the Job's labels %v, backoffLimit %d", job.Labels, *job.Spec.BackoffLimit)
	}
	c := job.Spec.Template.Spec.Containers[0]
	if c.Image != image || !slices.Equal(append(c.Command, c.Args...), []string{"etl", "run"}) {
		t.Errorf("the container: image %s, command %v args %v; want %s running etl run", c.Image, c.Command, c.Args, image)
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	pipeline, _ := os.ReadFile(filepath.Join(h.dir, p))
	if env["DORA_PIPELINE"].Value != string(pipeline) {
		t.Errorf("DORA_PIPELINE in the Job: %q, want the pipeline file's content", env["DORA_PIPELINE"].Value)
	}
	if got := env["DORA_CATALOG"].Value; got == "" || strings.Contains(got, password) || !strings.HasPrefix(got, "postgres") {
		t.Errorf("DORA_CATALOG in the Job: %q", u.Redacted())
	}
	ref := env["PGPASSWORD"].ValueFrom
	if env["PGPASSWORD"].Value != "" || ref == nil || ref.SecretKeyRef == nil {
		t.Fatalf("PGPASSWORD should come from a Secret: %+v", env["PGPASSWORD"])
	}
	// The run has ended: its Job and its Secret are deleted.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		_, jerr := batch.Jobs(ns).Get(ctx, job.Name, metav1.GetOptions{})
		_, serr := core.Secrets(ns).Get(ctx, ref.SecretKeyRef.Name, metav1.GetOptions{})
		if jerr != nil && serr != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the run: Job %v, Secret %v; want both gone", jerr, serr)
		}
	}
}
