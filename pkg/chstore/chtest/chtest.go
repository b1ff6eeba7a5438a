// Package chtest gives integration tests a fresh, migrated ClickHouse
// database on the local server, dropped when the test ends. Integration
// tests run only under TENSION_INTEGRATION=1 (set by `make test`); there a
// missing server fails the test with how to start it, never skips it.
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
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

// setupTimeout bounds creating and migrating a test database. DDL on 18.16
// takes seconds on a loaded two-core machine, so it is generous.
const setupTimeout = 2 * time.Minute

// dropTimeout bounds the best-effort DROP DATABASE at cleanup: on 18.16 under
// load it has taken longer than 30 s.
const dropTimeout = 5 * time.Minute

// dropWait is how long cleanup waits for the drop before leaving it running
// in the background: a slow drop must not hold up (or fail) the suite.
const dropWait = 10 * time.Second

// Open creates and migrates a database named prefix_<random> and returns a
// connection to it and its name. The database is dropped at cleanup, best
// effort: a drop that fails or takes long is reported on stderr and never
// fails the test, whose assertions have all run by then.
func Open(t testing.TB, prefix string) (driver.Conn, string) {
	t.Helper()
	Integration(t)
	var b [4]byte
	rand.Read(b[:])
	name := prefix + "_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conn, err := chstore.Open(ctx, chstore.Config{Addr: Addr(), Database: name})
	if err != nil {
		t.Fatalf("ClickHouse at %s: %v — start it with `make up`", Addr(), err)
	}
	if err := chstore.Migrate(ctx, conn, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate %s: %v", name, err)
	}
	t.Cleanup(func() {
		if os.Getenv("TENSION_KEEP_TEST_DB") != "" {
			conn.Close()
			return
		}
		DropLater(conn, name, true)
	})
	return conn, name
}

// DropLater drops database name on conn in the background, best effort, and
// waits up to dropWait for it. A failure or a drop still running is reported
// on stderr (the test may have finished, so not through t). With closeConn
// the connection is closed once the drop ends.
func DropLater(conn driver.Conn, name string, closeConn bool) {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), dropTimeout)
		defer cancel()
		err := conn.Exec(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
		if closeConn {
			conn.Close()
		}
		done <- err
		if err != nil {
			fmt.Fprintf(os.Stderr, "chtest: cleanup: drop database %s: %v (left behind; harmless)\n", name, err)
		}
	}()
	select {
	case <-done:
	case <-time.After(dropWait):
		fmt.Fprintf(os.Stderr, "chtest: cleanup: drop database %s still running after %v; continuing without it\n", name, dropWait)
	}
}
