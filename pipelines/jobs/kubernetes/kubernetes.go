// Package kubernetes runs dora's jobs as Kubernetes batch/v1 Jobs: one Job per attempt, with
// backoffLimit 0 (dora's own retry policy decides what is tried again), the run's env, cpu and
// memory as requests and limits, the timeout as activeDeadlineSeconds, and the labels dora.run,
// dora.job and dora.attempt by which a later dora process finds the Job again. Env values that are
// secrets go into a Secret of the attempt, which the Job references and which is deleted with it.
// The pod's state is watched (with a resync) and its log followed into the run store, so a run's
// record and log outlive the pod and the Job.
//
// Cluster access is client-go's default: $KUBECONFIG, ~/.kube/config, or the pod's own service
// account when dora itself runs in a cluster.
package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	batchclient "k8s.io/client-go/kubernetes/typed/batch/v1"
	coreclient "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/dora-dev/dora/pipelines/jobs"
)

// Name is the runner's name in job definitions and --runner.
const Name = "kubernetes"

// Config says where and how the runner's Jobs run; a job's own kubernetes: settings win over it.
// ConfigFromEnv reads it from DORA_KUBE_* variables.
type Config struct {
	// Namespace (DORA_KUBE_NAMESPACE); the kubeconfig context's namespace, else "default".
	Namespace       string
	ServiceAccount  string            // DORA_KUBE_SERVICE_ACCOUNT; the namespace's default when empty
	ImagePullPolicy string            // DORA_KUBE_IMAGE_PULL_POLICY: Always, IfNotPresent or Never
	NodeSelector    map[string]string // DORA_KUBE_NODE_SELECTOR: k=v,k=v
	// Unschedulable is how long a pod may stay unschedulable before the attempt fails as an
	// infra failure (DORA_KUBE_UNSCHEDULABLE_AFTER; 5m when 0).
	Unschedulable time.Duration
	// TTL is the Jobs' ttlSecondsAfterFinished, a backstop should no dora remove an ended Job
	// (DORA_KUBE_TTL; 24h when 0).
	TTL time.Duration
	// Resync is how long a watch runs before the runner lists again (30s when 0).
	Resync time.Duration
}

// ConfigFromEnv reads the runner's settings from the environment.
func ConfigFromEnv() (Config, error) {
	c := Config{
		Namespace:       strings.TrimSpace(os.Getenv("DORA_KUBE_NAMESPACE")),
		ServiceAccount:  strings.TrimSpace(os.Getenv("DORA_KUBE_SERVICE_ACCOUNT")),
		ImagePullPolicy: strings.TrimSpace(os.Getenv("DORA_KUBE_IMAGE_PULL_POLICY")),
	}
	if s := os.Getenv("DORA_KUBE_NODE_SELECTOR"); s != "" {
		c.NodeSelector = map[string]string{}
		for _, kv := range strings.Split(s, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok || k == "" {
				return c, fmt.Errorf("DORA_KUBE_NODE_SELECTOR=%q: want key=value pairs separated by commas", s)
			}
			c.NodeSelector[k] = v
		}
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"DORA_KUBE_UNSCHEDULABLE_AFTER", &c.Unschedulable}, {"DORA_KUBE_TTL", &c.TTL}} {
		if s := os.Getenv(d.name); s != "" {
			v, err := time.ParseDuration(s)
			if err != nil || v <= 0 {
				return c, fmt.Errorf("%s=%q: want a duration such as 5m", d.name, s)
			}
			*d.to = v
		}
	}
	return c, nil
}

// Runner starts job attempts as Kubernetes Jobs. Handles carry NAMESPACE/NAME of the Job.
type Runner struct {
	cfg   Config
	batch batchclient.BatchV1Interface
	core  coreclient.CoreV1Interface
	host  string
}

var _ jobs.Runner = (*Runner)(nil)
var _ jobs.Finder = (*Runner)(nil)
var _ jobs.Placer = (*Runner)(nil)

