package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/pkg/chstore/chtest"
)

// TestSecurityAdmin: the sink's only listener is its admin one; beyond
// loopback it refuses to start without admin tokens (16+ characters), and
// before it connects to anything.
func TestSecurityAdmin(t *testing.T) {
	none := func(string) string { return "" }
	for _, args := range [][]string{
		{"serve", "-addr", "0.0.0.0:0"},
		{"serve", "-addr", "0.0.0.0:0", "-admin-tokens", "short"},
	} {
		err := run(context.Background(), args, none, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "admin") {
			t.Errorf("run %v: %v, want a refusal about admin tokens", args, err)
		}
	}
	// With a token the same handler guards /readyz and /metrics.
	if _, err := admin.Handler("0.0.0.0:0", admin.NewRegistry(), admin.NewReadiness(nil), []string{"admin-token-0123456789"}); err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationSinkNeedsPassword: configured with its user and no
// password, neither `sink serve` nor `sink rebuild` gets into ClickHouse.
func TestIntegrationSinkNeedsPassword(t *testing.T) {
	cfg := chtest.Config("default")
	env := map[string]string{"CLICKHOUSE_ADDR": cfg.Addr, "CLICKHOUSE_USER": cfg.Username, "KAFKA_BROKERS": "127.0.0.1:1"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	chtest.Integration(t)
	for _, args := range [][]string{{"serve", "-addr", "127.0.0.1:0"}, {"rebuild", "-from", "2025-01-01", "-to", "2025-01-02"}} {
		err := run(ctx, args, func(k string) string { return env[k] }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "refused user") {
			t.Errorf("sink %s without a password: %v, want a refused login", args[0], err)
		}
	}
}
