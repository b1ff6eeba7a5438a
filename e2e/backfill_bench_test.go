package e2e

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkIntegrationBackfill measures backfill into the index (`make
// bench-backfill`): articles/s from the start of `backfill -synthetic N`
// (two years of publication times) until the index counts N in every
// granularity, with Kafka, enricher, sink and ClickHouse all on this
// machine. N is TENSION_BENCH_ARTICLES (default 50,000). The generator
// draws publication times in random order; backfill sends them sorted
// within its order window, TENSION_BENCH_ORDER_WINDOW articles (default:
// backfill's default, 200,000; 0 = in the generator's random order).
func BenchmarkIntegrationBackfill(b *testing.B) {
	n := envInt(b, "TENSION_BENCH_ARTICLES", 50000)
	args := []string{"-synthetic", strconv.Itoa(n), "-from", "2023-01-01", "-to", "2025-01-01", "-seed", "7", "-progress", "none"}
	if w := os.Getenv("TENSION_BENCH_ORDER_WINDOW"); w != "" {
		args = append(args, "-order-window", w)
	}
	b.Logf("backfill %s", strings.Join(args, " "))
	for range b.N {
		s := newStack(b)
		s.startAll()
		start := time.Now()
		out, err := s.runBackfill(append(args, "-checkpoint", b.TempDir()+"/ck")...)
		if err != nil {
			b.Fatalf("backfill: %v\n%s", err, out)
		}
		published := time.Since(start)
		s.waitTotals(int64(n), 10*time.Minute)
		took := time.Since(start)
		b.Logf("backfill published %d articles to Kafka in %v (%.0f articles/s)", n, published.Round(time.Millisecond),
			float64(n)/published.Seconds())
		b.Logf("backfill into the index: %d articles in %v = %.0f articles/s (start of backfill to index totals = %d)",
			n, took.Round(time.Millisecond), float64(n)/took.Seconds(), n)
		b.ReportMetric(float64(n)/took.Seconds(), "articles/s")
		b.ReportMetric(float64(n)/published.Seconds(), "published/s")
	}
}
