// Package session is a backend opened on first use and tried again until it answers: the
// workbench's one backend, shared by its screens (the screens that do not need it stay usable and
// the ones that do come up by themselves; its Stamp lets the shell see a table loaded, published or
// dropped by a screen or another process), and the dashboard runner's.
package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
)

// Opener opens the backend; a Session calls it until it succeeds.
type Opener func(ctx context.Context) (backends.Backend, error)

// RetryOpen is how long a failed open is remembered before the next use tries again.
const RetryOpen = time.Second

// Session is a backends.Backend that opens its backend on first use and again after an open
// failed, and remembers whether the backend answered last time it was asked.
type Session struct {
	name string
	open Opener

	mu       sync.Mutex
	b        backends.Backend
	openErr  error     // why the last open failed
	openedAt time.Time // of the last failed open
	err      error     // why the backend was unavailable when last asked; nil when it answered
}

var _ backends.Backend = (*Session)(nil)

// New is a session on the backend at url (its name, shown before it opens, is url without
// secrets), opened with open; it does no I/O.
func New(url string, open Opener) *Session {
	return &Session{name: backends.Redact(url), open: open}
}

// Of is a session on a backend already open; a Session is its own.
func Of(b backends.Backend) *Session {
	if s, ok := b.(*Session); ok {
		return s
	}
	return &Session{name: b.Name(), b: b}
}

// Backend returns the open backend, opening it when it is not open and the last try is more
// than RetryOpen ago.
func (s *Session) Backend(ctx context.Context) (backends.Backend, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b != nil {
		return s.b, nil
	}
	if s.openErr != nil && time.Since(s.openedAt) < RetryOpen {
		return nil, s.openErr
	}
	b, err := s.open(ctx)
	if err != nil {
		if !errors.Is(err, backends.ErrUnavailable) {
			err = fmt.Errorf("%w: %v", backends.ErrUnavailable, err)
		}
		s.openErr, s.openedAt, s.err = err, time.Now(), err
		return nil, err
	}
	s.b, s.openErr, s.err = b, nil, nil
	s.name = b.Name()
	return b, nil
}

// note remembers whether the backend answered.
func (s *Session) note(err error) error {
	switch {
	case err == nil:
		s.mu.Lock()
		s.err = nil
		s.mu.Unlock()
	case errors.Is(err, backends.ErrUnavailable):
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}
	return err
}

// Err is why the backend is unavailable, or nil when it answered last time it was asked.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Name is the backend's URL without credentials, also before it opens.
func (s *Session) Name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.name
}

// Tables lists the backend's tables.
func (s *Session) Tables(ctx context.Context) ([]backends.Table, error) {
	b, err := s.Backend(ctx)
	if err != nil {
		return nil, err
	}
	ts, err := b.Tables(ctx)
	return ts, s.note(err)
}

// Schema describes a table.
func (s *Session) Schema(ctx context.Context, table string) (query.Schema, error) {
	b, err := s.Backend(ctx)
	if err != nil {
		return query.Schema{}, err
	}
	sc, err := b.Schema(ctx, table)
	return sc, s.note(err)
}

// Run answers a Spec.
func (s *Session) Run(ctx context.Context, spec query.Spec) (*query.Result, error) {
	b, err := s.Backend(ctx)
	if err != nil {
		return nil, err
	}
	res, err := b.Run(ctx, spec)
	return res, s.note(err)
}

// Explain is the request Run would send.
func (s *Session) Explain(ctx context.Context, spec query.Spec) (string, error) {
	b, err := s.Backend(ctx)
	if err != nil {
		return "", err
	}
	return b.Explain(ctx, spec)
}

// Sink opens a writer into a new version of table.
func (s *Session) Sink(ctx context.Context, table string, schema query.Schema, opts backends.SinkOptions) (backends.Sink, error) {
	b, err := s.Backend(ctx)
	if err != nil {
		return nil, err
	}
	k, err := b.Sink(ctx, table, schema, opts)
	return k, s.note(err)
}

// Close closes the backend if it was opened.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b == nil {
		return nil
	}
	err := s.b.Close()
	s.b = nil
	return err
}

// Unwrap is the open backend, or nil; for the few callers that need what only one kind of
// backend has (SetMaxRows).
func (s *Session) Unwrap() backends.Backend {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b
}

// Stamp is a short text that changes when the backend's tables change: a DuckDB file's size and
// time (cheap, and it leaves the file free for writers), else the names of the tables. It opens
// the backend when it is not open; its error says the backend is unavailable.
func (s *Session) Stamp(ctx context.Context) (string, error) {
	b, err := s.Backend(ctx)
	if err != nil {
		return "", err
	}
	if f, ok := b.(interface{ Path() string }); ok {
		var parts []string
		for _, p := range []string{f.Path(), f.Path() + ".wal"} {
			if st, err := os.Stat(p); err == nil {
				parts = append(parts, fmt.Sprintf("%d@%d", st.Size(), st.ModTime().UnixNano()))
			} else {
				parts = append(parts, "-")
			}
		}
		if _, err := os.Stat(f.Path()); err != nil {
			return "", s.note(fmt.Errorf("%w: %s is gone", backends.ErrUnavailable, f.Path()))
		}
		s.note(nil)
		return strings.Join(parts, " "), nil
	}
	ts, err := s.Tables(ctx)
	if err != nil {
		return "", err
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name + "/" + t.Kind
	}
	slices.Sort(names)
	return strings.Join(names, " "), nil
}
