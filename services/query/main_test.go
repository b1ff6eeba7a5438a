package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/services/query/internal/api"
)

func TestParseConfigTokens(t *testing.T) {
	none := func(string) string { return "" }
	c, err := parseConfig([]string{"-addr", "0.0.0.0:8081", "-tokens", "aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb"}, none, io.Discard)
	if err != nil || len(c.tokens) != 2 || c.tokens[1] != "bbbbbbbbbbbbbbbb" {
		t.Fatalf("tokens beyond loopback: %+v %v", c.tokens, err)
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:8081", "[::1]:8081"} {
		if _, err := parseConfig([]string{"-addr", addr}, none, io.Discard); err != nil {
			t.Errorf("%s needs no token: %v", addr, err)
		}
	}
}

func TestParseConfig(t *testing.T) {
	env := map[string]string{"QUERY_ADDR": "127.0.0.1:9999", "CLICKHOUSE_DB": "other", "QUERY_MAX_RANGE": "minute=7d"}
	getenv := func(k string) string { return env[k] }
	c, err := parseConfig([]string{"-database", "flagwins"}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != "127.0.0.1:9999" || c.clickhouse != "127.0.0.1:9000" || c.database != "flagwins" ||
		c.ranges.Minute != 7*24*time.Hour || c.ranges.Hour != api.DefaultRanges.Hour || c.queryTimeout != 30*time.Second {
		t.Fatalf("config %+v", c)
	}
	for _, args := range [][]string{{"-max-range", "week=1d"}, {"-query-timeout", "soon"}, {"-nope"}, {"extra"},
		{"-addr", ":8081"}, {"-addr", "0.0.0.0:8081"}, {"-addr", "10.0.0.5:8081"}, {"-tokens", "short"}, {"-tokens-file", "/nonexistent"}} {
		if _, err := parseConfig(args, getenv, io.Discard); err == nil {
			t.Errorf("parseConfig(%v): want an error", args)
		}
	}
}

// TestIntegrationRun starts the whole service in-process on a fresh
// database, checks it answers and that it stops when ctx ends.
func TestIntegrationRun(t *testing.T) {
	// The sink creates and migrates the database; the query service (as
	// the read-only user the environment names) only reads it.
	_, db := chtest.Open(t, "tension_test_query")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0", "-clickhouse", chtest.Addr(), "-database", db}, os.Getenv, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line: %v (start it with `make up`): %v", err, <-done)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	base := strings.TrimSpace(strings.TrimPrefix(line, "query: listening on "))

	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/v1/pairs": 200, "/v1/index?pair=CN-US": 200, "/v1/index?pair=US-CN": 400} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop")
	}
}
