package jobs

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// RunnerConfig is what every runner is opened with.
type RunnerConfig struct {
	// StateDir is dora's state folder ($XDG_STATE_HOME/dora); a runner keeps what it must
	// under StateDir/<runner name>.
	StateDir string
	// Self is the dora binary, for runners that run it again (the local runner's supervisor).
	Self string
}

// OpenRunner opens one engine's runner.
type OpenRunner func(ctx context.Context, c RunnerConfig) (Runner, error)

var (
	registryMu sync.Mutex
	registry   = map[string]OpenRunner{}
)

// Register makes a runner choosable by name ("local", "docker", "ecs", "kubernetes"). Runner packages call it
// from init; cmd/dora imports them for that.
func Register(name string, open OpenRunner) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[name] = open
}

// RunnerNames lists the registered runners, sorted.
func RunnerNames() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func knownRunner(name string) bool {
	registryMu.Lock()
	defer registryMu.Unlock()
	_, ok := registry[name]
	return ok
}

// Open opens the runner registered under name.
func Open(ctx context.Context, name string, c RunnerConfig) (Runner, error) {
	registryMu.Lock()
	open := registry[name]
	registryMu.Unlock()
	if open == nil {
		return nil, fmt.Errorf("unknown runner %q (known: %s)", name, strings.Join(RunnerNames(), ", "))
	}
	r, err := open(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("opening the %s runner: %w", name, err)
	}
	return r, nil
}
