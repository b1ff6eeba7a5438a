package sink

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/rebuild"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// TestIntegrationOlderTaggerVersionArrivingLate goes through the real
// store: an article enriched with tagger-1.2.0, then again with the older
// tagger-1.1.0 (a late replay). The journal's current view, the raw tables'
// current row (argMax by version) and rebuild agree that 1.2.0 is current:
// `rebuild -dry-run` finds nothing to correct.
func TestIntegrationOlderTaggerVersionArrivingLate(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_precedence")
	st := store.New(conn)
	ctx := context.Background()
	newer := enrichedMessage(t, 0, 0, idA, "tagger-1.2.0") // escalation, 0.5
	older := enrichedMessage(t, 0, 1, idA, "tagger-1.1.0")
	older.Value = mustReplace(t, older.Value, `"tension":0.5,"direction":"escalation"`, `"tension":-0.4,"direction":"de-escalation"`)
	for _, batch := range [][]kafka.Message{{newer}, {older}} {
		src := newListSource(batch)
		s := New(Config{Topic: "enriched", MaxBatch: 10, FlushInterval: 10 * time.Millisecond}, src, src, &sliceWriter{}, st,
			slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()), nil)
		drain(t, s, src, st)
	}
	day := tension.Day.Truncate(time.Date(2025, 4, 9, 12, 0, 0, 0, time.UTC))
	buckets, err := st.JournalBuckets(ctx, day, day.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for version, want := range map[string][2]int64{"": {1, 0}, "tagger-1.2.0": {1, 0}, "tagger-1.1.0": {0, 1}} {
		p := buckets[store.BucketKey{Granularity: tension.Day, Pair: "CN-US", TaggerVersion: version, Bucket: day.Unix()}]
		if p.Escalating != want[0] || p.Deescalating != want[1] || p.DyadArticles != 1 {
			t.Fatalf("journal %q view: %+v, want escalating %d de-escalating %d", version, p, want[0], want[1])
		}
	}
	var current string
	if err := conn.QueryRow(ctx, `SELECT argMax(tagger_version, version) FROM articles WHERE article_id = toUUID(?)`, idA).Scan(&current); err != nil {
		t.Fatal(err)
	}
	if current != "tagger-1.2.0" {
		t.Fatalf("raw tables' current version = %q, want tagger-1.2.0", current)
	}
	diffs, err := rebuild.Run(ctx, st, day, day.Add(24*time.Hour), true)
	if err != nil || len(diffs) != 0 {
		t.Fatalf("rebuild -dry-run: %v %v", diffs, err)
	}
}

func mustReplace(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	s := string(b)
	if !strings.Contains(s, old) {
		t.Fatalf("%s not in %s", old, s)
	}
	return []byte(strings.Replace(s, old, new, 1))
}
