package e2e

import (
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/synth"
	"github.com/tension-dev/tension/pkg/testenv"
)

// TestIntegrationKafkaKilled SIGKILLs the local platform's only Kafka
// broker 8 s into a stream and starts it again 20 s later
// (scripts/platform.sh up). While it is down ingest refuses with 503 and
// the client sends again; the enricher's and the sink's readers come back
// by themselves when it returns. Every article ends counted exactly once,
// and the time from the broker's return to the last article visible is
// logged (a reader that does not heal waits for the enricher's stall
// restart, two minutes).
func TestIntegrationKafkaKilled(t *testing.T) {
	s := newStack(t)
	s.sendAttempts = 400 // 0.5 s apart: the outage, the broker's start and the leaders' election
	s.startAll()
	const n = 10000
	from := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2025, 2, 8, 0, 0, 0, 0, time.UTC)
	errc := make(chan error, 1)
	go s.send(synth.New(11, from, to), n, 250, 500, errc)

	time.Sleep(8 * time.Second)
	pid, err := testenv.PidFile(filepath.Join(chtest.LocalDir(), "kafka", "kafka.pid"))
	if err != nil {
		t.Fatalf("the local Kafka (start it with scripts/platform.sh up): %v", err)
	}
	t.Logf("SIGKILL kafka (pid %d) for 20 s", pid)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Second)
	restart := time.Now()
	up := exec.Command("bash", filepath.Join(repoRoot(), "scripts", "platform.sh"), "up")
	if out, err := up.CombinedOutput(); err != nil {
		t.Fatalf("scripts/platform.sh up: %v\n%s", err, tail(string(out), 2000))
	}
	t.Logf("kafka started again (scripts/platform.sh up took %v)", time.Since(restart).Round(time.Second))
	if err := <-errc; err != nil {
		t.Fatalf("sending: %v", err)
	}
	hours := s.waitVisible("CN-US", "hour", from, to, n, 5*time.Minute)
	t.Logf("all %d articles visible %v after the restart began; ingest refused %d requests (each sent again)",
		n, time.Since(restart).Round(time.Second), s.refused.Load())
	if s.refused.Load() == 0 {
		t.Error("ingest refused nothing while Kafka was down: the test did not reach the outage")
	}
	s.checkExact(s.ch, "the index", n)
	s.checkIndexMatchesRaw(from, to)
	s.checkAPIMatchesRaw(hours, from, to)
}
