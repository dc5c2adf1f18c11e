# dora: `make run` opens the explorer on the demo warehouse; `make test` runs every test, starting
# the real services (Elasticsearch, S3) it needs and stopping them afterwards.
GO       ?= go
BIN      := bin/dora
GOFLAGS  ?=

.PHONY: run build image test unit bench bench-query bench-es bench-load bench-dash bench-jobs bench-kube bench-etl bench-intents fuzz fuzz-sql clean

build:
	$(GO) build -o $(BIN) ./cmd/dora

# image builds dora:dev FROM scratch (a static dora, CA certificates, zoneinfo, /tmp) on the
# engine DOCKER_HOST names, else a private one scripts/docker starts; IMAGE=... for another tag.
IMAGE ?= dora:dev
image:
	bash scripts/image $(IMAGE)

run: build
	./$(BIN)

test:
	bash scripts/test

# unit runs the tests that need no service.
unit:
	$(GO) test ./query/... ./output/...

bench: bench-query
	$(GO) test -run '^$$' -bench . -benchtime 2000x ./query/ ./query/sqlgen/ ./query/esdsl/

# Every bench-* target warms up once, then alternates its contenders ROUNDS times (default 5) and
# prints medians, spreads and per-round ratios (scripts/interleave). bench-load: ROWS (3000000),
# ENGINES (elasticsearch opensearch2 opensearch3), the replay ceiling, the PySpark + elasticsearch-hadoop job (SPARK=0 leaves it out) and esbulk.
bench-query: build
	bash scripts/bench-query

bench-es: build
	bash scripts/bench-es

bench-load: build
	bash scripts/bench-load

bench-dash: build
	bash scripts/bench-dash

# bench-jobs: dora jobs run --wait on the docker runner against docker run of the same image, and a
# 4-shard load --as-job in Docker against the same load in one process.
bench-jobs: build
	bash scripts/bench-jobs

# bench-kube: dora jobs run --runner kubernetes --wait against kubectl create + wait + delete of the
# same Job, on the control plane of scripts/kubernetes (kwok for kubelets).
bench-kube: build
	bash scripts/bench-kube

# bench-intents: what a write's intent (the record that lets the next write remove a killed
# commit's files) costs `dora etl run`: this tree's dora against dora at BASE (3eec19e), alternated,
# on a local and an S3 warehouse.
bench-intents: build
	bash scripts/bench-intents

# bench-etl: `dora etl run` journalizing a day of ROWS (default 3000000) rows into a journal of as
# many, against bare DuckDB running the same SCD2 SQL over the same Parquet files; ROUNDS
# alternating pairs, again with DuckDB's memory limit at MEMORY (default 1GB, empty to skip).
bench-etl: build
	bash scripts/bench-etl

# fuzz runs every fuzz target for FUZZTIME (60s) each, one after another, seeded with the inputs
# the tests read (and anything testdata/fuzz holds): the SQL parser, the CSV and NDJSON
# decoders, the pipeline, job, dashboard and views files, and the terminal sanitizer.
FUZZTIME ?= 60s
FUZZ_TARGETS := ./query/:FuzzParse ./pipelines/decode/:FuzzCSV ./pipelines/decode/:FuzzNDJSON \
	./pipelines/etl/:FuzzParsePipeline ./pipelines/jobs/:FuzzParseDefinition ./dash/:FuzzParse \
	./views/:FuzzParse ./internal/termsafe/:FuzzString
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} in $${t%%:*} for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) "$${t%%:*}"; \
	done

# fuzz-sql runs the differential test (dora on DuckDB and Elasticsearch against DuckDB itself)
# on N random queries; DORA_FUZZ_SEED=... replays a failure.
N ?= 5000
fuzz-sql:
	bash scripts/fuzz-sql $(N)

clean:
	rm -rf bin
