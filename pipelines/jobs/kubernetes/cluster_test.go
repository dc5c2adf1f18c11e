package kubernetes_test

// These tests run against a real kube-apiserver, etcd, kube-controller-manager and
// kube-scheduler started by scripts/kubernetes. kwok stands in for the kubelets: it moves each
// pod through its phases as the stages in scripts/kube/stages.yaml say, chosen by labels the
// tests put on the task (stage.dora.test/...), and serves pods/log from a file the test writes
// (a ClusterLogs object). No container runs, so what is checked is what the runner asks of the
// cluster and how it reads what the cluster answers.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	batchclient "k8s.io/client-go/kubernetes/typed/batch/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/jobs"
	runner "github.com/dora-dev/dora/pipelines/jobs/kubernetes"
)

// cluster is one test's namespace on the test cluster, a runner on it and plain clients to look
// at what the runner did.
type cluster struct {
	ctx   context.Context
	ns    string
	rc    *rest.Config
	r     *runner.Runner
	batch batchclient.BatchV1Interface
	core  coreclient.CoreV1Interface
}

func setup(t *testing.T) *cluster {
	t.Helper()
	ns, rc, core := testenv.KubeNamespace(t, "dora-test")
	c := &cluster{ctx: context.Background(), rc: rc, ns: ns, core: core}
	var err error
	if c.batch, err = batchclient.NewForConfig(rc); err != nil {
		t.Fatal(err)
	}
	c.r = c.open(t)
	return c
}

