//go:build !unix

package proc

// Alive cannot tell here, so a process is taken to run.
func Alive(pid int) bool { return pid > 0 }

// Stat is what /proc/PID/stat says of a process.
type Stat struct {
	State byte
	PGID  int
	Start uint64
}

// Ended says the process has ended and only waits to be reaped.
func (s Stat) Ended() bool { return s.State == 'Z' || s.State == 'X' }

// ReadStat cannot read anything here.
func ReadStat(pid int) (Stat, bool) { return Stat{}, false }
