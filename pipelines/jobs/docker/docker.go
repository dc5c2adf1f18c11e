// Package docker runs dora's job tasks as containers through the Docker Engine API, on the
// engine DOCKER_HOST names (the machine's own socket when it is unset). Images are used as the
// engine has them: a missing image is an infra failure, never a pull.
package docker

import (
	"context"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/dora-dev/dora/pipelines/jobs"
)

// Name is the runner's name in job definitions and --runner.
const Name = "docker"

// Runner starts tasks as containers on one Docker engine.
type Runner struct {
	c *client.Client
	// StopGrace is how long Stop waits after SIGTERM before the engine sends SIGKILL.
	StopGrace time.Duration
}

var _ jobs.Runner = (*Runner)(nil)

func init() {
	jobs.Register(Name, func(ctx context.Context, _ jobs.RunnerConfig) (jobs.Runner, error) {
		r, err := New()
		if err != nil {
			return nil, err
		}
		// Ask the engine now, so a missing dockerd is said once, in words, before any run.
		if _, err := r.c.Ping(ctx, client.PingOptions{}); err != nil {
			r.Close()
			return nil, fmt.Errorf("docker: %w", engineError(err))
		}
		return r, nil
	})
}

// New returns a runner on the engine of DOCKER_HOST (and DOCKER_API_VERSION, DOCKER_CERT_PATH,
// DOCKER_TLS_VERIFY), speaking whichever API version the engine does.
func New() (*Runner, error) {
	c, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	return &Runner{c: c, StopGrace: 10 * time.Second}, nil
}

// Name returns "docker".
func (r *Runner) Name() string { return Name }

// Close closes the connection to the engine.
func (r *Runner) Close() error { return r.c.Close() }

// Start creates and starts the task's container: its env, cpu and memory limits, network mode
// (host unless the task says otherwise) and the dora.* labels. The command is the container's
// CMD, as in `docker run IMAGE ARGS...`: the argv when the image has no ENTRYPOINT, else the
// entrypoint's arguments. The container is kept after it exits, so its log and exit code can be
// read, until Remove. No init process is added: a command that cannot be executed then fails
// the start, an infra failure, instead of exiting 127.
func (r *Runner) Start(ctx context.Context, t jobs.Task) (jobs.Handle, error) {
	if t.Image == "" {
		return jobs.Handle{}, fmt.Errorf("docker: job %s names no image", t.Job)
	}
	network := t.Network
	if network == "" {
		network = "host"
	}
	labels := maps.Clone(t.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels["dora.run"] = t.RunID
	labels["dora.job"] = t.Job
	labels["dora.attempt"] = strconv.Itoa(t.Attempt)
	env := make([]string, 0, len(t.Env))
	for _, k := range slices.Sorted(maps.Keys(t.Env)) {
		env = append(env, k+"="+t.Env[k])
	}
	created, err := r.c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: containerName(t),
		Config: &container.Config{
			Image:  t.Image,
			Cmd:    t.Command,
			Env:    env,
			Labels: labels,
		},
		HostConfig: &container.HostConfig{
			NetworkMode: container.NetworkMode(network),
			Resources: container.Resources{
				NanoCPUs: int64(t.CPU * 1e9),
				Memory:   t.Memory,
			},
		},
	})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return jobs.Handle{}, fmt.Errorf("%w: image %s is not on the Docker host (dora uses local images only; build or load it there first)", jobs.ErrInfra, t.Image)
		}
		if cerrdefs.IsConflict(err) {
			return jobs.Handle{}, fmt.Errorf("docker: attempt %d of run %s already has a container: %w", t.Attempt, t.RunID, err)
		}
		return jobs.Handle{}, fmt.Errorf("%w: creating the container: %w", jobs.ErrInfra, engineError(err))
	}
	if _, err := r.c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		// The container never ran (no such executable in the image, a bad limit): nothing of it
		// is worth keeping.
		r.c.ContainerRemove(context.WithoutCancel(ctx), created.ID, client.ContainerRemoveOptions{Force: true})
		return jobs.Handle{}, fmt.Errorf("%w: starting the container: %w", jobs.ErrInfra, engineError(err))
	}
	return jobs.Handle{Runner: Name, ID: created.ID}, nil
}

// Wait blocks until the container is no longer running and says how it ended.
func (r *Runner) Wait(ctx context.Context, h jobs.Handle) (jobs.Exit, error) {
	w := r.c.ContainerWait(ctx, h.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case <-w.Result:
	case err := <-w.Error:
		if ctx.Err() != nil {
			return jobs.Exit{}, ctx.Err()
		}
		if cerrdefs.IsNotFound(err) {
			return gone, nil
		}
		return jobs.Exit{}, fmt.Errorf("docker: waiting for container %s: %w", short(h.ID), engineError(err))
	}
	// The wait answer has the code only; the state says whether the engine ended it.
	st, err := r.Inspect(ctx, h)
	if err != nil {
		return jobs.Exit{}, err
	}
	if st.Gone {
		return gone, nil
	}
	return st.Exit, nil
}

var gone = jobs.Exit{Infra: true, Reason: "the container is gone from the Docker host; its exit code is unknown"}

