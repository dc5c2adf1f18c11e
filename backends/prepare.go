package backends

import (
	"context"

	"github.com/dora-dev/dora/query"
)

// Prepare validates a parsed Spec against its table's schema on b.
func Prepare(ctx context.Context, b Backend, spec query.Spec) (query.Spec, error) {
	s, err := b.Schema(ctx, spec.Table)
	if err != nil {
		return query.Spec{}, err
	}
	return query.Validate(spec, s)
}

// Query parses one SQL line, validates it against b and runs it.
func Query(ctx context.Context, b Backend, sql string) (*query.Result, error) {
	spec, err := query.Parse(sql)
	if err != nil {
		return nil, err
	}
	if spec, err = Prepare(ctx, b, spec); err != nil {
		return nil, err
	}
	return b.Run(ctx, spec)
}
