package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/output"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/views"
)

// viewsCmd is dora views: the saved views the explorer's S writes.
func viewsCmd(backend *string) *cobra.Command {
	ls := viewsLsCmd()
	cmd := &cobra.Command{
		Use:   "views",
		Short: "List, show and remove saved views (S in the explorer saves one; dora --view NAME opens one)",
		Long: "A saved view is a name, a SQL line and the chart it is drawn as, kept in\n" +
			views.DefaultPath() + ". S in the explorer saves the view on screen, V opens one,\n" +
			"and dora --view NAME opens the explorer on one. With no command, views lists them.",
		Example: `  dora views ls
  dora views show weekly-revenue --run
  dora views rm weekly-revenue
  dora --view weekly-revenue`,
		Args: exactArgs(0),
		RunE: ls.RunE,
	}
	cmd.Flags().AddFlagSet(ls.Flags())
	cmd.AddCommand(ls, viewsShowCmd(backend), viewsRmCmd())
	return cmd
}

// loadViews reads the saved views file; a broken file is a usage error, like a bad flag.
func loadViews() (*views.File, error) {
	f, err := views.Load(views.DefaultPath())
	var ve *views.Error
	if errors.As(err, &ve) {
		return nil, usageError{err}
	}
	return f, err
}

// findView is the saved view of that name; an unknown name is a usage error naming the nearest.
func findView(name string) (views.View, error) {
	f, err := loadViews()
	if err != nil {
		return views.View{}, err
	}
	v, err := f.Find(name)
	if err != nil {
		return v, usageError{err}
	}
	return v, nil
}

func viewsLsCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the saved views: name, chart, SQL and backend",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := loadViews()
			if err != nil {
				return err
			}
			list := f.List()
			if len(list) == 0 && format == "table" {
				fmt.Fprintf(cmd.ErrOrStderr(), "no saved views in %s yet: S in the explorer saves the view on screen\n", f.Path)
				return nil
			}
			cols := []string{"name", "chart", "sql", "backend"}
			if format == "table" && !slices.ContainsFunc(list, func(v views.View) bool { return v.Backend != "" }) {
				cols = cols[:3] // people need no empty column; scripts get the same columns always
			}
			res := &query.Result{Meta: query.Meta{Backend: "views", Complete: true, Total: int64(len(list))}}
			for _, name := range cols {
				res.Columns = append(res.Columns, query.Column{Name: name, Role: query.RoleDimension, Type: query.TypeString})
			}
			for _, v := range list {
				res.Rows = append(res.Rows, []any{v.Name, v.Chart, v.SQL, v.Backend}[:len(cols)])
			}
			return writeListing(cmd.OutOrStdout(), res, format)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: "+strings.Join(output.Formats, ", "))
	return cmd
}

func viewsShowCmd(backend *string) *cobra.Command {
	var format string
	var run bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Print a saved view; with --run, its answer too",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("format") && !run {
				return usageError{fmt.Errorf("--format is for the answer: give --run too")}
			}
			if !validFormat(format) {
				return usageError{fmt.Errorf("unknown format %q: use %s", format, strings.Join(output.Formats, ", "))}
			}
			v, err := findView(args[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if !run || format == "table" {
				writeView(w, v)
			}
			if !run {
				return nil
			}
			if format == "table" {
				fmt.Fprintln(w)
			}
			return runView(cmd, viewBackend(*backend, v), v, format)
		},
	}
	cmd.Flags().BoolVar(&run, "run", false, "run the view and print its answer (on --backend, else the backend it was saved against)")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format of the answer: "+strings.Join(output.Formats, ", "))
	return cmd
}

// writeView prints a view as the lines of its entry in the file.
func writeView(w io.Writer, v views.View) {
	for _, kv := range [][2]string{{"name", v.Name}, {"sql", v.SQL}, {"chart", v.Chart}, {"metric", v.Metric}, {"backend", v.Backend}} {
		if kv[1] != "" {
			fmt.Fprintf(w, "%-8s %s\n", kv[0]+":", kv[1])
		}
	}
}

// viewBackend is the backend a view runs on: the --backend flag, else the one it was saved
// against, else the default.
func viewBackend(flag string, v views.View) string {
	if flag != "" {
		return flag
	}
	return v.Backend
}

// runView runs a view's SQL line as dora query would and prints the answer.
func runView(cmd *cobra.Command, backend string, v views.View, format string) error {
	spec, err := v.Spec()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	b, err := openBackend(ctx, backend)
	if err != nil {
		return err
	}
	defer b.Close()
	if spec, err = backends.Prepare(ctx, b, spec); err != nil {
		return fmt.Errorf("view %s: %w", v.Name, err)
	}
	res, err := runSpec(ctx, b, spec)
	if err != nil {
		return fmt.Errorf("view %s: %w", v.Name, err)
	}
	return output.Write(cmd.OutOrStdout(), res, format, termWidth())
}

func viewsRmCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME",
		Short: "Remove a saved view (the file's other views and comments stay as they are)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := loadViews()
			if err != nil {
				return err
			}
			if err := f.Remove(args[0]); err != nil {
				return usageError{err}
			}
			if err := f.Save(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed view %s from %s\n", args[0], f.Path)
			return nil
		},
	}
}
