package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/backends/duckdb"
	"github.com/dora-dev/dora/backends/duckdb/demo"
	"github.com/dora-dev/dora/output"
	"github.com/dora-dev/dora/query"
	"github.com/dora-dev/dora/tui/etlscreen"
)

var version = "dev"

func newRoot() *cobra.Command {
	var backend, table, sql, view, pipelines string
	root := &cobra.Command{
		Use:   "dora",
		Short: "A terminal workbench for exploring warehouse data",
		Long: "dora explores warehouse tables with group-bys, metrics and filters, on the embedded DuckDB\n" +
			"demo warehouse or on Elasticsearch. With no command it opens the explorer.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplorer(cmd, backend, table, sql, view, pipelines)
		},
	}
	root.Flags().StringVar(&table, "table", "", "open the explorer on this table")
	root.Flags().StringVar(&sql, "sql", "", "open the explorer on this SQL line")
	root.Flags().StringVar(&view, "view", "", "open the explorer on this saved view (dora views ls lists them)")
	root.Flags().StringVar(&pipelines, "pipelines", "", "the folder of pipeline files the ETL screen lists (default "+etlscreen.PipelinesDir()+")")
	root.PersistentFlags().StringVar(&backend, "backend", "", "backend URL (duckdb:PATH, http://host:9200) or a name from the config file; default $DORA_BACKEND, else the demo warehouse")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(queryCmd(&backend), tablesCmd(&backend), schemaCmd(&backend), loadCmd(&backend), dashCmd(&backend), viewsCmd(&backend), jobsCmd(), etlCmd(), demoCmd(), versionCmd())
	return root
}

func queryCmd(backend *string) *cobra.Command {
	var format, timeZone string
	var explain, other bool
	var maxRows int
	cmd := &cobra.Command{
		Use:   "query [flags] SQL",
		Short: "Run one SQL line and print the result ('-' reads the SQL from standard input)",
		Example: `  dora query "SELECT category, count(*) FROM shipments GROUP BY category ORDER BY count(*) DESC LIMIT 5"
  dora query --format json "SELECT date_trunc('month', shipped_at) AS month, avg(price) FROM shipments GROUP BY month"
  echo "SELECT * FROM shipments LIMIT 3" | dora query -`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validFormat(format) {
				return usageError{fmt.Errorf("unknown format %q: use %s", format, strings.Join(output.Formats, ", "))}
			}
			sql := args[0]
			if sql == "-" {
				data, err := io.ReadAll(cmd.InOrStdin())
				if err != nil {
					return err
				}
				sql = string(data)
			}
			spec, err := query.Parse(sql)
			if err != nil {
				return err
			}
			if timeZone != "" && spec.TimeZone == "" {
				spec.TimeZone = timeZone
			}
			spec.Other = other
			ctx := cmd.Context()
			b, err := openBackend(ctx, *backend)
			if err != nil {
				return err
			}
			defer b.Close()
			if m, ok := b.(backends.RowCapper); ok && maxRows > 0 {
				m.SetMaxRows(maxRows)
			}
			if spec, err = backends.Prepare(ctx, b, spec); err != nil {
				return err
			}
			if explain {
				return explainSpec(cmd, b, spec)
			}
			res, err := runSpec(ctx, b, spec)
			if err != nil {
				return err
			}
			return output.Write(cmd.OutOrStdout(), res, format, termWidth())
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: "+strings.Join(output.Formats, ", "))
	cmd.Flags().BoolVar(&explain, "explain", false, "print the request that would be sent (SQL, or Elasticsearch JSON) without running it, and on stderr which parts the engine computes and which dora finishes")
	cmd.Flags().BoolVar(&other, "other", false, "add an \"Other\" row for the groups LIMIT cut off (counts and sums; other metrics empty)")
	cmd.Flags().IntVar(&maxRows, "max-rows", 100_000, "most rows to return when the query has no LIMIT (the rest are reported, not printed)")
	cmd.Flags().StringVar(&timeZone, "time-zone", "", "IANA time zone for time buckets, unless the SQL names one")
	return cmd
}

// explainSpec prints the request a Spec would send, and on stderr (so stdout stays the
// request, fit for a pipe) which parts the engine computes and which dora finishes.
func explainSpec(cmd *cobra.Command, b backends.Backend, spec query.Spec) error {
	ctx := cmd.Context()
	req, err := b.Explain(ctx, spec)
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), req)
	if p, ok := b.(backends.Planner); ok {
		steps, err := p.Plan(ctx, spec)
		if err != nil {
			return err
		}
		for _, st := range steps {
			fmt.Fprintln(cmd.ErrOrStderr(), "-- "+st)
		}
	}
	return nil
}

// runSpec runs a prepared Spec, timing it when the backend does not.
func runSpec(ctx context.Context, b backends.Backend, spec query.Spec) (*query.Result, error) {
	start := time.Now()
	res, err := b.Run(ctx, spec)
	if err != nil {
		return nil, err
	}
	if res.Meta.Took == 0 {
		res.Meta.Took = time.Since(start)
	}
	return res, nil
}

