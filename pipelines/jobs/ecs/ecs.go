// Package ecs runs dora's jobs as Amazon ECS tasks: a task definition registered from the job
// (reused while it is unchanged), RunTask with the run's env as container overrides, DescribeTasks
// polled until the task stops, StopTask, and the output read back from CloudWatch Logs.
//
// The clients come from aws-sdk-go-v2's default configuration, so the usual credential chain,
// AWS_REGION and the AWS_ENDPOINT_URL_ECS / AWS_ENDPOINT_URL_CLOUDWATCH_LOGS endpoints apply.
package ecs

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go/logging"

	"github.com/dora-dev/dora/pipelines/jobs"
)

// Name is the runner's name in job definitions and --runner.
const Name = "ecs"

// Config says where the runner's tasks run. ConfigFromEnv reads it from DORA_ECS_* variables.
type Config struct {
	Cluster    string           // DORA_ECS_CLUSTER; "dora" when empty
	LaunchType types.LaunchType // DORA_ECS_LAUNCH_TYPE: FARGATE (the default) or EC2
	// Subnets and SecurityGroups (DORA_ECS_SUBNETS, DORA_ECS_SECURITY_GROUPS, comma-separated)
	// place FARGATE tasks, and EC2 tasks whose network mode is awsvpc.
	Subnets        []string
	SecurityGroups []string
	AssignPublicIP bool // DORA_ECS_ASSIGN_PUBLIC_IP=true
	// ExecutionRoleARN (DORA_ECS_EXECUTION_ROLE_ARN) is the role ECS uses to pull the image and
	// write CloudWatch Logs; FARGATE needs one. TaskRoleARN (DORA_ECS_TASK_ROLE_ARN) is the role
	// the program runs as.
	ExecutionRoleARN string
	TaskRoleARN      string
	LogGroup         string // DORA_ECS_LOG_GROUP; "/dora/jobs" when empty
	// PollInterval is the first wait between DescribeTasks calls; it grows by half each time up
	// to MaxPollInterval. Zero means 2s and 20s.
	PollInterval    time.Duration
	MaxPollInterval time.Duration
}

// ConfigFromEnv reads the runner's settings from the environment.
func ConfigFromEnv() (Config, error) {
	c := Config{
		Cluster:          os.Getenv("DORA_ECS_CLUSTER"),
		LaunchType:       types.LaunchType(strings.ToUpper(strings.TrimSpace(os.Getenv("DORA_ECS_LAUNCH_TYPE")))),
		Subnets:          list(os.Getenv("DORA_ECS_SUBNETS")),
		SecurityGroups:   list(os.Getenv("DORA_ECS_SECURITY_GROUPS")),
		ExecutionRoleARN: os.Getenv("DORA_ECS_EXECUTION_ROLE_ARN"),
		TaskRoleARN:      os.Getenv("DORA_ECS_TASK_ROLE_ARN"),
		LogGroup:         os.Getenv("DORA_ECS_LOG_GROUP"),
	}
	switch v := strings.ToLower(os.Getenv("DORA_ECS_ASSIGN_PUBLIC_IP")); v {
	case "", "false", "0", "no", "disabled":
	case "true", "1", "yes", "enabled":
		c.AssignPublicIP = true
	default:
		return c, fmt.Errorf("DORA_ECS_ASSIGN_PUBLIC_IP=%q: want true or false", v)
	}
	return c, nil
}

