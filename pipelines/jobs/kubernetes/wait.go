package kubernetes

import (
	"context"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/dora-dev/dora/pipelines/jobs"
)

// pullFailures are the reasons a container waits for that mean its image will not come: the
// kubelet would keep trying, but the attempt fails now as an infra failure, in these words.
var pullFailures = map[string]string{
	"ImagePullBackOff":           "the image could not be pulled",
	"ErrImagePull":               "the image could not be pulled",
	"InvalidImageName":           "the image name is not valid",
	"ErrImageNeverPull":          "the image is not on the node and the pull policy is Never",
	"CreateContainerConfigError": "the container could not be configured",
	"CreateContainerError":       "the container could not be created",
}

// state is what the Job and its newest pod say of an attempt.
type state struct {
	job     *batchv1.Job // nil when the Job is gone
	pod     *corev1.Pod  // nil while it has none
	podsRV  string       // the pod list's resource version, to watch from
	ended   bool
	exit    jobs.Exit
	pending time.Duration // how long the pod has been unschedulable
}

// look reads the Job and its newest pod and decides whether the attempt has ended, and how.
func (r *Runner) look(ctx context.Context, ns, name string) (state, error) {
	var s state
	job, err := r.batch.Jobs(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		s.ended = true
		s.exit = jobs.Exit{Infra: true, Reason: fmt.Sprintf("the Job %s/%s was deleted before it ended", ns, name)}
		return s, nil
	}
	if err != nil {
		return s, r.wrap(fmt.Sprintf("reading Job %s/%s", ns, name), err)
	}
	s.job = job
	if s.pod, s.podsRV, err = r.pods(ctx, ns, name); err != nil {
		return s, err
	}
	s.exit, s.ended, s.pending = r.judge(job, s.pod)
	return s, nil
}

// judge maps a Job and its pod onto how the attempt ended, telling the program's own exit from
// what Kubernetes did to it (and saying what, in its words).
func (r *Runner) judge(job *batchv1.Job, pod *corev1.Pod) (jobs.Exit, bool, time.Duration) {
	for _, c := range job.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue && c.Reason == batchv1.JobReasonDeadlineExceeded {
			return jobs.Exit{Infra: true, TimedOut: true, Reason: "Kubernetes ended the Job at its activeDeadlineSeconds: " + c.Message}, true, 0
		}
	}
	if pod != nil {
		if e, ok := podExit(pod); ok {
			return e, true, 0
		}
	}
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return jobs.Exit{Code: 0}, true, 0
		case batchv1.JobFailed:
			return jobs.Exit{Infra: true, Reason: words("Kubernetes failed the Job ("+c.Reason+")", c.Message)}, true, 0
		}
	}
	if job.DeletionTimestamp != nil {
		return jobs.Exit{Infra: true, Reason: fmt.Sprintf("the Job %s/%s is being deleted", job.Namespace, job.Name)}, true, 0
	}
	if pod == nil {
		return jobs.Exit{}, false, 0
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil {
			if what, ok := pullFailures[w.Reason]; ok {
				return jobs.Exit{Infra: true, Reason: words(fmt.Sprintf("%s (%s, image %s)", what, w.Reason, cs.Image), w.Message)}, true, 0
			}
		}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			since := time.Since(c.LastTransitionTime.Time)
			if since >= r.cfg.Unschedulable {
				return jobs.Exit{Infra: true, Reason: words(fmt.Sprintf("the pod could not be scheduled for %s", since.Round(time.Second)), c.Message)}, true, 0
			}
			return jobs.Exit{}, false, max(since, time.Nanosecond)
		}
	}
	return jobs.Exit{}, false, 0
}