// New returns a runner configured from the environment (ConfigFromEnv) on the cluster client-go's
// default loading rules find: $KUBECONFIG, ~/.kube/config, else in-cluster.
func New(ctx context.Context) (*Runner, error) {
	c, err := ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	rc, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("finding a cluster (KUBECONFIG, ~/.kube/config or in-cluster): %w", err)
	}
	if c.Namespace == "" {
		if ns, _, err := cc.Namespace(); err == nil {
			c.Namespace = ns
		}
	}
	return Open(rc, c)
}

// Open returns a runner for c on the cluster rc reaches.
func Open(rc *rest.Config, c Config) (*Runner, error) {
	if c.Namespace == "" {
		c.Namespace = "default"
	}
	if c.Unschedulable <= 0 {
		c.Unschedulable = 5 * time.Minute
	}
	if c.TTL <= 0 {
		c.TTL = 24 * time.Hour
	}
	if c.Resync <= 0 {
		c.Resync = 30 * time.Second
	}
	switch c.ImagePullPolicy {
	case "", "Always", "IfNotPresent", "Never":
	default:
		return nil, fmt.Errorf("image pull policy %q: want Always, IfNotPresent or Never (DORA_KUBE_IMAGE_PULL_POLICY)", c.ImagePullPolicy)
	}
	rc = rest.CopyConfig(rc)
	rc.UserAgent = "dora"
	if rc.QPS == 0 {
		rc.QPS, rc.Burst = 50, 100
	}
	b, err := batchclient.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: %w", err)
	}
	core, err := coreclient.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: %w", err)
	}
	return &Runner{cfg: c, batch: b, core: core, host: rc.Host}, nil
}

// Name returns "kubernetes".
func (r *Runner) Name() string { return Name }

// Start creates the attempt's Secret (when its env has secrets), then its Job, and makes the
// Job the Secret's owner so that deleting the Job deletes the Secret too. A Job the API server
// refuses for want of room (a quota) is an ErrInfra; one it refuses as invalid is not.
func (r *Runner) Start(ctx context.Context, t jobs.Task) (jobs.Handle, error) {
	if t.Image == "" {
		return jobs.Handle{}, fmt.Errorf("job %s: the kubernetes runner needs an image", t.Job)
	}
	job, secret := r.spec(t)
	ns := job.Namespace
	if secret != nil {
		if _, err := r.core.Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			return jobs.Handle{}, r.wrap(fmt.Sprintf("creating Secret %s/%s for the job's secret env", ns, secret.Name), err)
		}
	}
	created, err := r.batch.Jobs(ns).Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		if secret != nil {
			r.core.Secrets(ns).Delete(context.WithoutCancel(ctx), secret.Name, metav1.DeleteOptions{})
		}
		err = r.wrap(fmt.Sprintf("creating Job %s/%s", ns, job.Name), err)
		if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "quota") || apierrors.IsTooManyRequests(err) {
			return jobs.Handle{}, fmt.Errorf("%w: %w", jobs.ErrInfra, err)
		}
		return jobs.Handle{}, err
	}
	if secret != nil {
		r.own(ctx, ns, secret.Name, created)
	}
	return jobs.Handle{Runner: Name, ID: ns + "/" + created.Name}, nil
}

// own makes the Job the Secret's owner, so the garbage collector deletes the Secret with the
// Job even when no dora is left to. A failure only leaves the Secret to Remove.
func (r *Runner) own(ctx context.Context, ns, name string, job *batchv1.Job) {
	s, err := r.core.Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return
	}
	s.OwnerReferences = append(s.OwnerReferences, metav1.OwnerReference{
		APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: job.UID,
	})
	r.core.Secrets(ns).Update(ctx, s, metav1.UpdateOptions{})
}

// Stop deletes the Job with foreground propagation: its pod is deleted (and so stopped) before
// the Job goes. A Job already gone is not an error.
func (r *Runner) Stop(ctx context.Context, h jobs.Handle) error {
	ns, name, err := split(h)
	if err != nil {
		return err
	}
	return r.delete(ctx, ns, name)
}

// Remove deletes the Job, its pod and its Secret once the run has stored the log and the exit.
func (r *Runner) Remove(ctx context.Context, h jobs.Handle) error {
	ns, name, err := split(h)
	if err != nil {
		return err
	}
	return r.delete(ctx, ns, name)
}

