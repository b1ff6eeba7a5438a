package e2e

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// TestIntegrationBackfillThroughput measures backfill into the index:
// articles/s from the start of `backfill -synthetic N` until the index
// counts N in every granularity (Kafka, enricher, sink and ClickHouse all
// on this machine). It runs only with TENSION_BACKFILL_BENCH=1 (N from
// TENSION_BACKFILL_N, default 50,000): it measures, it does not test.
func TestIntegrationBackfillThroughput(t *testing.T) {
	if os.Getenv("TENSION_BACKFILL_BENCH") != "1" {
		t.Skip("a measurement: run with TENSION_BACKFILL_BENCH=1")
	}
	n := 50000
	if v, err := strconv.Atoi(os.Getenv("TENSION_BACKFILL_N")); err == nil && v > 0 {
		n = v
	}
	s := newStack(t)
	s.startAll()
	start := time.Now()
	out, err := s.runBackfill("-synthetic", strconv.Itoa(n), "-from", "2023-01-01", "-to", "2025-01-01", "-seed", "7",
		"-checkpoint", t.TempDir()+"/ck", "-progress", "none")
	if err != nil {
		t.Fatalf("backfill: %v\n%s", err, out)
	}
	published := time.Since(start)
	s.waitTotals(int64(n), 10*time.Minute)
	took := time.Since(start)
	t.Logf("backfill published %d articles to Kafka in %v (%.0f articles/s)", n, published.Round(time.Millisecond),
		float64(n)/published.Seconds())
	t.Logf("backfill into the index: %d articles in %v = %.0f articles/s (start of backfill to index totals = %d)",
		n, took.Round(time.Millisecond), float64(n)/took.Seconds(), n)
}
