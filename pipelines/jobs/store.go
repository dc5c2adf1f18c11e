package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// State is where a run is in its life. It moves forward only:
// QUEUED -> PENDING -> RUNNING -> SUCCEEDED | FAILED | CANCELLED | TIMED_OUT.
type State string

// The states of a run.
const (
	Queued    State = "QUEUED"    // recorded, not yet handed to a runner
	Pending   State = "PENDING"   // being started by the runner
	Running   State = "RUNNING"   // the engine has it (between retries too)
	Succeeded State = "SUCCEEDED" // exited 0
	Failed    State = "FAILED"    // a non-zero exit, or the engine failed, after the retries
	Cancelled State = "CANCELLED" // dora jobs cancel
	TimedOut  State = "TIMED_OUT" // ran past the definition's timeout and was stopped
)

// States lists every state in order.
var States = []State{Queued, Pending, Running, Succeeded, Failed, Cancelled, TimedOut}

// Ended reports whether the run is over.
func (s State) Ended() bool { return s.stage() == 3 }

func (s State) stage() int {
	switch s {
	case Queued:
		return 0
	case Pending:
		return 1
	case Running:
		return 2
	}
	return 3
}

// stageSQL is State.stage in SQL, so the store itself refuses a move backwards.
func stageSQL(col string) string {
	return "(CASE " + col + " WHEN 'QUEUED' THEN 0 WHEN 'PENDING' THEN 1 WHEN 'RUNNING' THEN 2 ELSE 3 END)"
}

// Roles of a run in a group.
const (
	RoleGroup   = "group"   // a parent: its children, then its publish step
	RoleChild   = "child"   // one of a group's children
	RolePublish = "publish" // a group's last step, once every child succeeded
)

// Run is one run of a job as the store keeps it.
type Run struct {
	ID       string
	Job      string
	State    State
	ExitCode *int // nil until the program exits; nil for an engine failure, a cancel or a timeout
	Reason   string
	Attempts int
	Runner   string
	RunnerID string // the engine's name for the current attempt: container id, task ARN
	// Place is where the current attempt runs, in the engine's words, when its runner is a
	// Placer (kubernetes: namespace, pod and node); "" otherwise.
	Place      string
	Env        map[string]string // what the task sees, secrets too; RedactEnv before showing it
	Overrides  map[string]string // the --env given, for a retry
	Definition Definition
	Publish    *Definition // a group's publish step
	Role       string      // "", or RoleGroup, RoleChild, RolePublish
	ParentID   string
	RetryOf    string
	CreatedAt  time.Time
	StartedAt  time.Time // zero until it first runs
	FinishedAt time.Time // zero until it ends
	// AttemptStartedAt is when the current attempt started; its timeout counts from there.
	AttemptStartedAt time.Time
	// RetryAt is when the next attempt starts, while the run waits out a backoff.
	RetryAt         time.Time
	Watcher         Watcher
	Heartbeat       time.Time
	CancelRequested string // who asked, in words; "" when nobody did
	LogSize         int64  // bytes ever written to its log
	AttemptLog      int64  // bytes of the current attempt's output stored
	Children        []*Run // a group's runs, oldest first (Get fills it)
}

// Watcher is the dora process that drives a run.
type Watcher struct {
	PID  int
	Host string
}

func (w Watcher) String() string { return fmt.Sprintf("dora pid %d on %s", w.PID, w.Host) }

// Self is this process as a watcher.
func Self() Watcher {
	host, _ := os.Hostname()
	return Watcher{PID: os.Getpid(), Host: host}
}

// ErrNoSuchRun is returned for a run id the store does not have.
var ErrNoSuchRun = errors.New("no such run")

// DefaultLogCap bounds each run's stored log: the first quarter and the last three quarters are
// kept, and what was cut between them is said where it was.
const DefaultLogCap = 8 << 20

// Store keeps runs and their logs in SQLite (WAL), shared by every dora process on the machine.
type Store struct {
	db     *sql.DB
	path   string
	LogCap int64 // per run; DefaultLogCap unless set
}

