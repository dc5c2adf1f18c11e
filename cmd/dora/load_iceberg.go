package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/internal/nice"
	"github.com/dora-dev/dora/pipelines/catalog"
	"github.com/dora-dev/dora/pipelines/jobs"
	"github.com/dora-dev/dora/pipelines/load"
)

// checkIcebergSource refuses a malformed iceberg: source before anything is opened, and the
// catalog flags for a source that is files.
func checkIcebergSource(cmd *cobra.Command, source string) error {
	if load.IsIceberg(source) {
		if _, err := load.ParseIceberg(source); err != nil {
			return usageError{err}
		}
		return nil
	}
	for _, name := range []string{"catalog", "warehouse"} {
		if cmd.Flags().Changed(name) {
			return usageError{fmt.Errorf("--%s names where an iceberg:NAMESPACE.TABLE source is found; %s is not one", name, source)}
		}
	}
	return nil
}

// runLoad loads opts.Source into b: files through the loader, an iceberg:NAMESPACE.TABLE[@SNAPSHOT]
// source through the catalog cf opens (as dora etl opens it).
func runLoad(ctx context.Context, b backends.Backend, opts load.Options, cf *catalogFlags) (load.Summary, error) {
	// A load's heap is mostly its batch bodies and Parquet pages, a fixed set in use until the
	// end: collecting at a quarter over it rather than at double keeps the peak down, for a few
	// more collections of what little else it allocates. GOGC set by the user wins.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(25))
	}
	if err := yieldToLocalNode(b.Name()); err != nil {
		return load.Summary{}, err
	}
	if !load.IsIceberg(opts.Source) {
		return load.Run(ctx, b, opts)
	}
	cat, err := cf.open(ctx, nil)
	if err != nil {
		return load.Summary{}, err
	}
	defer cat.Close()
	return load.RunIceberg(ctx, b, cat, opts)
}

// localNice is the nice value a load takes when it writes to a server on this machine.
const localNice = 10

// yieldToLocalNode lowers the load's priority when the backend at url is a server on this
// machine: the server's indexing is what bounds a load, and on a small machine the load's own
// decoding competes with it for the cores, so the load gives way (it has time to spare: it only
// has to stay a few batches ahead). DORA_LOAD_NICE=N sets the nice value instead, 0 to keep the
// priority as it is; a load into DuckDB, in this process, keeps it.
func yieldToLocalNode(backendURL string) error {
	n := localNice
	if v := os.Getenv("DORA_LOAD_NICE"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 || n > 19 {
			return usageError{fmt.Errorf("DORA_LOAD_NICE=%q: want a nice value from 0 to 19", v)}
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

// pinIcebergJob pins an iceberg: source to its snapshot as the load job is launched, so every
// shard reads the same version, and gives the job the catalog and warehouse it is found in.
func pinIcebergJob(cmd *cobra.Command, source string, cf *catalogFlags, runner string, env map[string]string) (string, error) {
	ref, err := load.ParseIceberg(source)
	if err != nil {
		return "", usageError{err}
	}
	cfg, err := cf.config(nil)
	if err != nil {
		return "", err
	}
	if runner != jobs.DefaultRunner && (strings.HasPrefix(cfg.Catalog, "sqlite:") || !strings.HasPrefix(cfg.Warehouse, "s3://")) {
		return "", usageError{fmt.Errorf("a load on the %s runner cannot reach the %s of this machine: share a postgres:// catalog and an s3:// warehouse, or use --runner local", runner, cfg)}
	}
	cat, err := catalog.Open(cmd.Context(), cfg)
	if err != nil {
		return "", err
	}
	defer cat.Close()
	if ref, err = load.PinIceberg(cmd.Context(), cat, ref); err != nil {
		return "", err
	}
	catalogEnv(cfg, env)
	return ref.String(), nil
}
