package jobs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ProcessAlive reports whether a process of this machine still runs. A zombie has ended (only
// its parent has not looked yet), so it does not count: a process reparented to an init that
// does not reap would otherwise look alive for ever.
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	return !zombie(pid)
}

func zombie(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false // no /proc: kill's answer stands
	}
	// pid (comm) S ...: the state follows the last ')', as comm may hold anything
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X')
}
