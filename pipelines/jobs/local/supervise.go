package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// SuperviseIfAsked supervises and exits when this process was started as a supervisor: a test
// binary standing in for dora calls it first thing in TestMain.
func SuperviseIfAsked() {
	if len(os.Args) > len(SuperviseArgs) && slices.Equal(os.Args[1:1+len(SuperviseArgs)], SuperviseArgs) {
		os.Exit(Supervise(os.Args[1+len(SuperviseArgs):]))
	}
}

// Supervise is the supervisor, run as `dora jobs _supervise DIR -- ARGV...` in the task's own
// process group with its output already going to DIR/log: it runs ARGV (never through a
// shell), writes how it ended to DIR/exit, then ends what the command left running in the group,
// as a container's end would. It returns the supervisor's own exit code.
func Supervise(args []string) int {
	if len(args) < 3 || args[1] != "--" {
		fmt.Fprintln(os.Stderr, "usage: dora jobs _supervise DIR -- PROGRAM [ARG...]")
		return 2
	}
	dir, argv := args[0], args[2:]
	// The runner writes the pid too, but a dora killed right after starting this would not.
	if err := writeFile(filepath.Join(dir, "pid"), []byte(strconv.Itoa(os.Getpid()))); err != nil {
		fmt.Fprintf(os.Stderr, "dora supervisor: %v\n", err)
		return 1
	}
	// SIGTERM and SIGINT go to the whole group: the command decides what to do with them, and
	// the supervisor stays to write down how it ended. (Caught, not ignored, so the command
	// starts with the default handlers.)
	signal.Notify(make(chan os.Signal, 1), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	rec := run(cmd)
	data, _ := json.Marshal(rec)
	if err := writeFile(filepath.Join(dir, "exit"), data); err != nil {
		fmt.Fprintf(os.Stderr, "dora supervisor: recording the exit code: %v\n", err)
		return 1
	}
	// Nothing of the task outlives its command; this ends the supervisor too.
	syscall.Kill(-syscall.Getpgrp(), syscall.SIGKILL)
	return 0
}

func run(cmd *exec.Cmd) exitRecord {
	if err := cmd.Start(); err != nil {
		return exitRecord{Infra: true, Reason: "starting " + cmd.Path + ": " + err.Error()}
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return exitRecord{Infra: true, Reason: "waiting for " + cmd.Path + ": " + err.Error()}
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return exitRecord{Code: 128 + int(ws.Signal()), Signal: ws.Signal().String()}
	}
	return exitRecord{Code: cmd.ProcessState.ExitCode()}
}
