package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/ledger"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// memStore keeps journal rows in memory and answers Ledger and Priors by
// summing them, as ClickHouse does. It checks the sink's logic, not
// ClickHouse (the store's own integration test does that).
type memStore struct {
	mu      sync.Mutex
	rows    []journal.Row
	raw     int
	failRaw int
	// dedup: drop a journal block identical to one written before, as a
	// replicated table does.
	dedup  bool
	blocks map[string]bool
	// stored: the raw rows, as the articles they came from
	stored map[journal.VersionRef]*event.Enriched
	// newerAfter > 0: NotNewer reports a newer release's migration from
	// its newerAfter-th call on (schemaChecks counts the calls).
	newerAfter, schemaChecks int
}

func (m *memStore) Priors(_ context.Context, ids []string) (map[string]*journal.Prior, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	out := map[string]*journal.Prior{}
	for _, r := range m.rows {
		if r.Kind != journal.KindArticle || !want[r.Key] {
			continue
		}
		p := out[r.Key]
		if p == nil {
			p = &journal.Prior{Versions: map[string]bool{}}
			out[r.Key] = p
		}
		for _, v := range r.Views() {
			if v != journal.CurrentView {
				p.Versions[v] = true
			} else {
				p.Current = append(p.Current, journal.Contribution{Pair: r.Pair, Bucket: r.Bucket, Cell: r.Cell, Marker: r.Marker, Parts: r.Parts})
			}
		}
	}
	return out, nil
}

func (m *memStore) WriteRaw(_ context.Context, arts []*event.Enriched, _ []store.Source) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failRaw > 0 {
		m.failRaw--
		return context.DeadlineExceeded
	}
	m.raw += len(arts)
	if m.stored == nil {
		m.stored = map[journal.VersionRef]*event.Enriched{}
	}
	for _, e := range arts {
		m.stored[journal.VersionRef{ID: e.ArticleID, Version: e.TaggerVersion}] = e
	}
	return nil
}

// WritePointers: memStore keeps no article_versions (the query service
// reads them; the sink's integration tests check them).
func (m *memStore) WritePointers(context.Context, []journal.Pointer) error { return nil }

func (m *memStore) VersionTags(_ context.Context, refs []journal.VersionAt) (map[journal.VersionRef]*journal.Tags, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[journal.VersionRef]*journal.Tags{}
	for _, r := range refs {
		if e := m.stored[r.VersionRef]; e != nil {
			out[r.VersionRef] = journal.TagsOf(e)
		}
	}
	return out, nil
}

func (m *memStore) WriteJournal(_ context.Context, rows []journal.Row) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dedup {
		id := fmt.Sprint(rows)
		if m.blocks[id] {
			return nil
		}
		if m.blocks == nil {
			m.blocks = map[string]bool{}
		}
		m.blocks[id] = true
	}
	m.rows = append(m.rows, rows...)
	return nil
}

func (m *memStore) articles(g tension.Granularity) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for _, r := range m.rows {
		if r.Kind == journal.KindBucket && r.Granularity == string(g) && r.Pair == tension.AllPair && slices.Contains(r.Views(), journal.CurrentView) {
			n += r.Articles
		}
	}
	return n
}

type sliceWriter struct {
	mu  sync.Mutex
	got []kafka.Message
}

func (w *sliceWriter) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	w.mu.Lock()
	w.got = append(w.got, msgs...)
	w.mu.Unlock()
	return nil
}

func enrichedMessage(t *testing.T, partition int, offset int64, id, version string) kafka.Message {
	t.Helper()
	e := event.Enriched{ArticleID: id, EventID: id, TaggerVersion: version, Text: "x",
		PublishedAt: time.Date(2025, 4, 9, 12, 0, 0, 0, time.UTC), ReceivedAt: time.Now(), EnrichedAt: time.Now(),
		Tags: event.Tags{
			// Entities and cues, so that every test through the sink also
			// moves the ranked lists' rollups (and rebuild checks them).
			Entities: []event.Entity{{Text: "Washington", Type: "GOV", Canonical: "Washington", Country: "US", End: 10},
				{Text: "Washington", Type: "GOV", Canonical: "Washington", Country: "US", End: 10}, {Text: "Beijing", Type: "GOV", Canonical: "Beijing", Country: "CN", End: 7}},
			Dyads: []event.Dyad{{Pair: "CN-US", Tension: 0.5, Direction: event.DirectionEscalation, Cues: []event.Cue{
				{Text: "raised tariffs", Category: "tariff", Actor: "US", Target: "CN", Polarity: 1, Weight: 4.4, SourceType: "GOV"},
				{Text: "raised tariffs", Category: "tariff", Actor: "US", Target: "CN", Polarity: 1, Weight: 0.7, SourceType: "GOV"}}}}}}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return kafka.Message{Topic: "enriched", Partition: partition, Offset: offset, Key: []byte(id), Value: b}
}

