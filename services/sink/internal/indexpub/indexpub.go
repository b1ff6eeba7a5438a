// Package indexpub publishes tension.index.v1 (schemas/index.v1.json): after
// the sink commits a journal block it reads back, in one query, the state of
// every bucket the block touched and publishes one update per pair, keyed by
// pair|granularity|bucket_start on a compacted topic.
//
// Delivery: at least once, newest state wins. The revision of an update is
// read from the journal (the number of journal rows of the bucket), so it is
// stored atomically with the data; the same revision always carries the same
// content. A crash after the journal insert and before the publish is
// repaired by the sink, not here: the block's Kafka offsets were not
// committed (the commit follows the publish), so Kafka redelivers its
// messages, the ledger marks them as replays, and the sink republishes the
// buckets of every replayed message (see sink.flush).
package indexpub

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// Store reads bucket states back from the journal.
type Store interface {
	// States reads the pairs' states in refs' buckets and, with cells, the
	// split's cells' states, in one read.
	States(ctx context.Context, refs []store.BucketRef, cells bool) (pairs, cellStates []store.BucketState, err error)
	// Revisions reads each bucket's revision: the Entries of the states
	// States reads in it, summed (with cells, the cells' too).
	Revisions(ctx context.Context, refs []store.BucketRef, cells bool) (map[store.BucketRef]int64, error)
	BaseShares(ctx context.Context, from, to time.Time) (map[string]map[string]float64, error)
}

// Writer publishes to the index topic (the writer's topic).
type Writer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Config selects what is published. The zero value publishes the current
// view only, without tension_index, with one re-check.
type Config struct {
	// Versions also publishes each tagger version's own view (keys end in
	// |tagger_version). Default: the current view only.
	Versions bool
	// BaseFrom, BaseTo: the base period of tension_index (100 × share /
	// the pair's share over the base, from day rows). Without both,
	// tension_index is omitted.
	BaseFrom, BaseTo time.Time
	// Rechecks: after publishing, check the buckets' revisions again and
	// republish the buckets another writer (a second sink, a rebuild)
	// changed meanwhile, so the compacted topic's last message per key is the
	// newest state even when two sinks race on one bucket. Negative
	// disables; 0 means 2.
	Rechecks int
}

// Publisher publishes bucket states.
type Publisher struct {
	cfg    Config
	store  Store
	out    Writer
	cells  Writer // nil: no cell updates
	logger *slog.Logger
	now    func() time.Time
}

// New wires a publisher of the pairs' updates to out and, when cells is
// not nil, of the split's cell updates (tension.CellUpdate) to cells, the
// topic tension.index.cells.v1.
func New(cfg Config, st Store, out, cells Writer, logger *slog.Logger) *Publisher {
	if cfg.Rechecks == 0 {
		cfg.Rechecks = 2
	}
	return &Publisher{cfg: cfg, store: st, out: out, cells: cells, logger: logger, now: time.Now}
}

// Touched is the set of buckets a batch changed.
type Touched map[store.BucketRef]struct{}

// Add marks the buckets (every granularity) of an event time in the current
// view and, when versions are published, in taggerVersion's view.
func (p *Publisher) Add(t Touched, ts time.Time, taggerVersion string) {
	for _, g := range tension.Granularities {
		b := g.Truncate(ts).Unix()
		t[store.BucketRef{Granularity: g, TaggerVersion: journal.CurrentView, Bucket: b}] = struct{}{}
		if p.cfg.Versions && taggerVersion != journal.CurrentView {
			t[store.BucketRef{Granularity: g, TaggerVersion: taggerVersion, Bucket: b}] = struct{}{}
		}
	}
}

// AddArticle marks the buckets an enriched article counts in.
func (p *Publisher) AddArticle(t Touched, e *event.Enriched) {
	ts := e.PublishedAt
	if ts.IsZero() {
		ts = e.ReceivedAt
	}
	p.Add(t, ts.UTC(), e.TaggerVersion)
}

