//go:build unix

// Package proc answers what dora asks of another process of this machine: whether it still
// runs, and what /proc says of it (its state, group and start time).
package proc

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Alive reports whether a process of this machine still runs. EPERM means it does, as another
// user's. A zombie has ended (only its parent has not looked yet), so it does not count: a
// process reparented to an init that does not reap would otherwise look alive for ever.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	st, ok := ReadStat(pid)
	return !ok || !st.Ended() // no /proc: kill's answer stands
}

// Stat is what /proc/PID/stat says of a process.
type Stat struct {
	State byte   // R, S, D, Z (zombie), X (dead), ...
	PGID  int    // its process group
	Start uint64 // when it started, in clock ticks after boot: with the pid, it names one process
}

// Ended says the process has ended and only waits to be reaped.
func (s Stat) Ended() bool { return s.State == 'Z' || s.State == 'X' }

// ReadStat reads /proc/PID/stat; false where the process or /proc is not there.
func ReadStat(pid int) (Stat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, false
	}
	// pid (comm) state ppid pgrp ... starttime (field 22): comm may hold spaces and parentheses,
	// so fields are counted after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return Stat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 || len(f[0]) == 0 {
		return Stat{}, false
	}
	pgid, err1 := strconv.Atoi(f[2])
	start, err2 := strconv.ParseUint(f[19], 10, 64)
	if err1 != nil || err2 != nil {
		return Stat{}, false
	}
	return Stat{State: f[0][0], PGID: pgid, Start: start}, true
}
