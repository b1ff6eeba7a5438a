package journal

import (
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/synth"
	"github.com/tension-dev/tension/pkg/tagger"
	"github.com/tension-dev/tension/pkg/testenv"
)

// syntheticBatch returns n enriched synthetic articles published over the
// span before a fixed day, in random order, made as the enricher makes them:
// the sink's benchmark batch.
func syntheticBatch(tb testing.TB, n int, span time.Duration) []*event.Enriched {
	tb.Helper()
	tg, err := tagger.New()
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2025, 4, 10, 0, 0, 0, 0, time.UTC)
	gen := synth.New(7, now.Add(-span), now)
	out := make([]*event.Enriched, 0, n)
	for i := range n {
		a, _, err := gen.NextRecord(now)
		if err != nil {
			tb.Fatal(err)
		}
		e, _, err := event.Enrich(&a, tg.Tag(a.Title, a.Text), tagger.Version, now)
		if err != nil {
			tb.Fatalf("enrich synthetic article %d: %v", i, err)
		}
		out = append(out, e)
	}
	return out
}

// BenchmarkBuilderBatch counts one sink batch (10,000 synthetic articles,
// none counted before) and builds its rows: the sink's journal accounting
// per batch, without ClickHouse; for a day of news and for a backfill
// spread over two years (every article its own minute, hour and entity
// rows).
func BenchmarkBuilderBatch(b *testing.B) {
	for _, span := range []struct {
		name string
		span time.Duration
	}{{"day", 24 * time.Hour}, {"two-years", 2 * 365 * 24 * time.Hour}} {
		b.Run(span.name, func(b *testing.B) { benchmarkBuilderBatch(b, syntheticBatch(b, 10000, span.span)) })
	}
}

func benchmarkBuilderBatch(b *testing.B, arts []*event.Enriched) {
	b.ReportAllocs()
	b.ResetTimer()
	var rows []Row
	var bl *Builder
	cpu := testenv.SelfCPU()
	for b.Loop() {
		bl = NewBuilder()
		bl.Grow(len(arts)) // as the sink does
		priors := map[string]*Prior{}
		for _, e := range arts {
			bl.Count(e, priors)
		}
		rows = bl.Rows("x")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(arts)), "ns/article")
	b.ReportMetric(float64(len(rows))/float64(len(arts)), "rows/article")
	b.ReportMetric(float64(bl.buckets.len())/float64(len(arts)), "minute-sums/article") // Grow's minutesPerArticle
	b.ReportMetric(float64(bl.rollups.len())/float64(len(arts)), "rollup-keys/article") // Grow's rollupsPerArticle
	b.ReportMetric(float64((testenv.SelfCPU()-cpu).Nanoseconds())/float64(b.N*len(arts)), "cpu-ns/article")
}
