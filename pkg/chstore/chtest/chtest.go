// Package chtest gives integration tests a fresh, migrated ClickHouse
// database on the local server, dropped when the test ends. Integration
// tests run only under TENSION_INTEGRATION=1 (set by `make test`); there a
// missing server fails the test with how to start it, never skips it.
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/chstore"
)

// Integration skips t unless TENSION_INTEGRATION=1. Outside `make test` an
// integration test has no server to talk to; inside it, it must run.
func Integration(t testing.TB) {
	t.Helper()
	if os.Getenv("TENSION_INTEGRATION") != "1" {
		t.Skip("integration test: run with `make test` (sets TENSION_INTEGRATION=1)")
	}
}

// Addr is the ClickHouse native address tests use.
func Addr() string {
	if a := os.Getenv("CLICKHOUSE_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:9000"
}

// Open creates and migrates a database named prefix_<random> and returns a
// connection to it and its name. The database is dropped at cleanup.
func Open(t testing.TB, prefix string) (driver.Conn, string) {
	t.Helper()
	Integration(t)
	var b [4]byte
	rand.Read(b[:])
	name := prefix + "_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := chstore.Open(ctx, chstore.Config{Addr: Addr(), Database: name})
	if err != nil {
		t.Fatalf("ClickHouse at %s: %v — start it with `make up`", Addr(), err)
	}
	if err := chstore.Migrate(ctx, conn, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if os.Getenv("TENSION_KEEP_TEST_DB") == "" {
			if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
				t.Errorf("drop %s: %v", name, err)
			}
		}
		conn.Close()
	})
	return conn, name
}
