//go:build unix

package main

import (
	"os/signal"
	"syscall"
)

// ignoreFileSizeSignal makes a write past the file-size limit (RLIMIT_FSIZE, a full quota) fail
// with EFBIG, which dora reports, instead of SIGXFSZ killing the process without a word: the
// signal can land on one of DuckDB's threads, where Go's own handling does not reach.
func ignoreFileSizeSignal() { signal.Ignore(syscall.SIGXFSZ) }
