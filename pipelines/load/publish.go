package load

import (
	"context"
	"fmt"
	"slices"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
)

// Publish makes a version that shard loads wrote into the one readers of table see: the step
// after every `--shard I/N` load of that version has finished.
func Publish(ctx context.Context, b backends.Backend, table, version string) error {
	if version == "" {
		return fmt.Errorf("publishing needs the version the shards wrote (--version)")
	}
	ts, err := b.Tables(ctx)
	if err != nil {
		return err
	}
	name := physicalName(b, table, version)
	if !slices.Contains(backends.TableNames(ts), name) {
		return fmt.Errorf("%w: no version %s of %s has been written (%s does not exist)", backends.ErrNoSuchTable, version, table, name)
	}
	sink, err := b.Sink(ctx, table, query.Schema{Table: table}, backends.SinkOptions{Version: version, Resume: true})
	if err != nil {
		return fmt.Errorf("publishing %s: %w", name, err)
	}
	return sink.Commit(ctx)
}
