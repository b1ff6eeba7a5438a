package indexpub

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// fakeStore holds summed states (one bucket's pairs) and counts the reads.
type fakeStore struct {
	mu                sync.Mutex
	states            map[store.BucketKey]store.BucketState
	full, revisionsOf int // States and Revisions calls
}

func (f *fakeStore) add(k store.BucketKey, p tension.Parts) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.states[k]
	s.Key = k
	s.Entries++
	s.Parts.Add(p)
	f.states[k] = s
}

func (f *fakeStore) read(refs []store.BucketRef) []store.BucketState {
	f.mu.Lock()
	defer f.mu.Unlock()
	want := map[store.BucketRef]bool{}
	for _, r := range refs {
		want[r] = true
	}
	var out []store.BucketState
	for k, s := range f.states {
		if want[k.Ref()] {
			out = append(out, s)
		}
	}
	return out
}

func (f *fakeStore) States(_ context.Context, refs []store.BucketRef, _ bool) ([]store.BucketState, []store.BucketState, error) {
	f.full++
	return f.read(refs), nil, nil
}

func (f *fakeStore) Revisions(_ context.Context, refs []store.BucketRef, _ bool) (map[store.BucketRef]int64, error) {
	f.revisionsOf++
	return store.SumRevisions(f.read(refs)), nil
}

func (f *fakeStore) BaseShares(context.Context, time.Time, time.Time) (map[string]map[string]float64, error) {
	return nil, nil
}

// topic is a compacted topic's log; before runs at the start of every
// write, before its messages are appended.
type topic struct {
	log    []kafka.Message
	before func()
}

func (t *topic) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	if t.before != nil {
		b := t.before
		t.before = nil
		b()
	}
	t.log = append(t.log, msgs...)
	return nil
}

// last is what compaction keeps: the last update of every key.
func (t *topic) last(tb testing.TB) map[string]tension.Update {
	tb.Helper()
	out := map[string]tension.Update{}
	for _, m := range t.log {
		var u tension.Update
		if err := json.Unmarshal(m.Value, &u); err != nil {
			tb.Fatal(err)
		}
		out[string(m.Key)] = u
	}
	return out
}

var (
	bucket = time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	pairK  = store.BucketKey{Granularity: tension.Hour, Pair: "CN-US", Bucket: bucket.Unix()}
	allK   = store.BucketKey{Granularity: tension.Hour, Pair: tension.AllPair, Bucket: bucket.Unix()}
)

// newCase is a publisher and the store it reads, with one pair's and the
// "*" state in one hour bucket, and the buckets a batch touched: those of
// minutes of that hour (all three granularities), and with more than
// revisionReadMin the minutes of the days after it.
func newCase(minutes int) (*fakeStore, *topic, *Publisher, Touched) {
	st := &fakeStore{states: map[store.BucketKey]store.BucketState{}}
	st.add(allK, tension.Parts{Articles: 1})
	st.add(pairK, tension.Parts{DyadArticles: 1, Escalating: 1, SumScore: 0.5, SumWeight: 1})
	out := &topic{}
	p := New(Config{}, st, out, nil, slog.New(slog.DiscardHandler))
	touched := Touched{}
	for i := range minutes {
		p.Add(touched, bucket.Add(time.Duration(i)*time.Minute), "")
	}
	return st, out, p, touched
}

// Another writer (a second sink) changes a bucket after this publisher read
// it and publishes its newer state before this publisher's older one lands:
// the re-check sees the revision move and publishes the newest state again,
// so the topic's last message per key is the newest state — whether the
// re-check reads the states at once (few buckets) or their revisions first.
func TestRecheckRepublishesWhatAnotherWriterChanged(t *testing.T) {
	for _, tc := range []struct {
		name            string
		minutes         int
		full, revisions int // reads, this publisher's and the other writer's
	}{
		// full reads: the publish's, the re-check's, the second re-check's
		// of the moved bucket, the other writer's
		{name: "few buckets", minutes: 1, full: 4},
		// the publish's, the moved bucket's after the revision read, the
		// second re-check's of that one bucket, the other writer's
		{name: "many buckets", minutes: revisionReadMin, full: 4, revisions: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, out, p, touched := newCase(tc.minutes)
			out.before = func() {
				st.add(pairK, tension.Parts{DyadArticles: 1, Deescalating: 1, SumScore: -0.5, SumWeight: 1})
				st.add(allK, tension.Parts{Articles: 1})
				other := New(Config{Rechecks: -1}, st, out, nil, slog.New(slog.DiscardHandler))
				if _, err := other.Publish(context.Background(), touched); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := p.Publish(context.Background(), touched); err != nil {
				t.Fatal(err)
			}
			last := out.last(t)
			got := last[tension.UpdateKey("CN-US", tension.Hour, bucket, "")]
			if got.Revision != 4 || got.Articles != 2 || got.DyadArticles != 2 || got.Deescalating != 1 {
				t.Errorf("last CN-US update %+v, want revision 4 with both writers' rows", got)
			}
			if all := last[tension.UpdateKey(tension.AllPair, tension.Hour, bucket, "")]; all.Revision != 2 || all.Articles != 2 {
				t.Errorf("last * update %+v, want revision 2, 2 articles", all)
			}
			if st.full != tc.full || st.revisionsOf != tc.revisions {
				t.Errorf("%d full reads and %d revision reads, want %d and %d", st.full, st.revisionsOf, tc.full, tc.revisions)
			}
		})
	}
}

// Without another writer a re-check of many buckets reads only their
// revisions, and one of a few reads the states once more; neither
// publishes anything more.
func TestRecheckWithoutAnotherWriter(t *testing.T) {
	for _, tc := range []struct {
		name            string
		minutes         int
		full, revisions int
	}{
		{name: "few buckets", minutes: 1, full: 2},
		{name: "many buckets", minutes: revisionReadMin, full: 1, revisions: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, out, p, touched := newCase(tc.minutes)
			n, err := p.Publish(context.Background(), touched)
			if err != nil {
				t.Fatal(err)
			}
			if n != 2 || len(out.log) != 2 {
				t.Errorf("published %d updates (%d messages), want 2", n, len(out.log))
			}
			if st.full != tc.full || st.revisionsOf != tc.revisions {
				t.Errorf("%d full reads and %d revision reads, want %d and %d", st.full, st.revisionsOf, tc.full, tc.revisions)
			}
		})
	}
}

func TestRecheckDisabled(t *testing.T) {
	st, _, _, touched := newCase(revisionReadMin)
	p := New(Config{Rechecks: -1}, st, &topic{}, nil, slog.New(slog.DiscardHandler))
	if _, err := p.Publish(context.Background(), touched); err != nil {
		t.Fatal(err)
	}
	if st.full != 1 || st.revisionsOf != 0 {
		t.Errorf("%d full reads and %d revision reads, want 1 and 0", st.full, st.revisionsOf)
	}
}