func (r *Runner) delete(ctx context.Context, ns, name string) error {
	fg := metav1.DeletePropagationForeground
	err := r.batch.Jobs(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &fg})
	var errs []error
	if err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, r.wrap(fmt.Sprintf("deleting Job %s/%s", ns, name), err))
	}
	err = r.core.Secrets(ns).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, r.wrap(fmt.Sprintf("deleting Secret %s/%s", ns, name), err))
	}
	return errors.Join(errs...)
}

// Find looks for the Job of a run's attempt by its labels, in the runner's namespace (a job
// whose definition names another namespace is found there when dora reconciles it).
func (r *Runner) Find(ctx context.Context, runID string, attempt int) (jobs.Handle, bool, error) {
	sel := "dora.run=" + runID + ",dora.attempt=" + strconv.Itoa(attempt)
	list, err := r.batch.Jobs(metav1.NamespaceAll).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if apierrors.IsForbidden(err) { // no cluster-wide list: the configured namespace is what is left
		list, err = r.batch.Jobs(r.cfg.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	}
	if err != nil {
		return jobs.Handle{}, false, r.wrap("looking for the Job of run "+runID, err)
	}
	for _, j := range list.Items {
		if j.DeletionTimestamp == nil {
			return jobs.Handle{Runner: Name, ID: j.Namespace + "/" + j.Name}, true, nil
		}
	}
	return jobs.Handle{}, false, nil
}

// Place says where the attempt runs: its namespace, its pod and the pod's node, once bound.
func (r *Runner) Place(ctx context.Context, h jobs.Handle) (string, bool, error) {
	ns, name, err := split(h)
	if err != nil {
		return "", true, err
	}
	pod, _, err := r.pods(ctx, ns, name)
	if err != nil || pod == nil {
		return "namespace " + ns, false, err
	}
	where := "namespace " + ns + " · pod " + pod.Name
	if pod.Spec.NodeName == "" {
		return where, false, nil
	}
	return where + " · node " + pod.Spec.NodeName, true, nil
}

// pods returns the Job's newest pod, or nil while it has none, and the list's resource version.
func (r *Runner) pods(ctx context.Context, ns, job string) (*corev1.Pod, string, error) {
	list, err := r.core.Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: jobNameLabel + "=" + job})
	if err != nil {
		return nil, "", r.wrap(fmt.Sprintf("listing the pods of Job %s/%s", ns, job), err)
	}
	return newest(list.Items), list.ResourceVersion, nil
}

func newest(pods []corev1.Pod) *corev1.Pod {
	var p *corev1.Pod
	for i := range pods {
		if p == nil || pods[i].CreationTimestamp.After(p.CreationTimestamp.Time) {
			p = &pods[i]
		}
	}
	return p
}

// jobNameLabel is the label the Job controller puts on a Job's pods.
const jobNameLabel = "batch.kubernetes.io/job-name"

func split(h jobs.Handle) (string, string, error) {
	ns, name, ok := strings.Cut(h.ID, "/")
	if !ok || ns == "" || name == "" {
		return "", "", fmt.Errorf("kubernetes: %q is not a NAMESPACE/JOB handle", h.ID)
	}
	return ns, name, nil
}

// wrap says what the runner was doing, and where, when the API server failed it.
func (r *Runner) wrap(what string, err error) error {
	if apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) {
		return fmt.Errorf("kubernetes: %s: %w (check the kubeconfig's user and its RBAC permissions)", what, err)
	}
	if _, ok := err.(apierrors.APIStatus); !ok && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("kubernetes: %s: %w (is the API server at %s reachable? KUBECONFIG says where)", what, err, r.host)
	}
	return fmt.Errorf("kubernetes: %s: %w", what, err)
}

func init() {
	jobs.Register(Name, func(ctx context.Context, _ jobs.RunnerConfig) (jobs.Runner, error) {
		r, err := New(ctx)
		if err != nil {
			return nil, err
		}
		return r, nil
	})
}
