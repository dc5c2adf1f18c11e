package ecs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/dora-dev/dora/pipelines/jobs"
)

// containerName names the one container of every dora task definition; it is also the middle
// part of the task's log stream name.
const containerName = "main"

// hashTag carries a definition's content hash, so an unchanged job reuses its revision.
const hashTag = "dora.hash"

// definition is a task definition to register, with what Start needs to know of it.
type definition struct {
	family string
	hash   string
	input  *ecs.RegisterTaskDefinitionInput
	logs   logPlace
}

// logPlace is where a definition's tasks log: its awslogs group, stream prefix and region.
type logPlace struct {
	group  string
	prefix string
	region string
}

// stream is the log stream the awslogs driver writes a task's container output to.
func (p logPlace) stream(taskARN string) string {
	return p.prefix + "/" + containerName + "/" + taskID(taskARN)
}

// definition builds the task definition for t: image, command, cpu and memory in ECS units,
// the env that is the same for every run of the job, and an awslogs log configuration. The
// per-run DORA_RUN_ID and secret-named values stay out of it (definitions are kept forever and
// readable by anyone who may describe them); the whole env reaches the task as overrides.
func (r *Runner) definition(t jobs.Task) (definition, error) {
	name := sanitize(t.Job)
	place := logPlace{group: r.cfg.LogGroup, prefix: name, region: r.region}
	cpu := cpuUnits(t.CPU)
	mem := mebibytes(t.Memory)
	c := types.ContainerDefinition{
		Name:        aws.String(containerName),
		Image:       aws.String(t.Image),
		Command:     t.Command,
		Cpu:         cpu,
		Essential:   aws.Bool(true),
		Environment: pairs(t.Env, func(k string) bool { return k != "DORA_RUN_ID" && !secretName(k) }),
		LogConfiguration: &types.LogConfiguration{
			LogDriver: types.LogDriverAwslogs,
			Options: map[string]string{
				"awslogs-group":         place.group,
				"awslogs-region":        place.region,
				"awslogs-stream-prefix": place.prefix,
			},
		},
	}
	if mem > 0 {
		c.Memory = aws.Int32(mem)
	}
	in := &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String("dora-" + name),
		ContainerDefinitions: []types.ContainerDefinition{c},
	}
	if r.cfg.ExecutionRoleARN != "" {
		in.ExecutionRoleArn = aws.String(r.cfg.ExecutionRoleARN)
	}
	if r.cfg.TaskRoleARN != "" {
		in.TaskRoleArn = aws.String(r.cfg.TaskRoleARN)
	}
	switch r.cfg.LaunchType {
	case types.LaunchTypeFargate:
		taskCPU, taskMem, err := fargateSize(cpu, mem)
		if err != nil {
			return definition{}, err
		}
		in.RequiresCompatibilities = []types.Compatibility{types.CompatibilityFargate}
		in.NetworkMode = types.NetworkModeAwsvpc
		in.Cpu = aws.String(fmt.Sprint(taskCPU))
		in.Memory = aws.String(fmt.Sprint(taskMem))
	default:
		// EC2 wants a memory figure somewhere; a soft reservation does not cap the program.
		if mem == 0 {
			in.ContainerDefinitions[0].MemoryReservation = aws.Int32(512)
		}
		in.NetworkMode = networkMode(t.Network)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return definition{}, err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:8])
	in.Tags = []types.Tag{
		{Key: aws.String(hashTag), Value: aws.String(hash)},
		{Key: aws.String("dora.job"), Value: aws.String(t.Job)},
	}
	return definition{family: aws.ToString(in.Family), hash: hash, input: in, logs: place}, nil
}

