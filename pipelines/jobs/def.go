package jobs

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dora-dev/dora/internal/xdg"
	"github.com/dora-dev/dora/internal/yamlfile"
	"github.com/dora-dev/dora/query"
)

// Definition is a job: what to run, with what, and how to retry it. One YAML file each:
//
//	name: nightly-score
//	image: registry.local/score:1.4        # docker, ecs, kubernetes; the local runner takes command only
//	command: ["/score", "--day", "${DAY}"]  # argv, never through a shell; ${VAR} from the env
//	env: {DAY: "today", MODEL: "v3"}
//	cpu: 1.0
//	memory: 512Mi
//	timeout: 30m
//	retries: {attempts: 3, on_exit_codes: [75], on_infra_failure: true, backoff: 10s}
//	tags: {team: styling}
//	runner: docker                          # default runner; --runner overrides
//	kubernetes: {namespace: batch, service_account: scorer, image_pull_policy: IfNotPresent, node_selector: {pool: batch}}
type Definition struct {
	Name    string            `json:"name"`
	File    string            `json:"file,omitempty"` // where it was read from
	Image   string            `json:"image,omitempty"`
	Command []string          `json:"command,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	CPU     float64           `json:"cpu,omitempty"`     // cores
	Memory  int64             `json:"memory,omitempty"`  // bytes
	Timeout time.Duration     `json:"timeout,omitempty"` // each attempt's; 0 for none
	Retries Retries           `json:"retries"`
	Tags    map[string]string `json:"tags,omitempty"`
	Runner  string            `json:"runner,omitempty"` // "" for the local runner
	// Kubernetes places the job on the kubernetes runner (kubernetes: {namespace: batch, ...}).
	Kubernetes Kubernetes `json:"kubernetes,omitzero"`
}

// Kubernetes is where and how the kubernetes runner runs a job; an empty field takes the
// runner's configuration (DORA_KUBE_* variables, then the kubeconfig's namespace).
type Kubernetes struct {
	Namespace       string            `json:"namespace,omitempty"`
	ServiceAccount  string            `json:"service_account,omitempty"`
	ImagePullPolicy string            `json:"image_pull_policy,omitempty"` // Always, IfNotPresent or Never
	NodeSelector    map[string]string `json:"node_selector,omitempty"`
}

// Retries says when a failed attempt is tried again.
type Retries struct {
	Attempts       int           `json:"attempts"` // tries in all, at least 1
	OnExitCodes    []int         `json:"on_exit_codes,omitempty"`
	OnInfraFailure bool          `json:"on_infra_failure,omitempty"`
	Backoff        time.Duration `json:"backoff,omitempty"` // before the second try, doubling after
}

// DefaultRunner runs jobs whose definition names none.
const DefaultRunner = "local"

// RunnerName is the runner the definition asks for.
func (d *Definition) RunnerName() string {
	if d.Runner == "" {
		return DefaultRunner
	}
	return d.Runner
}

// ErrNoSuchJob is returned when no definition has the name asked for.
var ErrNoSuchJob = errors.New("no such job")

var (
	jobKeys        = []string{"name", "image", "command", "env", "cpu", "memory", "timeout", "retries", "tags", "runner", "kubernetes"}
	kubernetesKeys = []string{"namespace", "service_account", "image_pull_policy", "node_selector"}
	dnsLabel       = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	retriesKeys    = []string{"attempts", "on_exit_codes", "on_infra_failure", "backoff"}
	jobName        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	envName        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ParseDefinition reads one job file. Unknown keys are refused and every problem is reported at
// its line and column (the error is a yamlfile.Errors). A file without name: is named after
// itself.
func ParseDefinition(path string, data []byte) (*Definition, error) {
	f, root := yamlfile.Parse(path, data)
	if err := f.Err(); err != nil {
		return nil, err
	}
	if root == nil {
		f.Errorf(nil, "the file is empty: a job needs at least a command (or an image)")
		return nil, f.Err()
	}
	d := &Definition{File: path, Retries: Retries{Attempts: 1}}
	f.Fields(root, "the job", jobKeys, func(key string, v *yaml.Node) {
		switch key {
		case "name":
			if s, ok := f.Scalar(v, "name"); ok {
				if !jobName.MatchString(s) {
					f.Errorf(v, "name %q should be letters, digits, '.', '_' and '-', starting with a letter or digit", s)
				}
				d.Name = s
			}
		case "image":
			d.Image, _ = f.Scalar(v, "image")
		case "command":
			d.Command = parseCommand(f, v)
		case "env":
			d.Env = f.StringMap(v, "env", func(k string) string {
				if !envName.MatchString(k) {
					return fmt.Sprintf("%q is not an environment variable name (letters, digits and '_', not starting with a digit)", k)
				}
				return ""
			})
		case "cpu":
			if s, ok := f.Scalar(v, "cpu"); ok {
				c, err := strconv.ParseFloat(s, 64)
				if err != nil || c <= 0 || c > 1024 || math.IsNaN(c) {
					f.Errorf(v, "cpu should be a number of cores above 0, as in 0.5 or 2, not %q", s)
				}
				d.CPU = c
			}
		case "memory":
			if s, ok := f.Scalar(v, "memory"); ok {
				m, err := ParseMemory(s)
				if err != nil {
					f.Errorf(v, "memory: %v", err)
				}
				d.Memory = m
			}
		case "timeout":
			d.Timeout = duration(f, v, "timeout", false)
		case "retries":
			parseRetries(f, v, &d.Retries)
		case "tags":
			d.Tags = f.StringMap(v, "tags", nil)
		case "runner":
			if s, ok := f.Scalar(v, "runner"); ok {
				if !knownRunner(s) {
					f.Errorf(v, "unknown runner %q (known: %s)", s, strings.Join(RunnerNames(), ", "))
				}
				d.Runner = s
			}
		case "kubernetes":
			parseKubernetes(f, v, &d.Kubernetes)
		}
	})
	if root.Kind == yaml.MappingNode {
		if d.Name == "" {
			d.Name = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".yml"), ".yaml")
		}
		if len(d.Command) == 0 && d.Image == "" {
			f.Errorf(root, "the job has neither a command nor an image: add command: [\"/path/to/program\", \"arg\"]")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return d, nil
}

func parseCommand(f *yamlfile.File, v *yaml.Node) []string {
	if v.Kind != yaml.SequenceNode {
		f.Errorf(v, "command should be a list (the argv, never run through a shell), as in [\"/score\", \"--day\", \"${DAY}\"], not %s", yamlfile.Describe(v))
		return nil
	}
	var argv []string
	for i, a := range v.Content {
		if s, ok := f.Scalar(a, fmt.Sprintf("command[%d]", i)); ok {
			argv = append(argv, s)
		}
	}
	if len(argv) == 0 {
		f.Errorf(v, "command is empty: give the program and its arguments")
	}
	return argv
}

func parseKubernetes(f *yamlfile.File, v *yaml.Node, k *Kubernetes) {
	f.Fields(v, "kubernetes", kubernetesKeys, func(key string, v *yaml.Node) {
		switch key {
		case "namespace":
			if s, ok := f.Scalar(v, "kubernetes.namespace"); ok {
				if len(s) > 63 || !dnsLabel.MatchString(s) {
					f.Errorf(v, "kubernetes.namespace %q is not a namespace name (lower-case letters, digits and '-', at most 63)", s)
				}
				k.Namespace = s
			}
		case "service_account":
			k.ServiceAccount, _ = f.Scalar(v, "kubernetes.service_account")
		case "image_pull_policy":
			if s, ok := f.Scalar(v, "kubernetes.image_pull_policy"); ok {
				if s != "Always" && s != "IfNotPresent" && s != "Never" {
					f.Errorf(v, "kubernetes.image_pull_policy should be Always, IfNotPresent or Never, not %q", s)
				}
				k.ImagePullPolicy = s
			}
		case "node_selector":
			k.NodeSelector = f.StringMap(v, "kubernetes.node_selector", nil)
		}
	})
}

func parseRetries(f *yamlfile.File, v *yaml.Node, r *Retries) {
	f.Fields(v, "retries", retriesKeys, func(key string, v *yaml.Node) {
		switch key {
		case "attempts":
			if s, ok := f.Scalar(v, "retries.attempts"); ok {
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 || n > 100 {
					f.Errorf(v, "retries.attempts is how many tries in all: a whole number from 1 to 100, not %q", s)
				}
				r.Attempts = n
			}
		case "on_exit_codes":
			if v.Kind != yaml.SequenceNode {
				f.Errorf(v, "retries.on_exit_codes should be a list of exit codes, as in [75], not %s", yamlfile.Describe(v))
				return
			}
			for _, c := range v.Content {
				s, ok := f.Scalar(c, "retries.on_exit_codes")
				if !ok {
					continue
				}
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 || n > 255 {
					f.Errorf(c, "an exit code to retry on is a whole number from 1 to 255, not %q", s)
					continue
				}
				r.OnExitCodes = append(r.OnExitCodes, n)
			}
		case "on_infra_failure":
			if s, ok := f.Scalar(v, "retries.on_infra_failure"); ok {
				var b bool
				if err := v.Decode(&b); err != nil {
					f.Errorf(v, "retries.on_infra_failure should be true or false, not %q", s)
				}
				r.OnInfraFailure = b
			}
		case "backoff":
			r.Backoff = duration(f, v, "retries.backoff", true)
		}
	})
}

func duration(f *yamlfile.File, v *yaml.Node, what string, zeroOK bool) time.Duration {
	s, ok := f.Scalar(v, what)
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d == 0 && !zeroOK {
		f.Errorf(v, "%s should be a duration such as 90s, 30m or 2h, not %q", what, s)
	}
	return d
}

var memoryUnits = map[string]int64{
	"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40,
	"K": 1e3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
}

var memoryText = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$`)

