//go:build unix

package load

import (
	"errors"
	"syscall"
)

// processAlive says a process of that id exists (EPERM: it does, as another user's).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