// register returns the ARN of def's task definition: the family's latest active revision when
// it carries def's hash, else a revision registered now.
func (r *Runner) register(ctx context.Context, def definition) (string, error) {
	r.mu.Lock()
	arn, ok := r.families[def.hash]
	r.mu.Unlock()
	if ok {
		return arn, nil
	}
	out, err := r.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String(def.family),
		Include:        []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
	})
	switch {
	case err == nil && out.TaskDefinition != nil && out.TaskDefinition.Status == types.TaskDefinitionStatusActive &&
		tagValue(out.Tags, hashTag) == def.hash:
		arn = aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	case err != nil && !clientError(err):
		return "", r.wrap("describe task definition "+def.family, err)
	default:
		reg, err := r.ecs.RegisterTaskDefinition(ctx, def.input)
		if err != nil {
			return "", r.wrap("register task definition "+def.family, err)
		}
		arn = aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
	}
	r.mu.Lock()
	r.families[def.hash] = arn
	r.mu.Unlock()
	return arn, nil
}

// ensureLogGroup creates the log group the awslogs driver writes to. It is best effort: a group
// that exists, or credentials that may not create one, leave the task to log where it can, and
// a task that cannot log fails to start in words ECS gives.
func (r *Runner) ensureLogGroup(ctx context.Context) {
	_, _ = r.logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(r.cfg.LogGroup)})
}

func tagValue(tags []types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// pairs lists env's entries that keep accepts, sorted by name so equal envs hash alike.
func pairs(env map[string]string, keep func(string) bool) []types.KeyValuePair {
	var out []types.KeyValuePair
	for _, k := range sortedKeys(env) {
		if keep(k) {
			out = append(out, types.KeyValuePair{Name: aws.String(k), Value: aws.String(env[k])})
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// secretName reports a name whose value is shown as **** everywhere (issue 10's rule: names
// ending in KEY, SECRET, PASSWORD, TOKEN or CREDENTIALS).
func secretName(name string) bool {
	n := strings.ToUpper(name)
	for _, s := range []string{"KEY", "SECRET", "PASSWORD", "TOKEN", "CREDENTIALS"} {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// sanitize turns a job name into a task definition family part and log stream prefix: letters,
// digits, '-' and '_' only.
func sanitize(job string) string {
	var b strings.Builder
	for _, c := range job {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	s := b.String()
	if s == "" {
		s = "job"
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// cpuUnits converts cores to ECS CPU units (1024 per vCPU), rounding up.
func cpuUnits(cores float64) int32 {
	if cores <= 0 {
		return 0
	}
	return int32(math.Ceil(cores * 1024))
}

// mebibytes converts bytes to ECS memory units (MiB), rounding up.
func mebibytes(b int64) int32 {
	if b <= 0 {
		return 0
	}
	return int32((b + 1<<20 - 1) >> 20)
}

// networkMode maps a task's network onto an ECS network mode; anything else leaves the
// engine's default (bridge).
func networkMode(n string) types.NetworkMode {
	switch m := types.NetworkMode(strings.ToLower(n)); m {
	case types.NetworkModeHost, types.NetworkModeBridge, types.NetworkModeAwsvpc, types.NetworkModeNone:
		return m
	}
	return ""
}

// fargateSizes are the task sizes Fargate offers: CPU units, and the memory range (MiB) and
// step allowed with them.
var fargateSizes = []struct{ cpu, minMem, maxMem, step int32 }{
	{256, 512, 2048, 512}, // 512, 1024, 2048 (1536 is not offered; see below)
	{512, 1024, 4096, 1024},
	{1024, 2048, 8192, 1024},
	{2048, 4096, 16384, 1024},
	{4096, 8192, 30720, 1024},
	{8192, 16384, 61440, 4096},
	{16384, 32768, 122880, 8192},
}

// fargateSize returns the smallest Fargate task size that holds cpu units and mem MiB.
func fargateSize(cpu, mem int32) (int32, int32, error) {
	for _, s := range fargateSizes {
		if cpu > s.cpu || mem > s.maxMem {
			continue
		}
		m := s.minMem
		for m < mem {
			m += s.step
		}
		if s.cpu == 256 && m == 1536 {
			m = 2048
		}
		return s.cpu, m, nil
	}
	return 0, 0, fmt.Errorf("cpu %d units and memory %d MiB exceed the largest Fargate task (16 vCPU, 120 GiB)", cpu, mem)
}
