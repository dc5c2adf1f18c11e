package nice

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// On Linux a nice value belongs to a thread, so every thread in /proc/self/task is set.
func lower(n int) error {
	tids, err := taskIDs()
	if err != nil {
		return err
	}
	for _, tid := range tids {
		// The raw getpriority answers 20 - nice, to stay positive.
		raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
		if err != nil {
			continue // the thread has ended
		}
		if 20-raw >= n {
			continue
		}
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, n); err != nil && err != syscall.ESRCH {
			return fmt.Errorf("lowering the priority of thread %d: %w", tid, err)
		}
	}
	return nil
}

func threads() ([]int, error) {
	tids, err := taskIDs()
	if err != nil {
		return nil, err
	}
	var out []int
	for _, tid := range tids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", tid))
		if err != nil {
			continue
		}
		// Fields after the command (which may hold spaces, so it is skipped by its closing
		// parenthesis): state is field 3, nice field 19.
		_, rest, _ := strings.Cut(string(stat), ") ")
		f := strings.Fields(rest)
		if len(f) < 17 {
			continue
		}
		v, err := strconv.Atoi(f[16])
		if err != nil {
			return nil, fmt.Errorf("reading the nice value of thread %d: %w", tid, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func taskIDs() ([]int, error) {
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, err
	}
	var tids []int
	for _, e := range entries {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}
