// Package benchcpu reports a benchmark's CPU time per operation beside its wall time. On a
// machine that other work shares, the clock counts the time the benchmark waited for a core;
// the process's own CPU seconds (every thread, the garbage collector's too) move far less.
package benchcpu

import "testing"

// Start notes the process's CPU time; the function it returns reports the CPU time spent since,
// per operation of b, as the metric cpu-ms/op. Call it after the benchmark loop.
func Start(b *testing.B) func() {
	start := Now()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((Now()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		}
	}
}