// Stop sends SIGTERM to the container and SIGKILL after StopGrace; a container already gone is
// not an error.
func (r *Runner) Stop(ctx context.Context, h jobs.Handle) error {
	grace := int(r.StopGrace.Seconds())
	_, err := r.c.ContainerStop(ctx, h.ID, client.ContainerStopOptions{Timeout: &grace})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("docker: stopping container %s: %w", short(h.ID), engineError(err))
	}
	return nil
}

// Inspect reads the container's state: running, exited (with its code, or as an infra failure
// when the kernel killed it for memory or the engine failed it), or gone.
func (r *Runner) Inspect(ctx context.Context, h jobs.Handle) (jobs.Status, error) {
	res, err := r.c.ContainerInspect(ctx, h.ID, client.ContainerInspectOptions{})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return jobs.Status{Gone: true}, nil
		}
		return jobs.Status{}, fmt.Errorf("docker: inspecting container %s: %w", short(h.ID), engineError(err))
	}
	s := res.Container.State
	if s == nil {
		return jobs.Status{}, fmt.Errorf("docker: container %s has no state", short(h.ID))
	}
	switch {
	case s.Running || s.Restarting || s.Paused || s.Status == container.StateRemoving:
		return jobs.Status{Running: true}, nil
	case s.Status == container.StateCreated:
		// Created but never started: the dora that made it died before starting it.
		return jobs.Status{Exited: true, Exit: jobs.Exit{Infra: true, Reason: "the container was created but never started"}}, nil
	}
	hc := res.Container.HostConfig
	// The engine hears of a memory kill apart from the exit (containerd's OOM event), and on
	// cgroup v2 it can land after the exit is recorded (nomad#13119): a SIGKILL under a memory
	// limit is read again for a moment before it is taken for the program's own end.
	for wait := oomSettle; s.ExitCode == 137 && !s.OOMKilled && hc != nil && hc.Memory > 0 && wait > 0; wait -= oomPoll {
		select {
		case <-ctx.Done():
			return jobs.Status{}, ctx.Err()
		case <-time.After(oomPoll):
		}
		again, err := r.c.ContainerInspect(ctx, h.ID, client.ContainerInspectOptions{})
		if err != nil || again.Container.State == nil {
			break
		}
		s = again.Container.State
	}
	return jobs.Status{Exited: true, Exit: exitOf(s, hc)}, nil
}

// oomSettle is how long a container killed by SIGKILL under a memory limit is read again for
// the engine's word that it ran out of memory; oomPoll is how often.
const (
	oomSettle = 2 * time.Second
	oomPoll   = 100 * time.Millisecond
)

// exitOf says how a stopped container ended.
func exitOf(s *container.State, hc *container.HostConfig) jobs.Exit {
	switch {
	case s.OOMKilled:
		limit := ""
		if hc != nil && hc.Memory > 0 {
			limit = fmt.Sprintf(" (limit %d MiB)", hc.Memory>>20)
		}
		return jobs.Exit{Code: s.ExitCode, Infra: true, Reason: "killed for running out of memory" + limit}
	case s.Error != "":
		return jobs.Exit{Code: s.ExitCode, Infra: true, Reason: "the Docker engine failed the container: " + s.Error}
	case s.Dead:
		return jobs.Exit{Code: s.ExitCode, Infra: true, Reason: "the Docker engine marked the container dead"}
	}
	return jobs.Exit{Code: s.ExitCode} // the program's own end: its code says it all
}

// Logs copies the container's stdout and stderr, in the order the engine kept them, to w;
// with follow, until the container ends.
func (r *Runner) Logs(ctx context.Context, h jobs.Handle, follow bool, w io.Writer) error {
	rc, err := r.c.ContainerLogs(ctx, h.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return fmt.Errorf("docker: container %s is gone, and its log with it", short(h.ID))
		}
		return fmt.Errorf("docker: reading the log of container %s: %w", short(h.ID), engineError(err))
	}
	defer rc.Close()
	// Without a TTY the engine multiplexes stdout and stderr in frames; both go to w in turn.
	if _, err := stdcopy.StdCopy(w, w, rc); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("docker: reading the log of container %s: %w", short(h.ID), err)
	}
	return nil
}

// Remove deletes the container and its log from the engine; one already gone is not an error.
func (r *Runner) Remove(ctx context.Context, h jobs.Handle) error {
	_, err := r.c.ContainerRemove(ctx, h.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("docker: removing container %s: %w", short(h.ID), engineError(err))
	}
	return nil
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// containerName is dora-JOB-RUN-ATTEMPT in the characters the engine allows, so `docker ps`
// says what runs and a second start of the same attempt conflicts instead of running twice.
func containerName(t jobs.Task) string {
	if t.RunID == "" {
		return ""
	}
	name := fmt.Sprintf("dora-%s-%s-%d", t.Job, t.RunID, t.Attempt)
	return unsafeName.ReplaceAllString(name, "_")
}

func short(id string) string { return id[:min(12, len(id))] }

// engineError names the engine as the cause of a connection failure, with DOCKER_HOST to check.
func engineError(err error) error {
	if client.IsErrConnectionFailed(err) {
		return fmt.Errorf("%w (is dockerd running? DOCKER_HOST says where; scripts/docker start runs one)", err)
	}
	return err
}
