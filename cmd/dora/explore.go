package main

import (
	"github.com/spf13/cobra"

	"github.com/dora-dev/dora/output"
	"github.com/dora-dev/dora/query"
)

// runExplorer opens the explorer; until the TUI lands it prints a grouped view of the demo
// warehouse.
func runExplorer(cmd *cobra.Command, backend string) error {
	ctx := cmd.Context()
	b, err := openBackend(ctx, backend)
	if err != nil {
		return err
	}
	defer b.Close()
	spec, err := query.Parse("SELECT category, count(*), avg(price) FROM shipments GROUP BY category ORDER BY count(*) DESC LIMIT 10")
	if err != nil {
		return err
	}
	res, err := b.Run(ctx, spec)
	if err != nil {
		return err
	}
	return output.Write(cmd.OutOrStdout(), res, "table", termWidth())
}
