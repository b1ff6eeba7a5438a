// Package chtest gives integration tests a migrated ClickHouse database of
// their own on the local server, dropped when the test ends. Tests that use
// it run only with TENSION_INTEGRATION=1 (set by `make test`) and fail
// loudly when the server is missing.
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/chstore"
)

// Addr is the local ClickHouse native port, overridable with CLICKHOUSE_ADDR.
func Addr() string {
	if a := os.Getenv("CLICKHOUSE_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:9000"
}

// Require skips the test unless TENSION_INTEGRATION=1.
func Require(tb testing.TB) {
	tb.Helper()
	if os.Getenv("TENSION_INTEGRATION") != "1" {
		tb.Skip("integration: run with make test")
	}
}

// DB creates tension_test_query_<random>, migrates it and returns a
// connection to it; the database is dropped when tb ends.
func DB(tb testing.TB) driver.Conn {
	tb.Helper()
	Require(tb)
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := "tension_test_query_" + hex.EncodeToString(rnd[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := chstore.Open(ctx, chstore.Config{Addr: Addr(), Database: name})
	if err != nil {
		msg := err.Error()
		if !strings.Contains(msg, "make up") {
			msg += " (start it with `make up`)"
		}
		tb.Fatalf("integration: ClickHouse on %s is not answering: %s", Addr(), msg)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			tb.Logf("drop %s: %v", name, err)
		}
		conn.Close()
	})
	if err := chstore.Migrate(ctx, conn, slog.New(slog.DiscardHandler)); err != nil {
		tb.Fatalf("migrate %s: %v", name, err)
	}
	return conn
}
