package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/synth"
	"github.com/tension-dev/tension/pkg/testenv"
)

// Outages of the local platform's servers (scripts/platform.sh) while a
// stream runs: the server is SIGKILLed 8 s in and started again after a
// while with scripts/platform.sh up, which starts what is not running and
// waits until it answers. Every article ends counted exactly once, and the
// time from the restart to the last article visible is logged.

// TestIntegrationKafkaKilled: the only Kafka broker, for 20 s. While it is
// down ingest refuses with 503 and the client sends again; the enricher's
// and the sink's readers come back by themselves when it returns (a reader
// that handed out its queued reports of old reconnection attempts one per
// backoff took minutes: cluster drill 6).
func TestIntegrationKafkaKilled(t *testing.T) {
	s := newStack(t)
	s.sendAttempts = 400 // 0.5 s apart: the outage, the broker's start and the leaders' election
	s.startAll()
	refusedBefore := platformOutage(s, "kafka", 20*time.Second, 10000)
	if s.refused.Load() == refusedBefore {
		t.Error("ingest refused nothing while Kafka was down: the test did not reach the outage")
	}
}

// TestIntegrationClickHouseKilled: ClickHouse, for 60 s. Ingest and the
// enricher go on; the sink's writes fail and it retries the batch in hand
// (nothing is committed to Kafka before its block is written), and writes
// what queued up once ClickHouse is back.
func TestIntegrationClickHouseKilled(t *testing.T) {
	s := newStack(t)
	s.startAll()
	platformOutage(s, "clickhouse", 60*time.Second, 10000)
	if s.refused.Load() != 0 {
		t.Errorf("ingest refused %d requests while only ClickHouse was down", s.refused.Load())
	}
}

// platformOutage streams n articles at 500/s, SIGKILLs the platform's
// server (kafka or clickhouse) 8 s in, starts it again after down, and
// checks that all n are counted exactly once. It returns how many requests
// ingest had refused before the kill.
func platformOutage(s *stack, server string, down time.Duration, n int) (refusedBefore int64) {
	t := s.t
	t.Helper()
	from := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2025, 2, 8, 0, 0, 0, 0, time.UTC)
	errc := make(chan error, 1)
	go s.send(synth.New(11, from, to), n, 250, 500, errc)

	time.Sleep(8 * time.Second)
	pid, err := testenv.PidFile(filepath.Join(chtest.LocalDir(), server, server+".pid"))
	if err != nil {
		t.Fatalf("the local %s (start it with scripts/platform.sh up): %v", server, err)
	}
	refusedBefore = s.refused.Load()
	t.Logf("SIGKILL %s (pid %d) for %v", server, pid, down)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(down)
	restart := time.Now()
	up := exec.Command("bash", filepath.Join(repoRoot(), "scripts", "platform.sh"), "up")
	if out, err := up.CombinedOutput(); err != nil {
		t.Fatalf("scripts/platform.sh up: %v\n%s", err, tail(string(out), 2000))
	}
	t.Logf("%s started again (scripts/platform.sh up took %v)", server, time.Since(restart).Round(time.Second))
	if err := <-errc; err != nil {
		t.Fatalf("sending: %v", err)
	}
	hours := s.waitVisible("CN-US", "hour", from, to, int64(n), 5*time.Minute)
	t.Logf("all %d articles visible %v after the restart began; ingest refused %d requests (each sent again)",
		n, time.Since(restart).Round(time.Second), s.refused.Load())
	if server == "clickhouse" {
		s.reconnectClickHouse()
	}
	s.checkExact(s.ch, "the index", n)
	s.checkIndexMatchesRaw(from, to)
	s.checkAPIMatchesRaw(hours, from, to)
	return refusedBefore
}

// reconnectClickHouse gives the test a new connection to its database after
// the server restarted: the pooled ones the kill broke would each fail a
// query once (EPIPE) before the pool drops them. The old one drops the
// database at cleanup (chtest.DropLater tries twice).
func (s *stack) reconnectClickHouse() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := chstore.Connect(ctx, chtest.Config(s.db))
	if err != nil {
		s.t.Fatalf("reconnect to ClickHouse: %v", err)
	}
	s.t.Cleanup(func() { conn.Close() })
	s.ch = conn
}