func list(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Runner starts jobs as ECS tasks. Handles carry the task ARN.
type Runner struct {
	cfg    Config
	region string
	ecs    *ecs.Client
	logs   *cloudwatchlogs.Client

	mu       sync.Mutex
	families map[string]string   // definition hash -> task definition ARN, for this process
	streams  map[string]logPlace // task ARN -> where its log is
}

var _ jobs.Runner = (*Runner)(nil)

// New returns a runner configured from the environment (ConfigFromEnv) and the AWS SDK's
// default configuration.
func New(ctx context.Context) (*Runner, error) {
	c, err := ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	return Open(ctx, c)
}

// Open returns a runner for c with the AWS SDK's default configuration (credential chain,
// AWS_REGION, and the AWS_ENDPOINT_URL_ECS and AWS_ENDPOINT_URL_CLOUDWATCH_LOGS endpoints).
func Open(ctx context.Context, c Config) (*Runner, error) {
	if c.Cluster == "" {
		c.Cluster = "dora"
	}
	switch c.LaunchType {
	case "":
		c.LaunchType = types.LaunchTypeFargate
	case types.LaunchTypeFargate, types.LaunchTypeEc2:
	default:
		return nil, fmt.Errorf("ECS launch type %q: want FARGATE or EC2 (DORA_ECS_LAUNCH_TYPE)", c.LaunchType)
	}
	if c.LogGroup == "" {
		c.LogGroup = "/dora/jobs"
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.MaxPollInterval < c.PollInterval {
		c.MaxPollInterval = max(c.PollInterval, 20*time.Second)
	}
	// The SDK would log its credential-chain fallbacks to stderr, over the TUI; failures come
	// back as errors, which are worded where they happen.
	cfg, err := config.LoadDefaultConfig(ctx, config.WithLogger(logging.Nop{}))
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return &Runner{
		cfg:      c,
		region:   cfg.Region,
		ecs:      ecs.NewFromConfig(cfg),
		logs:     cloudwatchlogs.NewFromConfig(cfg),
		families: map[string]string{},
		streams:  map[string]logPlace{},
	}, nil
}

// Name returns "ecs".
func (r *Runner) Name() string { return Name }

// Start registers the task's definition (or reuses the family's latest revision when its
// content hash matches) and runs it once on the cluster, with the whole env as container
// overrides. A task ECS could not place is an ErrInfra.
func (r *Runner) Start(ctx context.Context, t jobs.Task) (jobs.Handle, error) {
	if t.Image == "" {
		return jobs.Handle{}, fmt.Errorf("job %s: the ecs runner needs an image", t.Job)
	}
	if r.needsNetwork(t) && len(r.cfg.Subnets) == 0 {
		return jobs.Handle{}, fmt.Errorf("job %s: ECS tasks in awsvpc mode need subnets: set DORA_ECS_SUBNETS (and DORA_ECS_SECURITY_GROUPS)", t.Job)
	}
	if r.cfg.LaunchType == types.LaunchTypeFargate && r.cfg.ExecutionRoleARN == "" {
		return jobs.Handle{}, fmt.Errorf("job %s: FARGATE tasks need an execution role to pull the image and write CloudWatch Logs: set DORA_ECS_EXECUTION_ROLE_ARN", t.Job)
	}
	def, err := r.definition(t)
	if err != nil {
		return jobs.Handle{}, fmt.Errorf("job %s: %w", t.Job, err)
	}
	arn, err := r.register(ctx, def)
	if err != nil {
		return jobs.Handle{}, err
	}
	r.ensureLogGroup(ctx)

	in := &ecs.RunTaskInput{
		Cluster:        aws.String(r.cfg.Cluster),
		TaskDefinition: aws.String(arn),
		Count:          aws.Int32(1),
		LaunchType:     r.cfg.LaunchType,
		StartedBy:      aws.String("dora"),
		Overrides: &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{{
			Name:        aws.String(containerName),
			Environment: pairs(t.Env, func(string) bool { return true }),
		}}},
		Tags: runTags(t),
	}
	if r.needsNetwork(t) {
		ip := types.AssignPublicIpDisabled
		if r.cfg.AssignPublicIP {
			ip = types.AssignPublicIpEnabled
		}
		in.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets:        r.cfg.Subnets,
			SecurityGroups: r.cfg.SecurityGroups,
			AssignPublicIp: ip,
		}}
	}
	out, err := r.ecs.RunTask(ctx, in)
	if err != nil {
		return jobs.Handle{}, r.wrap("run a task of "+def.family, err)
	}
	if len(out.Tasks) == 0 || out.Tasks[0].TaskArn == nil {
		why := "no task was started"
		if len(out.Failures) > 0 {
			f := out.Failures[0]
			why = strings.TrimSpace(aws.ToString(f.Reason) + " " + aws.ToString(f.Detail))
		}
		return jobs.Handle{}, fmt.Errorf("%w: ECS could not place a task of %s on cluster %q: %s",
			jobs.ErrInfra, def.family, r.cfg.Cluster, why)
	}
	taskARN := aws.ToString(out.Tasks[0].TaskArn)
	r.mu.Lock()
	r.streams[taskARN] = def.logs
	r.mu.Unlock()
	return jobs.Handle{Runner: Name, ID: taskARN}, nil
}

// needsNetwork reports whether the task runs in awsvpc mode, which takes a network
// configuration at RunTask.
func (r *Runner) needsNetwork(t jobs.Task) bool {
	return r.cfg.LaunchType == types.LaunchTypeFargate || networkMode(t.Network) == types.NetworkModeAwsvpc
}

// runTags mark the task for a later dora process: the run, the job and the attempt.
func runTags(t jobs.Task) []types.Tag {
	m := map[string]string{}
	for k, v := range t.Labels {
		m[k] = v
	}
	if t.RunID != "" {
		m["dora.run"] = t.RunID
	}
	if t.Job != "" {
		m["dora.job"] = t.Job
	}
	if t.Attempt > 0 {
		m["dora.attempt"] = fmt.Sprint(t.Attempt)
	}
	var tags []types.Tag
	for _, k := range sortedKeys(m) {
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return tags
}

// Stop asks ECS to stop the task; a task ECS no longer knows is already stopped.
func (r *Runner) Stop(ctx context.Context, h jobs.Handle) error {
	cluster, opt := r.where(h.ID)
	_, err := r.ecs.StopTask(ctx, &ecs.StopTaskInput{
		Cluster: aws.String(cluster),
		Task:    aws.String(h.ID),
		Reason:  aws.String("stopped by dora"),
	}, opt)
	if err != nil && !notFound(err) {
		return r.wrap("stop task "+h.ID, err)
	}
	return nil
}

// Remove does nothing: ECS forgets stopped tasks by itself (after about an hour), and task
// definitions are shared by every run of the job.
func (r *Runner) Remove(ctx context.Context, h jobs.Handle) error { return nil }

// where returns the cluster a task ARN names (arn:...:task/CLUSTER/ID) and an option that
// points the client at the ARN's region, so a run started elsewhere is still found.
func (r *Runner) where(taskARN string) (string, func(*ecs.Options)) {
	cluster := r.cfg.Cluster
	region := r.region
	if parts := strings.SplitN(taskARN, ":", 6); len(parts) == 6 && parts[2] == "ecs" {
		if parts[3] != "" {
			region = parts[3]
		}
		if rest, ok := strings.CutPrefix(parts[5], "task/"); ok {
			if c, _, ok := strings.Cut(rest, "/"); ok {
				cluster = c
			}
		}
	}
	return cluster, func(o *ecs.Options) { o.Region = region }
}

// taskID is the last part of a task ARN, which also ends its log stream's name.
func taskID(taskARN string) string {
	return taskARN[strings.LastIndex(taskARN, "/")+1:]
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
