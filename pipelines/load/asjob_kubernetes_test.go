package load

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	batchclient "k8s.io/client-go/kubernetes/typed/batch/v1"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/jobs/kubernetes"
)

// A 4-shard load on the kubernetes runner, against the real API server of scripts/kubernetes
// (kwok completes the pods): four Jobs, one per shard with its --shard I/4, then the publish's
// Job, created only once every shard has succeeded. A watch of the namespace, outside dora,
// records the Jobs as the API server saw them, since dora deletes each once it has ended.
func TestLoadShardsRunAsKubernetesJobsThenThePublish(t *testing.T) {
	ctx := context.Background()
	ns, rc, _ := testenv.KubeNamespace(t, "dora-load")
	batch, _ := batchclient.NewForConfig(rc)
	t.Setenv("DORA_KUBE_NAMESPACE", ns)

	w, err := batch.Jobs(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var created []*batchv1.Job // in the order the API server made them
	go func() {
		for ev := range w.ResultChan() {
			if j, ok := ev.Object.(*batchv1.Job); ok && ev.Type == watch.Added {
				mu.Lock()
				created = append(created, j)
				mu.Unlock()
			}
		}
	}()
	defer w.Stop()

	g, err := JobGroup(JobOptions{
		Load:    Options{Source: "s3://warehouse/orders/", Table: "orders", Version: "20261206-1"},
		Backend: "http://127.0.0.1:9200", Shards: 4, Runner: kubernetes.Name, Image: "dora:dev",
		Env:     map[string]string{"AWS_REGION": "us-east-1", "AWS_SECRET_ACCESS_KEY": "s3cr3t-never-in-a-spec"},
		Retries: jobs.Retries{Attempts: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s, err := jobs.OpenStore(ctx, filepath.Join(dir, "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := &jobs.Driver{Store: s, Config: jobs.RunnerConfig{StateDir: dir}, Poll: 50 * time.Millisecond}
	runCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	p, err := d.RunGroup(runCtx, g)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != jobs.Succeeded {
		t.Fatalf("the load ended %s: %s", p.State, p.Reason)
	}

	var shards []*jobs.Run
	var publish *jobs.Run
	for _, c := range p.Children {
		if c.Role == jobs.RolePublish {
			publish = c
		} else {
			shards = append(shards, c)
		}
	}
	if len(shards) != 4 || publish == nil || publish.State != jobs.Succeeded {
		t.Fatalf("children: %d shards, publish %+v", len(shards), publish)
	}
	for _, c := range shards {
		if c.State != jobs.Succeeded || c.FinishedAt.After(publish.StartedAt) {
			t.Errorf("shard %s: %s, finished %s; the publish started %s", c.Job, c.State, c.FinishedAt, publish.StartedAt)
		}
	}

	time.Sleep(time.Second) // the watch has seen every Job by now: dora waited for each
	mu.Lock()
	defer mu.Unlock()
	if len(created) != 5 {
		t.Fatalf("%d Jobs created, want 5", len(created))
	}
	var seen []string
	for i, j := range created {
		args := j.Spec.Template.Spec.Containers[0].Args
		spec := strings.Join(args, " ")
		if strings.Contains(spec, "s3cr3t") || j.Spec.Template.Spec.Containers[0].Image != "dora:dev" {
			t.Errorf("Job %s: image %s, args %q", j.Name, j.Spec.Template.Spec.Containers[0].Image, spec)
		}
		if i == 4 {
			if !slices.Contains(args, "--publish") || slices.Contains(args, "--shard") {
				t.Errorf("the last Job is not the publish: %q", spec)
			}
			continue
		}
		k := slices.Index(args, "--shard")
		if k < 0 || k+1 >= len(args) || args[0] != "load" || args[1] != "s3://warehouse/orders/" {
			t.Errorf("Job %s is not a shard: %q", j.Name, spec)
			continue
		}
		seen = append(seen, args[k+1])
		for _, env := range j.Spec.Template.Spec.Containers[0].Env {
			if env.Name == "AWS_SECRET_ACCESS_KEY" && (env.Value != "" || env.ValueFrom == nil || env.ValueFrom.SecretKeyRef == nil) {
				t.Errorf("Job %s: the secret is not from a Secret: %+v", j.Name, env)
			}
		}
	}
	slices.Sort(seen)
	if strings.Join(seen, " ") != "0/4 1/4 2/4 3/4" {
		t.Errorf("shards %v, want 0/4 1/4 2/4 3/4", seen)
	}
}
