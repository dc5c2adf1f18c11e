// Package sqlquote quotes SQL identifiers and string literals, the one place dora writes
// either into SQL text: the query printer, the DuckDB SQL generator and sink, the ETL modules,
// the demo builder and the benchmarks. It is a leaf: it imports nothing of dora's. Values from
// users still travel as bound parameters where the engine takes them (ARCHITECTURE.md); this
// is for names and for the few literals SQL has no parameter for (DDL, COPY, file paths).
package sqlquote

import "strings"

// Ident is s as a double-quoted SQL identifier, a double quote inside doubled: it names the
// column or table s whatever its case, spaces or keywords.
func Ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// String is s as a single-quoted SQL string literal, a single quote inside doubled.
func String(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
