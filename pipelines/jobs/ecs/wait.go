package ecs

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/dora-dev/dora/pipelines/jobs"
)

// goneReason is how a run's record explains a task ECS no longer knows.
const goneReason = "ECS no longer knows the task (stopped tasks are kept for about an hour)"

// Wait polls DescribeTasks, with a growing interval, until the task is STOPPED, and says how it
// ended. A task ECS has forgotten ended in the engine's hands.
func (r *Runner) Wait(ctx context.Context, h jobs.Handle) (jobs.Exit, error) {
	interval := r.cfg.PollInterval
	for {
		task, err := r.describe(ctx, h.ID)
		if err != nil {
			return jobs.Exit{}, err
		}
		if task == nil {
			return jobs.Exit{Infra: true, Reason: goneReason}, nil
		}
		if aws.ToString(task.LastStatus) == string(types.DesiredStatusStopped) {
			return exitOf(task), nil
		}
		select {
		case <-ctx.Done():
			return jobs.Exit{}, ctx.Err()
		case <-time.After(interval):
		}
		interval = min(interval*3/2, r.cfg.MaxPollInterval)
	}
}

// Inspect says what ECS reports of the task now.
func (r *Runner) Inspect(ctx context.Context, h jobs.Handle) (jobs.Status, error) {
	task, err := r.describe(ctx, h.ID)
	if err != nil {
		return jobs.Status{}, err
	}
	if task == nil {
		return jobs.Status{Gone: true}, nil
	}
	if aws.ToString(task.LastStatus) == string(types.DesiredStatusStopped) {
		return jobs.Status{Exited: true, Exit: exitOf(task)}, nil
	}
	// PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING: the
	// engine still has it.
	return jobs.Status{Running: true}, nil
}

// describe returns the task, or nil when ECS (or its cluster) no longer exists for it.
func (r *Runner) describe(ctx context.Context, taskARN string) (*types.Task, error) {
	cluster, opt := r.where(taskARN)
	out, err := r.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{
		Cluster: aws.String(cluster),
		Tasks:   []string{taskARN},
	}, opt)
	if err != nil {
		if apiCode(err) == "ClusterNotFoundException" {
			return nil, nil
		}
		return nil, r.wrap("describe task "+taskARN, err)
	}
	for i := range out.Tasks {
		if aws.ToString(out.Tasks[i].TaskArn) == taskARN || taskID(aws.ToString(out.Tasks[i].TaskArn)) == taskID(taskARN) {
			return &out.Tasks[i], nil
		}
	}
	return nil, nil
}

// exitOf reads how a stopped task ended: the container's exit code when the program ran to its
// end (or was stopped on request and exited), or an infra failure in the engine's words when the
// task never started, or ECS itself ended it.
func exitOf(task *types.Task) jobs.Exit {
	var c *types.Container
	for i := range task.Containers {
		if aws.ToString(task.Containers[i].Name) == containerName || c == nil {
			c = &task.Containers[i]
		}
	}
	reason := aws.ToString(task.StoppedReason)
	if c != nil {
		if cr := aws.ToString(c.Reason); cr != "" && reason != "" {
			reason += ": " + cr
		} else if cr != "" {
			reason = cr
		}
	}
	code := task.StopCode
	switch code {
	case types.TaskStopCodeTaskFailedToStart:
		return jobs.Exit{Infra: true, Reason: words("the task failed to start", reason)}
	case "", types.TaskStopCodeEssentialContainerExited, types.TaskStopCodeUserInitiated:
		if c != nil && c.ExitCode != nil {
			e := jobs.Exit{Code: int(*c.ExitCode), Reason: fmt.Sprintf("exited with code %d", *c.ExitCode)}
			if code == types.TaskStopCodeUserInitiated || (code == "" && reason != "") {
				e.Reason = words(fmt.Sprintf("exited with code %d after it was stopped", *c.ExitCode), reason)
			}
			return e
		}
		return jobs.Exit{Infra: true, Reason: words("the task stopped without an exit code", reason)}
	default: // ServiceSchedulerInitiated, SpotInterruption, TerminationNotice, InfrastructureHealth
		return jobs.Exit{Infra: true, Reason: words(fmt.Sprintf("ECS stopped the task (%s)", code), reason)}
	}
}

func words(what, reason string) string {
	if reason == "" {
		return what
	}
	return what + ": " + reason
}
