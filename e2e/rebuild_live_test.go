package e2e

import (
	"context"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/synth"
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
	var (
		mu                     sync.Mutex
		runs, corrected, waits int
		stop                   = make(chan struct{})
		done                   = make(chan struct{})
	)
	// At least 10,000 articles, and on until two rebuilds have finished
	// while articles are still being sent: on a busy machine one rebuild can
	// outlast a fixed stream (CI once saw a single rebuild in 20 s).
	d.streamUntil(10000, 60000, 500, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return runs >= 2
	})
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
	d.checkExact(d.ch, "after rebuilds while writing", d.n)
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

// streamUntil sends articles at rate per second in the background, at least
// min of them, then goes on in steps of 1,000 (up to max) until enough
// reports that the drill has seen what it needs, pausing between those
// steps; d.n is the number sent once d.errc closes.
func (d *drill) streamUntil(min, max, rate int, enough func() bool) {
	seed := rand.Uint64()
	d.t.Logf("synthetic seed %d: %d to %d articles at %d/s", seed, min, max, rate)
	gen := synth.New(seed, d.from, d.to)
	d.errc = make(chan error, 1)
	go func() {
		defer close(d.errc)
		start, sent, pause := time.Now(), 0, time.Duration(0)
		for sent < max && (sent < min || !enough()) {
			step := make(chan error, 1)
			d.send(gen, 1000, 500, 0, step)
			if err := <-step; err != nil {
				d.errc <- err
				return
			}
			sent += 1000
			if ahead := time.Duration(float64(sent)/float64(rate)*float64(time.Second)) - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
			if sent >= min && !enough() {
				// Rebuild reads only while no block lands; on a busy machine
				// its reads outlast the gaps between blocks of a steady
				// stream (a cluster run once saw none finish in 120 s). A
				// pause between steps, longer each time, gives it a window
				// while articles are still to be sent.
				pause = 2*pause + 2*time.Second
				if pause > 16*time.Second {
					pause = 16 * time.Second
				}
				time.Sleep(pause)
			}
		}
		d.n = sent
	}()
}