// DefaultStorePath is $XDG_STATE_HOME/dora/runs.db.
func DefaultStorePath() string { return filepath.Join(StateDir(), "runs.db") }

const schema = `
CREATE TABLE IF NOT EXISTS runs (
	id TEXT PRIMARY KEY,
	job TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('QUEUED','PENDING','RUNNING','SUCCEEDED','FAILED','CANCELLED','TIMED_OUT')),
	exit_code INTEGER,
	reason TEXT NOT NULL DEFAULT '',
	attempts INTEGER NOT NULL DEFAULT 0,
	runner TEXT NOT NULL,
	runner_id TEXT NOT NULL DEFAULT '',
	env TEXT NOT NULL,
	overrides TEXT NOT NULL,
	definition TEXT NOT NULL,
	publish TEXT,
	role TEXT NOT NULL DEFAULT '',
	parent_id TEXT REFERENCES runs(id),
	retry_of TEXT,
	created_at INTEGER NOT NULL,
	started_at INTEGER,
	finished_at INTEGER,
	attempt_started_at INTEGER,
	retry_at INTEGER,
	watcher_pid INTEGER,
	watcher_host TEXT,
	heartbeat INTEGER,
	cancel_requested TEXT,
	log_size INTEGER NOT NULL DEFAULT 0,
	attempt_log INTEGER NOT NULL DEFAULT 0,
	place TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_job ON runs(job, id);
CREATE INDEX IF NOT EXISTS runs_parent ON runs(parent_id);
CREATE INDEX IF NOT EXISTS runs_active ON runs(status) WHERE status IN ('QUEUED','PENDING','RUNNING');
CREATE TABLE IF NOT EXISTS run_logs (
	run_id TEXT NOT NULL,
	pos INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY (run_id, pos)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS runs_forward_only BEFORE UPDATE OF status ON runs
WHEN NEW.status <> OLD.status AND ` + "%[1]s <= %[2]s" + `
BEGIN
	SELECT RAISE(ABORT, 'a run''s status moves forward only (QUEUED, PENDING, RUNNING, then an end)');
END;
`

// OpenStore opens (creating when needed) the run store at path.
func OpenStore(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("opening the run store: %w", err)
	}
	// busy_timeout first: the other pragmas and every write then wait for another process's
	// transaction instead of failing; _txlock=immediate takes the write lock at BEGIN, so two
	// processes never deadlock upgrading a read.
	dsn := "file:" + path + "?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening the run store %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db, path: path, LogCap: DefaultLogCap}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(schema, stageSQL("NEW.status"), stageSQL("OLD.status"))); err != nil {
			return err
		}
		// A store made before runs had a place gets the column.
		_, err := tx.ExecContext(ctx, `ALTER TABLE runs ADD COLUMN place TEXT NOT NULL DEFAULT ''`)
		if err != nil && strings.Contains(err.Error(), "duplicate column") {
			err = nil
		}
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening the run store %s: %w", path, err)
	}
	return s, nil
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// NewRun is what Create records.
type NewRun struct {
	Definition *Definition
	Overrides  map[string]string // --env, winning over the definition's env
	Runner     string            // "" for the definition's
	Role       string
	ParentID   string
	RetryOf    string
	Publish    *Definition // a group's publish step
}