// podExit says how a pod ended, when it has: its container's exit code when the program ended
// itself, or an infra failure (OOMKilled, Evicted, its node lost, deleted) in Kubernetes' words.
func podExit(pod *corev1.Pod) (jobs.Exit, bool) {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue && pod.Status.Phase != corev1.PodSucceeded {
			if pod.Status.Phase == corev1.PodFailed || pod.DeletionTimestamp != nil {
				return jobs.Exit{Infra: true, Reason: words("Kubernetes ended the pod ("+c.Reason+")", c.Message)}, true
			}
		}
	}
	if pod.Status.Reason == "Evicted" {
		return jobs.Exit{Infra: true, Reason: words("the pod was evicted from its node", pod.Status.Message)}, true
	}
	if pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
		return jobs.Exit{}, false
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name != ContainerName {
			continue
		}
		t := cs.State.Terminated
		if t == nil {
			break
		}
		code := int(t.ExitCode)
		switch t.Reason {
		case "OOMKilled":
			return jobs.Exit{Code: code, Infra: true, Reason: "killed for running out of memory (OOMKilled)" + limit(pod)}, true
		case "ContainerCannotRun", "StartError":
			return jobs.Exit{Code: code, Infra: true, Reason: words("the container could not run ("+t.Reason+")", t.Message)}, true
		case "", "Completed", "Error":
			return jobs.Exit{Code: code}, true // the program's own end: its code says it all
		}
		return jobs.Exit{Code: code, Reason: words(t.Reason, t.Message)}, true
	}
	if pod.Status.Phase == corev1.PodSucceeded {
		return jobs.Exit{Code: 0}, true
	}
	return jobs.Exit{Infra: true, Reason: words("the pod failed without an exit code ("+pod.Status.Reason+")", pod.Status.Message)}, true
}

func limit(pod *corev1.Pod) string {
	for _, c := range pod.Spec.Containers {
		if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok && c.Name == ContainerName {
			return " (limit " + q.String() + ")"
		}
	}
	return ""
}

func words(what, detail string) string {
	if detail = strings.TrimSpace(detail); detail == "" {
		return what
	}
	return what + ": " + detail
}

// Wait follows the Job and its pod until the attempt ends: a watch on each, and a fresh read
// (a resync) whenever either says anything, when a watch ends, and every Resync.
func (r *Runner) Wait(ctx context.Context, h jobs.Handle) (jobs.Exit, error) {
	ns, name, err := split(h)
	if err != nil {
		return jobs.Exit{}, err
	}
	for {
		s, err := r.look(ctx, ns, name)
		if err != nil {
			if ctx.Err() != nil {
				return jobs.Exit{}, ctx.Err()
			}
			// A passing failure of the API server: try again at the next resync.
			if !sleep(ctx, time.Second) {
				return jobs.Exit{}, ctx.Err()
			}
			continue
		}
		if s.ended {
			return s.exit, nil
		}
		next := r.cfg.Resync
		if s.pending > 0 {
			next = min(next, r.cfg.Unschedulable-s.pending+time.Second)
		}
		if err := r.watchOnce(ctx, ns, name, s, next); err != nil {
			return jobs.Exit{}, err
		}
	}
}

// watchOnce returns when the Job or its pods change, when a watch ends, or after at most d.
func (r *Runner) watchOnce(ctx context.Context, ns, name string, s state, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	secs := int64(max(1, d.Seconds()))
	jw, err := r.batch.Jobs(ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name,
		ResourceVersion: s.job.ResourceVersion, TimeoutSeconds: &secs})
	if err != nil {
		sleep(ctx, time.Second)
		return parentErr(ctx)
	}
	defer jw.Stop()
	pw, err := r.core.Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: jobNameLabel + "=" + name,
		ResourceVersion: s.podsRV, TimeoutSeconds: &secs})
	if err != nil {
		sleep(ctx, time.Second)
		return parentErr(ctx)
	}
	defer pw.Stop()
	for {
		var ev watch.Event
		var ok bool
		select {
		case <-ctx.Done():
			return parentErr(ctx)
		case ev, ok = <-jw.ResultChan():
		case ev, ok = <-pw.ResultChan():
		}
		if !ok || ev.Type != watch.Bookmark {
			return nil
		}
	}
}

// parentErr is the error of ctx's parent: a watch that ran its time is not one.
func parentErr(ctx context.Context) error {
	if err := context.Cause(ctx); err != nil && err != context.DeadlineExceeded {
		return err
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// Inspect says what the cluster reports of the attempt now.
func (r *Runner) Inspect(ctx context.Context, h jobs.Handle) (jobs.Status, error) {
	ns, name, err := split(h)
	if err != nil {
		return jobs.Status{}, err
	}
	s, err := r.look(ctx, ns, name)
	if err != nil {
		return jobs.Status{}, err
	}
	switch {
	case s.job == nil:
		return jobs.Status{Gone: true}, nil
	case s.ended:
		return jobs.Status{Exited: true, Exit: s.exit}, nil
	}
	return jobs.Status{Running: true}, nil
}
