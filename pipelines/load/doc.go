// Package load moves rows from source files (S3 or local Parquet, CSV, TSV, NDJSON, gzipped or
// not) or an Iceberg snapshot into a backend: it lists the objects, infers the table's schema from
// the first of them, writes every row into a new version of the table through a backends.Sink
// with a fixed pool of decoders and bounded memory, sets rejected rows aside in a dead-letter file
// with their reason, checkpoints per object so a load resumes where it stopped, reconciles rows
// read against rows indexed plus dead-lettered, and only then publishes the version (an alias or
// view swap). Ids are deterministic, so a load run again never duplicates a row. A load can also
// run as a group of shard jobs and a publish job (asjob.go).
package load
