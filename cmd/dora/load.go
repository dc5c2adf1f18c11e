package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dora-dev/dora/pipelines/load"
)

// loadFlags are dora load's flags.
type loadFlags struct {
	opts                load.Options
	ids, mapping, shard string
	types               []string
	asJSON, publish     bool
	job                 loadJobFlags
	cf                  catalogFlags
}

func loadCmd(backend *string) *cobra.Command {
	var lf loadFlags
	opts := &lf.opts
	cmd := &cobra.Command{
		Use:   "load SOURCE --table NAME",
		Short: "Load files (Parquet, CSV, NDJSON; gzip too) from S3 or disk into a table of the backend",
		Long: `Load moves a warehouse table into the backend in parallel batches. SOURCE is s3://bucket/prefix,
a local file or a folder, or iceberg:NAMESPACE.TABLE[@SNAPSHOT] for a version of a table that
dora etl wrote (the current one without @SNAPSHOT; the catalog is found as dora etl finds it:
--catalog and --warehouse, DORA_CATALOG and DORA_WAREHOUSE, the config file). Rows get deterministic ids, so running a load again never duplicates;
rows that cannot be written go to the dead-letter file with their reason; a new version of the
table is written whole and then published, so readers never see half a load.

In a container job the load can be named by environment instead:
DORA_WAREHOUSE=s3://bucket/root DORA_LOAD_SCHEMA=sales DORA_LOAD_TABLE=orders dora load
reads s3://bucket/root/sales/orders/ into the table orders.

With --as-job the load runs as a job (see dora jobs): --shards runs of dora load --shard I/N
into one version, on --runner (docker: the image --image, on the host network), each given
this environment's AWS_* and ELASTICSEARCH_* settings, and once all have succeeded the publish
step; a failed shard is tried again, up to --retries. It prints the job's run id.`,
		Example: `  dora load s3://warehouse/sales/orders/ --table orders --id order_id --backend http://127.0.0.1:9200
  dora load ./exports/events.csv.gz --table events --backend duckdb:~/w.duckdb
  dora load ./exports/events.csv --table events --type zip=string --type amount=float --backend duckdb:~/w.duckdb
  dora load s3://warehouse/logs/ --table logs --resume --json
  dora load iceberg:film.movies --table movies --id movie_id --backend http://127.0.0.1:9200
  dora load iceberg:film.movies@5123409876543210 --table movies_then --backend duckdb:~/w.duckdb
  dora load s3://warehouse/sales/orders/ --table orders --backend http://127.0.0.1:9200 --as-job --runner docker --shards 4 --wait`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("load takes one SOURCE, got %d", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return routeLoad(cmd, *backend, args, &lf)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Table, "table", "", "the table to load into (an alias over versioned indices on Elasticsearch)")
	f.StringVar(&opts.Format, "format", "auto", "auto, parquet, csv or ndjson")
	f.StringVar(&lf.ids, "id", "", "comma-separated columns whose values identify a row (default: source file and row position)")
	f.StringArrayVar(&lf.types, "type", nil, "COLUMN=TYPE: load a column as string, int, float, bool, timestamp, date or text instead of the type inferred (repeat it, or comma-separate; values that do not convert are set aside as dead letters)")
	f.IntVar(&opts.Workers, "workers", 4, "parallel writers")
	f.IntVar(&opts.BatchBytes, "batch-bytes", 5<<20, "approximate bytes per bulk write")
	f.StringVar(&lf.mapping, "mapping", "", "a JSON file with the Elasticsearch mappings to use instead of inferring them")
	f.StringVar(&lf.shard, "shard", "", "load only shard I of N of the source files (I/N); shards write into --version and do not publish")
	f.StringVar(&opts.Version, "version", "", "the version to write (default: the current time)")
	f.IntVar(&opts.Keep, "keep", load.DefaultKeep, "on Elasticsearch, after publishing keep the newest N versions of the table (the published one counts) and delete older ones")
	f.BoolVar(&opts.Resume, "resume", false, "continue the last load of this source and table after a crash")
	f.StringVar(&opts.DeadLetter, "dead-letter", "", "NDJSON file for rows that cannot be written (default TABLE.dead-letter.ndjson)")
	f.BoolVar(&lf.asJSON, "json", false, "print the final summary as one JSON object")
	f.BoolVar(&lf.publish, "publish", false, "publish --version of --table, written by --shard loads, instead of loading")
	lf.job.add(f)
	lf.cf.add(cmd)
	return cmd
}

// routeLoad picks one of dora load's four modes: publish a version the shards wrote, launch
// the load as a job, or load here (all of it, or one shard).
func routeLoad(cmd *cobra.Command, backend string, args []string, lf *loadFlags) error {
	if err := lf.job.check(cmd); err != nil {
		return err
	}
	if lf.opts.Keep < 1 {
		return usageError{fmt.Errorf("--keep wants 1 or more versions to keep (the published one counts), not %d", lf.opts.Keep)}
	}
	if lf.publish {
		return publishVersion(cmd, backend, lf.opts)
	}
	if err := lf.readSource(cmd, args); err != nil {
		return err
	}
	if lf.job.asJob {
		return runLoadJob(cmd, backend, lf.opts, lf.mapping, lf.asJSON, lf.job, &lf.cf)
	}
	if err := lf.readLocal(); err != nil {
		return err
	}
	return loadHere(cmd, backend, lf)
}

// publishVersion publishes --version of --table, written by --shard loads.
func publishVersion(cmd *cobra.Command, backend string, opts load.Options) error {
	if opts.Table == "" || opts.Version == "" {
		return usageError{fmt.Errorf("--publish needs --table and --version")}
	}
	b, err := openBackend(cmd.Context(), backend)
	if err != nil {
		return err
	}
	defer b.Close()
	deleted, err := load.Publish(cmd.Context(), b, opts.Table, opts.Version, opts.Keep)
	if err == nil {
		fmt.Fprintf(cmd.OutOrStdout(), "published version %s as %s\n", opts.Version, opts.Table)
	}
	printDeleted(cmd.OutOrStdout(), deleted)
	return err
}

// readSource reads the source (SOURCE, else the DORA_WAREHOUSE, DORA_LOAD_SCHEMA and
// DORA_LOAD_TABLE a container job is given), the table, the id columns and the --type overrides.
func (lf *loadFlags) readSource(cmd *cobra.Command, args []string) error {
	opts := &lf.opts
	if len(args) == 1 {
		opts.Source = args[0]
	} else if wh := os.Getenv("DORA_WAREHOUSE"); wh != "" {
		schema, table := os.Getenv("DORA_LOAD_SCHEMA"), os.Getenv("DORA_LOAD_TABLE")
		if schema == "" || table == "" {
			return usageError{fmt.Errorf("DORA_WAREHOUSE is set: DORA_LOAD_SCHEMA and DORA_LOAD_TABLE must name the table to load")}
		}
		opts.Source = strings.TrimSuffix(wh, "/") + "/" + schema + "/" + table + "/"
		opts.Table = first(opts.Table, table)
	} else {
		return usageError{fmt.Errorf("load needs a SOURCE (s3://bucket/prefix, a file or a folder), or DORA_WAREHOUSE, DORA_LOAD_SCHEMA and DORA_LOAD_TABLE")}
	}
	if opts.Table == "" {
		return usageError{fmt.Errorf("load needs --table NAME")}
	}
	if err := checkIcebergSource(cmd, opts.Source); err != nil {
		return err
	}
	if lf.ids != "" {
		for _, c := range strings.Split(lf.ids, ",") {
			opts.IDColumns = append(opts.IDColumns, strings.TrimSpace(c))
		}
	}
	var err error
	if opts.Types, err = load.ParseTypes(lf.types); err != nil {
		return usageError{fmt.Errorf("--type: %w", err)}
	}
	return nil
}

// readLocal reads what only a load in this process takes: the --mapping file, --shard, the
// default dead-letter file.
func (lf *loadFlags) readLocal() error {
	opts := &lf.opts
	if lf.mapping != "" {
		data, err := os.ReadFile(lf.mapping)
		if err != nil {
			return usageError{fmt.Errorf("--mapping: %w", err)}
		}
		if !json.Valid(data) {
			return usageError{fmt.Errorf("--mapping %s is not JSON", lf.mapping)}
		}
		opts.Mapping = data
	}
	if lf.shard != "" {
		i, n, ok := strings.Cut(lf.shard, "/")
		si, err1 := strconv.Atoi(i)
		sn, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || sn < 1 || si < 0 || si >= sn {
			return usageError{fmt.Errorf("--shard wants I/N with 0 <= I < N, as in 0/4")}
		}
		opts.Shard, opts.Shards = si, sn
		if opts.Version == "" {
			return usageError{fmt.Errorf("--shard needs --version, the version every shard writes into")}
		}
	}
	if opts.DeadLetter == "" {
		opts.DeadLetter = opts.Table + ".dead-letter.ndjson"
	}
	return nil
}

// loadHere runs the load in this process, with its progress on stderr and its summary on
// stdout.
func loadHere(cmd *cobra.Command, backend string, lf *loadFlags) error {
	ctx, opts := cmd.Context(), lf.opts
	if load.IsIceberg(opts.Source) {
		cfg, err := lf.cf.config(nil)
		if err != nil {
			return err
		}
		opts.Catalog = cfg
	}
	b, err := openBackendToWrite(ctx, backend)
	if err != nil {
		return err
	}
	defer b.Close()
	undo, err := load.TuneProcess(b.Name())
	var se *load.SettingError
	if errors.As(err, &se) {
		return usageError{err}
	} else if err != nil {
		return err
	}
	defer undo()
	tty := isTerminal(os.Stderr)
	opts.Progress = progressPrinter(cmd.ErrOrStderr(), tty)
	sum, err := load.Run(ctx, b, opts)
	if tty {
		fmt.Fprintln(cmd.ErrOrStderr())
	}
	if sum.Source == "" {
		return err
	}
	if lf.asJSON {
		json.NewEncoder(cmd.OutOrStdout()).Encode(sum)
	} else {
		printLoad(cmd.OutOrStdout(), opts, sum, err)
	}
	if err != nil && !sum.Published {
		err = fmt.Errorf("%w\nnothing was published; fix the cause and run again with --resume to continue", err)
	}
	return err
}

// progressPrinter draws a load's progress: a bar on a terminal, else a plain line every 10
// seconds (logs stay short), and none at the end, where the summary follows.
func progressPrinter(stderr io.Writer, tty bool) func(load.Stats) {
	var lastAt time.Duration = -1
	return func(s load.Stats) {
		if tty {
			w := 80
			if tw, _, err := term.GetSize(int(os.Stderr.Fd())); err == nil {
				w = tw
			}
			fmt.Fprintf(stderr, "\r%s", load.Bar(s, w-1))
			return
		}
		if s.Elapsed-lastAt >= 10*time.Second && s.ObjectsDone < s.Objects {
			fmt.Fprintln(stderr, load.Line(s))
			lastAt = s.Elapsed
		}
	}
}

// printLoad prints a finished load for a person.
func printLoad(out io.Writer, opts load.Options, sum load.Summary, err error) {
	fmt.Fprintf(out, "%d rows read, %d written, %d set aside in %.1fs (%.0f rows/s, %.1f MB/s) into %s",
		sum.RowsRead, sum.Indexed, sum.DeadLettered, sum.Seconds, float64(sum.RowsRead)/max(sum.Seconds, 0.001), float64(sum.Bytes)/max(sum.Seconds, 0.001)/1e6, sum.Index)
	if sum.Published {
		fmt.Fprintf(out, ", published as %s", sum.Alias)
	}
	fmt.Fprintln(out)
	if opts.Shards > 0 && err == nil {
		fmt.Fprintf(out, "shard %d/%d written; when every shard has finished: dora load --table %s --version %s --publish\n", opts.Shard, opts.Shards, opts.Table, opts.Version)
	}
	printDeleted(out, sum.Deleted)
	if sum.DeadLetter != "" {
		fmt.Fprintf(out, "rows set aside, with reasons: %s\n", sum.DeadLetter)
	}
	if n := len(sum.LeftOut); n > 0 {
		fmt.Fprintf(out, "%d files of no data format left out (--format reads them): %s\n", n, strings.Join(sum.LeftOut, ", "))
	}
}

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

// printDeleted names the old versions a publish deleted.
func printDeleted(w io.Writer, deleted []string) {
	if len(deleted) > 0 {
		fmt.Fprintf(w, "deleted older versions: %s\n", strings.Join(deleted, ", "))
	}
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
