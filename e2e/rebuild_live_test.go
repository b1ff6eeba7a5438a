package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestIntegrationRebuildWhileSinksWrite runs `sink rebuild` (not -dry-run)
// over and over while two sinks write a stream, after damaging the index:
// every rebuild must leave the index exact for what the journal counts —
// the damage corrected once, no article of a batch in flight added early or
// twice — so at the end the counts are exact in every granularity and
// `sink rebuild -dry-run` is clean.
func TestIntegrationRebuildWhileSinksWrite(t *testing.T) {
	d := &drill{stack: newStack(t), from: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)}
	for _, name := range []string{"sink", "sink-2", "enricher", "ingest", "query"} {
		d.start(name)
	}
	// Damage: one article too many in a day bucket of the range.
	if err := d.ch.Exec(context.Background(), `INSERT INTO index_journal (kind, key, granularity, pair, tagger_version,
		bucket, src_partition, position, entries, articles) SELECT 'bucket', '', 'day', '*', '', toDateTime('2024-03-05 00:00:00'), 0, 0, 1, 1`); err != nil {
		t.Fatal(err)
	}
	d.stream(10000, 500)
	var (
		mu                     sync.Mutex
		runs, corrected, waits int
		stop                   = make(chan struct{})
		done                   = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(1500 * time.Millisecond):
			}
			cmd := exec.Command(filepath.Join(d.bin, "sink"), "rebuild",
				"-from", d.from.Format(time.RFC3339), "-to", d.to.Format(time.RFC3339))
			cmd.Env = d.env("sink")
			out, err := cmd.CombinedOutput()
			mu.Lock()
			runs++
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			last := lines[len(lines)-1]
			switch {
			case err == nil && strings.Contains(last, "buckets corrected"):
				if !strings.HasPrefix(last, "0 buckets") {
					corrected++
				}
			case err != nil && (strings.Contains(string(out), "being settled") || strings.Contains(string(out), "kept changing")):
				waits++ // a conflict pending or blocks landing throughout: it refused, as it must
			case err != nil:
				t.Errorf("sink rebuild while sinks write: %v\n%s", err, tail(string(out), 2000))
			}
			mu.Unlock()
		}
	}()
	if err := <-d.errc; err != nil {
		t.Fatalf("sending: %v", err)
	}
	mu.Lock()
	whileSending := runs
	mu.Unlock()
	d.waitVisible("CN-US", "hour", d.from, d.to, int64(d.n), 5*time.Minute)
	close(stop)
	<-done
	d.checkExact(d.ch, "after rebuilds while writing")
	d.checkIndexMatchesRaw(d.from, d.to)
	t.Logf("%d rebuilds ran while the sinks wrote (%d of them before the last article was sent); %d corrected something, %d refused and waited",
		runs, whileSending, corrected, waits)
	if whileSending == 0 {
		t.Error("no rebuild finished while articles were still being sent: nothing ran beside writing sinks")
	}
	if corrected == 0 {
		t.Error("no rebuild corrected the damaged bucket")
	}
}
