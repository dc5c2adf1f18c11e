package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dora-dev/dora/internal/termsafe"
	"github.com/dora-dev/dora/internal/yamlfile"
	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/jobs/local"
)

func jobsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "Define, run, watch and keep the history of jobs (local processes, Docker, ECS, Kubernetes)",
		Long: `A job is one YAML file in ` + jobs.JobsDir() + ` (or anywhere, given by path): a command
(argv, never through a shell), an image for docker, ecs and kubernetes, env, cpu, memory, a timeout, retries
and a default runner. Every run is kept, with its whole log, in ` + jobs.DefaultStorePath() + `,
which every dora process shares; a run whose dora was killed is reconciled with its engine by
the next dora jobs command. Env values whose names end in KEY, SECRET, PASSWORD, TOKEN or
CREDENTIALS show as ****.`,
		Example: `  dora jobs ls
  dora jobs run nightly-score --env DAY=2026-11-30 --wait
  dora jobs runs --job nightly-score --status FAILED
  dora jobs logs 1m8re6z0m2zdv -f
  dora jobs cancel 1m8re6z0m2zdv`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(jobsLsCmd(), jobsRunCmd(), jobsRunsCmd(), jobsShowCmd(), jobsLogsCmd(), jobsCancelCmd(), jobsRetryCmd(),
		jobsWatchCmd(), jobsSuperviseCmd())
	return cmd
}

// openJobs opens the run store and reconciles the runs whose watcher is gone, as every dora
// process that opens the store does.
func openJobs(ctx context.Context) (*jobs.Driver, error) {
	d, warn, err := jobs.OpenDriver(ctx, jobs.OpenOptions{Resume: startWatcher})
	if warn != nil {
		fmt.Fprintf(os.Stderr, "dora: warning: %v\n", warn)
	}
	return d, err
}

// startWatcher starts `dora jobs _watch RUN` in a session of its own, so it outlives this
// process and the terminal, with its output in the state folder; it returns its pid.
func startWatcher(ctx context.Context, id string) (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(watcherLog(id)), 0o700); err != nil {
		return 0, err
	}
	out, err := os.OpenFile(watcherLog(id), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	w := exec.Command(self, "jobs", "_watch", id)
	w.Stdout, w.Stderr = out, out
	w.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := w.Start(); err != nil {
		return 0, err
	}
	go w.Wait() // reaped should this process outlive it
	return w.Process.Pid, nil
}

// watcherLog is where a detached watcher's own output goes; it is removed when the watcher
// ends well, so what is left there says what went wrong.
func watcherLog(id string) string { return filepath.Join(jobs.StateDir(), "watchers", id+".log") }

// jobError makes the errors of a bad job file, job name or run id exit 2, like a bad query.
func jobError(err error) error {
	var ye yamlfile.Errors
	if errors.As(err, &ye) || errors.Is(err, jobs.ErrNoSuchJob) || errors.Is(err, jobs.ErrNoSuchRun) {
		return usageError{err}
	}
	return err
}