func run(t *testing.T, st *memStore, msgs []kafka.Message) *sliceWriter {
	t.Helper()
	src := newListSource(msgs)
	dlq := &sliceWriter{}
	s := New(Config{Topic: "enriched", MaxBatch: 3, FlushInterval: 10 * time.Millisecond}, src, src, dlq, st,
		slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()), nil)
	drain(t, s, src, st)
	return dlq
}

const (
	idA = "0b9a6a4c-0000-5000-8000-00000000000a"
	idB = "0b9a6a4c-0000-5000-8000-00000000000b"
	idC = "0b9a6a4c-0000-5000-8000-00000000000c"
)

func TestReplayAfterCrashCountsNothingTwice(t *testing.T) {
	st := &memStore{failRaw: 1} // the first write fails and is retried
	msgs := []kafka.Message{
		enrichedMessage(t, 0, 0, idA, "v1"),
		enrichedMessage(t, 0, 1, idB, "v1"),
		enrichedMessage(t, 1, 0, idC, "v1"),
		enrichedMessage(t, 1, 1, idA, "v1"), // the enricher produced A twice
		{Topic: "enriched", Partition: 1, Offset: 2, Value: []byte("garbage")},
	}
	dlq := run(t, st, msgs)
	if got := st.articles(tension.Day); got != 3 {
		t.Fatalf("day count = %d, want 3", got)
	}
	if len(dlq.got) != 1 || kafkax.Header(dlq.got[0], kafkax.HeaderStage) != Stage {
		t.Fatalf("dead letters = %v", dlq.got)
	}
	// A restarted consumer that lost its commits replays everything: the
	// ledger skips it all.
	run(t, st, msgs)
	for _, g := range tension.Granularities {
		if got := st.articles(g); got != 3 {
			t.Fatalf("after replay %s count = %d, want 3", g, got)
		}
	}
	l := liveLedger(st, map[int32]int64{0: 0, 1: 0})
	if e, _ := l.End(0); e != 2 {
		t.Errorf("ledger of partition 0 ends at %d, want 2", e)
	}
	if e, _ := l.End(1); e != 3 {
		t.Errorf("ledger of partition 1 ends at %d, want 3", e)
	}
}

func TestNewTaggerVersionRecounts(t *testing.T) {
	st := &memStore{}
	run(t, st, []kafka.Message{enrichedMessage(t, 0, 0, idA, "v1")})
	run(t, st, []kafka.Message{enrichedMessage(t, 0, 1, idA, "v2")})
	if got := st.articles(tension.Hour); got != 1 {
		t.Fatalf("current view counts %d, want 1", got)
	}
	if st.raw != 2 {
		t.Fatalf("raw writes = %d, want both versions stored", st.raw)
	}
}

