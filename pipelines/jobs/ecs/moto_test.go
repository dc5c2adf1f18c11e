package ecs_test

// These tests hold the runner's calls against moto's server mode (scripts/moto), the one
// stand-in the project allows: moto answers the ECS and CloudWatch Logs APIs and keeps their
// state, but runs no containers. So they check what the runner asks of ECS and how it reads
// what ECS answers; a task's output is put into CloudWatch Logs by the test itself.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/dora-dev/dora/internal/testenv"
	"github.com/dora-dev/dora/pipelines/jobs"
	runner "github.com/dora-dev/dora/pipelines/jobs/ecs"
)

const executionRole = "arn:aws:iam::123456789012:role/dora-test-execution"

// env is what a run of the nightly-score job sees: the definition's env, an override, what dora
// injects, and a secret.
func nightlyScore(runID string) jobs.Task {
	return jobs.Task{
		RunID:   runID,
		Attempt: 1,
		Job:     "nightly-score",
		Image:   "registry.local/score:1.4",
		Command: []string{"/score", "--day", "2026-12-01"},
		Env: map[string]string{
			"DAY":         "2026-12-01",
			"MODEL":       "v3",
			"API_TOKEN":   "not-for-the-definition",
			"DORA_JOB":    "nightly-score",
			"DORA_RUN_ID": runID,
		},
		CPU:    1.0,
		Memory: 512 << 20,
		Labels: map[string]string{"dora.run": runID, "dora.job": "nightly-score", "dora.attempt": "1"},
	}
}

// world is one test's corner of moto: a fresh cluster and log group, a runner on them, and
// plain SDK clients to look at what the runner did.
type world struct {
	ctx     context.Context
	moto    string
	cluster string
	group   string
	cfg     runner.Config
	r       *runner.Runner
	ecs     *ecs.Client
	logs    *cloudwatchlogs.Client
}

