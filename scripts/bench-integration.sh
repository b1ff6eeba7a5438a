#!/usr/bin/env bash
# bench-integration.sh MODULE BENCHMARK PACKAGE [BENCHTIME]: runs one integration benchmark (a Go benchmark that
# needs the local Kafka and ClickHouse) once (or BENCHTIME, e.g. 5x), verbosely. Starts the platform when it is not up and stops only what
# it started. Used by `make bench-enricher` (services/enricher BenchmarkIntegrationEnricher: the enricher's
# CPU per article from Kafka to Kafka), `make bench-memory` (e2e BenchmarkIntegrationMemory: peak RSS of
# enricher and sink, with the production binaries of `make build` in bin/) and `make bench-sink` (services/sink
# BenchmarkIntegrationSinkVsNative: the sink against a native insert of the same rows).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} # the approved Go; see README
module=$1 bench=$2 pkg=$3 benchtime=${4:-1x} # runs of each benchmark

started=0
if ! bash scripts/platform.sh status >/dev/null 2>&1; then
	bash scripts/platform.sh up
	started=1
fi
root=$PWD
cleanup() { ((started)) && bash "$root/scripts/platform.sh" down || true; } # runs after the cd below
trap cleanup EXIT
# Addresses, ClickHouse users and password files of the local platform.
eval "$(bash scripts/platform.sh env)"

export TENSION_INTEGRATION=1 TENSION_REPO=$PWD TENSION_BIN=$PWD/bin
cd "$module" && go test -count=1 -run '^$' -bench "$bench" -benchtime "$benchtime" -timeout 60m -v "$pkg"
