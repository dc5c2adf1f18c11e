package jobs_test

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dora-dev/dora/internal/yamlfile"
	"github.com/dora-dev/dora/pipelines/jobs"
)

func TestDefinitionReadsEveryField(t *testing.T) {
	d, err := jobs.ParseDefinition("nightly.yaml", []byte(`
name: nightly-score
image: registry.local/score:1.4        # docker and ecs
command: ["/score", "--day", "${DAY}"]
env: {DAY: "today", MODEL: "v3", N: 3}
cpu: 1.5
memory: 512Mi
timeout: 30m
retries: {attempts: 3, on_exit_codes: [75, 76], on_infra_failure: true, backoff: 10s}
tags: {team: styling}
runner: local
`))
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "nightly-score" || d.Image != "registry.local/score:1.4" || strings.Join(d.Command, " ") != "/score --day ${DAY}" ||
		d.Env["DAY"] != "today" || d.Env["N"] != "3" || d.CPU != 1.5 || d.Memory != 512<<20 || d.Timeout != 30*time.Minute ||
		d.Retries.Attempts != 3 || len(d.Retries.OnExitCodes) != 2 || !d.Retries.OnInfraFailure || d.Retries.Backoff != 10*time.Second ||
		d.Tags["team"] != "styling" || d.Runner != "local" || d.File != "nightly.yaml" {
		t.Errorf("%+v", d)
	}
	d, err = jobs.ParseDefinition("k.yaml", []byte("image: score:1\nkubernetes: {namespace: batch, service_account: scorer, image_pull_policy: IfNotPresent, node_selector: {pool: batch}}\n"))
	if k := d.Kubernetes; err != nil || k.Namespace != "batch" || k.ServiceAccount != "scorer" || k.ImagePullPolicy != "IfNotPresent" || k.NodeSelector["pool"] != "batch" {
		t.Errorf("kubernetes: %+v %v", d, err)
	}
	d, err = jobs.ParseDefinition("/x/hello.yml", []byte(`command: [echo, hi]`))
	if err != nil || d.Name != "hello" || d.Retries.Attempts != 1 || d.RunnerName() != "local" {
		t.Errorf("%+v %v", d, err)
	}
}

// Every problem is reported like a compiler would: file:line:column, what is wrong, the line.
func TestDefinitionErrorsSayWhere(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"unknown key", "name: a\ncomand: [x]\n", `job.yaml:2:1: unknown key "comand" in the job; did you mean "command"?`},
		{"unknown retries key", "command: [x]\nretries:\n  attempts: 2\n  on_exit: [1]\n", `job.yaml:4:3: unknown key "on_exit" in retries`},
		{"command as a string", "command: /bin/score --day 1\n", `job.yaml:1:10: command should be a list (the argv, never run through a shell)`},
		{"memory without a unit", "command: [x]\nmemory: 512\n", `job.yaml:2:9: memory: "512" needs a unit: 512Mi or 1Gi`},
		{"bad timeout", "command: [x]\ntimeout: soon\n", `job.yaml:2:10: timeout should be a duration such as 90s, 30m or 2h, not "soon"`},
		{"bad exit code", "command: [x]\nretries: {on_exit_codes: [75, 300]}\n", `job.yaml:2:31: an exit code to retry on is a whole number from 1 to 255, not "300"`},
		{"unknown runner", "command: [x]\nrunner: kubernetes\n", `job.yaml:2:9: unknown runner "kubernetes" (known: local)`},
		{"bad env name", "command: [x]\nenv: {1X: a}\n", `job.yaml:2:7: "1X" is not an environment variable name`},
		{"twice", "command: [x]\ncommand: [y]\n", `job.yaml:2:1: "command" is given twice in the job`},
		{"nothing to run", "name: empty\n", `job.yaml:1:1: the job has neither a command nor an image`},
		{"bad cpu", "command: [x]\ncpu: lots\n", `job.yaml:2:6: cpu should be a number of cores above 0`},
		{"syntax", "command: [x\nname: a\n", `job.yaml:`},
		{"empty file", "", `job.yaml: the file is empty`},
		{"bad namespace", "command: [x]\nkubernetes: {namespace: Batch_1}\n", `job.yaml:2:25: kubernetes.namespace "Batch_1" is not a namespace name`},
		{"bad pull policy", "command: [x]\nkubernetes:\n  image_pull_policy: always\n", `job.yaml:3:22: kubernetes.image_pull_policy should be Always, IfNotPresent or Never, not "always"`},
		{"unknown kubernetes key", "command: [x]\nkubernetes: {namespaces: a}\n", `job.yaml:2:14: unknown key "namespaces" in kubernetes`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := jobs.ParseDefinition("job.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			var ye yamlfile.Errors
			if !errors.As(err, &ye) {
				t.Fatalf("%T is not a yamlfile.Errors", err)
			}
			if !strings.HasPrefix(err.Error(), c.want) && !strings.Contains(err.Error(), "\n"+c.want) {
				t.Errorf("got\n%s\nwant it to start with\n%s", err, c.want)
			}
			if ye[0].Line > 0 && !strings.Contains(err.Error(), "| ") {
				t.Errorf("the source line is not quoted:\n%s", err)
			}
		})
	}
}

