package nice

import (
	"runtime"
	"testing"
)

// Every thread, those started after Lower too, runs at the lowered priority, and a second, smaller
// Lower leaves it there.
func TestLowerReachesEveryThread(t *testing.T) {
	if err := Lower(7); err != nil {
		t.Fatal(err)
	}
	// Start threads after the change: goroutines locked to their own OS threads, kept blocked.
	hold := make(chan struct{})
	started := make(chan struct{})
	for range 4 {
		go func() {
			runtime.LockOSThread()
			started <- struct{}{}
			<-hold
		}()
	}
	for range 4 {
		<-started
	}
	defer close(hold)
	if err := Lower(3); err != nil {
		t.Fatal(err)
	}
	values, err := Of()
	if err != nil {
		t.Fatal(err)
	}
	if len(values) < 5 {
		t.Fatalf("read the nice value of %d threads, want at least 5", len(values))
	}
	for i, v := range values {
		if v != 7 {
			t.Errorf("thread %d of %d has nice %d, want 7", i, len(values), v)
		}
	}
}
