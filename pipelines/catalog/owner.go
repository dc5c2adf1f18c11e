package catalog

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process names a process across machines.
type process struct {
	Host, Machine string
	PID           int
	Start         uint64
}

var selfOnce = sync.OnceValue(func() process {
	host, _ := os.Hostname()
	p := process{Host: host, PID: os.Getpid()}
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	ns, _ := os.Readlink("/proc/self/ns/pid")
	p.Machine = host + "/" + strings.TrimSpace(string(boot)) + "/" + ns
	p.Start, _ = processStart(p.PID)
	return p
})

// self is this process.
func self() process { return selfOnce() }

// processStart reads when a process started, in clock ticks after boot (field 22 of
// /proc/PID/stat); false where there is no /proc.
func processStart(pid int) (uint64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return 0, false
	}
	v, err := strconv.ParseUint(fields[19], 10, 64)
	return v, err == nil
}

// ownerGone says whether an intent's writer is provably gone, seen from process me at now.
func ownerGone(rec intentRecord, me process, now time.Time, leaseOnly bool) bool {
	if rec.Machine == me.Machine && rec.PID > 0 {
		alive := !errors.Is(syscall.Kill(rec.PID, 0), syscall.ESRCH) // EPERM: alive, another user's
		if alive && rec.Start != 0 {
			if start, ok := processStart(rec.PID); ok && start != rec.Start {
				alive = false // the pid now names a later process
			}
		}
		if alive {
			return false
		}
		if !leaseOnly {
			return true
		}
	}
	return now.Sub(rec.Renewed) > intentLease
}
