// Package nice lowers the scheduling priority of this process, so that a server on the same
// machine that the process feeds gets the CPU first when both want it.
package nice

// Lower sets the nice value of every thread of the process to at least n (a higher value is a
// lower priority), and so of the threads it starts later, which inherit it from the thread that
// starts them. A thread already at n or above is left as it is. It does nothing where threads'
// priorities cannot be set this way.
func Lower(n int) error { return lower(n) }

// Of returns the nice value of every thread of the process, where it can be read.
func Of() ([]int, error) { return threads() }