// Publish reads the touched buckets back and publishes every pair's update
// in them; it returns how many updates it wrote. An error means some
// updates may be missing: the caller must not commit its offsets.
//
// Each re-check reads the states again and republishes the buckets whose
// revision moved. When they are many (revisionReadMin), it first reads only
// the buckets' revisions (Store.Revisions) and then in full only the
// buckets whose revision moved: in a backfill a batch touches ~12,000
// buckets (~24,000 states), and a second full read cost the server as much
// as the first, where without another writer none moved.
func (p *Publisher) Publish(ctx context.Context, t Touched) (int, error) {
	if len(t) == 0 {
		return 0, nil
	}
	refs := make([]store.BucketRef, 0, len(t))
	for r := range t {
		refs = append(refs, r)
	}
	bases, err := p.bases(ctx)
	if err != nil {
		return 0, err
	}
	published := map[string]int64{} // by message key: the revision written
	read := revisions{}
	total, _, err := p.publishRound(ctx, refs, bases, published, read)
	if err != nil {
		return total, err
	}
	for round := 1; round <= p.cfg.Rechecks; round++ {
		if len(refs) >= revisionReadMin {
			if refs, err = p.moved(ctx, refs, read); err != nil || len(refs) == 0 {
				return total, err
			}
		}
		n, moved, err := p.publishRound(ctx, refs, bases, published, read)
		total += n
		if err != nil {
			return total, err
		}
		if n > 0 {
			p.logger.Info("index buckets changed while publishing; republished", "updates", n, "round", round)
		}
		if len(moved) == 0 {
			return total, nil
		}
		refs = moved
	}
	return total, nil
}

// revisionReadMin is how many buckets a re-check must cover for it to read
// their revisions before any state. Below it a re-check reads the states at
// once, as many round trips as before: a live stream's next batch, written
// while this one publishes, moves most of a small batch's few buckets (its
// minute, hour and day), so a revision read would mostly add a round trip
// before the same full read.
const revisionReadMin = 1000

// revisions are the revisions of the buckets a publish read in full.
type revisions map[store.BucketRef]int64

// note records the revisions of refs from their states just read
// (store.SumRevisions, what Store.Revisions reads) and returns the buckets
// whose revision moved since an earlier read.
func (r revisions) note(refs []store.BucketRef, stateSets ...[]store.BucketState) (moved []store.BucketRef) {
	now := store.SumRevisions(stateSets...)
	for _, ref := range refs {
		if before, ok := r[ref]; ok && before != now[ref] {
			moved = append(moved, ref)
		}
		r[ref] = now[ref]
	}
	return moved
}

// moved reads the revisions of refs and returns the buckets whose revision
// differs from the one read holds: another writer changed them after they
// were read.
func (p *Publisher) moved(ctx context.Context, refs []store.BucketRef, read revisions) ([]store.BucketRef, error) {
	now, err := p.store.Revisions(ctx, refs, p.cells != nil)
	if err != nil {
		return nil, fmt.Errorf("indexpub: %w", err)
	}
	var out []store.BucketRef
	for _, r := range refs {
		if now[r] != read[r] {
			out = append(out, r)
		}
	}
	return out, nil
}

// bases are the base shares of tension_index, when a base period is set.
func (p *Publisher) bases(ctx context.Context) (map[string]map[string]float64, error) {
	if p.cfg.BaseFrom.IsZero() || !p.cfg.BaseFrom.Before(p.cfg.BaseTo) {
		return nil, nil
	}
	bases, err := p.store.BaseShares(ctx, p.cfg.BaseFrom, p.cfg.BaseTo)
	if err != nil {
		return nil, fmt.Errorf("indexpub: %w", err)
	}
	return bases, nil
}

// publishRound reads the states of refs, notes their revisions in read,
// and publishes the updates whose revision was not published yet
// (published records what was), the pairs' and, when cells are published,
// the cells'. It also returns the buckets whose revision moved since read
// last held it.
func (p *Publisher) publishRound(ctx context.Context, refs []store.BucketRef, bases map[string]map[string]float64,
	published map[string]int64, read revisions) (int, []store.BucketRef, error) {
	states, cellStates, err := p.store.States(ctx, refs, p.cells != nil)
	if err != nil {
		return 0, nil, fmt.Errorf("indexpub: %w", err)
	}
	moved := read.note(refs, states, cellStates)
	var pending []pendingUpdate
	updates := Updates(states, bases, p.now())
	for i := range updates {
		u := &updates[i]
		pending = append(pending, pendingUpdate{key: u.Key(), revision: u.Revision, value: u})
	}
	n, err := p.write(ctx, p.out, pending, published)
	if err != nil || p.cells == nil {
		return n, moved, err
	}
	cells, err := CellUpdates(cellStates, p.now())
	if err != nil {
		return n, moved, err
	}
	pending = pending[:0]
	for i := range cells {
		u := &cells[i]
		pending = append(pending, pendingUpdate{key: u.Key(), revision: u.Revision, value: u})
	}
	m, err := p.write(ctx, p.cells, pending, published)
	return n + m, moved, err
}