// defJSON is a job definition as dora jobs ls --json prints it: the file's fields, durations as
// Go writes them (30m0s), memory in bytes, secrets redacted.
type defJSON struct {
	Name    string            `json:"name"`
	File    string            `json:"file"`
	Image   string            `json:"image,omitempty"`
	Command []string          `json:"command,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	CPU     float64           `json:"cpu,omitempty"`
	Memory  int64             `json:"memory,omitempty"`
	Timeout string            `json:"timeout,omitempty"`
	Retries struct {
		Attempts       int    `json:"attempts"`
		OnExitCodes    []int  `json:"on_exit_codes,omitempty"`
		OnInfraFailure bool   `json:"on_infra_failure"`
		Backoff        string `json:"backoff,omitempty"`
	} `json:"retries"`
	Tags   map[string]string `json:"tags,omitempty"`
	Runner string            `json:"runner"`
}

func definitionJSON(d *jobs.Definition) defJSON {
	j := defJSON{Name: d.Name, File: d.File, Image: d.Image, Command: d.Command, Env: jobs.RedactEnv(d.Env), CPU: d.CPU,
		Memory: d.Memory, Tags: d.Tags, Runner: d.RunnerName()}
	if d.Timeout > 0 {
		j.Timeout = d.Timeout.String()
	}
	j.Retries.Attempts, j.Retries.OnExitCodes, j.Retries.OnInfraFailure = d.Retries.Attempts, d.Retries.OnExitCodes, d.Retries.OnInfraFailure
	if d.Retries.Backoff > 0 {
		j.Retries.Backoff = d.Retries.Backoff.String()
	}
	return j
}

func jobsLsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the job definitions in " + jobs.JobsDir(),
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			defs, errs := jobs.Definitions(jobs.JobsDir())
			if asJSON {
				out := make([]defJSON, len(defs))
				for i, d := range defs {
					out[i] = definitionJSON(d)
				}
				if err := writeJSON(cmd.OutOrStdout(), out); err != nil {
					return err
				}
			} else {
				res := newTable("job", "runner", "image", "command", "timeout", "retries", "file", "env")
				for _, d := range defs {
					timeout, tries := "", ""
					if d.Timeout > 0 {
						timeout = d.Timeout.String()
					}
					if d.Retries.Attempts > 1 {
						tries = strconv.Itoa(d.Retries.Attempts) + " attempts"
					}
					res.add(d.Name, d.RunnerName(), d.Image, clip(strings.Join(d.Command, " "), 40), timeout, tries, d.File, jobs.EnvLine(d.Env))
				}
				if len(defs) == 0 && len(errs) == 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "no jobs in %s yet: write one NAME.yaml per job (dora jobs --help shows the fields)\n", jobs.JobsDir())
					return nil
				}
				if err := res.write(cmd.OutOrStdout()); err != nil {
					return err
				}
			}
			if len(errs) > 0 {
				return usageError{errors.Join(errs...)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the definitions as JSON (secrets redacted)")
	return cmd
}

// table prints rows under a header in aligned columns, never cutting a value short (run ids
// must stay whole to be used); only the last column is clipped to the terminal's width.
type table struct {
	header []string
	rows   [][]string
}

func newTable(header ...string) *table { return &table{header: header} }

// add appends a row; its cells come from runs and jobs, so they are shown through termsafe.
func (t *table) add(cells ...string) {
	for i, c := range cells {
		cells[i] = termsafe.String(c)
	}
	t.rows = append(t.rows, cells)
}

func (t *table) write(w io.Writer) error {
	widths := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	room := termWidth()
	var b strings.Builder
	for _, row := range append([][]string{t.header}, t.rows...) {
		line := ""
		for i, c := range row {
			if i == len(row)-1 {
				if left := room - utf8.RuneCountInString(line); left > 1 && utf8.RuneCountInString(c) > left && term.IsTerminal(int(os.Stdout.Fd())) {
					c = string([]rune(c)[:left-1]) + "…"
				}
				line += c
				break
			}
			line += c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2)
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// logOut is where a run's log goes on its way to w: through termsafe when w is a terminal, so
// the job's output cannot drive it (its colours kept, rebuilt), byte for byte into a pipe or a
// file. done writes what the sanitizer held back.
func logOut(w io.Writer) (out io.Writer, done func() error) {
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		lw := termsafe.NewLogWriter(w)
		return lw, lw.Close
	}
	return w, func() error { return nil }
}

// clip shortens s to n characters, marking the cut.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func jobsRunCmd() *cobra.Command {
	var envs []string
	var runner string
	var wait, asJSON bool
	cmd := &cobra.Command{
		Use:   "run NAME|FILE",
		Short: "Run a job and print the run's id (--wait follows it and exits 0 only when it succeeded)",
		Example: `  dora jobs run nightly-score
  dora jobs run ./jobs/backfill.yaml --env DAY=2026-11-01 --runner docker --wait
  dora jobs run nightly-score --wait --json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			def, err := jobs.FindDefinition(jobs.JobsDir(), args[0])
			if err != nil {
				return jobError(err)
			}
			overrides, err := jobs.ParseOverrides(envs)
			if err != nil {
				return usageError{err}
			}
			if runner != "" && !slices.Contains(jobs.RunnerNames(), runner) {
				return usageError{fmt.Errorf("unknown runner %q (known: %s)", runner, strings.Join(jobs.RunnerNames(), ", "))}
			}
			if _, err := jobs.ExpandCommand(def.Command, jobs.RunEnv(def, overrides, "", "")); err != nil {
				return usageError{fmt.Errorf("%s: %w", def.Name, err)}
			}
			d, err := openJobs(cmd.Context())
			if err != nil {
				return err
			}
			defer d.Store.Close()
			r, err := d.Create(cmd.Context(), def, overrides, runner)
			if err != nil {
				return err
			}
			return launch(cmd, d, r, wait, asJSON)
		},
	}
	cmd.Flags().StringArrayVar(&envs, "env", nil, "set an env variable for this run, over the job's (NAME=VALUE; repeatable)")
	cmd.Flags().StringVar(&runner, "runner", "", "run on this runner instead of the job's: "+strings.Join(jobs.RunnerNames(), ", "))
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the run's log until it ends; exit 0 when it succeeded, 1 otherwise")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the run as JSON instead of its id (with --wait: as it ended, the log going to stderr)")
	return cmd
}

