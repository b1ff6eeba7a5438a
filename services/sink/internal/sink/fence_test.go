package sink

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/ledger"
)

// runBriefly runs s for d and returns what Ready said at the end.
func runBriefly(t *testing.T, s *Sink, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	return s.Ready(context.Background())
}

// A topic deleted and created again has a new id: its offsets start over,
// and the ledger's ranges (of the old id) must not make the new messages
// look like replays. The sink refuses to count — readiness, metric, log —
// until told to adopt the new log; then it counts it from its start.
func TestRecreatedTopicStopsTheSinkUntilAdopted(t *testing.T) {
	st := &memStore{}
	old := newListSource([]kafka.Message{enrichedMessage(t, 0, 0, idA, "v1"), enrichedMessage(t, 0, 1, idB, "v1")})
	s := New(Config{Topic: "enriched", FlushInterval: 10 * time.Millisecond}, old, old, &sliceWriter{}, st,
		slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()), nil)
	drain(t, s, old, st)

	recreated := newListSource([]kafka.Message{enrichedMessage(t, 0, 0, idC, "v1"), enrichedMessage(t, 0, 1, idA, "v1")})
	recreated.logID = "enriched@00000000000000000000000000000002"
	m := NewMetrics(prometheus.NewRegistry())
	s = New(Config{Topic: "enriched", FlushInterval: 10 * time.Millisecond}, recreated, recreated, &sliceWriter{}, st,
		slog.New(slog.NewTextHandler(io.Discard, nil)), m, nil)
	err := runBriefly(t, s, 500*time.Millisecond)
	if !errors.Is(err, ErrLogMismatch) || !strings.Contains(err.Error(), recreated.logID) {
		t.Fatalf("readiness = %v, want ErrLogMismatch naming the new log", err)
	}
	if testutil.ToFloat64(m.logMismatch) != 1 {
		t.Error("tension_sink_ledger_log_mismatch is not 1")
	}
	if got := st.articles(tension.Day); got != 2 {
		t.Fatalf("the refusing sink counted: day = %d, want 2", got)
	}

	s = New(Config{Topic: "enriched", FlushInterval: 10 * time.Millisecond, AdoptLog: true}, recreated, recreated,
		&sliceWriter{}, st, slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()), nil)
	drain(t, s, recreated, st)
	if got := st.articles(tension.Day); got != 3 { // C is new; A was counted from the old log already
		t.Fatalf("after adopting: day = %d, want 3", got)
	}
	if err := s.Ready(context.Background()); err != nil {
		t.Fatalf("readiness after adopting: %v", err)
	}
}

// A ledger that reaches past the log's end means the log lost messages
// (truncated, a broker's data lost): new messages would get offsets the
// ledger covers and be skipped. The sink refuses.
func TestLedgerBeyondTheLogsEndStopsTheSink(t *testing.T) {
	st := &memStore{}
	b := journal.NewBuilder()
	b.Cover("enriched@00000000000000000000000000000001", 0, 0, 100)
	st.WriteJournal(context.Background(), b.Rows(ledger.NewBlockID(1, time.Now())))
	src := newListSource([]kafka.Message{enrichedMessage(t, 0, 0, idA, "v1")}) // the log ends at 1
	s := New(Config{Topic: "enriched", FlushInterval: 10 * time.Millisecond}, src, src, &sliceWriter{}, st,
		slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()), nil)
	if err := runBriefly(t, s, 500*time.Millisecond); !errors.Is(err, ErrLogMismatch) || !strings.Contains(err.Error(), "lost messages") {
		t.Fatalf("readiness = %v, want ErrLogMismatch about lost messages", err)
	}
	if got := st.articles(tension.Day); got != 0 {
		t.Fatalf("counted %d with a ledger past the log's end", got)
	}
}

// A newer release that migrates the database under a running sink stops it
// at its next batch: Run returns chstore.ErrSchemaNewer (the process exits
// and its partitions go to the newer sinks), readiness says why, and
// nothing after the check is counted. Here the database turns newer at the
// third check: the generation's start, the first batch's, the second's.
func TestNewerSchemaStopsTheSinkBeforeItsNextBatch(t *testing.T) {
	st := &memStore{newerAfter: 3}
	src := newListSource([]kafka.Message{enrichedMessage(t, 0, 0, idA, "v1"), enrichedMessage(t, 0, 1, idB, "v1"),
		enrichedMessage(t, 0, 2, idC, "v1")})
	s := New(Config{Topic: "enriched", MaxBatch: 1, FlushInterval: 10 * time.Millisecond}, src, src, &sliceWriter{}, st,
		slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	err := s.Run(ctx)
	if !errors.Is(err, chstore.ErrSchemaNewer) {
		t.Fatalf("Run = %v, want ErrSchemaNewer", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("Run returned only when its context ended (%v)", time.Since(start))
	}
	if got := st.articles(tension.Day); got != 1 {
		t.Fatalf("day = %d, want 1 (the batch before the migration)", got)
	}
	if err := s.Ready(context.Background()); !errors.Is(err, chstore.ErrSchemaNewer) {
		t.Fatalf("readiness = %v, want ErrSchemaNewer", err)
	}
}
