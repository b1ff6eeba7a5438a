// Package e2e runs the services as real processes against the local Kafka
// and ClickHouse and checks the pipeline from HTTP to index: counts,
// exactly-once under SIGKILL, and bad input. Every test is an integration
// test: `make test` starts the platform and sets TENSION_INTEGRATION=1, and
// TestMain builds the binaries with the testhooks build tag (the hooks the
// tests drive; production builds in bin/ have none).
package e2e
