package jobs

import (
	"encoding/json"
	"time"
)

// RunJSON is a run as dora prints it (--json), secrets redacted; tests and scripts read it back
// with it.
type RunJSON struct {
	ID         string            `json:"id"`
	Job        string            `json:"job"`
	Status     State             `json:"status"`
	ExitCode   *int              `json:"exit_code"`
	Reason     string            `json:"reason"`
	Attempts   int               `json:"attempts"`
	Runner     string            `json:"runner"`
	RunnerID   string            `json:"runner_id"`
	Place      string            `json:"place,omitempty"`
	Env        map[string]string `json:"env"`
	CreatedAt  *string           `json:"created_at"`
	StartedAt  *string           `json:"started_at"`
	FinishedAt *string           `json:"finished_at"`
	ParentID   string            `json:"parent_id,omitempty"`
	RetryOf    string            `json:"retry_of,omitempty"`
	Role       string            `json:"role,omitempty"`
	Children   []RunJSON         `json:"children,omitempty"`
}

// MarshalJSON prints the run as `dora jobs show --json` does: id, job, status, exit_code,
// reason, attempts, runner, runner_id, env (secrets as ****), created_at, started_at,
// finished_at, and a parent's children.
func (r *Run) MarshalJSON() ([]byte, error) { return json.Marshal(r.JSON()) }

// JSON is the run as MarshalJSON prints it.
func (r *Run) JSON() RunJSON {
	env := RedactEnv(r.Env)
	if env == nil {
		env = map[string]string{}
	}
	j := RunJSON{ID: r.ID, Job: r.Job, Status: r.State, ExitCode: r.ExitCode, Reason: r.Reason, Attempts: r.Attempts,
		Runner: r.Runner, RunnerID: r.RunnerID, Place: r.Place, Env: env, CreatedAt: jsonTime(r.CreatedAt), StartedAt: jsonTime(r.StartedAt),
		FinishedAt: jsonTime(r.FinishedAt), ParentID: r.ParentID, RetryOf: r.RetryOf, Role: r.Role}
	for _, c := range r.Children {
		j.Children = append(j.Children, c.JSON())
	}
	return j
}

func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	return &s
}
