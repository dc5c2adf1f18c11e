package ecs

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/dora-dev/dora/pipelines/jobs"
)

// Logs writes the task's output as the awslogs driver stored it in CloudWatch Logs, one event a
// line. With follow it keeps reading until the task has stopped and the stream is drained.
func (r *Runner) Logs(ctx context.Context, h jobs.Handle, follow bool, w io.Writer) error {
	place, err := r.logPlace(ctx, h.ID)
	if err != nil {
		return err
	}
	stream := place.stream(h.ID)
	var token *string
	interval := r.cfg.PollInterval
	stopped := !follow
	for {
		next, err := r.drain(ctx, place, stream, token, w)
		if err != nil {
			return err
		}
		token = next
		if stopped {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
		interval = min(interval*3/2, r.cfg.MaxPollInterval)
		// One more drain after the task is seen stopped picks up what it wrote last.
		task, err := r.describe(ctx, h.ID)
		if err != nil {
			return err
		}
		stopped = task == nil || aws.ToString(task.LastStatus) == string(types.DesiredStatusStopped)
	}
}

// drain writes the stream's events after token until CloudWatch Logs has no more, and returns
// the token to go on from. A stream not yet created holds nothing yet.
func (r *Runner) drain(ctx context.Context, place logPlace, stream string, token *string, w io.Writer) (*string, error) {
	group := place.group
	inRegion := func(o *cloudwatchlogs.Options) {
		if place.region != "" {
			o.Region = place.region
		}
	}
	for {
		out, err := r.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName:  aws.String(group),
			LogStreamName: aws.String(stream),
			StartFromHead: aws.Bool(true),
			NextToken:     token,
		}, inRegion)
		if err != nil {
			if apiCode(err) == "ResourceNotFoundException" {
				return token, nil
			}
			return token, r.wrap(fmt.Sprintf("read log stream %s in %s", stream, group), err)
		}
		for _, e := range out.Events {
			msg := aws.ToString(e.Message)
			if !strings.HasSuffix(msg, "\n") {
				msg += "\n"
			}
			if _, err := io.WriteString(w, msg); err != nil {
				return token, err
			}
		}
		// The end of the stream answers with the token it was given.
		done := out.NextForwardToken == nil || (token != nil && *out.NextForwardToken == *token)
		token = out.NextForwardToken
		if done || len(out.Events) == 0 {
			return token, nil
		}
	}
}

// logPlace finds where a task logs: recorded when this process started it, else read from its
// task definition's log configuration, else (the task forgotten by ECS) the configured group
// with the stream found by the task's id.
func (r *Runner) logPlace(ctx context.Context, taskARN string) (logPlace, error) {
	r.mu.Lock()
	p, ok := r.streams[taskARN]
	r.mu.Unlock()
	if ok {
		return p, nil
	}
	task, err := r.describe(ctx, taskARN)
	if err != nil {
		return logPlace{}, err
	}
	if task == nil {
		return r.findStream(ctx, taskARN)
	}
	_, opt := r.where(taskARN)
	out, err := r.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: task.TaskDefinitionArn}, opt)
	if err != nil {
		return logPlace{}, r.wrap("describe task definition "+aws.ToString(task.TaskDefinitionArn), err)
	}
	for _, c := range out.TaskDefinition.ContainerDefinitions {
		if aws.ToString(c.Name) != containerName {
			continue
		}
		lc := c.LogConfiguration
		if lc == nil || lc.LogDriver != types.LogDriverAwslogs {
			return logPlace{}, fmt.Errorf("task %s does not log to CloudWatch Logs (its definition has no awslogs log configuration)", taskARN)
		}
		p = logPlace{group: lc.Options["awslogs-group"], prefix: lc.Options["awslogs-stream-prefix"], region: lc.Options["awslogs-region"]}
		r.mu.Lock()
		r.streams[taskARN] = p
		r.mu.Unlock()
		return p, nil
	}
	return logPlace{}, fmt.Errorf("task %s was not started by dora (its definition has no %q container)", taskARN, containerName)
}

// findStream looks in the configured log group for the stream that ends in the task's id.
func (r *Runner) findStream(ctx context.Context, taskARN string) (logPlace, error) {
	suffix := "/" + containerName + "/" + taskID(taskARN)
	pages := cloudwatchlogs.NewDescribeLogStreamsPaginator(r.logs, &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String(r.cfg.LogGroup),
	})
	for n := 0; pages.HasMorePages() && n < 100; n++ {
		out, err := pages.NextPage(ctx)
		if err != nil {
			if apiCode(err) == "ResourceNotFoundException" {
				break
			}
			return logPlace{}, r.wrap("list log streams in "+r.cfg.LogGroup, err)
		}
		for _, s := range out.LogStreams {
			if name := aws.ToString(s.LogStreamName); strings.HasSuffix(name, suffix) {
				return logPlace{group: r.cfg.LogGroup, prefix: strings.TrimSuffix(name, suffix), region: r.region}, nil
			}
		}
	}
	return logPlace{}, fmt.Errorf("%s, and no log stream for it is in %s", strings.Replace(goneReason, "the task", "task "+taskARN, 1), r.cfg.LogGroup)
}
