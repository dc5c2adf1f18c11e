package load

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
)

// deadRow is one line of the dead-letter file: where a row came from, why it was set aside, and
// the row itself when it could be read.
type deadRow struct {
	Source string         `json:"source"`
	Row    int64          `json:"row"`
	Reason string         `json:"reason"`
	Column string         `json:"column,omitempty"`
	Value  string         `json:"value,omitempty"`
	Doc    map[string]any `json:"doc,omitempty"`
}

// deadLetter appends rows that cannot be written to an NDJSON file, created on first use.
type deadLetter struct {
	path    string
	append  bool
	mu      sync.Mutex
	f       *os.File
	w       *bufio.Writer
	written int64
}

func (d *deadLetter) add(r deadRow, s query.Schema, doc backends.Row) error {
	if doc != nil {
		r.Doc = map[string]any{}
		for i, f := range s.Fields {
			if i < len(doc) {
				v := doc[i]
				if t, ok := v.(time.Time); ok {
					v = t.Format(time.RFC3339Nano)
				}
				r.Doc[f.Name] = v
			}
		}
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		if d.path == "" {
			return fmt.Errorf("row %d of %s cannot be written (%s) and no --dead-letter file is set", r.Row, r.Source, r.Reason)
		}
		flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if d.append {
			flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		if d.f, err = os.OpenFile(d.path, flags, 0o644); err != nil {
			return fmt.Errorf("opening the dead-letter file: %w", err)
		}
		d.w = bufio.NewWriter(d.f)
	}
	d.written++
	d.w.Write(line)
	return d.w.WriteByte('\n')
}

// Close flushes the file.
func (d *deadLetter) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return nil
	}
	if err := d.w.Flush(); err != nil {
		return err
	}
	return d.f.Close()
}
