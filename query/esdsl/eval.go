package esdsl

import (
	"time"

	"github.com/dora-dev/dora/query"
)

// eval evaluates a HAVING expression over one result row.
func eval(e query.Expr, cols []query.Column, row []any, now time.Time) query.Truth {
	return query.Eval(e, cellOf(cols, row), now)
}

// cellOf looks a row's values up by column name.
func cellOf(cols []query.Column, row []any) func(string) any {
	return func(name string) any {
		for i, c := range cols {
			if c.Name == name {
				return row[i]
			}
		}
		return nil
	}
}

// compareSQL orders two cells for ORDER BY: NULLs last whatever the direction, unless
// nullsFirst.
func compareSQL(a, b any, desc, nullsFirst bool) int {
	last := 1
	if nullsFirst {
		last = -1
	}
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return last
	case b == nil:
		return -last
	}
	c, _ := query.CompareValues(a, b) // NaN above every number, as DuckDB sorts it
	if desc {
		return -c
	}
	return c
}
