package kubernetes

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/dora-dev/dora/pipelines/jobs"
)

// ContainerName names the one container of every dora Job's pod.
const ContainerName = "main"

// spec builds the attempt's Job and, when its env holds secrets, the Secret the Job reads them
// from (same name, same namespace). A value is secret when dora would show it as ****: its name
// ends in KEY, SECRET, PASSWORD, TOKEN or CREDENTIALS, or it holds a URL's password. Such values
// never enter the Job's spec, which anyone who may read Jobs can read.
func (r *Runner) spec(t jobs.Task) (*batchv1.Job, *corev1.Secret) {
	k := t.Kubernetes
	ns := first(k.Namespace, r.cfg.Namespace)
	name := jobName(t)
	labels, annotations := r.labels(t)

	shown := jobs.RedactEnv(t.Env)
	var secret *corev1.Secret
	env := make([]corev1.EnvVar, 0, len(t.Env))
	for _, key := range slices.Sorted(maps.Keys(t.Env)) {
		v := t.Env[key]
		if shown[key] == v {
			env = append(env, corev1.EnvVar{Name: key, Value: v})
			continue
		}
		if secret == nil {
			secret = &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels, Annotations: annotations},
				Type:       corev1.SecretTypeOpaque,
				Data:       map[string][]byte{},
			}
		}
		secret.Data[key] = []byte(v)
		env = append(env, corev1.EnvVar{Name: key, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key,
		}}})
	}

	c := corev1.Container{
		Name:            ContainerName,
		Image:           t.Image,
		Args:            t.Command, // as docker run IMAGE ARGS: the image's entrypoint stays
		Env:             env,
		ImagePullPolicy: corev1.PullPolicy(first(k.ImagePullPolicy, r.cfg.ImagePullPolicy)),
	}
	res := corev1.ResourceList{}
	if t.CPU > 0 {
		res[corev1.ResourceCPU] = *resource.NewMilliQuantity(int64(math.Ceil(t.CPU*1000)), resource.DecimalSI)
	}
	if t.Memory > 0 {
		res[corev1.ResourceMemory] = *resource.NewQuantity(t.Memory, resource.BinarySI)
	}
	if len(res) > 0 {
		c.Resources = corev1.ResourceRequirements{Requests: res, Limits: res.DeepCopy()}
	}
	selector := k.NodeSelector
	if selector == nil {
		selector = r.cfg.NodeSelector
	}
	ttl := int32(r.cfg.TTL.Seconds())
	failed := batchv1.Failed
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels, Annotations: annotations},
		Spec: batchv1.JobSpec{
			BackoffLimit:            new(int32), // dora's retries decide; one pod per Job
			TTLSecondsAfterFinished: &ttl,
			PodReplacementPolicy:    &failed,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: annotations},
				Spec: corev1.PodSpec{
					RestartPolicy:      corev1.RestartPolicyNever,
					ServiceAccountName: first(k.ServiceAccount, r.cfg.ServiceAccount),
					NodeSelector:       selector,
					Containers:         []corev1.Container{c},
				},
			},
		},
	}
	if t.Timeout > 0 {
		secs := int64(math.Ceil(t.Timeout.Seconds()))
		job.Spec.ActiveDeadlineSeconds = &secs
	}
	return job, secret
}

// labels are the dora.* labels and the job's tags as label text allows; what it does not (a
// job name with spaces, a tag value with a slash) goes into annotations, whole.
func (r *Runner) labels(t jobs.Task) (map[string]string, map[string]string) {
	labels := map[string]string{}
	annotations := map[string]string{"dora.job": t.Job}
	put := func(k, v string) {
		if len(validation.IsQualifiedName(k)) == 0 && len(validation.IsValidLabelValue(v)) == 0 {
			labels[k] = v
		} else if len(validation.IsQualifiedName(k)) == 0 {
			annotations[k] = v
		}
	}
	for k, v := range t.Tags {
		put(k, v)
	}
	for k, v := range t.Labels {
		put(k, v)
	}
	if t.RunID != "" {
		labels["dora.run"] = t.RunID
	}
	labels["dora.job"] = labelValue(t.Job)
	labels["dora.attempt"] = strconv.Itoa(max(1, t.Attempt))
	return labels, annotations
}

var notLabel = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// labelValue is s as a label value: other characters become '-', at most 63, starting and
// ending with a letter or digit.
func labelValue(s string) string {
	s = notLabel.ReplaceAllString(s, "-")
	if len(s) > 63 {
		s = s[:63]
	}
	return strings.Trim(s, "-_.")
}

var notName = regexp.MustCompile(`[^a-z0-9]+`)

// jobName is dora-JOB-RUN-ATTEMPT as a DNS label (the Job controller copies it into a pod
// label, so at most 63): the job's name cut to fit, so `kubectl get jobs` says what runs, and a
// second start of the same attempt conflicts instead of running twice.
func jobName(t jobs.Task) string {
	run := strings.ToLower(t.RunID)
	if run == "" {
		var b [5]byte
		rand.Read(b[:])
		run = hex.EncodeToString(b[:])
	}
	suffix := "-" + notName.ReplaceAllString(run, "") + "-" + strconv.Itoa(max(1, t.Attempt))
	job := strings.Trim(notName.ReplaceAllString(strings.ToLower(t.Job), "-"), "-")
	if room := 63 - len("dora-") - len(suffix); len(job) > room {
		job = strings.TrimRight(job[:room], "-")
	}
	if job == "" {
		return "dora" + suffix
	}
	return "dora-" + job + suffix
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
