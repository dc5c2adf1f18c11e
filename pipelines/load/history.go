package load

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/internal/proc"
	"github.com/dora-dev/dora/internal/xdg"
)

// The states a load's record goes through.
const (
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Record is one load run on this machine, as the history keeps it: Run appends it when the load
// starts and again when it ends, so the CLI and the workbench list the same loads.
type Record struct {
	ID           string    `json:"id"`
	Source       string    `json:"source"`
	Backend      string    `json:"backend"` // the backend's URL without secrets
	Table        string    `json:"table"`
	Version      string    `json:"version,omitempty"`
	Status       string    `json:"status"`
	RowsRead     int64     `json:"rows_read"`
	Indexed      int64     `json:"indexed"`
	DeadLettered int64     `json:"dead_lettered"`
	Bytes        int64     `json:"bytes"`
	Error        string    `json:"error,omitempty"`
	PID          int       `json:"pid"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished,omitzero"`
}

// HistoryPath is the history file: $XDG_STATE_HOME/dora/loads/history.ndjson, beside the
// loads' checkpoints.
func HistoryPath() string { return filepath.Join(xdg.StateDir(), "loads", "history.ndjson") }

var historyMu sync.Mutex // one process's appends; O_APPEND keeps other processes' lines whole

// appendRecord adds r to the history file at path.
func appendRecord(path string, r Record) error {
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	historyMu.Lock()
	defer historyMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(line, '\n'))
	return errors.Join(err, f.Close())
}

// History reads the loads recorded at path (HistoryPath() when ""), newest first, each in its
// latest state. A load still "running" whose process is gone is shown failed. Lines that do
// not read (a write cut short) are skipped.
func History(ctx context.Context, path string) ([]Record, error) {
	if path == "" {
		path = HistoryPath()
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the load history %s: %w", path, err)
	}
	byID := map[string]int{}
	var out []Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r Record
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.ID == "" {
			continue
		}
		if i, ok := byID[r.ID]; ok {
			out[i] = r
			continue
		}
		byID[r.ID] = len(out)
		out = append(out, r)
	}
	for i, r := range out {
		if r.Status == StatusRunning && !proc.Alive(r.PID) {
			out[i].Status, out[i].Error = StatusFailed, "the load's process ended before the load did"
		}
	}
	slices.SortStableFunc(out, func(a, b Record) int { return b.Started.Compare(a.Started) })
	return out, nil
}

// Reconciles says the rows read are the rows written plus those set aside.
func (r Record) Reconciles() bool { return r.RowsRead == r.Indexed+r.DeadLettered }

func newRecordID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// record starts the history entry of a load; its end writes the outcome.
type record struct {
	path string
	r    Record
}

func startRecord(b backends.Backend, opts Options, version string, started time.Time) *record {
	path := opts.History
	if path == "" {
		path = HistoryPath()
	}
	if opts.NoHistory {
		path = ""
	}
	rec := &record{path: path, r: Record{ID: newRecordID(), Source: opts.Source, Backend: backends.Redact(b.Name()),
		Table: opts.Table, Version: version, Status: StatusRunning, PID: os.Getpid(), Started: started.UTC()}}
	if rec.path != "" {
		_ = appendRecord(rec.path, rec.r) // the history is a convenience: a load never fails for it
	}
	return rec
}

func (rec *record) end(sum Summary, err error) {
	r := &rec.r
	r.RowsRead, r.Indexed, r.DeadLettered, r.Bytes = sum.RowsRead, sum.Indexed, sum.DeadLettered, sum.Bytes
	r.Finished = time.Now().UTC()
	r.Status = StatusSucceeded
	if err != nil {
		r.Status, r.Error = StatusFailed, err.Error()
	}
	if rec.path != "" {
		_ = appendRecord(rec.path, *r)
	}
}