func setup(t *testing.T) *world {
	t.Helper()
	w := &world{ctx: context.Background(), moto: testenv.Moto(t)}
	holdTasks(t, w.moto)
	id := randomID()
	w.cluster = "dora-test-" + id
	w.group = "/dora/test-" + id
	awsCfg, err := config.LoadDefaultConfig(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.ecs = ecs.NewFromConfig(awsCfg)
	w.logs = cloudwatchlogs.NewFromConfig(awsCfg)
	if _, err := w.ecs.CreateCluster(w.ctx, &ecs.CreateClusterInput{ClusterName: aws.String(w.cluster)}); err != nil {
		t.Fatalf("creating cluster %s on moto: %v", w.cluster, err)
	}
	w.cfg = runner.Config{
		Cluster:          w.cluster,
		LaunchType:       types.LaunchTypeFargate,
		Subnets:          []string{ec2Query(t, w.moto, "DescribeSubnets", "subnetSet>item>subnetId", "default-for-az", "true")},
		SecurityGroups:   []string{ec2Query(t, w.moto, "DescribeSecurityGroups", "securityGroupInfo>item>groupId", "group-name", "default")},
		ExecutionRoleARN: executionRole,
		LogGroup:         w.group,
		PollInterval:     10 * time.Millisecond,
		MaxPollInterval:  50 * time.Millisecond,
	}
	w.r = w.open(t)
	return w
}

// open returns another runner on the same settings, as a second dora process would have.
func (w *world) open(t *testing.T) *runner.Runner {
	t.Helper()
	r, err := runner.Open(w.ctx, w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (w *world) task(t *testing.T, arn string) types.Task {
	t.Helper()
	out, err := w.ecs.DescribeTasks(w.ctx, &ecs.DescribeTasksInput{
		Cluster: aws.String(w.cluster), Tasks: []string{arn}, Include: []types.TaskField{types.TaskFieldTags},
	})
	if err != nil || len(out.Tasks) != 1 {
		t.Fatalf("DescribeTasks %s: %v (%d tasks)", arn, err, len(out.Tasks))
	}
	return out.Tasks[0]
}

func (w *world) definition(t *testing.T, arn string) *types.TaskDefinition {
	t.Helper()
	out, err := w.ecs.DescribeTaskDefinition(w.ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeTaskDefinition %s: %v", arn, err)
	}
	return out.TaskDefinition
}

func envOf(kv []types.KeyValuePair) map[string]string {
	m := map[string]string{}
	for _, p := range kv {
		m[aws.ToString(p.Name)] = aws.ToString(p.Value)
	}
	return m
}

func TestStartRegistersTheJobAndRunsItWithTheEnvAsOverrides(t *testing.T) {
	w := setup(t)
	task := nightlyScore("run-1")
	h, err := w.r.Start(w.ctx, task)
	if err != nil {
		t.Fatal(err)
	}
	if h.Runner != "ecs" || !strings.HasPrefix(h.ID, "arn:aws:ecs:") || !strings.Contains(h.ID, ":task/") {
		t.Fatalf("handle %+v: want the ecs runner and a task ARN", h)
	}
	got := w.task(t, h.ID)
	if aws.ToString(got.LastStatus) != "RUNNING" {
		t.Errorf("lastStatus %q, want RUNNING", aws.ToString(got.LastStatus))
	}
	if got.LaunchType != types.LaunchTypeFargate || aws.ToString(got.StartedBy) != "dora" {
		t.Errorf("launchType %q startedBy %q, want FARGATE and dora", got.LaunchType, aws.ToString(got.StartedBy))
	}
	if !strings.HasSuffix(aws.ToString(got.ClusterArn), "/"+w.cluster) {
		t.Errorf("cluster %s, want %s", aws.ToString(got.ClusterArn), w.cluster)
	}
	tags := map[string]string{}
	for _, tg := range got.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	if tags["dora.run"] != "run-1" || tags["dora.job"] != "nightly-score" || tags["dora.attempt"] != "1" {
		t.Errorf("task tags %v, want dora.run, dora.job and dora.attempt", tags)
	}

	// The whole env, DORA_RUN_ID and the secret included, reaches the task as overrides.
	if got.Overrides == nil || len(got.Overrides.ContainerOverrides) != 1 {
		t.Fatalf("overrides %+v, want one container override", got.Overrides)
	}
	o := got.Overrides.ContainerOverrides[0]
	if aws.ToString(o.Name) != "main" {
		t.Errorf("override for container %q, want main", aws.ToString(o.Name))
	}
	if env := envOf(o.Environment); fmt.Sprint(env) != fmt.Sprint(task.Env) {
		t.Errorf("override env %v, want %v", env, task.Env)
	}

	def := w.definition(t, aws.ToString(got.TaskDefinitionArn))
	if aws.ToString(def.Family) != "dora-nightly-score" {
		t.Errorf("family %q, want dora-nightly-score", aws.ToString(def.Family))
	}
	if len(def.ContainerDefinitions) != 1 {
		t.Fatalf("%d container definitions, want 1", len(def.ContainerDefinitions))
	}
	c := def.ContainerDefinitions[0]
	if aws.ToString(c.Image) != task.Image || fmt.Sprint(c.Command) != fmt.Sprint(task.Command) {
		t.Errorf("image %q command %q, want %q %q", aws.ToString(c.Image), c.Command, task.Image, task.Command)
	}
	if c.Cpu != 1024 || aws.ToInt32(c.Memory) != 512 {
		t.Errorf("container cpu %d memory %d, want 1024 units and 512 MiB", c.Cpu, aws.ToInt32(c.Memory))
	}
	if aws.ToString(def.Cpu) != "1024" || aws.ToString(def.Memory) != "2048" {
		t.Errorf("task cpu %q memory %q, want the smallest Fargate size that holds them: 1024 and 2048", aws.ToString(def.Cpu), aws.ToString(def.Memory))
	}
	if def.NetworkMode != types.NetworkModeAwsvpc || aws.ToString(def.ExecutionRoleArn) != executionRole {
		t.Errorf("network mode %q execution role %q, want awsvpc and %s", def.NetworkMode, aws.ToString(def.ExecutionRoleArn), executionRole)
	}
	// The definition keeps what every run shares; the run id and the secret stay out of it.
	wantEnv := map[string]string{"DAY": "2026-12-01", "DORA_JOB": "nightly-score", "MODEL": "v3"}
	if env := envOf(c.Environment); fmt.Sprint(env) != fmt.Sprint(wantEnv) {
		t.Errorf("definition env %v, want %v", env, wantEnv)
	}
	lc := c.LogConfiguration
	if lc == nil || lc.LogDriver != types.LogDriverAwslogs || lc.Options["awslogs-group"] != w.group ||
		lc.Options["awslogs-stream-prefix"] != "nightly-score" || lc.Options["awslogs-region"] == "" {
		t.Errorf("log configuration %+v, want awslogs to group %s with stream prefix nightly-score and a region", lc, w.group)
	}
	if _, err := w.logs.DescribeLogGroups(w.ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(w.group)}); err != nil {
		t.Errorf("log group %s: %v", w.group, err)
	}

	// The next run of the same job reuses the revision, from this process and from another.
	h2, err := w.r.Start(w.ctx, nightlyScore("run-2"))
	if err != nil {
		t.Fatal(err)
	}
	h3, err := w.open(t).Start(w.ctx, nightlyScore("run-3"))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []jobs.Handle{h2, h3} {
		if arn := aws.ToString(w.task(t, h.ID).TaskDefinitionArn); arn != aws.ToString(got.TaskDefinitionArn) {
			t.Errorf("run %s used %s, want the reused %s", h.ID, arn, aws.ToString(got.TaskDefinitionArn))
		}
	}
	// A changed job registers a new revision of its family.
	changed := nightlyScore("run-4")
	changed.Env["MODEL"] = "v4"
	h4, err := w.open(t).Start(w.ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	def4 := w.definition(t, aws.ToString(w.task(t, h4.ID).TaskDefinitionArn))
	if aws.ToString(def4.Family) != "dora-nightly-score" || def4.Revision != def.Revision+1 {
		t.Errorf("changed job: family %s revision %d, want dora-nightly-score revision %d", aws.ToString(def4.Family), def4.Revision, def.Revision+1)
	}
	if envOf(def4.ContainerDefinitions[0].Environment)["MODEL"] != "v4" {
		t.Errorf("changed job's definition env %v, want MODEL=v4", envOf(def4.ContainerDefinitions[0].Environment))
	}
	for _, h := range []jobs.Handle{h, h2, h3, h4} {
		w.r.Stop(w.ctx, h)
	}
}

func TestStopTaskEndsTheRunAndWaitSaysHow(t *testing.T) {
	w := setup(t)
	h, err := w.r.Start(w.ctx, nightlyScore("run-stop"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := w.r.Inspect(w.ctx, h)
	if err != nil || !st.Running || st.Exited || st.Gone {
		t.Fatalf("Inspect of a started task: %+v, %v; want running", st, err)
	}

	waited := make(chan jobs.Exit, 1)
	go func() {
		exit, err := w.r.Wait(w.ctx, h)
		if err != nil {
			t.Error(err)
		}
		waited <- exit
	}()
	select {
	case exit := <-waited:
		t.Fatalf("Wait returned %+v while the task runs", exit)
	case <-time.After(200 * time.Millisecond):
	}
	if err := w.r.Stop(w.ctx, h); err != nil {
		t.Fatal(err)
	}
	var exit jobs.Exit
	select {
	case exit = <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return after StopTask")
	}

	got := w.wantExitAsECSSays(t, h, exit)
	if aws.ToString(got.StoppedReason) != "stopped by dora" {
		t.Errorf("moto's stopped reason %q, want dora's", aws.ToString(got.StoppedReason))
	}
	if !strings.Contains(exit.Reason, "stopped by dora") {
		t.Errorf("Wait's reason %q does not carry the stopped reason", exit.Reason)
	}

	st, err = w.r.Inspect(w.ctx, h)
	if err != nil || st.Running || !st.Exited || st.Exit != exit {
		t.Errorf("Inspect after StopTask: %+v, %v; want exited with %+v", st, err, exit)
	}
	if err := w.r.Stop(w.ctx, h); err != nil {
		t.Errorf("stopping a stopped task: %v", err)
	}
	if err := w.r.Remove(w.ctx, h); err != nil {
		t.Errorf("Remove: %v", err)
	}
}

func TestWaitFollowsTheTaskThroughItsStates(t *testing.T) {
	w := setup(t)
	h, err := w.r.Start(w.ctx, nightlyScore("run-walk"))
	if err != nil {
		t.Fatal(err)
	}
	// moto's own lifecycle: every DescribeTasks moves the task one state on, RUNNING ->
	// DEACTIVATING -> STOPPING -> DEPROVISIONING -> STOPPED, stopped by nobody.
	setTransition(t, w.moto, `{"progression": "manual", "times": 1}`)
	st, err := w.r.Inspect(w.ctx, h)
	if err != nil || !st.Running {
		t.Fatalf("Inspect while moto winds the task down: %+v, %v; want still running", st, err)
	}
	ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	exit, err := w.r.Wait(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	w.wantExitAsECSSays(t, h, exit)
}

// wantExitAsECSSays holds Wait's exit to what ECS (moto) says of the stopped task: the
// container's exit code when it reports one, else an infra failure. It returns the task.
func (w *world) wantExitAsECSSays(t *testing.T, h jobs.Handle, exit jobs.Exit) types.Task {
	t.Helper()
	got := w.task(t, h.ID)
	if aws.ToString(got.LastStatus) != "STOPPED" {
		t.Fatalf("moto says %s after Wait returned", aws.ToString(got.LastStatus))
	}
	var code *int32
	if len(got.Containers) == 1 {
		code = got.Containers[0].ExitCode
	}
	t.Logf("moto reports the stopped task with stopCode %q, reason %q, container exit code %v",
		got.StopCode, aws.ToString(got.StoppedReason), aws.ToInt32(code))
	if code != nil && (exit.Infra || exit.Code != int(*code)) {
		t.Errorf("Wait: %+v, want the container's exit code %d", exit, *code)
	}
	if code == nil && !exit.Infra {
		t.Errorf("Wait: %+v, want an infra failure for a task stopped without an exit code", exit)
	}
	return got
}

func TestLogsReadTheTasksStream(t *testing.T) {
	w := setup(t)
	h, err := w.r.Start(w.ctx, nightlyScore("run-logs"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := w.r.Start(w.ctx, nightlyScore("run-other"))
	if err != nil {
		t.Fatal(err)
	}
	// moto runs no container, so the test writes what the awslogs driver would have, where it
	// would have: GROUP, stream PREFIX/CONTAINER/TASK-ID.
	stream := "nightly-score/main/" + h.ID[strings.LastIndex(h.ID, "/")+1:]
	otherStream := "nightly-score/main/" + other.ID[strings.LastIndex(other.ID, "/")+1:]
	w.put(t, otherStream, "not this task's line")
	w.put(t, stream, "scoring 2026-12-01", "model v3")

	var buf bytes.Buffer
	if err := w.r.Logs(w.ctx, h, false, &buf); err != nil {
		t.Fatal(err)
	}
	if want := "scoring 2026-12-01\nmodel v3\n"; buf.String() != want {
		t.Errorf("Logs: %q, want %q", buf.String(), want)
	}
	// Another process finds the stream from the task's definition.
	buf.Reset()
	if err := w.open(t).Logs(w.ctx, h, false, &buf); err != nil {
		t.Fatal(err)
	}
	if want := "scoring 2026-12-01\nmodel v3\n"; buf.String() != want {
		t.Errorf("Logs from another runner: %q, want %q", buf.String(), want)
	}

	// Following reads what comes while the task runs, and returns once it has stopped.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := w.r.Logs(w.ctx, h, true, pw)
		pw.CloseWithError(err)
		done <- err
	}()
	lines := make(chan string, 16)
	go func() {
		b := make([]byte, 4096)
		var acc string
		for {
			n, err := pr.Read(b)
			acc += string(b[:n])
			for {
				i := strings.IndexByte(acc, '\n')
				if i < 0 {
					break
				}
				lines <- acc[:i]
				acc = acc[i+1:]
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	expect := func(want string) {
		t.Helper()
		select {
		case got := <-lines:
			if got != want {
				t.Errorf("followed line %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no line %q while following", want)
		}
	}
	expect("scoring 2026-12-01")
	expect("model v3")
	w.put(t, stream, "wrote 1200 scores")
	expect("wrote 1200 scores")
	if err := w.r.Stop(w.ctx, h); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("following Logs did not return after the task stopped")
	}
	if rest, ok := <-lines; ok {
		t.Errorf("line %q after the task stopped", rest)
	}
	w.r.Stop(w.ctx, other)
}

// put writes lines into a log stream of the world's group, creating the stream.
func (w *world) put(t *testing.T, stream string, lines ...string) {
	t.Helper()
	_, err := w.logs.CreateLogStream(w.ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(w.group), LogStreamName: aws.String(stream)})
	var exists *logtypes.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		t.Fatalf("creating log stream %s: %v", stream, err)
	}
	now := time.Now().UnixMilli()
	var events []logtypes.InputLogEvent
	for i, l := range lines {
		events = append(events, logtypes.InputLogEvent{Message: aws.String(l), Timestamp: aws.Int64(now + int64(i))})
	}
	if _, err := w.logs.PutLogEvents(w.ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(w.group), LogStreamName: aws.String(stream), LogEvents: events,
	}); err != nil {
		t.Fatalf("putting log events: %v", err)
	}
}

func TestAMissingClusterIsAnErrorInWords(t *testing.T) {
	w := setup(t)
	w.cfg.Cluster = "dora-no-such-cluster-" + randomID()
	r := w.open(t)
	_, err := r.Start(w.ctx, nightlyScore("run-nowhere"))
	if err == nil {
		t.Fatal("Start on a missing cluster succeeded")
	}
	want := fmt.Sprintf("ECS cluster %q does not exist", w.cfg.Cluster)
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "DORA_ECS_CLUSTER") {
		t.Errorf("error %q, want it to say %s and name DORA_ECS_CLUSTER", err, want)
	}
	if errors.Is(err, jobs.ErrInfra) {
		t.Errorf("a missing cluster is a setting to fix, not an engine failure to retry: %v", err)
	}
	// A task on a cluster ECS does not know is gone.
	arn := "arn:aws:ecs:us-east-1:123456789012:task/" + w.cfg.Cluster + "/0123456789abcdef"
	st, err := r.Inspect(w.ctx, jobs.Handle{Runner: "ecs", ID: arn})
	if err != nil || !st.Gone {
		t.Errorf("Inspect of a task on a missing cluster: %+v, %v; want gone", st, err)
	}
}

func TestATaskECSDoesNotKnowIsGone(t *testing.T) {
	w := setup(t)
	arn := "arn:aws:ecs:us-east-1:123456789012:task/" + w.cluster + "/" + strings.Repeat("0", 32)
	st, err := w.r.Inspect(w.ctx, jobs.Handle{Runner: "ecs", ID: arn})
	if err != nil || !st.Gone {
		t.Errorf("Inspect: %+v, %v; want gone", st, err)
	}
	exit, err := w.r.Wait(w.ctx, jobs.Handle{Runner: "ecs", ID: arn})
	if err != nil || !exit.Infra {
		t.Errorf("Wait: %+v, %v; want an infra failure", exit, err)
	}
	// Its log outlives it in CloudWatch Logs: found in the log group by the task's id.
	var buf bytes.Buffer
	if err := w.r.Logs(w.ctx, jobs.Handle{Runner: "ecs", ID: arn}, false, &buf); err == nil {
		t.Errorf("Logs of a task with no stream anywhere: no error, %q", buf.String())
	}
	if _, err := w.logs.CreateLogGroup(w.ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(w.group)}); err != nil {
		t.Fatal(err)
	}
	w.put(t, "nightly-score/main/"+strings.Repeat("1", 32), "another task's line")
	w.put(t, "nightly-score/main/"+strings.Repeat("0", 32), "kept after ECS forgot the task")
	buf.Reset()
	if err := w.r.Logs(w.ctx, jobs.Handle{Runner: "ecs", ID: arn}, true, &buf); err != nil {
		t.Fatal(err)
	}
	if want := "kept after ECS forgot the task\n"; buf.String() != want {
		t.Errorf("Logs of a forgotten task: %q, want %q", buf.String(), want)
	}
}

// holdTasks keeps moto's tasks in the state they are in until the test moves them (by default
// every DescribeTasks moves a task one state towards STOPPED), and restores that at the end.
func holdTasks(t *testing.T, moto string) {
	t.Helper()
	setTransition(t, moto, `{"progression": "manual", "times": 1000000000}`)
	t.Cleanup(func() {
		resp, err := http.Post(moto+"/moto-api/state-manager/unset-transition", "application/json",
			strings.NewReader(`{"model_name": "ecs::task"}`))
		if err == nil {
			resp.Body.Close()
		}
	})
}

func setTransition(t *testing.T, moto, transition string) {
	t.Helper()
	resp, err := http.Post(moto+"/moto-api/state-manager/set-transition", "application/json",
		strings.NewReader(`{"model_name": "ecs::task", "transition": `+transition+`}`))
	if err != nil {
		t.Fatalf("setting moto's task transitions: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("setting moto's task transitions: %s", resp.Status)
	}
}

// ec2Query asks moto's EC2 API for the first id at path that action lists under the filter:
// the default VPC's subnet and security group, which FARGATE's awsvpc network configuration
// names. It is a signed EC2 query request, so the test needs no EC2 client module.
func ec2Query(t *testing.T, moto, action, path, filter, value string) string {
	t.Helper()
	form := url.Values{"Action": {action}, "Version": {"2016-11-15"},
		"Filter.1.Name": {filter}, "Filter.1.Value.1": {value}}.Encode()
	req, err := http.NewRequest(http.MethodPost, moto+"/", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(form))
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = "us-east-1"
	}
	creds := aws.Credentials{AccessKeyID: "dora-moto", SecretAccessKey: "dora-moto-secret"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "ec2", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s on moto: %v", action, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	ids := xmlPath(body, strings.Split(path, ">"))
	if resp.StatusCode != http.StatusOK || len(ids) == 0 {
		t.Fatalf("%s on moto: %s, no %s in %.300s", action, resp.Status, path, body)
	}
	return ids[0]
}

// xmlPath returns the text of the elements at path (local names, outermost first) anywhere
// below the document's root.
func xmlPath(doc []byte, path []string) []string {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var stack []string
	var out []string
	for {
		tok, err := d.Token()
		if err != nil {
			return out
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tk.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) >= len(path) && fmt.Sprint(stack[len(stack)-len(path):]) == fmt.Sprint(path) {
				out = append(out, strings.TrimSpace(string(tk)))
			}
		}
	}
}

func randomID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}
