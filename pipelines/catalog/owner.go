package catalog

import (
	"os"
	"strings"
	"sync"
	"time"

	"github.com/dora-dev/dora/internal/proc"
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
	if st, ok := proc.ReadStat(p.PID); ok {
		p.Start = st.Start
	}
	return p
})

// self is this process.
func self() process { return selfOnce() }

// ownerGone says whether an intent's writer is provably gone, seen from process me at now.
func ownerGone(rec intentRecord, me process, now time.Time, leaseOnly bool) bool {
	if rec.Machine == me.Machine && rec.PID > 0 {
		alive := proc.Alive(rec.PID)
		if alive && rec.Start != 0 {
			if st, ok := proc.ReadStat(rec.PID); ok && st.Start != rec.Start {
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
