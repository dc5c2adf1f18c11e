package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dora-dev/dora/assets/dashboards"
	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/session"
	"github.com/dora-dev/dora/dash"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui"
	"github.com/dora-dev/dora/tui/dashscreen"
	"github.com/dora-dev/dora/tui/explorer"
	"github.com/dora-dev/dora/tui/styles"
	"github.com/dora-dev/dora/views"
)

func dashCmd(backend *string) *cobra.Command {
	var once, wall bool
	var width, height int
	var from, to, where string
	cmd := &cobra.Command{
		Use:   "dash [FILE.yaml]",
		Short: "Open a dashboard: panels on a grid, one time range and one filter for all (the demo's without a file)",
		Long: "dash opens the workbench on its Dashboards screen (5) with a dashboard file: panels of SQL lines\n" +
			"on a grid, one time range and one filter for all of them, refreshing by themselves. With --once\n" +
			"it prints the dashboard as text and exits: 0 when every panel answered, 1 otherwise. Without a\n" +
			"file it opens the demo warehouse's.",
		Example: `  dora dash
  dora dash ops.yaml --wall
  dora dash ops.yaml --once --width 160 --height 48 --from now-7d --where "region = 'West'"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("dash takes one dashboard file at most, got %d", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := loadDashboard(args)
			if err != nil {
				return err
			}
			r, err := overrideRange(d.Range, from, to)
			if err != nil {
				return usageError{err}
			}
			filter, filterText := d.Where, d.WhereText
			if cmd.Flags().Changed("where") {
				if filter, err = dash.ParseWhere(where); err != nil {
					return usageError{fmt.Errorf("--where: %w", err)}
				}
				filterText = strings.TrimSpace(where)
			}
			if once {
				runner := dash.NewRunner(session.New(*backend, func(ctx context.Context) (backends.Backend, error) { return openBackend(ctx, *backend) }), dash.Parallel)
				defer runner.Close()
				return printDashboard(cmd.Context(), cmd.OutOrStdout(), runner, d, r, filter, filterText, width, height)
			}
			if !isTerminal(stdinFile()) || !isTerminal(stdoutFile()) {
				return usageError{fmt.Errorf("the dashboard needs a terminal; to print it, use dora dash --once")}
			}
			return openWorkbench(cmd, *backend, tui.Options{Explorer: explorer.Options{ViewsPath: views.DefaultPath()}, Screen: 5, Wall: wall,
				Dash: dashscreen.Options{Dashboard: d, Range: r, Where: filter, WhereText: filterText}})
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "print the dashboard once as text and exit (1 when a panel failed)")
	cmd.Flags().BoolVar(&wall, "wall", false, "hide the headers and the help bar: only the panels, for a wall screen")
	cmd.Flags().IntVar(&width, "width", 0, "with --once: the width to draw at (default: the terminal's, else 120)")
	cmd.Flags().IntVar(&height, "height", 0, "with --once: the height to draw at (default: the terminal's, else as tall as the panels need)")
	cmd.Flags().StringVar(&from, "from", "", "start of the time range, included: now-7d, 2024-01-01, 2024-01-01 10:00")
	cmd.Flags().StringVar(&to, "to", "", "end of the time range, excluded: now, 2024-02-01")
	cmd.Flags().StringVar(&where, "where", "", "the filter for every panel whose table has its columns (replaces the file's where:)")
	return cmd
}

// loadDashboard reads the file named, or the demo warehouse's dashboard.
func loadDashboard(args []string) (*dash.Dashboard, error) {
	var d *dash.Dashboard
	var err error
	if len(args) == 0 {
		d, err = dash.Parse(dashboards.DemoName, dashboards.Demo, savedViews())
	} else {
		d, err = dash.Load(args[0], savedViews())
	}
	if _, bad := err.(dash.Errors); bad {
		return nil, usageError{err}
	}
	return d, err
}

// savedViews finds the saved views a dashboard's panels name, reading the views file the first
// time one is asked for.
func savedViews() dash.ViewLookup {
	var f *views.File
	var err error
	return func(name string) (dash.SavedView, error) {
		if f == nil && err == nil {
			f, err = views.Load(views.DefaultPath())
		}
		if err != nil {
			return dash.SavedView{}, err
		}
		v, err := f.Find(name)
		if err != nil {
			return dash.SavedView{}, err
		}
		return dash.SavedView{SQL: v.SQL, Chart: v.Kind(), Metric: v.Metric}, nil
	}
}

// overrideRange replaces the ends of r that --from and --to give.
func overrideRange(r dash.Range, from, to string) (dash.Range, error) {
	if from == "" && to == "" {
		return r, nil
	}
	if from != "" {
		b, err := dash.ParseBound(from)
		if err != nil {
			return r, fmt.Errorf("--from: %w", err)
		}
		r.From = b
	}
	if to != "" {
		b, err := dash.ParseBound(to)
		if err != nil {
			return r, fmt.Errorf("--to: %w", err)
		}
		r.To = b
	}
	if r.To.Kind == dash.Open && from != "" {
		r.To = dash.Now()
	}
	return dash.MakeRange(r.From.String(), r.To.String())
}

// printDashboard answers every panel once and prints the grid; plain text unless standard output
// is a terminal and NO_COLOR is not set.
func printDashboard(ctx context.Context, w io.Writer, runner *dash.Runner, d *dash.Dashboard, r dash.Range, filter query.Expr, filterText string, width, height int) error {
	now := time.Now().UTC().Truncate(time.Second)
	answers := runner.RunAll(ctx, d, d.Scope(r, filter, now), d.Previous(r, filter, now))
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = isTerminal(f)
		if tw, th, err := term.GetSize(int(f.Fd())); err == nil && tty {
			width, height = cmp.Or(width, tw), cmp.Or(height, th-1)
		}
	}
	plain := !tty || os.Getenv("NO_COLOR") != ""
	snap := dashscreen.Snapshot{Dashboard: d, Range: r, WhereText: filterText, Now: now, Answers: answers}
	out := snap.Render(styles.Default(true, plain), cmp.Or(width, 120), height)
	if plain {
		fmt.Fprintln(w, ansi.Strip(out))
	} else {
		lipgloss.Fprintln(w, out)
	}
	if failed := snap.Failed(); len(failed) > 0 {
		n := 0
		for _, a := range answers {
			if a.Err != nil {
				n++
			}
		}
		return fmt.Errorf("%d of %d panels failed: %s", n, len(d.Panels), strings.Join(failed, "; "))
	}
	return nil
}
