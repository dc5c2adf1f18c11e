package load

import (
	"context"
	"errors"
	"fmt"

	"github.com/dora-dev/dora/backends"
	"github.com/dora-dev/dora/query"
)

// Publish makes a version that shard loads wrote into the one readers of table see: the step
// after every `--shard I/N` load of that version has finished. Then, as a load does, it keeps
// the newest keep versions (0: DefaultKeep) and deletes older ones, returning the indices
// deleted.
func Publish(ctx context.Context, b backends.Backend, table, version string, keep int) ([]string, error) {
	if version == "" {
		return nil, fmt.Errorf("publishing needs the version the shards wrote (--version)")
	}
	if keep == 0 {
		keep = DefaultKeep
	}
	// Not Tables: a version already behind the alias (a publish retried) is not listed there.
	name := physicalName(b, table, version)
	if _, err := b.Schema(ctx, name); errors.Is(err, backends.ErrNoSuchTable) {
		return nil, fmt.Errorf("%w: no version %s of %s has been written (%s does not exist)", backends.ErrNoSuchTable, version, table, name)
	} else if err != nil {
		return nil, err
	}
	sink, err := b.Sink(ctx, table, query.Schema{Table: table}, backends.SinkOptions{Version: version, Resume: true})
	if err != nil {
		return nil, fmt.Errorf("publishing %s: %w", name, err)
	}
	if err := sink.Commit(ctx); err != nil {
		return nil, err
	}
	return prune(ctx, b, table, keep)
}

// prune deletes all but the newest keep versions of a table just published.
func prune(ctx context.Context, b backends.Backend, table string, keep int) ([]string, error) {
	p, ok := b.(backends.VersionPruner)
	if !ok {
		return nil, nil
	}
	deleted, err := p.PruneVersions(ctx, table, keep)
	if err != nil {
		return deleted, fmt.Errorf("%s is published, but the older versions are not all deleted: %w", table, err)
	}
	return deleted, nil
}
