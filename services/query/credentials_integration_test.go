package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/chstore/chtest"
)

// TestIntegrationQueryNeedsPassword: with its user configured and no
// password the query service does not get in (no password-less login
// exists on the platform), and says why.
func TestIntegrationQueryNeedsPassword(t *testing.T) {
	_, db := chtest.Open(t, "tension_test_query_pw")
	reader := chtest.ReaderConfig(db)
	env := map[string]string{"CLICKHOUSE_ADDR": reader.Addr, "CLICKHOUSE_DB": db, "CLICKHOUSE_READ_USER": reader.Username}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run(ctx, []string{"-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "refused user") {
		t.Fatalf("query without a password: %v, want a refused login", err)
	}
	for _, user := range []string{"default", chstore.DefaultWriterUser, chstore.DefaultReaderUser} {
		conn, err := chstore.Connect(ctx, chstore.Config{Addr: reader.Addr, Database: "default", Username: user})
		if err == nil {
			conn.Close()
			t.Errorf("user %q logged in without a password", user)
		}
	}
}

// TestIntegrationQueryUserCannotWrite: the query service's user reads but
// cannot insert, create, drop or lift its read-only setting.
func TestIntegrationQueryUserCannotWrite(t *testing.T) {
	_, db := chtest.Open(t, "tension_test_query_ro")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := chstore.Connect(ctx, chtest.ReaderConfig(db))
	if err != nil {
		t.Fatalf("reader login: %v", err)
	}
	defer conn.Close()
	if ro, err := chstore.ReadOnly(ctx, conn); err != nil || !ro {
		t.Fatalf("ReadOnly = %v, %v", ro, err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM index_journal").Scan(&n); err != nil {
		t.Fatalf("the reader cannot read: %v", err)
	}
	for _, stmt := range []string{
		"INSERT INTO schema_migrations (version, name) VALUES (999, 'x')",
		"CREATE TABLE evil (a UInt8) ENGINE = Memory",
		"DROP TABLE index_journal",
		"CREATE DATABASE evil_db",
	} {
		if err := conn.Exec(ctx, stmt); err == nil {
			t.Errorf("the query user ran %q", stmt)
		}
	}
	lift := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"readonly": 0}))
	if err := conn.Exec(lift, "INSERT INTO schema_migrations (version, name) VALUES (998, 'x')"); err == nil {
		t.Error("the query user lifted readonly with a query setting and inserted")
	}
	if err := chstore.CheckMigrated(ctx, conn); err != nil {
		t.Fatalf("CheckMigrated as the reader: %v", err)
	}
}

// TestIntegrationStalledClickHouse (issue 8, item 10): a private server is
// SIGSTOPped under a running query service. /readyz keeps answering within
// 1 s and turns 503 within seconds; a request in flight and the next one
// get 503 within seconds, not after the 30 s query timeout; after SIGCONT
// the service is ready again.
func TestIntegrationStalledClickHouse(t *testing.T) {
	srv := chtest.StartServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	w := srv.Writer
	w.Database = "tension_stall"
	conn, err := chstore.Open(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if err := chstore.Migrate(ctx, w, conn, discard()); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte(srv.Reader.Password+"\n"), 0o600)
	base, _ := startQuery(t, ctx, []string{"-clickhouse", srv.Addr, "-database", "tension_stall",
		"-clickhouse-user", srv.Reader.Username, "-clickhouse-password-file", pwFile})
	const index = "/v1/index?pair=CN-US&interval=day&from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z"
	if code, took := timedGet(t, base+index, 30*time.Second); code != 200 {
		t.Fatalf("before the stall: %s = %d (%v)", index, code, took)
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	stalled := time.Now()
	inflight := make(chan [2]any, 1)
	go func() {
		code, took := timedGet(t, base+index, 60*time.Second)
		inflight <- [2]any{code, took}
	}()
	var notReadyAfter time.Duration
	for notReadyAfter == 0 {
		code, took := timedGet(t, base+"/readyz", 5*time.Second)
		if took > time.Second {
			t.Fatalf("/readyz took %v during the stall (code %d), want ≤ 1 s", took, code)
		}
		if code == 503 {
			notReadyAfter = time.Since(stalled)
		} else if time.Since(stalled) > 10*time.Second {
			t.Fatalf("/readyz still %d 10 s into the stall", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	r := <-inflight
	if r[0].(int) != 503 || r[1].(time.Duration) > 10*time.Second {
		t.Fatalf("request in flight at the stall: %d after %v, want 503 within seconds", r[0], r[1])
	}
	code, took := timedGet(t, base+index, 30*time.Second)
	if code != 503 || took > time.Second {
		t.Fatalf("request during the stall: %d after %v, want 503 at once", code, took)
	}
	t.Logf("stalled ClickHouse: /readyz 503 after %v; the in-flight request 503 after %v; a new one 503 in %v",
		notReadyAfter.Round(time.Millisecond), r[1].(time.Duration).Round(time.Millisecond), took.Round(time.Millisecond))

	if err := srv.Continue(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if code, _ := timedGet(t, base+"/readyz", 5*time.Second); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready 60 s after SIGCONT")
		}
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		code, _ := timedGet(t, base+index, 30*time.Second)
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %d 60 s after SIGCONT", index, code)
		}
	}
}
