package ecs

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/dora-dev/dora/pipelines/jobs"
)

func TestFargateSize(t *testing.T) {
	for _, tc := range []struct {
		cpu, mem         int32
		wantCPU, wantMem int32
	}{
		{0, 0, 256, 512},
		{256, 600, 256, 1024},
		{256, 1500, 256, 2048}, // 1536 is not a Fargate size
		{300, 0, 512, 1024},
		{1024, 512, 1024, 2048},
		{1024, 9000, 2048, 9216},
		{4096, 30720, 4096, 30720},
		{4096, 30721, 8192, 32768},
		{16384, 122880, 16384, 122880},
	} {
		cpu, mem, err := fargateSize(tc.cpu, tc.mem)
		if err != nil || cpu != tc.wantCPU || mem != tc.wantMem {
			t.Errorf("fargateSize(%d, %d) = %d, %d, %v; want %d, %d", tc.cpu, tc.mem, cpu, mem, err, tc.wantCPU, tc.wantMem)
		}
	}
	if _, _, err := fargateSize(20000, 0); err == nil || !strings.Contains(err.Error(), "largest Fargate task") {
		t.Errorf("fargateSize(20000, 0): %v, want an error naming the largest size", err)
	}
}

func TestUnits(t *testing.T) {
	if got := cpuUnits(1.0); got != 1024 {
		t.Errorf("cpuUnits(1.0) = %d", got)
	}
	if got := cpuUnits(0.3); got != 308 {
		t.Errorf("cpuUnits(0.3) = %d, want 308 (rounded up)", got)
	}
	if got := mebibytes(512 << 20); got != 512 {
		t.Errorf("mebibytes(512Mi) = %d", got)
	}
	if got := mebibytes(1); got != 1 {
		t.Errorf("mebibytes(1) = %d, want 1 (rounded up)", got)
	}
}

func code(c int32) *int32 { return &c }

func TestExitOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		task types.Task
		want jobs.Exit
	}{
		{"the program exited", types.Task{StopCode: types.TaskStopCodeEssentialContainerExited,
			StoppedReason: aws.String("Essential container in task exited"),
			Containers:    []types.Container{{Name: aws.String("main"), ExitCode: code(3)}}},
			jobs.Exit{Code: 3, Reason: "exited with code 3"}},
		{"it never started", types.Task{StopCode: types.TaskStopCodeTaskFailedToStart,
			StoppedReason: aws.String("CannotPullContainerError: pull image manifest has been retried 5 time(s)"),
			Containers:    []types.Container{{Name: aws.String("main"), Reason: aws.String("CannotPullContainerError: not found")}}},
			jobs.Exit{Infra: true, Reason: "the task failed to start: CannotPullContainerError: pull image manifest has been retried 5 time(s): CannotPullContainerError: not found"}},
		{"stopped on request, the program exited", types.Task{StopCode: types.TaskStopCodeUserInitiated,
			StoppedReason: aws.String("stopped by dora"),
			Containers:    []types.Container{{Name: aws.String("main"), ExitCode: code(143)}}},
			jobs.Exit{Code: 143, Reason: "exited with code 143 after it was stopped: stopped by dora"}},
		{"stopped on request before it ran", types.Task{StopCode: types.TaskStopCodeUserInitiated,
			StoppedReason: aws.String("stopped by dora"), Containers: []types.Container{{Name: aws.String("main")}}},
			jobs.Exit{Infra: true, Reason: "the task stopped without an exit code: stopped by dora"}},
		{"the engine took it back", types.Task{StopCode: types.TaskStopCodeSpotInterruption,
			StoppedReason: aws.String("Your Spot Task was interrupted."),
			Containers:    []types.Container{{Name: aws.String("main"), ExitCode: code(137)}}},
			jobs.Exit{Infra: true, Reason: "ECS stopped the task (SpotInterruption): Your Spot Task was interrupted."}},
	} {
		if got := exitOf(&tc.task); got != tc.want {
			t.Errorf("%s: exitOf = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestWhere(t *testing.T) {
	r := &Runner{cfg: Config{Cluster: "dora"}, region: "us-east-1"}
	cluster, _ := r.where("arn:aws:ecs:eu-west-1:123456789012:task/batch/0123abcd")
	if cluster != "batch" {
		t.Errorf("cluster from a long task ARN: %q, want batch", cluster)
	}
	cluster, _ = r.where("arn:aws:ecs:us-east-1:123456789012:task/0123abcd")
	if cluster != "dora" {
		t.Errorf("cluster from a short task ARN: %q, want the configured dora", cluster)
	}
	if id := taskID("arn:aws:ecs:eu-west-1:123456789012:task/batch/0123abcd"); id != "0123abcd" {
		t.Errorf("taskID = %q", id)
	}
}

func TestEC2Definition(t *testing.T) {
	r := &Runner{cfg: Config{Cluster: "dora", LaunchType: types.LaunchTypeEc2, LogGroup: "/dora/jobs"}, region: "us-east-1"}
	def, err := r.definition(jobs.Task{Job: "load shard", Image: "dora:dev", Command: []string{"/dora", "load"},
		Network: "host", Env: map[string]string{"DORA_RUN_ID": "r1", "AWS_SECRET_ACCESS_KEY": "x", "TABLE": "logs"}})
	if err != nil {
		t.Fatal(err)
	}
	in := def.input
	if aws.ToString(in.Family) != "dora-load-shard" || in.NetworkMode != types.NetworkModeHost || len(in.RequiresCompatibilities) != 0 {
		t.Errorf("family %q network %q compatibilities %v; want dora-load-shard, host and none", aws.ToString(in.Family), in.NetworkMode, in.RequiresCompatibilities)
	}
	c := in.ContainerDefinitions[0]
	if c.Memory != nil || aws.ToInt32(c.MemoryReservation) != 512 || in.Cpu != nil || in.Memory != nil {
		t.Errorf("memory %v reservation %v task cpu/memory %v/%v; want only a 512 MiB reservation", c.Memory, aws.ToInt32(c.MemoryReservation), in.Cpu, in.Memory)
	}
	if len(c.Environment) != 1 || aws.ToString(c.Environment[0].Name) != "TABLE" {
		t.Errorf("definition env %+v, want only TABLE (no run id, no secret)", c.Environment)
	}
	if c.LogConfiguration.Options["awslogs-stream-prefix"] != "load-shard" {
		t.Errorf("stream prefix %q", c.LogConfiguration.Options["awslogs-stream-prefix"])
	}
	again, _ := r.definition(jobs.Task{Job: "load shard", Image: "dora:dev", Command: []string{"/dora", "load"},
		Network: "host", Env: map[string]string{"DORA_RUN_ID": "r2", "AWS_SECRET_ACCESS_KEY": "y", "TABLE": "logs"}})
	if again.hash != def.hash {
		t.Errorf("another run of the same job hashes %s, want %s", again.hash, def.hash)
	}
}

func TestStartRefusesFargateWithoutNetworkOrRole(t *testing.T) {
	task := jobs.Task{Job: "j", Image: "i"}
	r := &Runner{cfg: Config{LaunchType: types.LaunchTypeFargate, ExecutionRoleARN: "arn:role"}}
	if _, err := r.Start(context.Background(), task); err == nil || !strings.Contains(err.Error(), "DORA_ECS_SUBNETS") {
		t.Errorf("FARGATE without subnets: %v, want it to name DORA_ECS_SUBNETS", err)
	}
	r.cfg = Config{LaunchType: types.LaunchTypeFargate, Subnets: []string{"subnet-1"}}
	if _, err := r.Start(context.Background(), task); err == nil || !strings.Contains(err.Error(), "DORA_ECS_EXECUTION_ROLE_ARN") {
		t.Errorf("FARGATE without an execution role: %v, want it to name DORA_ECS_EXECUTION_ROLE_ARN", err)
	}
	if _, err := r.Start(context.Background(), jobs.Task{Job: "j"}); err == nil || !strings.Contains(err.Error(), "needs an image") {
		t.Errorf("no image: %v", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("DORA_ECS_CLUSTER", "batch")
	t.Setenv("DORA_ECS_LAUNCH_TYPE", "ec2")
	t.Setenv("DORA_ECS_SUBNETS", "subnet-a, subnet-b")
	t.Setenv("DORA_ECS_SECURITY_GROUPS", "sg-1")
	t.Setenv("DORA_ECS_ASSIGN_PUBLIC_IP", "true")
	c, err := ConfigFromEnv()
	if err != nil || c.Cluster != "batch" || c.LaunchType != types.LaunchTypeEc2 || len(c.Subnets) != 2 ||
		c.Subnets[1] != "subnet-b" || len(c.SecurityGroups) != 1 || !c.AssignPublicIP {
		t.Errorf("ConfigFromEnv = %+v, %v", c, err)
	}
	t.Setenv("DORA_ECS_LAUNCH_TYPE", "EXTERNAL")
	if _, err := New(context.Background()); err == nil || !strings.Contains(err.Error(), "FARGATE or EC2") {
		t.Errorf("an unknown launch type: %v", err)
	}
}
