package sink

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/indexpub"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// States sums the journal's bucket rows and, with cells, its cell rows
// like the ClickHouse store.
func (m *memStore) States(_ context.Context, refs []store.BucketRef, cells bool) (pairs, cellStates []store.BucketState, err error) {
	pairs = m.states(refs, journal.KindBucket)
	if cells {
		cellStates = m.states(refs, journal.KindCell)
	}
	return pairs, cellStates, nil
}

// Revisions sums each bucket's states' Entries, like the ClickHouse store.
func (m *memStore) Revisions(ctx context.Context, refs []store.BucketRef, cells bool) (map[store.BucketRef]int64, error) {
	pairs, cellStates, err := m.States(ctx, refs, cells)
	return store.SumRevisions(pairs, cellStates), err
}

func (m *memStore) states(refs []store.BucketRef, kind string) []store.BucketState {
	m.mu.Lock()
	defer m.mu.Unlock()
	want := map[store.BucketRef]bool{}
	for _, r := range refs {
		want[r] = true
	}
	type key struct {
		store.BucketKey
		cell string
	}
	sum := map[key]*store.BucketState{}
	var order []key
	for _, r := range m.rows {
		if r.Kind != kind {
			continue
		}
		g := tension.Granularity(r.Granularity)
		for _, v := range r.Views() { // a row in the current view too counts in both
			if !want[store.BucketRef{Granularity: g, TaggerVersion: v, Bucket: r.Bucket.Unix()}] {
				continue
			}
			k := key{store.BucketKey{Granularity: g, Pair: r.Pair, TaggerVersion: v, Bucket: r.Bucket.Unix()}, r.Key}
			if sum[k] == nil {
				sum[k] = &store.BucketState{Key: k.BucketKey, Cell: r.Key}
				order = append(order, k)
			}
			sum[k].Entries += r.Entries
			sum[k].Parts.Add(r.Parts)
		}
	}
	out := make([]store.BucketState, 0, len(order))
	for _, k := range order {
		out = append(out, *sum[k])
	}
	return out
}

func (m *memStore) BaseShares(context.Context, time.Time, time.Time) (map[string]map[string]float64, error) {
	return nil, nil
}

// flakyWriter fails its first `fail` writes.
type flakyWriter struct {
	mu   sync.Mutex
	fail int
	got  []kafka.Message
}

func (w *flakyWriter) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail > 0 {
		w.fail--
		return errors.New("broker gone")
	}
	w.got = append(w.got, msgs...)
	return nil
}

// latest keeps the highest revision per key, as a consumer of the
// compacted topic does.
func (w *flakyWriter) latest(t *testing.T) map[string]tension.Update {
	return latestOf(t, w, func(u *tension.Update) (string, int64, tension.Parts) { return u.Key(), u.Revision, u.Parts })
}

// latestCells is latest for the cells topic.
func (w *flakyWriter) latestCells(t *testing.T) map[string]tension.CellUpdate {
	return latestOf(t, w, func(u *tension.CellUpdate) (string, int64, tension.Parts) { return u.Key(), u.Revision, u.Parts })
}

// latestOf decodes every message w got as a U and keeps the highest
// revision per key; a message's key must be its update's, and one revision
// must carry one state.
func latestOf[U any](t *testing.T, w *flakyWriter, fields func(*U) (string, int64, tension.Parts)) map[string]U {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]U{}
	for _, m := range w.got {
		var u U
		if err := json.Unmarshal(m.Value, &u); err != nil {
			t.Fatal(err)
		}
		key, rev, parts := fields(&u)
		if string(m.Key) != key {
			t.Fatalf("key %q, update says %q", m.Key, key)
		}
		prev, ok := out[key]
		if !ok {
			out[key] = u
			continue
		}
		_, prevRev, prevParts := fields(&prev)
		if rev > prevRev {
			out[key] = u
		} else if rev == prevRev && parts != prevParts {
			t.Fatalf("revision %d of %s carries two states: %+v and %+v", rev, key, prevParts, parts)
		}
	}
	return out
}

func runIndexed(t *testing.T, st *memStore, out, cells *flakyWriter, msgs []kafka.Message) {
	t.Helper()
	src := newListSource(msgs)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var pub *indexpub.Publisher
	if cells == nil {
		pub = indexpub.New(indexpub.Config{Versions: true}, st, out, nil, logger)
	} else {
		pub = indexpub.New(indexpub.Config{Versions: true}, st, out, cells, logger)
	}
	s := New(Config{Topic: "enriched", MaxBatch: 3, FlushInterval: 10 * time.Millisecond}, src, src, &sliceWriter{}, st,
		logger, NewMetrics(prometheus.NewRegistry()), pub)
	drain(t, s, src, st)
}

