#!/usr/bin/env bash
# bench-memory.sh (make bench-memory): peak resident memory of the enricher
# and the sink while 2,000 articles of ~1 MB stream through the whole local
# pipeline (e2e/memory_bench_test.go). Runs against topics and a database of
# its own; starts the platform when it is not up and stops only what it
# started. TENSION_BENCH_ARTICLES / TENSION_BENCH_ARTICLE_BYTES size the load.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} # the approved Go; see README

started=0
if ! bash scripts/platform.sh status >/dev/null 2>&1; then
	bash scripts/platform.sh up
	started=1
fi
cleanup() { ((started)) && bash scripts/platform.sh down || true; }
trap cleanup EXIT
# Addresses, ClickHouse users and password files of the local platform.
eval "$(bash scripts/platform.sh env)"

# The production binaries of make build (bin/, no test hooks): their memory is what is measured.

export TENSION_INTEGRATION=1 TENSION_REPO=$PWD TENSION_BIN=$PWD/bin
cd e2e && go test -count=1 -run '^$' -bench IntegrationMemory -benchtime 1x -timeout 60m -v .