func TestValidateEnriched(t *testing.T) {
	ok := func() *event.Enriched {
		return &event.Enriched{ArticleID: idA, TaggerVersion: "v", PublishedAt: time.Now(),
			Tags: event.Tags{Dyads: []event.Dyad{{Pair: "CN-US", Tension: 0.1, Direction: event.DirectionNeutral}}}}
	}
	tests := []struct {
		name    string
		mutate  func(*event.Enriched)
		wantErr bool
	}{
		{"valid", func(*event.Enriched) {}, false},
		{"bad id", func(e *event.Enriched) { e.ArticleID = "x" }, true},
		{"no version", func(e *event.Enriched) { e.TaggerVersion = "" }, true},
		{"no time", func(e *event.Enriched) { e.PublishedAt = time.Time{} }, true},
		{"unsorted pair", func(e *event.Enriched) { e.Dyads[0].Pair = "US-CN" }, true},
		{"tension out of range", func(e *event.Enriched) { e.Dyads[0].Tension = 1.5 }, true},
		{"unknown direction", func(e *event.Enriched) { e.Dyads[0].Direction = "up" }, true},
		{"year 1900", func(e *event.Enriched) { e.PublishedAt = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok()
			tt.mutate(e)
			if err := ValidateEnriched(e); (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

// racingStore lets "another sink" write a block for the same partition
// while this sink prepares its batch (between its raw insert and its journal
// insert), as a sink that lost its partitions during a pause would.
type racingStore struct {
	*memStore
	once  sync.Once
	other func()
}

func (r *racingStore) WriteRaw(ctx context.Context, arts []*event.Enriched, srcs []store.Source) error {
	if err := r.memStore.WriteRaw(ctx, arts, srcs); err != nil {
		return err
	}
	r.once.Do(r.other)
	return nil
}

func TestLedgerMovedUnderBatchIsRetriedNotDoubleCounted(t *testing.T) {
	mem := &memStore{}
	msgs := []kafka.Message{enrichedMessage(t, 0, 0, idA, "v1"), enrichedMessage(t, 0, 1, idB, "v1")}
	st := &racingStore{memStore: mem}
	src := newListSource(msgs)
	st.other = func() {
		// The other writer counts both messages first.
		b := journal.NewBuilder()
		for _, m := range msgs {
			e, err := decodeEnriched(m.Value)
			if err != nil {
				t.Error(err)
			}
			b.Add(e, nil)
		}
		b.Cover(src.logID, 0, 0, 2)
		mem.WriteJournal(context.Background(), b.Rows(ledger.NewBlockID(src.epoch, time.Now())))
	}
	s := New(Config{Topic: "enriched", MaxBatch: 10, FlushInterval: 10 * time.Millisecond}, src, src, &sliceWriter{}, st,
		slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()), nil)
	drain(t, s, src, mem)
	if got := mem.articles(tension.Day); got != 2 {
		t.Fatalf("day count = %d, want 2 (each article once)", got)
	}
	if e, _ := liveLedger(mem, map[int32]int64{0: 0}).End(0); e != 2 {
		t.Fatalf("ledger of partition 0 ends at %d, want 2", e)
	}
}

// liveLedger is the ledger of the test log as the sink reads it.
func liveLedger(st *memStore, from map[int32]int64) *ledger.Ledger {
	rows, _ := st.Ranges(context.Background(), newListSource(nil).logID, from)
	var live []ledger.Range
	for _, r := range rows {
		if r.Entries > 0 {
			live = append(live, r.Range)
		}
	}
	return ledger.New(live)
}

// TestGenerationStartRetriesSoonThenBacksOff: a generation whose partitions
// cannot be started yet (a topic created a moment ago has no leaders) is
// tried again after 100 ms, 200 ms, 400 ms …: the sink starts within a
// second of the topic being usable (it waited 2 s after each failure), and
// does not spin while it is not.
func TestGenerationStartRetriesSoonThenBacksOff(t *testing.T) {
	st := &memStore{}
	src := newListSource([]kafka.Message{enrichedMessage(t, 0, 0, idA, "v1")})
	src.boundsFailures = 3
	s := New(Config{Topic: "enriched", MaxBatch: 3, FlushInterval: 10 * time.Millisecond}, src, src, &sliceWriter{}, st,
		slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()), nil)
	start := time.Now()
	drain(t, s, src, st)
	took := time.Since(start)
	if want := 700 * time.Millisecond; took < want {
		t.Errorf("drained %v after three failed starts: the pauses (100+200+400 ms) were not taken", took)
	}
	if limit := 5 * time.Second; took > limit { // 6 s with the old fixed 2 s pause
		t.Errorf("drained %v after three failed starts, want under %v", took, limit)
	}
	if got := st.articles(tension.Day); got != 1 {
		t.Fatalf("day count = %d, want 1", got)
	}
}