// launch drives a new run: here when waiting, else in a detached watcher so it still reaches
// its end after this process exits.
func launch(cmd *cobra.Command, d *jobs.Driver, r *jobs.Run, wait, asJSON bool) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	if !wait {
		if err := d.Detach(ctx, r.ID); err != nil {
			d.Store.Finish(context.WithoutCancel(ctx), r.ID, jobs.Failed, nil, "no watcher could be started: "+err.Error())
			return err
		}
		if asJSON {
			return writeJSON(out, r)
		}
		fmt.Fprintln(out, r.ID)
		return nil
	}
	logTo := out
	if asJSON {
		logTo = cmd.ErrOrStderr()
	} else {
		fmt.Fprintln(out, r.ID)
	}
	bg := context.WithoutCancel(ctx)
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		out, done := logOut(logTo)
		d.Store.Follow(bg, r.ID, out, true)
		done()
	}()
	go func() { // an interrupt cancels the run, which Drive then ends as any cancel
		<-ctx.Done()
		d.Store.RequestCancel(bg, r.ID, fmt.Sprintf("an interrupt of dora jobs run --wait (%s)", jobs.Self()))
	}()
	end, err := d.Drive(bg, r.ID)
	if err != nil {
		return err
	}
	<-followed
	if asJSON {
		if err := writeJSON(out, end); err != nil {
			return err
		}
	}
	return runEnded(end)
}

// runEnded is nil for a run that succeeded, else an error saying how it ended (exit 1).
func runEnded(r *jobs.Run) error {
	if r.State == jobs.Succeeded {
		return nil
	}
	return fmt.Errorf("run %s %s: %s", r.ID, r.State, r.Reason)
}

func jobsRunsCmd() *cobra.Command {
	var job, status string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List runs, newest first",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			st := jobs.State(strings.ToUpper(status))
			if status != "" && !slices.Contains(jobs.States, st) {
				names := make([]string, len(jobs.States))
				for i, s := range jobs.States {
					names[i] = string(s)
				}
				return usageError{fmt.Errorf("unknown status %q: use %s", status, strings.Join(names, ", "))}
			}
			d, err := openJobs(cmd.Context())
			if err != nil {
				return err
			}
			defer d.Store.Close()
			runs, err := d.Store.List(cmd.Context(), jobs.Filter{Job: job, State: st, Limit: limit})
			if err != nil {
				return err
			}
			if asJSON {
				for i, r := range runs {
					if r.Role == jobs.RoleGroup {
						if runs[i], err = d.Store.Get(cmd.Context(), r.ID); err != nil {
							return err
						}
					}
				}
				if runs == nil {
					runs = []*jobs.Run{}
				}
				return writeJSON(cmd.OutOrStdout(), runs)
			}
			res := newTable("run", "job", "status", "exit", "attempts", "runner", "created", "took", "reason")
			for _, r := range runs {
				res.add(r.ID, r.Job, string(r.State), exitText(r), strconv.Itoa(r.Attempts), r.Runner,
					r.CreatedAt.Local().Format(time.DateTime), took(r), r.Reason)
			}
			return res.write(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&job, "job", "", "only this job's runs")
	cmd.Flags().StringVar(&status, "status", "", "only runs in this state (QUEUED, PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT)")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many runs (0 for all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the runs as JSON (secrets redacted)")
	return cmd
}

func exitText(r *jobs.Run) string {
	if r.ExitCode == nil {
		return ""
	}
	return strconv.Itoa(*r.ExitCode)
}

func took(r *jobs.Run) string {
	if r.StartedAt.IsZero() {
		return ""
	}
	end := r.FinishedAt
	if end.IsZero() {
		end = time.Now()
	}
	return end.Sub(r.StartedAt).Round(time.Millisecond * 100).String()
}

// findRun opens the store and reads the run an id (or a unique start of one) names.
func findRun(cmd *cobra.Command, id string) (*jobs.Driver, *jobs.Run, error) {
	d, err := openJobs(cmd.Context())
	if err != nil {
		return nil, nil, err
	}
	r, err := d.Store.Find(cmd.Context(), id)
	if err != nil {
		d.Store.Close()
		return nil, nil, jobError(err)
	}
	return d, r, nil
}

// onRun is a command that takes one RUN (an id, or a unique start of one) and hands it to fn,
// read from the store after reconciling.
func onRun(use, short string, fn func(cmd *cobra.Command, d *jobs.Driver, r *jobs.Run) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, r, err := findRun(cmd, args[0])
			if err != nil {
				return err
			}
			defer d.Store.Close()
			return fn(cmd, d, r)
		},
	}
}

