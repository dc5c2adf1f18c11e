package load

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/dora-dev/dora/pipelines/objstore"
)

// checkpoint records which source objects a load has fully written, so --resume can continue a
// crashed load into the same version without reading them again. Rows of an object that was
// half written when the load died are written again under the same ids, which overwrites them.
type checkpoint struct {
	Source  string                `json:"source"`
	Table   string                `json:"table"`
	Version string                `json:"version"`
	Done    map[string]objectDone `json:"done"`

	path    string
	resumed bool
	mu      sync.Mutex
}

type objectDone struct {
	ETag    string `json:"etag"`
	Read    int64  `json:"read"`
	Indexed int64  `json:"indexed"`
	Dead    int64  `json:"dead"`
}

// checkpointPath is $XDG_STATE_HOME/dora/loads/<table>-<hash of source and shard>.json.
func checkpointPath(opts Options) string {
	if opts.Checkpoint != "" {
		return opts.Checkpoint
	}
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".local", "state")
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d/%d", opts.Source, opts.Shard, opts.Shards)))
	return filepath.Join(dir, "dora", "loads", opts.Table+"-"+hex.EncodeToString(h[:6])+".json")
}

// openCheckpoint reads the checkpoint when resuming, and otherwise starts a new version.
func openCheckpoint(opts Options) (*checkpoint, error) {
	path := checkpointPath(opts)
	if opts.Resume {
		data, err := os.ReadFile(path)
		if err == nil {
			var cp checkpoint
			if err := json.Unmarshal(data, &cp); err != nil {
				return nil, fmt.Errorf("reading checkpoint %s: %w", path, err)
			}
			if cp.Source != opts.Source || cp.Table != opts.Table {
				return nil, fmt.Errorf("checkpoint %s is for %s -> %s, not this load", path, cp.Source, cp.Table)
			}
			if cp.Done == nil {
				cp.Done = map[string]objectDone{}
			}
			cp.path, cp.resumed = path, true
			return &cp, nil
		}
		if !os.IsNotExist(err) {
			return nil, fmt.Errorf("reading checkpoint %s: %w", path, err)
		}
	}
	version := opts.Version
	if version == "" {
		version = NewVersion(time.Now())
	}
	return &checkpoint{Source: opts.Source, Table: opts.Table, Version: version, Done: map[string]objectDone{}, path: path}, nil
}

func (c *checkpoint) markDone(o objstore.Object, read, indexed, dead int64) {
	c.mu.Lock()
	c.Done[o.Key] = objectDone{ETag: o.ETag, Read: read, Indexed: indexed, Dead: dead}
	c.mu.Unlock()
	_ = c.save() // a lost checkpoint only means more to redo on resume
}

// save writes the checkpoint atomically.
func (c *checkpoint) save() error {
	c.mu.Lock()
	data, err := json.MarshalIndent(c, "", "  ")
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	tmp := c.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("saving checkpoint: %w", err)
	}
	return os.Rename(tmp, c.path)
}

func (c *checkpoint) remove() { os.Remove(c.path) }

// NewVersion names the version a load started at t writes, when it is not given one.
func NewVersion(t time.Time) string {
	t = t.UTC()
	// Milliseconds too: two loads of one table in the same second (an ETL run's load_to right
	// after another) must not pick the same index name.
	return t.Format("20060102t150405") + fmt.Sprintf("%03d", t.Nanosecond()/int(time.Millisecond))
}
