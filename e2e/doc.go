// Package e2e runs the built services (bin/) as real processes against the
// local Kafka and ClickHouse and checks the pipeline from HTTP to index:
// counts, exactly-once under SIGKILL, and bad input. Every test is an
// integration test: `make test` builds the binaries, starts the platform and
// sets TENSION_INTEGRATION=1.
package e2e
