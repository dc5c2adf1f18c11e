package load

import (
	"context"
	"fmt"

	"github.com/dora-dev/dora/pipelines/decode"
	"github.com/dora-dev/dora/pipelines/objstore"
	"github.com/dora-dev/dora/query"
)

// Plan is what a load of a source would read and the schema it would write, before it starts.
type Plan struct {
	Objects []objstore.Object
	Bytes   int64        // the objects' total size
	Schema  query.Schema // inferred from the first objects' samples, as Run infers it
}

// Infer lists source and infers the table's schema the way Run does, without writing anything:
// the preview of a load.
func Infer(ctx context.Context, source, table, format string) (Plan, error) {
	if format == "" {
		format = decode.FormatAuto
	}
	store, prefix, err := objstore.Open(ctx, source)
	if err != nil {
		return Plan{}, err
	}
	objs, err := store.List(ctx, prefix)
	if err != nil {
		return Plan{}, err
	}
	if len(objs) == 0 {
		return Plan{}, fmt.Errorf("nothing to load: %s holds no files", source)
	}
	schema, open, err := planSchema(ctx, store, objs, Options{Table: table, Format: format})
	if err != nil {
		return Plan{}, err
	}
	open.closeExcept(nil)
	p := Plan{Objects: objs, Schema: schema}
	for _, o := range objs {
		p.Bytes += o.Size
	}
	return p, nil
}
