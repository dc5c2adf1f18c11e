package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dora-dev/dora/tui"
)

// runExplorer opens the TUI explorer on the chosen backend.
func runExplorer(cmd *cobra.Command, backend, table, sql string) error {
	ctx := cmd.Context()
	if !isTerminal(stdinFile()) || !isTerminal(stdoutFile()) {
		return usageError{fmt.Errorf("the explorer needs a terminal; in scripts use dora query, dora tables or dora schema")}
	}
	b, err := openBackend(ctx, backend)
	if err != nil {
		return err
	}
	defer b.Close()
	return tui.Run(ctx, b, tui.Options{Table: table, SQL: sql})
}
