package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
)

// TestIntegrationReprocessNeedsPassword: configured with its user and no
// password, `backfill reprocess` does not get into ClickHouse.
func TestIntegrationReprocessNeedsPassword(t *testing.T) {
	chtest.Integration(t)
	cfg := chtest.Config("default")
	env := map[string]string{"CLICKHOUSE_ADDR": cfg.Addr, "CLICKHOUSE_USER": cfg.Username, "KAFKA_BROKERS": "127.0.0.1:1"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run(ctx, []string{"reprocess", "-from", "2025-01-01", "-to", "2025-01-02"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "refused user") {
		t.Fatalf("reprocess without a password: %v, want a refused login", err)
	}
}
