//go:build linux

package proc

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestAliveSelfAndEnded(t *testing.T) {
	if !Alive(os.Getpid()) {
		t.Fatal("this process is not alive")
	}
	st, ok := ReadStat(os.Getpid())
	if !ok || st.PGID != syscall.Getpgrp() || st.Start == 0 || st.Ended() {
		t.Fatalf("ReadStat(self) = %+v, %v; want group %d, a start time, running", st, ok, syscall.Getpgrp())
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if !Alive(pid) {
		t.Fatal("a sleeping child is not alive")
	}
	cmd.Process.Kill()
	// Not reaped yet: a zombie, which has ended.
	deadline := time.Now().Add(5 * time.Second)
	for Alive(pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st, ok := ReadStat(pid); Alive(pid) || !ok || !st.Ended() {
		t.Fatalf("a killed, unreaped child: alive %v, stat %+v %v; want a zombie", Alive(pid), st, ok)
	}
	cmd.Wait()
	if Alive(pid) || Alive(0) || Alive(-1) {
		t.Fatal("a reaped child, 0 or -1 counts as alive")
	}
}
