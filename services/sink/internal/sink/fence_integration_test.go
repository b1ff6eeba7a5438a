package sink

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/ledger"
	"github.com/tension-dev/tension/services/sink/internal/rebuild"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// These tests race two sinks for the same offsets on the real ClickHouse
// (the local server under `make test`, the replicated cluster under `make
// test-cluster`), with the pause placed where a real zombie's hurts: after
// both of its ledger reads, right before its insert. Kafka is replaced by a
// list of messages; the fencing epoch is the generation each sink holds.

// gate pauses the first journal insert of a sink until released.
type gate struct {
	once     sync.Once
	reached  chan struct{}
	released chan struct{}
}

func newGate() *gate { return &gate{reached: make(chan struct{}), released: make(chan struct{})} }

func (g *gate) hook() {
	g.once.Do(func() {
		close(g.reached)
		<-g.released
	})
}

func messages(t *testing.T, partitions, perPartition int, offset0 int64, idBase int) []kafka.Message {
	t.Helper()
	var out []kafka.Message
	for p := 0; p < partitions; p++ {
		for i := 0; i < perPartition; i++ {
			id := fmt.Sprintf("0b9a6a4c-0000-5000-8000-%012x", idBase+p*100000+i)
			out = append(out, enrichedMessage(t, p, offset0+int64(i), id, "v1"))
		}
	}
	return out
}

func newSink(st Store, src *listSource, reg *prometheus.Registry, cfg Config) *Sink {
	cfg.Topic = "enriched"
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = 20 * time.Millisecond
	}
	if cfg.MaxBatch == 0 {
		cfg.MaxBatch = 1000
	}
	return New(cfg, src, src, &sliceWriter{}, st, slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(reg), nil)
}

// waitDayCount waits until the day buckets count want articles, or d
// passed (checkExact then says what differs).
func waitDayCount(t *testing.T, conn driver.Conn, want int64, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var n int64
		if err := conn.QueryRow(context.Background(), `SELECT sum(articles) FROM index_journal
			WHERE kind = 'bucket' AND pair = '*' AND (tagger_version = '' OR in_current = 1) AND granularity = 'day'`).Scan(&n); err == nil && n == want {
			return
		}
	}
}

// checkExact asserts every granularity counts want articles in the current
// view and the index equals the raw rows.
func checkExact(t *testing.T, conn driver.Conn, st *store.Store, want int64) {
	t.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, `SELECT toString(granularity), sum(articles) FROM index_journal
		WHERE kind = 'bucket' AND pair = '*' AND (tagger_version = '' OR in_current = 1) GROUP BY granularity`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for rows.Next() {
		var g string
		var n int64
		rows.Scan(&g, &n)
		got[g] = n
	}
	rows.Close()
	for _, g := range tension.Granularities {
		if got[string(g)] != want {
			t.Errorf("%s counts %d articles, want %d", g, got[string(g)], want)
		}
	}
	day := time.Date(2025, 4, 9, 0, 0, 0, 0, time.UTC)
	if diffs, err := rebuild.Run(ctx, st, day, day.Add(24*time.Hour), true); err != nil || len(diffs) != 0 {
		t.Errorf("index differs from the raw rows: %v (%v)", diffs, err)
	}
}

