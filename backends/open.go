package backends

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Opener opens a backend for a URL it recognises.
type Opener func(ctx context.Context, url string) (Backend, error)

var (
	mu      sync.Mutex
	openers = map[string]Opener{}
)

// Register makes Open accept URLs with the given scheme ("duckdb", "http", "https"). Backend
// packages call it from init.
func Register(scheme string, open Opener) {
	mu.Lock()
	defer mu.Unlock()
	openers[scheme] = open
}

// Open opens the backend a URL names: duckdb:PATH or http(s)://host:port.
func Open(ctx context.Context, url string) (Backend, error) {
	scheme, _, ok := strings.Cut(url, ":")
	if !ok {
		return nil, fmt.Errorf("backend %q: want duckdb:PATH or http(s)://host:port", url)
	}
	mu.Lock()
	open := openers[strings.ToLower(scheme)]
	known := make([]string, 0, len(openers))
	for s := range openers {
		known = append(known, s)
	}
	mu.Unlock()
	if open == nil {
		sort.Strings(known)
		return nil, fmt.Errorf("backend %q: unknown scheme %q (known: %s)", Redact(url), scheme, strings.Join(known, ", "))
	}
	return open(ctx, url)
}

// Redact removes a password from a URL so it can be printed.
func Redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if slash := strings.Index(rest, "/"); slash < 0 || at < slash {
			return scheme + "://" + rest[at+1:]
		}
	}
	return url
}
