package load

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"

	"github.com/dora-dev/dora/internal/nice"
)

// SettingError is a bad DORA_LOAD_NICE: a user's mistake, not a failure of the load.
type SettingError struct{ Text string }

func (e *SettingError) Error() string { return e.Text }

// localNice is the nice value a load takes when it writes to a server on this machine.
const localNice = 10

// TuneProcess readies a process that exists to run one load (dora load, a shard of a load job)
// for it, and returns what undoes the heap setting. A load's heap is mostly its batch bodies and
// Parquet pages, a fixed set in use until the end: collecting at a quarter over it rather than at
// double keeps the peak down, for a few more collections of what little else it allocates (GOGC
// set by the user wins). And when the backend at backendURL is a server on this machine, the
// process gives way to it (YieldToLocalServer). The workbench does not call it: its screens must
// stay responsive while a load runs.
func TuneProcess(backendURL string) (undo func(), err error) {
	undo = func() {}
	if os.Getenv("GOGC") == "" {
		old := debug.SetGCPercent(25)
		undo = func() { debug.SetGCPercent(old) }
	}
	if err := YieldToLocalServer(backendURL); err != nil {
		undo()
		return func() {}, err
	}
	return undo, nil
}

// YieldToLocalServer lowers the process's priority when the backend at backendURL is a server
// on this machine: the server's indexing is what bounds a load, and on a small machine the
// load's own decoding competes with it for the cores, so the load gives way (it has time to
// spare: it only has to stay a few batches ahead). DORA_LOAD_NICE=N sets the nice value instead,
// 0 to keep the priority as it is; a load into DuckDB, in this process, keeps it. A bad
// DORA_LOAD_NICE is a *SettingError.
func YieldToLocalServer(backendURL string) error {
	n := localNice
	if v := os.Getenv("DORA_LOAD_NICE"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 || n > 19 {
			return &SettingError{fmt.Sprintf("DORA_LOAD_NICE=%q: want a nice value from 0 to 19", v)}
		}
	} else if !isLocalServer(backendURL) {
		return nil
	}
	if n == 0 {
		return nil
	}
	return nice.Lower(n)
}

// isLocalServer says whether url is an http(s) server on this machine.
func isLocalServer(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