// ParseMemory reads a size as Kubernetes writes one: 512Mi, 1Gi, 1.5Gi, 500M. A unit is
// required, so 512 is never taken for bytes when MiB was meant.
func ParseMemory(s string) (int64, error) {
	m := memoryText.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size: write it as 512Mi or 1Gi", s)
	}
	unit, ok := memoryUnits[m[2]]
	if !ok {
		if m[2] == "" {
			return 0, fmt.Errorf("%q needs a unit: 512Mi or 1Gi (binary), 500M or 1G (decimal)", s)
		}
		return 0, fmt.Errorf("unknown unit %q in %q: use Ki, Mi, Gi, Ti, or K, M, G, T", m[2], s)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	bytes := v * float64(unit)
	if bytes < 4<<20 || bytes > 1<<50 {
		return 0, fmt.Errorf("%s is not a sensible memory limit: give at least 4Mi", s)
	}
	return int64(bytes), nil
}

// LoadDefinition reads a job file.
func LoadDefinition(path string) (*Definition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the job file: %w", err)
	}
	return ParseDefinition(path, data)
}

// JobsDir is where job files live: $XDG_CONFIG_HOME/dora/jobs (~/.config/dora/jobs without it).
func JobsDir() string { return filepath.Join(orTemp(xdg.ConfigDir()), "jobs") }

