// Command dora is a terminal workbench for exploring warehouse data: the TUI explorer by default,
// and subcommands for scripts.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/dora-dev/dora/backends"
	_ "github.com/dora-dev/dora/backends/duckdb"
	_ "github.com/dora-dev/dora/backends/elastic"
	"github.com/dora-dev/dora/internal/termsafe"
	_ "github.com/dora-dev/dora/pipelines/jobs/docker"
	_ "github.com/dora-dev/dora/pipelines/jobs/ecs"
	_ "github.com/dora-dev/dora/pipelines/jobs/kubernetes"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/query"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitBadQuery    = 2
	exitUnavailable = 3
)

// usageError marks bad flags or arguments, which exit 2 like a bad query.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func main() {
	ignoreFileSizeSignal()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// DORA_CPUPROFILE=FILE writes a CPU profile of the command, for `go tool pprof`.
	if path := os.Getenv("DORA_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer f.Close()
		}
	}
	err := newRoot().ExecuteContext(ctx)
	pprof.StopCPUProfile()
	// DORA_MEMPROFILE=FILE writes a heap profile when the command ends: what it allocated where
	// (-sample_index=alloc_space) and what was live at the last collection.
	if path := os.Getenv("DORA_MEMPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	stop()
	os.Exit(report(err))
}

// report prints err for a person and returns the exit code it calls for.
func report(err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "dora: "+termsafe.Text(err.Error())) // an error may quote the data
	return exitCode(err)
}

func exitCode(err error) int {
	var pe *query.ParseError
	var ue usageError
	var se stoppedExit
	switch {
	case errors.As(err, &se):
		return exitStopped
	case errors.As(err, &pe), errors.As(err, &ue), errors.Is(err, backends.ErrBadQuery), errors.Is(err, backends.ErrNoSuchTable):
		return exitBadQuery
	case errors.Is(err, objstore.ErrNotFound), errors.Is(err, objstore.ErrInvalidAddress):
		return exitBadQuery
	case errors.Is(err, backends.ErrUnavailable), errors.Is(err, objstore.ErrCredentials), errors.Is(err, objstore.ErrAccessDenied):
		return exitUnavailable
	}
	return exitFailure
}