func runUntil(t *testing.T, s *Sink, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	deadline := time.Now().Add(2 * time.Minute)
	for !done() {
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("sink did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// A zombie (generation 1) reads the ledger, pauses before its insert; the
// partitions' new owner (generation 2) counts everything; the zombie resumes
// and inserts its block over the owner's. Its check finds the overlap, its
// block loses to the newer generation and is cancelled: every article once.
func TestIntegrationZombieFlushIsCancelled(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_fence")
	st := store.New(conn)
	msgs := messages(t, 2, 50, 0, 1)

	zsrc := newListSource(msgs)
	g := newGate()
	zreg := prometheus.NewRegistry()
	zombie := newSink(st, zsrc, zreg, Config{BeforeJournal: g.hook})
	zctx, zcancel := context.WithCancel(context.Background())
	zerr := make(chan error, 1)
	go func() { zerr <- zombie.Run(zctx) }()
	select {
	case <-g.reached:
	case <-time.After(2 * time.Minute):
		t.Fatal("the zombie never reached its insert")
	}

	osrc := newListSource(msgs)
	osrc.epoch = 2
	owner := newSink(st, osrc, prometheus.NewRegistry(), Config{})
	runUntil(t, owner, func() bool { return osrc.done() })
	checkExact(t, conn, st, 100)

	close(g.released) // the zombie inserts the batch it read before the rebalance
	deadline := time.Now().Add(2 * time.Minute)
	for testutil.ToFloat64(zombie.metrics.compensations) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the zombie's block was never cancelled")
		}
		time.Sleep(20 * time.Millisecond)
	}
	zcancel()
	if err := <-zerr; err != nil {
		t.Fatal(err)
	}
	checkExact(t, conn, st, 100)
	if n := testutil.ToFloat64(zombie.metrics.conflicts.WithLabelValues("offsets")); n != 1 {
		t.Errorf("zombie saw %v offset conflicts, want 1", n)
	}
}

// lostAckStore writes a journal block and then reports an error, once: the
// insert landed, the sink never heard (a timeout after the server
// committed, or a crash between the insert and the check). The block is
// never checked by its writer.
type lostAckStore struct {
	*store.Store
	once sync.Once
	hit  bool
}

func (s *lostAckStore) WriteJournal(ctx context.Context, rows []journal.Row) error {
	if err := s.Store.WriteJournal(ctx, rows); err != nil {
		return err
	}
	lost := false
	s.once.Do(func() { lost, s.hit = true, true })
	if lost {
		return context.DeadlineExceeded
	}
	return nil
}

// A zombie's block that its writer never checked (the insert's reply was
// lost, or the zombie died right after it) is found and cancelled by the
// next sink that reads that part of the ledger: the owner, at its next
// batch.
func TestIntegrationUncheckedZombieBlockIsCancelledByTheOwner(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_fence")
	st := store.New(conn)
	first := messages(t, 1, 40, 0, 1)

	zsrc := newListSource(first)
	g := newGate()
	zst := &lostAckStore{Store: st}
	zombie := newSink(zst, zsrc, prometheus.NewRegistry(), Config{BeforeJournal: g.hook})
	zctx, zcancel := context.WithCancel(context.Background())
	zerr := make(chan error, 1)
	go func() { zerr <- zombie.Run(zctx) }()
	<-g.reached

	osrc := newListSource(first)
	osrc.epoch = 2
	owner := newSink(st, osrc, prometheus.NewRegistry(), Config{})
	runUntil(t, owner, osrc.done)

	close(g.released)
	deadline := time.Now().Add(time.Minute)
	for !zst.hit {
		if time.Now().After(deadline) {
			t.Fatal("the zombie never inserted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	zcancel() // the zombie dies before it retries or checks anything
	<-zerr
	var doubled int64
	conn.QueryRow(context.Background(), `SELECT sum(articles) FROM index_journal
		WHERE kind = 'bucket' AND pair = '*' AND (tagger_version = '' OR in_current = 1) AND granularity = 'day'`).Scan(&doubled)
	if doubled != 80 {
		t.Fatalf("with the zombie's unchecked block the day counts %d; the test expects the double count (80) before the owner's next batch", doubled)
	}

	// The owner's next batch reads the ledger, finds the overlap and
	// cancels the zombie's block: at once where the journal deduplicates
	// (replicated), else once the block is an orphan (its writer would have
	// cancelled it by now).
	time.Sleep(1500 * time.Millisecond)
	more := append(append([]kafka.Message{}, first...), messages(t, 1, 10, 40, 5000)...)
	osrc2 := newListSource(more)
	osrc2.epoch = 2
	owner2 := newSink(st, osrc2, prometheus.NewRegistry(), Config{OrphanAge: time.Second})
	runUntil(t, owner2, osrc2.done)
	checkExact(t, conn, st, 50)
	if n := testutil.ToFloat64(owner2.metrics.compensations); n != 1 {
		t.Errorf("the owner wrote %v compensations, want 1", n)
	}
}

// Two sinks of the same generation, on different partitions, count the same
// article at once (it moved partition when partitions were added, and the
// enricher produced it again). Neither saw the other's count before its
// insert; the checks after find the article counted twice and cancel the
// block with the lower id, whose sink counts its batch again — the article
// now a duplicate.
func TestIntegrationArticleCountedOnTwoPartitionsOnce(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_fence")
	st := store.New(conn)
	shared := "0b9a6a4c-0000-5000-8000-0000000fffff"
	p0 := append(messages(t, 1, 20, 0, 1), enrichedMessage(t, 0, 20, shared, "v1"))
	var p1 []kafka.Message
	for _, m := range messages(t, 1, 20, 0, 9000) {
		m.Partition = 1
		p1 = append(p1, m)
	}
	p1 = append(p1, enrichedMessage(t, 1, 20, shared, "v1"))

	src0, src1 := newListSource(p0), newListSource(p1)
	g0, g1 := newGate(), newGate()
	// Each partition is one batch (full at its last message, never cut by
	// the flush interval on a slow machine), so the shared article is in
	// the batch each sink holds at its gate.
	one := func(g *gate, n int) Config {
		return Config{BeforeJournal: g.hook, MaxBatch: n, FlushInterval: time.Hour, OrphanAge: time.Second, AuditInterval: 100 * time.Millisecond}
	}
	s0 := newSink(st, src0, prometheus.NewRegistry(), one(g0, len(p0)))
	s1 := newSink(st, src1, prometheus.NewRegistry(), one(g1, len(p1)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- s0.Run(ctx) }()
	go func() { errs <- s1.Run(ctx) }()
	<-g0.reached
	<-g1.reached // both read the ledger and the counted set: the shared article is new to both
	close(g0.released)
	close(g1.released)
	deadline := time.Now().Add(2 * time.Minute)
	for !src0.done() || !src1.done() {
		if time.Now().After(deadline) {
			t.Fatal("the sinks did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Whichever sink checked its block first saw no conflict; the other
	// leaves the losing block to its writer until it is an orphan, then
	// cancels it itself, and the loser's sink counts its batch again —
	// with no further message on either partition (the audit).
	waitDayCount(t, conn, 41, time.Minute)
	cancel()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	checkExact(t, conn, st, 41)
	n := testutil.ToFloat64(s0.metrics.conflicts.WithLabelValues("articles")) + testutil.ToFloat64(s1.metrics.conflicts.WithLabelValues("articles"))
	if n < 1 {
		t.Errorf("no article conflict recorded; the race did not happen as planned")
	}
}

// TestIntegrationClusterCompensationIsKeptOnce: what makes a compensation
// safe to write from several sinks on a cluster — the replicated journal
// drops an INSERT identical to a recent block, so the same compensation
// written twice (by two sinks, or a retry) cancels its block once.
func TestIntegrationClusterCompensationIsKeptOnce(t *testing.T) {
	chtest.Cluster(t)
	conn, _ := chtest.Open(t, "tension_test_fence")
	st := store.New(conn)
	ctx := context.Background()
	if dedup, err := st.Deduplicates(ctx); err != nil || !dedup {
		t.Fatalf("Deduplicates = %v (%v) on the cluster", dedup, err)
	}
	var arts []*event.Enriched
	var srcs []store.Source
	for _, m := range messages(t, 1, 10, 0, 1) {
		e, err := decodeEnriched(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		arts = append(arts, e)
		srcs = append(srcs, store.Source{Partition: 0, Offset: m.Offset})
	}
	if err := st.WriteRaw(ctx, arts, srcs); err != nil {
		t.Fatal(err)
	}
	write := func(epoch int32) string {
		b := journal.NewBuilder()
		for _, e := range arts {
			b.Add(e, nil)
		}
		b.Cover("enriched@x", 0, 0, 10)
		block := ledger.NewBlockID(epoch, time.Now())
		if err := st.WriteJournal(ctx, b.Rows(block)); err != nil {
			t.Fatal(err)
		}
		return block
	}
	loser := write(1)
	write(2)
	articles, ranges, err := st.BlockRows(ctx, loser)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := st.VersionTags(ctx, journal.MarkerRefs(articles))
	if err != nil {
		t.Fatal(err)
	}
	comp := journal.Compensation(loser, articles, ranges, tags)
	for range 3 {
		if err := st.WriteJournal(ctx, comp); err != nil {
			t.Fatal(err)
		}
	}
	checkExact(t, conn, st, 10)
}
