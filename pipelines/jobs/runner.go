// Package jobs defines containerized jobs, keeps their runs in an embedded store and drives them
// through one state machine; the engines that run them (local processes, Docker, ECS, Kubernetes) are
// runners, one package each, behind the small Runner interface below.
package jobs

import (
	"context"
	"errors"
	"io"
	"time"
)

// Task is one attempt of a run, as a runner starts it: everything resolved (the command's ${VAR}
// expanded, the env merged: definition < overrides < DORA_RUN_ID and DORA_JOB).
type Task struct {
	RunID   string
	Attempt int // 1 for the first
	Job     string
	Image   string   // docker, ecs and kubernetes; the local runner ignores it
	Command []string // argv, never through a shell
	Env     map[string]string
	CPU     float64 // cores; 0 means the engine's default
	Memory  int64   // bytes; 0 means the engine's default
	Network string  // docker: "host" by default, so a task reaches what dora reaches
	// Timeout is the attempt's timeout, for engines that enforce one themselves (kubernetes:
	// activeDeadlineSeconds); dora stops the task at it regardless.
	Timeout time.Duration
	// Labels mark what the engine runs for dora (dora.run, dora.job, dora.attempt), so a later
	// dora process can find it again.
	Labels map[string]string
	// Tags are the definition's tags: the kubernetes runner puts them on the Job and its pod as
	// labels (or annotations, when they are not valid label text).
	Tags map[string]string
	// Kubernetes places the task on the kubernetes runner; empty fields take the runner's config.
	Kubernetes Kubernetes
}

// Handle names a started task in its engine: a process, a container id, a task ARN.
type Handle struct {
	Runner string
	ID     string
}

// Exit is how a task ended.
type Exit struct {
	Code int
	// Infra reports that the engine, not the program, ended or never started it (image
	// missing, container never started, task stopped by the engine); Code is then meaningless.
	Infra  bool
	Reason string // in words, for the run's record
	// TimedOut reports that the engine itself ended the task at the job's timeout (a Kubernetes
	// Job's activeDeadlineSeconds): the run ends TIMED_OUT, as when dora stops it.
	TimedOut bool
}

// Status is what an engine says of a task when a dora process looks again.
type Status struct {
	Running bool
	Exited  bool // Exit holds how it ended
	Exit    Exit
	Gone    bool // the engine knows nothing of it any more
}

// Placer is a runner that can say where a task landed, in words for the run's record and the
// Jobs screen ("namespace batch · pod dora-x-1-abcde · node n1"); "" until it is known, and
// final once it will not change. Runners need not be one.
type Placer interface {
	Place(ctx context.Context, h Handle) (where string, final bool, err error)
}

// ErrInfra marks a Start that failed in the engine (no such image, no capacity): retried when
// the definition says on_infra_failure.
var ErrInfra = errors.New("the engine could not run the task")

// Runner is one engine's lifecycle of a task. The state machine, retries, timeouts and the run
// store live above it, once.
type Runner interface {
	Name() string
	// Start launches the task and returns as soon as the engine has it.
	Start(ctx context.Context, t Task) (Handle, error)
	// Wait blocks until the task ends, or ctx is done.
	Wait(ctx context.Context, h Handle) (Exit, error)
	// Stop ends the task (cancel, timeout); Wait then returns.
	Stop(ctx context.Context, h Handle) error
	// Inspect says whether the task still runs, how it ended, or that it is gone.
	Inspect(ctx context.Context, h Handle) (Status, error)
	// Logs writes the task's output (stdout and stderr interleaved as the engine keeps them),
	// following it until the task ends when follow is set.
	Logs(ctx context.Context, h Handle, follow bool, w io.Writer) error
	// Remove frees what the engine keeps of an ended task, once its log and exit are stored.
	Remove(ctx context.Context, h Handle) error
}