func TestDefinitionErrorQuotesTheLineWithACaret(t *testing.T) {
	_, err := jobs.ParseDefinition("job.yaml", []byte("command: [x]\nmemory: 12Qi\n"))
	want := "job.yaml:2:9: memory: unknown unit \"Qi\" in \"12Qi\": use Ki, Mi, Gi, Ti, or K, M, G, T\n  2 | memory: 12Qi\n    |         ^"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

func TestParseMemory(t *testing.T) {
	for s, want := range map[string]int64{"512Mi": 512 << 20, "1Gi": 1 << 30, "1.5Gi": 3 << 29, "500M": 500e6, "2G": 2e9, "4096Ki": 4 << 20} {
		if got, err := jobs.ParseMemory(s); err != nil || got != want {
			t.Errorf("%s: %d %v, want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"512", "1Xi", "Mi", "-1Gi", "1Ki"} {
		if _, err := jobs.ParseMemory(s); err == nil {
			t.Errorf("%s: no error", s)
		}
	}
}

func TestFindDefinition(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("name: nightly\ncommand: [x]\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("name: broken\ncommand: x\n"), 0o600)
	if d, err := jobs.FindDefinition(dir, "nightly"); err != nil || d.Name != "nightly" {
		t.Errorf("%v %v", d, err)
	}
	if d, err := jobs.FindDefinition(dir, filepath.Join(dir, "a.yaml")); err != nil || d.Name != "nightly" {
		t.Errorf("by path: %v %v", d, err)
	}
	if _, err := jobs.FindDefinition(dir, "nightyl"); !errors.Is(err, jobs.ErrNoSuchJob) || !strings.Contains(err.Error(), `did you mean "nightly"?`) {
		t.Errorf("misspelt: %v", err)
	}
	if _, err := jobs.FindDefinition(dir, "broken"); err == nil || !strings.Contains(err.Error(), "broken.yaml:2:10: command should be a list") {
		t.Errorf("a broken file: %v", err)
	}
	defs, errs := jobs.Definitions(dir)
	if len(defs) != 1 || len(errs) != 1 {
		t.Errorf("%d definitions, %d errors", len(defs), len(errs))
	}
}

func TestExpandCommand(t *testing.T) {
	got, err := jobs.ExpandCommand([]string{"/score", "--day=${DAY}", "$HOME", "${A}${A}"}, map[string]string{"DAY": "today", "A": "x"})
	if err != nil || strings.Join(got, "|") != "/score|--day=today|$HOME|xx" {
		t.Errorf("%q %v", got, err)
	}
	if _, err := jobs.ExpandCommand([]string{"${NOPE}"}, nil); err == nil || !strings.Contains(err.Error(), "--env NOPE=VALUE") {
		t.Errorf("%v", err)
	}
}

func TestRedactEnvHidesSecretsAndURLPasswords(t *testing.T) {
	got := jobs.RedactEnv(map[string]string{
		"AWS_SECRET_ACCESS_KEY": "abc",
		"DORA_PIPELINE":         "table: a.b\ncatalog: postgres://dora:s3cret@db:5432/cat\n",
		"DORA_CATALOG":          "postgres://dora@db/cat",
		"DAY":                   "2024-01-02",
	})
	want := map[string]string{
		"AWS_SECRET_ACCESS_KEY": "****",
		"DORA_PIPELINE":         "table: a.b\ncatalog: postgres://dora:****@db:5432/cat\n",
		"DORA_CATALOG":          "postgres://dora@db/cat",
		"DAY":                   "2024-01-02",
	}
	if !maps.Equal(got, want) {
		t.Errorf("RedactEnv:\n got %q\nwant %q", got, want)
	}
}