// The index topic ends with the journal's state for every bucket even when
// a publish fails after the journal block is written: the retry finds the
// batch below the ledger (a replay) and republishes its buckets.
func TestIndexUpdatesSurviveAFailedPublish(t *testing.T) {
	st := &memStore{}
	out := &flakyWriter{fail: 1}
	runIndexed(t, st, out, nil, []kafka.Message{
		enrichedMessage(t, 0, 0, idA, "v1"),
		enrichedMessage(t, 0, 1, idB, "v1"),
		enrichedMessage(t, 1, 0, idC, "v1"),
	})
	got := out.latest(t)
	day := time.Date(2025, 4, 9, 0, 0, 0, 0, time.UTC)
	all := got[tension.UpdateKey(tension.AllPair, tension.Day, day, "")]
	cnus := got[tension.UpdateKey("CN-US", tension.Day, day, "")]
	if all.Articles != 3 || cnus.DyadArticles != 3 || cnus.Articles != 3 || cnus.TensionShare != 1 {
		t.Fatalf("day updates: * %+v, CN-US %+v", all, cnus)
	}
	if cnus.Revision != 2 { // one journal row for CN-US and one for "*"
		t.Fatalf("revision = %d, want 2", cnus.Revision)
	}
	// A new tagger version moves the current view: the bucket is re-emitted
	// with a higher revision, and the version's own view appears.
	runIndexed(t, st, out, nil, []kafka.Message{enrichedMessage(t, 0, 2, idA, "v2")})
	got = out.latest(t)
	again := got[tension.UpdateKey("CN-US", tension.Day, day, "")]
	if again.Revision <= cnus.Revision || again.DyadArticles != 3 {
		t.Fatalf("after recount: %+v (was revision %d)", again, cnus.Revision)
	}
	if v2 := got[tension.UpdateKey("CN-US", tension.Day, day, "v2")]; v2.DyadArticles != 1 {
		t.Fatalf("v2 view: %+v", v2)
	}
	// Every bucket in the journal is on the topic with its state.
	states, _, _ := st.States(context.Background(), refsOf(st), false)
	for _, u := range indexpub.Updates(states, nil, time.Now()) {
		if g := got[u.Key()]; g.Revision != u.Revision || g.Parts != u.Parts {
			t.Errorf("%s: topic %+v rev %d, journal %+v rev %d", u.Key(), g.Parts, g.Revision, u.Parts, u.Revision)
		}
	}
}

func refsOf(m *memStore) []store.BucketRef {
	var out []store.BucketRef
	for _, r := range m.rows {
		if r.Kind == journal.KindBucket {
			for _, v := range r.Views() {
				out = append(out, store.BucketRef{Granularity: tension.Granularity(r.Granularity), TaggerVersion: v, Bucket: r.Bucket.Unix()})
			}
		}
	}
	return out
}

// With -index-cells, the cells topic ends with the journal's state of
// every cell, through a failed publish and a recount, and a pair's cells add
// up to the pair's update on the index topic (the "*" language cells to
// every article), bucket by bucket, in every view.
func TestIndexCellsAddUpToThePairs(t *testing.T) {
	st := &memStore{}
	out, cells := &flakyWriter{}, &flakyWriter{fail: 1}
	runIndexed(t, st, out, cells, []kafka.Message{
		enrichedMessage(t, 0, 0, idA, "v1"),
		enrichedMessage(t, 0, 1, idB, "v1"),
		enrichedMessage(t, 1, 0, idC, "v1"),
	})
	runIndexed(t, st, out, cells, []kafka.Message{enrichedMessage(t, 0, 2, idA, "v2")})
	pairs, got := out.latest(t), cells.latestCells(t)
	if len(got) == 0 {
		t.Fatal("no cell updates")
	}
	type bucketOf struct {
		pair, g, version string
		start            int64
	}
	sums := map[bucketOf]tension.Parts{}
	for _, c := range got {
		k := bucketOf{c.Pair, c.Granularity, c.TaggerVersion, c.BucketStart.Unix()}
		p := sums[k]
		p.Add(c.Parts)
		sums[k] = p
	}
	for _, u := range pairs {
		sum := sums[bucketOf{u.Pair, u.Granularity, u.TaggerVersion, u.BucketStart.Unix()}]
		want := u.Parts
		if u.Pair != tension.AllPair {
			want.Articles = 0 // a pair's update carries every article as its denominator; its cells only dyad parts
		}
		if sum.Articles != want.Articles || sum.DyadArticles != want.DyadArticles || sum.Escalating != want.Escalating ||
			sum.Deescalating != want.Deescalating || sum.Mixed != want.Mixed ||
			math.Abs(sum.SumScore-want.SumScore) > 1e-9 || math.Abs(sum.SumWeight-want.SumWeight) > 1e-9 {
			t.Errorf("%s: cells sum to %+v, the pair has %+v", u.Key(), sum, want)
		}
	}
	_, states, _ := st.States(context.Background(), refsOf(st), true)
	want, err := indexpub.CellUpdates(states, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(got) {
		t.Errorf("%d cells on the topic, %d in the journal", len(got), len(want))
	}
	for _, u := range want {
		if g := got[u.Key()]; g.Revision != u.Revision || g.Parts != u.Parts {
			t.Errorf("%s: topic %+v rev %d, journal %+v rev %d", u.Key(), g.Parts, g.Revision, u.Parts, u.Revision)
		}
	}
}
