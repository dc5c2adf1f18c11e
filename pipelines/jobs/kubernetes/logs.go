package kubernetes

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dora-dev/dora/pipelines/jobs"
)

// Logs copies the output of the attempt's container to w. With follow it waits for the pod's
// container to start, follows pods/log, and when the stream breaks before the container has
// ended (an API server or node restart, a proxy's idle timeout) reads on from where it was:
// lines carry the kubelet's timestamps, so nothing is written twice. A pod that is gone has no
// log left: an error says so (the run store keeps what was read before).
func (r *Runner) Logs(ctx context.Context, h jobs.Handle, follow bool, w io.Writer) error {
	ns, name, err := split(h)
	if err != nil {
		return err
	}
	f := &follower{w: w}
	for failures := 0; ; {
		s, err := r.look(ctx, ns, name)
		switch {
		case err != nil:
			failures++
		case s.pod == nil && (s.ended || !follow):
			return nil // no pod ever ran: no output
		case s.pod != nil && started(s.pod):
			done := s.ended || ended(s.pod)
			err = f.read(ctx, r.core.Pods(ns).GetLogs(s.pod.Name, &corev1.PodLogOptions{
				Container: ContainerName, Follow: follow && !done, Timestamps: true, SinceTime: f.since(),
			}).Stream)
			if err == nil && (done || !follow) {
				return nil
			}
			if err == nil {
				failures = 0
				break
			}
			// A log that cannot be read once the container has ended (a node that keeps none, a
			// pod being deleted) is not waited for long.
			if failures++; (done || !follow) && failures >= 3 {
				return fmt.Errorf("kubernetes: reading the log of pod %s/%s: %w", ns, s.pod.Name, err)
			}
		case s.ended || !follow:
			return nil // the pod never started its container
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if failures >= 30 {
			return fmt.Errorf("kubernetes: reading the log of Job %s/%s: %w", ns, name, err)
		}
		if !sleep(ctx, min(time.Duration(failures+1)*250*time.Millisecond, 3*time.Second)) {
			return ctx.Err()
		}
	}
}

// started reports whether the pod's container has run (so it has a log to read).
func started(pod *corev1.Pod) bool {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == ContainerName && (cs.State.Running != nil || cs.State.Terminated != nil) {
			return true
		}
	}
	return false
}

// ended reports whether the pod's container has stopped for good.
func ended(pod *corev1.Pod) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return true
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == ContainerName && cs.State.Terminated != nil {
			return true
		}
	}
	return false
}

// follower writes log lines once each across reconnections. Each line comes as "TIMESTAMP
// text"; after a break the stream is asked again from the last line's second (the API's
// sinceTime has whole seconds), and the lines at or before the last one seen are skipped.
type follower struct {
	w    io.Writer
	last time.Time // the newest line's timestamp
	same int       // lines written with exactly that timestamp
}

func (f *follower) since() *metav1.Time {
	if f.last.IsZero() {
		return nil
	}
	return &metav1.Time{Time: f.last.Truncate(time.Second)}
}

// read copies one stream; err is nil when it ended cleanly.
func (f *follower) read(ctx context.Context, open func(context.Context) (io.ReadCloser, error)) error {
	rc, err := open(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	seen := 0 // lines of this stream at f.last, to skip as many as were written
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			f.line(line, &seen)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (f *follower) line(line []byte, seen *int) {
	stamp, text, ok := bytes.Cut(line, []byte(" "))
	t, perr := time.Parse(time.RFC3339Nano, string(stamp))
	if !ok || perr != nil {
		f.w.Write(line) // not a timestamped line (a message of the API server): as it is
		return
	}
	switch {
	case t.Before(f.last):
		return
	case t.Equal(f.last):
		*seen++
		if *seen <= f.same {
			return
		}
		f.same++
	default:
		f.last, f.same, *seen = t, 1, 1
	}
	f.w.Write(text)
}
