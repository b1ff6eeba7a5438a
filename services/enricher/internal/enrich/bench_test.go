package enrich

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/synth"
	"github.com/tension-dev/tension/pkg/tagger"
)

// synthRaw makes n synthetic raw messages as ingest publishes them
// (decoded, stamped and encoded by event.EncodeArticle, keyed by id).
func synthRaw(tb testing.TB, seed uint64, n int) []kafka.Message {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	gen := synth.New(7+seed, now.Add(-24*time.Hour), now)
	msgs := make([]kafka.Message, 0, n)
	for range n {
		_, rec, err := gen.NextRecord(now)
		if err != nil {
			tb.Fatal(err)
		}
		msgs = append(msgs, kafka.Message{Key: rec.Key, Value: rec.Value})
	}
	return msgs
}

// BenchmarkTagBatch is the enricher's CPU work on a batch without Kafka:
// 2,000 synthetic raw articles decoded, tagged and encoded on the worker
// pool (tagBatch), per article. With -cpu 1 it is one core's rate.
func BenchmarkTagBatch(b *testing.B) {
	batch := synthRaw(b, 0, 2000)
	size := 0
	for _, m := range batch {
		size += len(m.Value)
	}
	t, err := tagger.New()
	if err != nil {
		b.Fatal(err)
	}
	e := New(Config{TaggerVersion: tagger.Version}, nil, nil, nil, t,
		slog.New(slog.NewJSONHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()))
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		outs, _, dead := e.tagBatch(batch)
		if len(dead) > 0 || len(outs) != len(batch) {
			b.Fatalf("%d dead letters, %d outputs of %d", len(dead), len(outs), len(batch))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch))/1e3, "µs/article")
}
