package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dora-dev/dora/backends"
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