func validFormat(f string) bool {
	for _, v := range output.Formats {
		if f == v {
			return true
		}
	}
	return f == "md"
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s takes %d argument(s), got %d; see dora %s --help", cmd.Name(), n, len(args), cmd.Name())}
		}
		return nil
	}
}

func stdinFile() *os.File  { return os.Stdin }
func stdoutFile() *os.File { return os.Stdout }

func termWidth() int {
	if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
		return w
	}
	return 80
}

func tablesCmd(backend *string) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "tables",
		Short: "List the backend's tables",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := openBackend(cmd.Context(), *backend)
			if err != nil {
				return err
			}
			defer b.Close()
			ts, err := b.Tables(cmd.Context())
			if err != nil {
				return err
			}
			res := &query.Result{Columns: []query.Column{{Name: "table", Role: query.RoleDimension, Type: query.TypeString},
				{Name: "kind", Role: query.RoleDimension, Type: query.TypeString}, {Name: "rows", Role: query.RoleMetric, Type: query.TypeInt}},
				Meta: query.Meta{Backend: b.Name(), Complete: true, Total: int64(len(ts))}}
			for _, t := range ts {
				var rows any
				if t.Rows >= 0 {
					rows = t.Rows
				}
				res.Rows = append(res.Rows, []any{t.Name, t.Kind, rows})
			}
			return writeListing(cmd.OutOrStdout(), res, format)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: "+strings.Join(output.Formats, ", "))
	return cmd
}

func schemaCmd(backend *string) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "schema TABLE",
		Short: "Describe a table's columns",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := openBackend(cmd.Context(), *backend)
			if err != nil {
				return err
			}
			defer b.Close()
			s, err := b.Schema(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			res := &query.Result{Columns: []query.Column{{Name: "column", Role: query.RoleDimension, Type: query.TypeString},
				{Name: "type", Role: query.RoleDimension, Type: query.TypeString}, {Name: "backend type", Role: query.RoleDimension, Type: query.TypeString},
				{Name: "group by", Role: query.RoleDimension, Type: query.TypeString}},
				Meta: query.Meta{Backend: b.Name(), Complete: true, Total: int64(len(s.Fields))}}
			for _, f := range s.Fields {
				group := "yes"
				switch {
				case f.Type == query.TypeText && f.Keyword != "":
					group = "via " + f.Keyword
				case f.Type == query.TypeText || !f.Aggregatable:
					group = "no"
				}
				res.Rows = append(res.Rows, []any{f.Name, string(f.Type), f.Raw, group})
			}
			return writeListing(cmd.OutOrStdout(), res, format)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: "+strings.Join(output.Formats, ", "))
	return cmd
}

// writeListing prints a listing; the table format leaves off the query summary line.
func writeListing(w io.Writer, res *query.Result, format string) error {
	if !validFormat(format) {
		return usageError{fmt.Errorf("unknown format %q: use %s", format, strings.Join(output.Formats, ", "))}
	}
	if format != "table" {
		return output.Write(w, res, format, 0)
	}
	var b strings.Builder
	if err := output.Table(&b, res, termWidth()); err != nil {
		return err
	}
	text := strings.TrimSuffix(b.String(), "\n")
	text = text[:strings.LastIndex(text, "\n")+1]
	_, err := io.WriteString(w, text)
	return err
}

func demoCmd() *cobra.Command {
	var rows int
	var path string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Build (or rebuild) the demo warehouse: shipments, clients and items of a clothing-styling business",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if rows < 0 {
				return usageError{fmt.Errorf("--rows must be positive")}
			}
			if path == "" {
				path = duckdb.DemoPath()
			}
			start := time.Now()
			if err := duckdb.BuildDemoAt(cmd.Context(), path, rows, start); err != nil {
				return err
			}
			day := demo.Day(start)
			fmt.Fprintf(cmd.OutOrStdout(), "built the demo warehouse at %s in %.1fs: shipments from %s to %s\nexplore it with: dora --backend duckdb:%s\n",
				path, time.Since(start).Seconds(), day.AddDate(-2, 0, 0).Format(time.DateOnly), day.AddDate(0, 0, -1).Format(time.DateOnly), path)
			return nil
		},
	}
	cmd.Flags().IntVar(&rows, "rows", 0, "number of shipments (default 500000)")
	cmd.Flags().StringVar(&path, "path", "", "where to write the DuckDB file (default "+duckdb.DemoPath()+")")
	return cmd
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print dora's version",
		Args:  exactArgs(0),
		Run: func(cmd *cobra.Command, args []string) {
			v := version
			if info, ok := debug.ReadBuildInfo(); ok && v == "dev" {
				for _, s := range info.Settings {
					if s.Key == "vcs.revision" && len(s.Value) >= 12 {
						v = "dev-" + s.Value[:12]
					}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "dora %s (%s)\n", v, info.GoVersion)
				return
			}
			fmt.Fprintf(cmd.OutOrStdout(), "dora %s\n", v)
		},
	}
}