// Create records a new run, QUEUED, watched by w. Its env is settled here, so the command's
// ${VAR}s are checked before anything runs.
func (s *Store) Create(ctx context.Context, n NewRun, w Watcher) (*Run, error) {
	runner := n.Runner
	if runner == "" {
		runner = n.Definition.RunnerName()
	}
	if n.Role != RoleGroup && !knownRunner(runner) {
		return nil, fmt.Errorf("unknown runner %q (known: %s)", runner, strings.Join(RunnerNames(), ", "))
	}
	def, _ := json.Marshal(n.Definition)
	overrides, _ := json.Marshal(nonNil(n.Overrides))
	var publish any
	if n.Publish != nil {
		b, _ := json.Marshal(n.Publish)
		publish = string(b)
	}
	now := time.Now()
	for try := 0; ; try++ {
		id := newID(now)
		env := RunEnv(n.Definition, n.Overrides, id, n.ParentID)
		if n.Role != RoleGroup {
			if _, err := ExpandCommand(n.Definition.Command, env); err != nil {
				return nil, err
			}
		}
		envJSON, _ := json.Marshal(env)
		_, err := s.db.ExecContext(ctx, `INSERT INTO runs (id, job, status, runner, env, overrides, definition, publish, role,
			parent_id, retry_of, created_at, watcher_pid, watcher_host, heartbeat)
			VALUES (?, ?, 'QUEUED', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, n.Definition.Name, runner, string(envJSON), string(overrides), string(def), publish, n.Role,
			nullString(n.ParentID), nullString(n.RetryOf), now.UnixMilli(), w.PID, w.Host, now.UnixMilli())
		if err != nil && strings.Contains(err.Error(), "UNIQUE") && try < 5 {
			continue // the same millisecond and the same random part: draw again
		}
		if err != nil {
			return nil, fmt.Errorf("recording the run: %w", err)
		}
		return s.Get(ctx, id)
	}
}

const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// newID is 13 characters that sort as the runs were created: nine for the millisecond, four
// random ones so processes creating runs at once never collide but by chance, which Create
// handles.
func newID(t time.Time) string {
	var b [13]byte
	ms := uint64(t.UnixMilli())
	for i := 8; i >= 0; i-- {
		b[i] = idAlphabet[ms&31]
		ms >>= 5
	}
	var r [4]byte
	rand.Read(r[:])
	for i, x := range r {
		b[9+i] = idAlphabet[x&31]
	}
	return string(b[:])
}

const runColumns = `id, job, status, exit_code, reason, attempts, runner, runner_id, env, overrides, definition, publish, role,
	parent_id, retry_of, created_at, started_at, finished_at, attempt_started_at, retry_at, watcher_pid, watcher_host, heartbeat,
	cancel_requested, log_size, attempt_log, place`

type scanner interface{ Scan(...any) error }

func scanRun(row scanner) (*Run, error) {
	var r Run
	var exit, started, finished, attemptStarted, retryAt, pid, beat sql.NullInt64
	var publish, parent, retryOf, host, cancel sql.NullString
	var env, overrides, def string
	err := row.Scan(&r.ID, &r.Job, &r.State, &exit, &r.Reason, &r.Attempts, &r.Runner, &r.RunnerID, &env, &overrides, &def,
		&publish, &r.Role, &parent, &retryOf, msTime{&r.CreatedAt}, &started, &finished, &attemptStarted, &retryAt, &pid, &host, &beat,
		&cancel, &r.LogSize, &r.AttemptLog, &r.Place)
	if err != nil {
		return nil, err
	}
	if exit.Valid {
		c := int(exit.Int64)
		r.ExitCode = &c
	}
	r.StartedAt, r.FinishedAt, r.AttemptStartedAt, r.Heartbeat = fromMS(started), fromMS(finished), fromMS(attemptStarted), fromMS(beat)
	r.RetryAt = fromMS(retryAt)
	r.ParentID, r.RetryOf, r.CancelRequested = parent.String, retryOf.String, cancel.String
	r.Watcher = Watcher{PID: int(pid.Int64), Host: host.String}
	json.Unmarshal([]byte(env), &r.Env)
	json.Unmarshal([]byte(overrides), &r.Overrides)
	json.Unmarshal([]byte(def), &r.Definition)
	if publish.Valid {
		r.Publish = new(Definition)
		json.Unmarshal([]byte(publish.String), r.Publish)
	}
	return &r, nil
}

type msTime struct{ t *time.Time }

func (m msTime) Scan(v any) error {
	n, ok := v.(int64)
	if !ok {
		return fmt.Errorf("a time should be milliseconds, not %T", v)
	}
	*m.t = time.UnixMilli(n)
	return nil
}

func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// Get reads a run, with its children when it has any.
func (s *Store) Get(ctx context.Context, id string) (*Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w %q", ErrNoSuchRun, id)
	}
	if err != nil {
		return nil, fmt.Errorf("reading run %s: %w", id, err)
	}
	if r.Children, err = s.query(ctx, `WHERE parent_id = ? ORDER BY rowid`, id); err != nil {
		return nil, err
	}
	return r, nil
}

// Find reads the run an id or a unique start of one names (at least four characters).
func (s *Store) Find(ctx context.Context, idOrPrefix string) (*Run, error) {
	r, err := s.Get(ctx, idOrPrefix)
	if !errors.Is(err, ErrNoSuchRun) || len(idOrPrefix) < 4 {
		return r, err
	}
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(idOrPrefix) + "%"
	runs, err := s.query(ctx, `WHERE id LIKE ? ESCAPE '\' ORDER BY id LIMIT 3`, like)
	switch {
	case err != nil:
		return nil, err
	case len(runs) == 0:
		return nil, fmt.Errorf("%w %q (dora jobs runs lists them)", ErrNoSuchRun, idOrPrefix)
	case len(runs) > 1:
		return nil, fmt.Errorf("%q starts more than one run id (%s, %s, …): give more of it", idOrPrefix, runs[0].ID, runs[1].ID)
	}
	return s.Get(ctx, runs[0].ID)
}

func (s *Store) query(ctx context.Context, where string, args ...any) ([]*Run, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+runColumns+` FROM runs `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("reading runs: %w", err)
	}
	defer rows.Close()
	var out []*Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("reading runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Filter narrows List.
type Filter struct {
	Job   string
	State State
	Limit int // 0 for all
}

// List reads runs, newest first.
func (s *Store) List(ctx context.Context, f Filter) ([]*Run, error) {
	var conds []string
	var args []any
	if f.Job != "" {
		conds, args = append(conds, "job = ?"), append(args, f.Job)
	}
	if f.State != "" {
		conds, args = append(conds, "status = ?"), append(args, string(f.State))
	}
	where := ""
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	where += " ORDER BY rowid DESC"
	if f.Limit > 0 {
		where += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return s.query(ctx, where, args...)
}

// Active reads the runs that have not ended, oldest first.
func (s *Store) Active(ctx context.Context) ([]*Run, error) {
	return s.query(ctx, `WHERE status IN ('QUEUED','PENDING','RUNNING') ORDER BY rowid`)
}

// column is one column of a run and the value a move or an update writes into it: the run
// store's methods are typed, and only this file names columns.
type column struct {
	name  string
	value any
}

// Advance moves a run forward to state. It reports false, and changes nothing, when the run is
// already at or past state: whichever process moves a run first wins, and nobody moves it back.
func (s *Store) Advance(ctx context.Context, id string, to State) (bool, error) {
	return s.advance(ctx, id, to)
}

// Begin moves a run to RUNNING as started at at, on its first attempt: a group's parent, which
// runs no task of its own. It reports false as Advance does.
func (s *Store) Begin(ctx context.Context, id string, at time.Time) (bool, error) {
	return s.advance(ctx, id, Running, column{"started_at", at.UnixMilli()}, column{"attempts", 1})
}

// advance is Advance setting the given columns too.
func (s *Store) advance(ctx context.Context, id string, to State, set ...column) (bool, error) {
	cols := []string{"status = ?"}
	args := []any{string(to)}
	for _, c := range set {
		cols, args = append(cols, c.name+" = ?"), append(args, c.value)
	}
	args = append(args, id, to.stage())
	res, err := s.db.ExecContext(ctx, `UPDATE runs SET `+strings.Join(cols, ", ")+` WHERE id = ? AND `+stageSQL("status")+` < ?`, args...)
	if err != nil {
		return false, fmt.Errorf("moving run %s to %s: %w", id, to, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Finish ends a run, unless it has ended already (then false).
func (s *Store) Finish(ctx context.Context, id string, to State, exitCode *int, reason string) (bool, error) {
	return s.advance(ctx, id, to, column{"exit_code", intOrNull(exitCode)}, column{"reason", reason}, column{"finished_at", time.Now().UnixMilli()})
}

// intOrNull is *p, or SQL's NULL for nil.
func intOrNull(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// newAttempt starts attempt n of a run: no task yet, no log of it, no retry pending.
func (s *Store) newAttempt(ctx context.Context, id string, n int) error {
	return s.update(ctx, id, column{"attempts", n}, column{"attempt_log", 0}, column{"retry_at", nil}, column{"runner_id", ""}, column{"place", ""})
}

// placed records where the current attempt runs, in the runner's words (a namespace, pod, node).
func (s *Store) placed(ctx context.Context, id, where string) error {
	return s.update(ctx, id, column{"place", where})
}

// started records the task of the current attempt, started at at: the run's start too when
// first, and the move to RUNNING unless it is there already.
func (s *Store) started(ctx context.Context, id, runnerID string, at time.Time, first, running bool) error {
	set := []column{{"runner_id", runnerID}, {"attempt_started_at", at.UnixMilli()}}
	if first {
		set = append(set, column{"started_at", at.UnixMilli()})
	}
	if running {
		return s.update(ctx, id, set...)
	}
	_, err := s.advance(ctx, id, Running, set...)
	return err
}

// willRetry records why an attempt failed (its exit code, where it had one) and when the next
// one starts.
func (s *Store) willRetry(ctx context.Context, id, reason string, at time.Time, exitCode *int) error {
	return s.update(ctx, id, column{"reason", reason}, column{"retry_at", at.UnixMilli()}, column{"exit_code", intOrNull(exitCode)})
}

// update sets columns of a run that has not ended.
func (s *Store) update(ctx context.Context, id string, set ...column) error {
	var cols []string
	var args []any
	for _, c := range set {
		cols, args = append(cols, c.name+" = ?"), append(args, c.value)
	}
	args = append(args, id)
	_, err := s.db.ExecContext(ctx, `UPDATE runs SET `+strings.Join(cols, ", ")+` WHERE id = ? AND `+stageSQL("status")+` < 3`, args...)
	if err != nil {
		return fmt.Errorf("updating run %s: %w", id, err)
	}
	return nil
}

// claim makes w the run's watcher.
func (s *Store) claim(ctx context.Context, id string, w Watcher) error {
	return s.update(ctx, id, column{"watcher_pid", w.PID}, column{"watcher_host", w.Host}, column{"heartbeat", time.Now().UnixMilli()})
}

// claimFrom makes w the watcher of a run whose watcher is still old (a dead one), reporting
// false when another process took it first.
func (s *Store) claimFrom(ctx context.Context, r *Run, w Watcher) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE runs SET watcher_pid = ?, watcher_host = ?, heartbeat = ?
		WHERE id = ? AND watcher_pid IS ? AND watcher_host IS ? AND heartbeat IS ? AND `+stageSQL("status")+` < 3`,
		w.PID, w.Host, time.Now().UnixMilli(), r.ID, nullInt(r.Watcher.PID), nullString(r.Watcher.Host), nullMS(r.Heartbeat))
	if err != nil {
		return false, fmt.Errorf("taking over run %s: %w", r.ID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// beat records that w still watches the run and returns who asked to cancel it, if anyone;
// held is false when another process has taken the run over.
func (s *Store) beat(ctx context.Context, id string, w Watcher) (cancel string, held bool, err error) {
	var c sql.NullString
	err = s.db.QueryRowContext(ctx, `UPDATE runs SET heartbeat = ? WHERE id = ? AND watcher_pid = ? AND watcher_host = ?
		RETURNING cancel_requested`, time.Now().UnixMilli(), id, w.PID, w.Host).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return c.String, err == nil, err
}

// RequestCancel asks the run's watcher to stop it; by says who asked, for the record.
func (s *Store) RequestCancel(ctx context.Context, id, by string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE runs SET cancel_requested = ? WHERE id = ? AND cancel_requested IS NULL AND `+stageSQL("status")+` < 3`, by, id)
	if err != nil {
		return fmt.Errorf("cancelling run %s: %w", id, err)
	}
	return nil
}

func nullInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

const logChunk = 64 << 10

// AppendLog adds to a run's log. output marks the task's own output (against dora's lines), so a
// watcher taking over knows how much of the current attempt's output is stored. Past the cap the
// middle of the log is dropped, a chunk at a time.
func (s *Store) AppendLog(ctx context.Context, id string, data []byte, output bool) error {
	for len(data) > 0 {
		n := min(len(data), logChunk)
		if err := s.appendChunk(ctx, id, data[:n], output); err != nil {
			return fmt.Errorf("storing the log of run %s: %w", id, err)
		}
		data = data[n:]
	}
	return nil
}

func (s *Store) appendChunk(ctx context.Context, id string, data []byte, output bool) error {
	head, tail := s.LogCap/4, s.LogCap-s.LogCap/4
	return s.tx(ctx, func(tx *sql.Tx) error {
		var size int64
		if err := tx.QueryRowContext(ctx, `SELECT log_size FROM runs WHERE id = ?`, id).Scan(&size); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO run_logs (run_id, pos, data) VALUES (?, ?, ?)`, id, size, data); err != nil {
			return err
		}
		out := 0
		if output {
			out = len(data)
		}
		size += int64(len(data))
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET log_size = ?, attempt_log = attempt_log + ? WHERE id = ?`, size, out, id); err != nil {
			return err
		}
		if size <= head+tail {
			return nil
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM run_logs WHERE run_id = ? AND pos >= ? AND pos + length(data) <= ?`, id, head, size-tail)
		return err
	})
}

// AppendLine adds a line of dora's own to a run's log, on a line of its own.
func (s *Store) AppendLine(ctx context.Context, id, line string) error {
	var last []byte
	err := s.db.QueryRowContext(ctx, `SELECT substr(data, -1) FROM run_logs WHERE run_id = ? ORDER BY pos DESC LIMIT 1`, id).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("storing the log of run %s: %w", id, err)
	}
	if len(last) > 0 && last[0] != '\n' {
		line = "\n" + line
	}
	return s.AppendLog(ctx, id, []byte(line+"\n"), false)
}

// Log reads a run's log from byte from (0 for all of it) and returns the position after the
// last byte read, for reading on later. Where the cap cut the middle out, a line says how much.
func (s *Store) Log(ctx context.Context, id string, from int64) ([]byte, int64, error) {
	// The chunks from the one holding byte from on: found through the key, so that a follower
	// reading the tail of a long log does not have SQLite read every chunk to test its end.
	rows, err := s.db.QueryContext(ctx, `SELECT pos, data FROM run_logs WHERE run_id = ?1
		AND pos >= coalesce((SELECT max(pos) FROM run_logs WHERE run_id = ?1 AND pos <= ?2), 0)
		AND pos + length(data) > ?2 ORDER BY pos`, id, from)
	if err != nil {
		return nil, from, fmt.Errorf("reading the log of run %s: %w", id, err)
	}
	defer rows.Close()
	var out []byte
	at := from
	for rows.Next() {
		var pos int64
		var data []byte
		if err := rows.Scan(&pos, &data); err != nil {
			return nil, from, fmt.Errorf("reading the log of run %s: %w", id, err)
		}
		if pos > at {
			out = fmt.Appendf(out, "\n[dora: %s (%d bytes) cut from the middle of this log; its first %s and last %s are kept]\n",
				bytesText(pos-at), pos-at, bytesText(s.LogCap/4), bytesText(s.LogCap-s.LogCap/4))
			at = pos
		}
		out = append(out, data[at-pos:]...)
		at = pos + int64(len(data))
	}
	return out, at, rows.Err()
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// Follow writes a run's log to w from its start; with follow it goes on until the run ends,
// and returns the run as it ended.
func (s *Store) Follow(ctx context.Context, id string, w io.Writer, follow bool) (*Run, error) {
	var pos int64
	// Poll often while the run is young or writing, less as it stays quiet: a short job's end
	// is seen within milliseconds, a long quiet one costs five reads a second.
	wait := 10 * time.Millisecond
	for {
		// The run is read before its log, so once it has ended the last read has everything.
		r, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		data, next, err := s.Log(ctx, id, pos)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
		if next != pos {
			wait = 10 * time.Millisecond
		} else {
			wait = min(2*wait, 200*time.Millisecond)
		}
		pos = next
		if !follow || r.State.Ended() {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(wait):
		}
	}
}