// pendingUpdate is one message to publish unless its revision was.
type pendingUpdate struct {
	key      string
	revision int64
	value    jsonAppender
}

// jsonAppender is an update that writes its own JSON (tension.Update and
// CellUpdate): the bytes encoding/json would make, without reflection.
type jsonAppender interface {
	AppendJSON(dst []byte) ([]byte, error)
}

// updateBytes is the room write makes per update for the messages' JSON
// (an update's JSON is ~300 bytes; the buffer grows when it must).
const updateBytes = 320

// write publishes the updates whose revision is newer than what published
// holds for their key, to out.
func (p *Publisher) write(ctx context.Context, out Writer, updates []pendingUpdate, published map[string]int64) (int, error) {
	msgs := make([]kafka.Message, 0, len(updates))
	// The messages' values are consecutive pieces of one buffer, each capped
	// at its end; a piece made before the buffer grew keeps the old array.
	buf := make([]byte, 0, updateBytes*len(updates))
	for _, u := range updates {
		if rev, ok := published[u.key]; ok && rev >= u.revision {
			continue
		}
		start := len(buf)
		var err error
		if buf, err = u.value.AppendJSON(buf); err != nil {
			return 0, fmt.Errorf("indexpub: encode update %s: %w", u.key, err)
		}
		msgs = append(msgs, kafka.Message{Key: []byte(u.key), Value: buf[start:len(buf):len(buf)]})
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	if err := out.WriteMessages(ctx, msgs...); err != nil {
		return 0, fmt.Errorf("indexpub: write %d updates: %w", len(msgs), err)
	}
	for _, u := range updates {
		published[u.key] = max(published[u.key], u.revision)
	}
	return len(msgs), nil
}

// Updates turns bucket states into updates: each pair's parts with the
// bucket's article count (the "*" pair) as the denominator, and a revision
// that counts the journal rows of both, so it grows whenever either changes.
func Updates(states []store.BucketState, bases map[string]map[string]float64, now time.Time) []tension.Update {
	type ref struct {
		g       tension.Granularity
		version string
		bucket  int64
	}
	all := map[ref]store.BucketState{}
	for _, s := range states {
		if s.Key.Pair == tension.AllPair {
			all[ref{s.Key.Granularity, s.Key.TaggerVersion, s.Key.Bucket}] = s
		}
	}
	out := make([]tension.Update, 0, len(states))
	for _, s := range states {
		a := all[ref{s.Key.Granularity, s.Key.TaggerVersion, s.Key.Bucket}]
		rev := s.Entries
		if s.Key.Pair != tension.AllPair {
			rev += a.Entries
		}
		out = append(out, tension.NewUpdate(s.Key.Pair, s.Key.Granularity, time.Unix(s.Key.Bucket, 0),
			s.Key.TaggerVersion, rev, s.Parts, a.Parts.Articles, bases[s.Key.TaggerVersion][s.Key.Pair], now))
	}
	return out
}

// CellUpdates turns cell states into updates: each cell's own parts, its
// revision the number of journal rows of the cell (a cell update carries
// no ratio, so no other row's count enters it).
func CellUpdates(states []store.BucketState, now time.Time) ([]tension.CellUpdate, error) {
	out := make([]tension.CellUpdate, 0, len(states))
	for _, s := range states {
		c, err := tension.ParseCellKey(s.Cell)
		if err != nil {
			return nil, fmt.Errorf("indexpub: journal cell row of %s: %w", s.Key.Pair, err)
		}
		out = append(out, tension.NewCellUpdate(s.Key.Pair, c, s.Key.Granularity, time.Unix(s.Key.Bucket, 0),
			s.Key.TaggerVersion, s.Entries, s.Parts, now))
	}
	return out, nil
}