func jobsShowCmd() *cobra.Command {
	var asJSON bool
	cmd := onRun("show RUN", "Show a run: its state, exit code and reason, attempts, runner, env (secrets redacted), times, children",
		func(cmd *cobra.Command, d *jobs.Driver, r *jobs.Run) error {
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			return showRun(cmd.OutOrStdout(), r)
		})
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the run as JSON (secrets redacted)")
	return cmd
}

func showRun(w io.Writer, r *jobs.Run) error {
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format(time.DateTime + ".000 MST")
	}
	runner := r.Runner
	if r.RunnerID != "" {
		runner += " (" + r.RunnerID + ")"
	}
	rows := [][2]string{{"run", r.ID}, {"job", r.Job}, {"status", string(r.State)}, {"exit code", exitText(r)}, {"reason", r.Reason},
		{"attempts", strconv.Itoa(r.Attempts)}, {"runner", runner}, {"place", r.Place}, {"command", r.ShownCommand()}, {"env", jobs.EnvLine(r.Env)},
		{"created", at(r.CreatedAt)}, {"started", at(r.StartedAt)}, {"finished", at(r.FinishedAt)}, {"took", took(r)},
		{"parent", r.ParentID}, {"retry of", r.RetryOf}}
	if r.Role == jobs.RoleGroup {
		rows[8] = [2]string{"steps", fmt.Sprintf("%d", len(r.Children))}
	}
	for _, row := range rows {
		if row[1] != "" {
			fmt.Fprintf(w, "%-10s %s\n", row[0], termsafe.String(row[1]))
		}
	}
	if len(r.Children) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	res := newTable("child", "job", "status", "exit", "attempts", "took", "reason")
	for _, c := range r.Children {
		res.add(c.ID, c.Job, string(c.State), exitText(c), strconv.Itoa(c.Attempts), took(c), c.Reason)
	}
	return res.write(w)
}

func jobsLogsCmd() *cobra.Command {
	var follow bool
	cmd := onRun("logs RUN", "Print a run's log (dora's lines, then the task's output as it came); -f follows it to the end",
		func(cmd *cobra.Command, d *jobs.Driver, r *jobs.Run) error {
			out, done := logOut(cmd.OutOrStdout())
			_, err := d.Store.Follow(cmd.Context(), r.ID, out, follow)
			if cerr := done(); err == nil {
				err = cerr
			}
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		})
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing until the run ends")
	return cmd
}

func jobsCancelCmd() *cobra.Command {
	return onRun("cancel RUN", "Stop a run, in whichever dora process watches it (a group's children too)",
		func(cmd *cobra.Command, d *jobs.Driver, r *jobs.Run) error {
			end, err := d.Cancel(cmd.Context(), r.ID, fmt.Sprintf("dora jobs cancel (%s)", jobs.Self()), 2*time.Minute)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "run %s %s: %s\n", end.ID, end.State, end.Reason)
			return nil
		})
}

func jobsRetryCmd() *cobra.Command {
	var wait, asJSON bool
	cmd := onRun("retry RUN", "Run an ended run's job again with the same env, as a new run linked to the old one",
		func(cmd *cobra.Command, d *jobs.Driver, old *jobs.Run) error {
			r, err := d.Retry(cmd.Context(), old.ID)
			if err != nil {
				return err
			}
			return launch(cmd, d, r, wait, asJSON)
		})
	cmd.Flags().BoolVar(&wait, "wait", false, "follow the new run until it ends; exit 0 when it succeeded, 1 otherwise")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the new run as JSON instead of its id")
	return cmd
}

// jobsWatchCmd is the detached watcher `dora jobs run` starts: it drives one run to its end.
func jobsWatchCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "_watch RUN",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := jobs.OpenStore(cmd.Context(), jobs.DefaultStorePath())
			if err != nil {
				return err
			}
			defer s.Close()
			self, err := os.Executable()
			if err != nil {
				return err
			}
			d := &jobs.Driver{Store: s, Config: jobs.RunnerConfig{StateDir: jobs.StateDir(), Self: self}, Resume: startWatcher}
			if _, err := d.Drive(cmd.Context(), args[0]); err != nil {
				return err
			}
			os.Remove(watcherLog(args[0]))
			return nil
		},
	}
}

// jobsSuperviseCmd is the local runner's supervisor: see local.Supervise.
func jobsSuperviseCmd() *cobra.Command {
	return &cobra.Command{
		Use:                local.SuperviseArgs[1] + " DIR -- PROGRAM [ARG...]",
		Hidden:             true,
		DisableFlagParsing: true,
		Run: func(cmd *cobra.Command, args []string) {
			os.Exit(local.Supervise(args))
		},
	}
}