// StateDir is dora's state folder: $XDG_STATE_HOME/dora (~/.local/state/dora without it).
func StateDir() string { return orTemp(xdg.StateDir()) }

// orTemp is dir, or a folder under the temporary one when no home folder is known.
func orTemp(dir string) string {
	if dir == "" {
		return filepath.Join(os.TempDir(), "dora")
	}
	return dir
}

// Definitions reads every job file (*.yaml, *.yml) in dir, sorted by name. Files that do not
// read are returned as errors beside the good ones; a missing dir has no jobs.
func Definitions(dir string) ([]*Definition, []error) {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	more, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	var defs []*Definition
	var errs []error
	for _, p := range append(paths, more...) {
		d, err := LoadDefinition(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		defs = append(defs, d)
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].Name < defs[j].Name })
	return defs, errs
}

// FindDefinition reads the job that arg names: a path to a file (it has a / or ends in .yaml or
// .yml), else the job of that name in dir.
func FindDefinition(dir, arg string) (*Definition, error) {
	if strings.ContainsRune(arg, filepath.Separator) || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		return LoadDefinition(arg)
	}
	defs, errs := Definitions(dir)
	var names []string
	for _, d := range defs {
		if d.Name == arg {
			return d, nil
		}
		names = append(names, d.Name)
	}
	for _, err := range errs { // the job may be in a file that does not read
		var ye yamlfile.Errors
		if errors.As(err, &ye) && len(ye) > 0 && strings.TrimSuffix(strings.TrimSuffix(filepath.Base(ye[0].File), ".yml"), ".yaml") == arg {
			return nil, err
		}
	}
	msg := fmt.Sprintf("%q in %s", arg, dir)
	switch near := query.Nearest(arg, names); {
	case near != "":
		msg += fmt.Sprintf("; did you mean %q?", near)
	case len(names) == 0:
		msg += " (there are no job files there yet: write NAME.yaml, or give a file's path)"
	default:
		msg += " (jobs: " + strings.Join(names, ", ") + ")"
	}
	return nil, fmt.Errorf("%w: %s", ErrNoSuchJob, msg)
}