// open returns another runner on the namespace, as a second dora process would have.
func (c *cluster) open(t *testing.T) *runner.Runner {
	t.Helper()
	r, err := runner.Open(c.rc, runner.Config{Namespace: c.ns, Resync: 3 * time.Second, Unschedulable: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func randomID() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// task is a run of the nightly-score job with an env that has a secret, a URL with a password
// and plain values.
func task(runID string, stage map[string]string) jobs.Task {
	return jobs.Task{
		RunID:   runID,
		Attempt: 1,
		Job:     "nightly score",
		Image:   "registry.local/score:1.4",
		Command: []string{"/score", "--day", "2026-12-01"},
		Env: map[string]string{
			"DAY":         "2026-12-01",
			"API_TOKEN":   "tok-" + runID + "-never-in-a-spec",
			"CATALOG":     "postgres://dora:pw-" + runID + "@db:5432/cat",
			"DORA_RUN_ID": runID,
		},
		CPU:     0.5,
		Memory:  256 << 20,
		Timeout: 90 * time.Second,
		Tags:    stage,
		Labels:  map[string]string{"dora.run": runID, "dora.job": "nightly score", "dora.attempt": "1"},
	}
}

var hold = map[string]string{"stage.dora.test/hold": "true"}

func (c *cluster) job(t *testing.T, h jobs.Handle) *batchv1.Job {
	t.Helper()
	_, name, _ := strings.Cut(h.ID, "/")
	j, err := c.batch.Jobs(c.ns).Get(c.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading Job %s: %v", h.ID, err)
	}
	return j
}

// gone waits until the Job, its pods and its Secret are deleted.
func (c *cluster) gone(t *testing.T, h jobs.Handle) {
	t.Helper()
	_, name, _ := strings.Cut(h.ID, "/")
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, jerr := c.batch.Jobs(c.ns).Get(c.ctx, name, metav1.GetOptions{})
		_, serr := c.core.Secrets(c.ns).Get(c.ctx, name, metav1.GetOptions{})
		pods, perr := c.core.Pods(c.ns).List(c.ctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + name})
		if apierrors.IsNotFound(jerr) && apierrors.IsNotFound(serr) && perr == nil && len(pods.Items) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Job %s: still there after 60s (job: %v, secret: %v, pods: %d)", h.ID, jerr, serr, len(pods.Items))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestTheJobCarriesTheTaskAndNoSecret(t *testing.T) {
	c := setup(t)
	tk := task("specrun"+randomID(), hold)
	h, err := c.r.Start(c.ctx, tk)
	if err != nil {
		t.Fatal(err)
	}
	j := c.job(t, h)
	spec, _ := json.Marshal(j)
	for _, secret := range []string{tk.Env["API_TOKEN"], "pw-" + tk.RunID} {
		if bytes.Contains(spec, []byte(secret)) {
			t.Errorf("the Job's spec holds a secret value %q:\n%s", secret, spec)
		}
	}
	if j.Spec.BackoffLimit == nil || *j.Spec.BackoffLimit != 0 {
		t.Errorf("backoffLimit %v, want 0", j.Spec.BackoffLimit)
	}
	if j.Spec.ActiveDeadlineSeconds == nil || *j.Spec.ActiveDeadlineSeconds != 90 {
		t.Errorf("activeDeadlineSeconds %v, want 90", j.Spec.ActiveDeadlineSeconds)
	}
	for k, v := range map[string]string{"dora.run": tk.RunID, "dora.job": "nightly-score", "dora.attempt": "1", "stage.dora.test/hold": "true"} {
		if j.Labels[k] != v || j.Spec.Template.Labels[k] != v {
			t.Errorf("label %s: Job %q, pod %q; want %q", k, j.Labels[k], j.Spec.Template.Labels[k], v)
		}
	}
	if j.Annotations["dora.job"] != "nightly score" {
		t.Errorf("annotation dora.job %q", j.Annotations["dora.job"])
	}
	ctr := j.Spec.Template.Spec.Containers[0]
	if ctr.Image != tk.Image || strings.Join(ctr.Args, " ") != "/score --day 2026-12-01" {
		t.Errorf("container image %s args %q", ctr.Image, ctr.Args)
	}
	for _, rl := range []corev1.ResourceList{ctr.Resources.Requests, ctr.Resources.Limits} {
		if cpu, mem := rl[corev1.ResourceCPU], rl[corev1.ResourceMemory]; cpu.String() != "500m" || mem.String() != "256Mi" {
			t.Errorf("resources cpu %s memory %s, want 500m and 256Mi", cpu.String(), mem.String())
		}
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range ctr.Env {
		env[e.Name] = e
	}
	if env["DAY"].Value != "2026-12-01" || env["DORA_RUN_ID"].Value != tk.RunID {
		t.Errorf("plain env: %+v", ctr.Env)
	}
	_, name, _ := strings.Cut(h.ID, "/")
	for _, k := range []string{"API_TOKEN", "CATALOG"} {
		ref := env[k].ValueFrom
		if env[k].Value != "" || ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != name || ref.SecretKeyRef.Key != k {
			t.Errorf("%s should come from Secret %s: %+v", k, name, env[k])
		}
	}
	s, err := c.core.Secrets(c.ns).Get(c.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the run's Secret: %v", err)
	}
	if string(s.Data["API_TOKEN"]) != tk.Env["API_TOKEN"] || string(s.Data["CATALOG"]) != tk.Env["CATALOG"] || len(s.Data) != 2 {
		t.Errorf("the Secret holds %d values, not the two secret ones", len(s.Data))
	}
	if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != j.UID {
		t.Errorf("the Secret is not owned by the Job: %+v", s.OwnerReferences)
	}
	if err := c.r.Stop(c.ctx, h); err != nil {
		t.Fatal(err)
	}
	c.gone(t, h)
}

// The pod's course through kwok's stages, and how Wait reads each end.
func TestWaitReadsHowThePodEnded(t *testing.T) {
	c := setup(t)
	for _, tc := range []struct {
		name   string
		stage  map[string]string
		code   int
		infra  bool
		reason string
	}{
		{name: "succeeded"},
		{name: "exit-3", stage: map[string]string{"stage.dora.test/exit-code": "3"}, code: 3},
		{name: "oom", stage: map[string]string{"stage.dora.test/exit-code": "137", "stage.dora.test/reason": "OOMKilled"}, code: 137, infra: true, reason: "OOMKilled"},
		{name: "image-pull", stage: map[string]string{"stage.dora.test/waiting": "ImagePullBackOff"}, infra: true, reason: "ImagePullBackOff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := c.r.Start(c.ctx, task(tc.name+randomID(), tc.stage))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(c.ctx, 90*time.Second)
			defer cancel()
			e, err := c.r.Wait(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if e.Infra != tc.infra || (!tc.infra || tc.code != 0) && e.Code != tc.code || !strings.Contains(e.Reason, tc.reason) || e.TimedOut {
				t.Errorf("exit %+v, want code %d infra %v reason with %q", e, tc.code, tc.infra, tc.reason)
			}
			if tc.infra && tc.reason == "OOMKilled" && !strings.Contains(e.Reason, "256Mi") {
				t.Errorf("the OOM reason does not name the limit: %q", e.Reason)
			}
			st, err := c.r.Inspect(c.ctx, h)
			if err != nil || !st.Exited || st.Exit != e {
				t.Errorf("inspect after the end: %+v, %v; want %+v", st, err, e)
			}
			if err := c.r.Remove(c.ctx, h); err != nil {
				t.Fatal(err)
			}
			c.gone(t, h)
			if st, err := c.r.Inspect(c.ctx, h); err != nil || !st.Gone {
				t.Errorf("inspect after remove: %+v, %v", st, err)
			}
		})
	}
}

// driver is a run store and a driver on it, the kubernetes runner opened from KUBECONFIG with
// the test's namespace (DORA_KUBE_NAMESPACE), as `dora jobs run` opens it.
func (c *cluster) driver(t *testing.T, dir string) *jobs.Driver {
	t.Helper()
	t.Setenv("DORA_KUBE_NAMESPACE", c.ns)
	s, err := jobs.OpenStore(c.ctx, filepath.Join(dir, "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &jobs.Driver{Store: s, Config: jobs.RunnerConfig{StateDir: dir}, Poll: 50 * time.Millisecond}
}

func definition(name string, tags map[string]string, timeout time.Duration) *jobs.Definition {
	return &jobs.Definition{Name: name, Image: "registry.local/" + name + ":1", Command: []string{"/" + name}, Runner: runner.Name,
		Tags: tags, Timeout: timeout, Retries: jobs.Retries{Attempts: 1}, Env: map[string]string{"SERVICE_PASSWORD": "hunter2-" + randomID()}}
}

// await polls the store until the run is in a state ok accepts.
func await(t *testing.T, d *jobs.Driver, id, what string, ok func(*jobs.Run) bool) *jobs.Run {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		r, err := d.Store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			log, _, _ := d.Store.Log(context.Background(), id, 0)
			t.Fatalf("run %s is %s (%s), not %s, after 90s; log:\n%s", id, r.State, r.Reason, what, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestCancelAndTimeoutDeleteTheJob(t *testing.T) {
	c := setup(t)
	d := c.driver(t, t.TempDir())

	slow, err := d.Create(c.ctx, definition("slow", hold, 0), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	go d.Drive(c.ctx, slow.ID)
	running := await(t, d, slow.ID, "RUNNING with a Job", func(r *jobs.Run) bool { return r.State == jobs.Running && r.RunnerID != "" })
	place := await(t, d, slow.ID, "placed on the node", func(r *jobs.Run) bool { return strings.Contains(r.Place, "node kwok-node-0") })
	if !strings.HasPrefix(place.Place, "namespace "+c.ns+" · pod dora-slow-") {
		t.Errorf("place %q", place.Place)
	}
	if _, err := d.Cancel(c.ctx, slow.ID, "the test", 60*time.Second); err != nil {
		t.Fatal(err)
	}
	got, _ := d.Store.Get(c.ctx, slow.ID)
	if got.State != jobs.Cancelled || got.ExitCode != nil {
		t.Errorf("cancelled run: %s, exit %v, %q", got.State, got.ExitCode, got.Reason)
	}
	c.gone(t, jobs.Handle{Runner: runner.Name, ID: running.RunnerID})

	late, err := d.Create(c.ctx, definition("late", hold, 2*time.Second), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err = d.Drive(c.ctx, late.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != jobs.TimedOut || !strings.Contains(got.Reason, "timed out after 2s") {
		t.Errorf("timed-out run: %s, %q", got.State, got.Reason)
	}
	c.gone(t, jobs.Handle{Runner: runner.Name, ID: got.RunnerID})
	log, _, _ := d.Store.Log(c.ctx, late.ID, 0)
	if bytes.Contains(log, []byte("hunter2")) || !bytes.Contains(log, []byte("SERVICE_PASSWORD=****")) {
		t.Errorf("the log shows the secret, or not as ****:\n%s", log)
	}
}

// criLine is a line of a container log file as the kubelet writes it (and kwok serves it).
func criLine(ts time.Time, text string) string {
	return ts.UTC().Format(time.RFC3339Nano) + " stdout F " + text + "\n"
}

// serveLogs makes kwok serve file as the log of the main container of every pod in the
// namespace (a ClusterLogs object).
func (c *cluster) serveLogs(t *testing.T, file string) {
	t.Helper()
	obj := map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs",
		"metadata": map[string]any{"name": c.ns},
		"spec": map[string]any{
			"selector": map[string]any{"matchNamespaces": []string{c.ns}},
			"logs":     []map[string]any{{"containers": []string{runner.ContainerName}, "logsFile": file, "follow": true}},
		},
	}
	body, _ := json.Marshal(obj)
	res := c.core.RESTClient().Post().AbsPath("/apis/kwok.x-k8s.io/v1alpha1/clusterlogs").Body(body).SetHeader("Content-Type", "application/json").Do(c.ctx)
	if err := res.Error(); err != nil {
		t.Fatalf("creating ClusterLogs for %s: %v", c.ns, err)
	}
	t.Cleanup(func() {
		c.core.RESTClient().Delete().AbsPath("/apis/kwok.x-k8s.io/v1alpha1/clusterlogs/" + c.ns).Do(context.Background())
	})
}

// The log is followed into the run store while the pod runs (across the stream's breaks: kwok
// ends a follow at the end of the file), and read back after the pod and the Job are gone.
func TestLogsOutliveThePodAndTheJob(t *testing.T) {
	c := setup(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "main.log")
	t0 := time.Now().Add(-time.Minute)
	var want strings.Builder
	write := func(from, to int) {
		f, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for i := from; i <= to; i++ {
			text := fmt.Sprintf("line %d of the task", i)
			// Two lines share each timestamp, so a reconnection must count, not compare.
			fmt.Fprint(f, criLine(t0.Add(time.Duration(i/2)*time.Second), text))
			want.WriteString(text + "\n")
		}
	}
	write(1, 3)
	c.serveLogs(t, file)
	d := c.driver(t, dir)
	run, err := d.Create(c.ctx, definition("talky", hold, 0), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *jobs.Run, 1)
	go func() { r, _ := d.Drive(c.ctx, run.ID); done <- r }()
	r := await(t, d, run.ID, "with lines 1 to 3 stored", func(*jobs.Run) bool {
		log, _, _ := d.Store.Log(c.ctx, run.ID, 0)
		return bytes.Contains(log, []byte("line 3 of the task\n"))
	})
	write(4, 7)
	// The pod completes once the hold is lifted.
	_, name, _ := strings.Cut(r.RunnerID, "/")
	pods, err := c.core.Pods(c.ns).List(c.ctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + name})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("the run's pod: %v, %d", err, len(pods.Items))
	}
	patch := []byte(`{"metadata":{"labels":{"stage.dora.test/hold":null}}}`)
	if _, err := c.core.Pods(c.ns).Patch(c.ctx, pods.Items[0].Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	var end *jobs.Run
	select {
	case end = <-done:
	case <-time.After(90 * time.Second):
		t.Fatal("the run did not end within 90s of its pod's hold being lifted")
	}
	if end == nil || end.State != jobs.Succeeded {
		t.Fatalf("run ended %+v", end)
	}
	c.gone(t, jobs.Handle{Runner: runner.Name, ID: end.RunnerID})
	d.Store.Close()
	s, err := jobs.OpenStore(c.ctx, filepath.Join(dir, "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log, _, err := s.Log(c.ctx, run.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var output []string
	for _, l := range strings.SplitAfter(string(log), "\n") {
		if l != "" && !strings.HasPrefix(l, "dora: ") {
			output = append(output, l)
		}
	}
	if got := strings.Join(output, ""); got != want.String() {
		t.Errorf("the stored output, after the pod and the Job are gone:\n%s\nwant:\n%s", got, want.String())
	}
}

// TestMain lets the test binary be a watcher that TestKilledWatcherIsReconciled kills: with
// DORA_KUBE_TEST_WATCH=RUN and DORA_KUBE_TEST_STORE=FILE it drives that run and nothing else.
func TestMain(m *testing.M) {
	if id := os.Getenv("DORA_KUBE_TEST_WATCH"); id != "" {
		s, err := jobs.OpenStore(context.Background(), os.Getenv("DORA_KUBE_TEST_STORE"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		d := &jobs.Driver{Store: s, Poll: 50 * time.Millisecond}
		if _, err := d.Drive(context.Background(), id); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// SIGKILL of the process that watches a run: the pod runs on and ends (exit 3) with nobody
// watching, and the next dora that looks records how it ended and deletes the Job.
func TestKilledWatcherIsReconciled(t *testing.T) {
	c := setup(t)
	dir := t.TempDir()
	d := c.driver(t, dir)
	run, err := d.Create(c.ctx, definition("orphan", hold, 0), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DORA_KUBE_TEST_WATCH="+run.ID, "DORA_KUBE_TEST_STORE="+filepath.Join(dir, "runs.db"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := await(t, d, run.ID, "RUNNING on the node", func(r *jobs.Run) bool {
		return r.State == jobs.Running && strings.Contains(r.Place, "node ")
	})
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	_, name, _ := strings.Cut(r.RunnerID, "/")
	pods, err := c.core.Pods(c.ns).List(c.ctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + name})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("the run's pod: %v, %d", err, len(pods.Items))
	}
	patch := []byte(`{"metadata":{"labels":{"stage.dora.test/hold":null,"stage.dora.test/exit-code":"3"}}}`)
	if _, err := c.core.Pods(c.ns).Patch(c.ctx, pods.Items[0].Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		p, err := c.core.Pods(c.ns).Get(c.ctx, pods.Items[0].Name, metav1.GetOptions{})
		if err == nil && p.Status.Phase == corev1.PodFailed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pod did not fail within 60s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got, _ := d.Store.Get(c.ctx, run.ID); got.State != jobs.Running {
		t.Fatalf("with its watcher dead the run is %s, not RUNNING", got.State)
	}
	if err := d.Reconcile(c.ctx); err != nil {
		t.Fatal(err)
	}
	got := await(t, d, run.ID, "ended", func(r *jobs.Run) bool { return r.State.Ended() })
	if got.State != jobs.Failed || got.ExitCode == nil || *got.ExitCode != 3 {
		t.Errorf("reconciled run: %s, exit %v, %q", got.State, got.ExitCode, got.Reason)
	}
	c.gone(t, jobs.Handle{Runner: runner.Name, ID: r.RunnerID})
}
