package sink

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/ledger"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// The ledger side of memStore: every query sums the journal rows the way
// ClickHouse's GROUP BY does.

func (m *memStore) Ranges(_ context.Context, log string, from map[int32]int64) ([]store.RangeRow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	type key struct {
		p     int32
		off   int64
		block string
	}
	sums := map[key]*store.RangeRow{}
	for _, r := range m.rows {
		f, ok := from[r.SrcPartition]
		if r.Kind != journal.KindRange || r.Key != log || !ok || r.SrcOffset < f {
			continue
		}
		k := key{r.SrcPartition, r.SrcOffset, r.Block}
		s := sums[k]
		if s == nil {
			s = &store.RangeRow{Range: ledger.Range{Partition: r.SrcPartition, From: r.SrcOffset, Block: r.Block}}
			sums[k] = s
		}
		s.Entries += r.Entries
		s.To += r.Position
	}
	var out []store.RangeRow
	for _, s := range sums {
		if s.Entries != 0 {
			if s.Entries > 0 {
				s.To /= s.Entries
			}
			out = append(out, *s)
		}
	}
	return out, nil
}

func (m *memStore) LegacyLedger(_ context.Context, topic string) (map[int32]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[int32]int64{}
	for _, r := range m.rows {
		if r.Kind == journal.KindOffset && r.Key == topic {
			out[r.SrcPartition] += r.Position
		}
	}
	return out, nil
}

func (m *memStore) RangeStarts(_ context.Context, log string, ends map[int32]int64) (map[int32]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[int32]int64{}
	for _, r := range m.rows {
		if _, asked := ends[r.SrcPartition]; !asked {
			continue
		}
		if r.Kind == journal.KindRange && r.Key == log && r.SrcOffset >= out[r.SrcPartition] {
			out[r.SrcPartition] = r.SrcOffset
		}
	}
	return out, nil
}

func (m *memStore) Logs(_ context.Context, topic, current string) ([]string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	for _, r := range m.rows {
		if r.Kind == journal.KindRange && strings.HasPrefix(r.Key, topic+"@") {
			seen[r.Key] = true
		}
	}
	var out []string
	for k := range seen {
		if k != current {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, seen[current], nil
}

func (m *memStore) BlockRows(_ context.Context, block string) (articles, ranges []journal.Row, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	type akey struct {
		id, pair, version, cell, marker string
		bucket                          int64
		inCurrent                       bool
	}
	as := map[akey]*journal.Row{}
	type rkey struct {
		log string
		p   int32
		off int64
	}
	rs := map[rkey]*journal.Row{}
	for _, r := range m.rows {
		if r.Block != block {
			continue
		}
		switch r.Kind {
		case journal.KindArticle:
			k := akey{r.Key, r.Pair, r.TaggerVersion, r.Cell, r.Marker, r.Bucket.Unix(), r.InCurrent}
			if as[k] == nil {
				c := r
				c.Entries, c.Parts = 0, tension.Parts{}
				as[k] = &c
			}
			as[k].Entries += r.Entries
			as[k].Parts.Add(r.Parts)
		case journal.KindRange:
			k := rkey{r.Key, r.SrcPartition, r.SrcOffset}
			if rs[k] == nil {
				c := r
				c.Entries, c.Position = 0, 0
				rs[k] = &c
			}
			rs[k].Entries += r.Entries
			rs[k].Position += r.Position
		}
	}
	for _, r := range as {
		if r.Entries != 0 {
			articles = append(articles, *r)
		}
	}
	for _, r := range rs {
		if r.Entries > 0 {
			ranges = append(ranges, *r)
		}
	}
	return articles, ranges, nil
}

func (m *memStore) Claims(_ context.Context, ids []string) ([]ledger.Claim, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	type key struct{ id, version, block string }
	sums := map[key]int64{}
	for _, r := range m.rows {
		if r.Kind == journal.KindArticle && r.Pair == tension.AllPair && want[r.Key] {
			for _, v := range r.Views() {
				sums[key{r.Key, v, r.Block}] += r.Articles
			}
		}
	}
	var out []ledger.Claim
	for k, n := range sums {
		if n != 0 {
			out = append(out, ledger.Claim{Article: k.id, Version: k.version, Block: k.block, Count: n})
		}
	}
	return out, nil
}

// ClaimsBeside is Claims of the ids some block other than block has article
// rows for (article_keys holds the key and block of every article row).
func (m *memStore) ClaimsBeside(ctx context.Context, ids []string, block string) ([]ledger.Claim, error) {
	m.mu.Lock()
	other := map[string]bool{}
	for _, r := range m.rows {
		if r.Kind == journal.KindArticle && r.Block != block {
			other[r.Key] = true
		}
	}
	m.mu.Unlock()
	return m.Claims(ctx, slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !other[id] }))
}

func (m *memStore) CaughtUp(context.Context) error { return nil }

func (m *memStore) NotNewer(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.schemaChecks++
	if m.newerAfter > 0 && m.schemaChecks >= m.newerAfter {
		return fmt.Errorf("%w: migration [13] applied (memStore)", chstore.ErrSchemaNewer)
	}
	return nil
}

func (m *memStore) Deduplicates(context.Context) (bool, error) { return m.dedup, nil }

// covered reports whether the live ranges of log cover every offset of
// msgs: the journal has counted (or skipped) all of them.
func covered(st LedgerStore, log string, msgs []kafka.Message) bool {
	from := map[int32]int64{}
	for _, msg := range msgs {
		from[int32(msg.Partition)] = 0
	}
	rows, _ := st.Ranges(context.Background(), log, from)
	var live []ledger.Range
	for _, r := range rows {
		if r.Entries > 0 {
			live = append(live, r.Range)
		}
	}
	legacy, _ := st.LegacyLedger(context.Background(), strings.Split(log, "@")[0])
	for p, pos := range legacy {
		live = append(live, ledger.Range{Partition: p, To: pos})
	}
	l := ledger.New(live)
	for _, msg := range msgs {
		if !l.Covered(int32(msg.Partition), msg.Offset) {
			return false
		}
	}
	return true
}

// listSource is a consumer group of one member holding every partition of
// a fixed list of messages, in one generation, and the log they are in.
type listSource struct {
	mu        sync.Mutex
	msgs      []kafka.Message
	epoch     int32
	logID     string
	committed map[int]int64
	fetches   int
	// boundsFailures is how many calls of Bounds fail first (a topic
	// created a moment ago: its partitions have no leader yet).
	boundsFailures int
}

func newListSource(msgs []kafka.Message) *listSource {
	return &listSource{msgs: msgs, epoch: 1, logID: "enriched@00000000000000000000000000000001", committed: map[int]int64{}}
}

func (s *listSource) Run(ctx context.Context, run func(context.Context, Generation) error) error {
	return run(ctx, listGeneration{s})
}

func (s *listSource) ID(context.Context) (string, error) { return s.logID, nil }

func (s *listSource) Bounds(_ context.Context, parts []int) (first, next map[int]int64, err error) {
	s.mu.Lock()
	failing := s.boundsFailures > 0
	s.boundsFailures--
	s.mu.Unlock()
	if failing {
		return nil, nil, kafka.NotLeaderForPartition
	}
	first, next = map[int]int64{}, map[int]int64{}
	for _, p := range parts {
		first[p] = 0
	}
	for _, m := range s.msgs {
		next[m.Partition] = max(next[m.Partition], m.Offset+1)
	}
	return first, next, nil
}

func (s *listSource) partitions() []int {
	seen := map[int]bool{}
	var out []int
	for _, m := range s.msgs {
		if !seen[m.Partition] {
			seen[m.Partition] = true
			out = append(out, m.Partition)
		}
	}
	sort.Ints(out)
	return out
}

type listGeneration struct{ s *listSource }

func (g listGeneration) Epoch() int32             { return g.s.epoch }
func (g listGeneration) Partitions() []int        { return g.s.partitions() }
func (g listGeneration) Committed() map[int]int64 { return map[int]int64{} }

func (g listGeneration) Commit(next map[int]int64) error {
	g.s.mu.Lock()
	defer g.s.mu.Unlock()
	for p, n := range next {
		g.s.committed[p] = max(g.s.committed[p], n)
	}
	return nil
}

// done reports whether every message's flush was committed: the sink wrote
// and published everything, or skipped it as a replay.
func (s *listSource) done() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if s.committed[m.Partition] <= m.Offset {
			return false
		}
	}
	return true
}

// Fetch hands out the messages at or after starts, in list order.
func (g listGeneration) Fetch(_ context.Context, starts map[int]int64) (Fetcher, error) {
	g.s.mu.Lock()
	defer g.s.mu.Unlock()
	g.s.fetches++
	f := &listFetcher{}
	for _, m := range g.s.msgs {
		if m.Offset >= starts[m.Partition] {
			f.msgs = append(f.msgs, m)
		}
	}
	return f, nil
}

type listFetcher struct {
	mu   sync.Mutex
	msgs []kafka.Message
}

func (f *listFetcher) FetchMessage(ctx context.Context) (kafka.Message, error) {
	f.mu.Lock()
	if len(f.msgs) > 0 {
		m := f.msgs[0]
		f.msgs = f.msgs[1:]
		f.mu.Unlock()
		return m, nil
	}
	f.mu.Unlock()
	<-ctx.Done()
	return kafka.Message{}, ctx.Err()
}

func (f *listFetcher) Close() {}

// drain runs s until the journal's ledger covers every message of src and
// the sink committed them all (a sink that starts where the ledger ends
// reads nothing), then stops it and checks it stopped cleanly.
func drain(t *testing.T, s *Sink, src *listSource, st LedgerStore) {
	t.Helper()
	startedCovered := covered(st, src.logID, src.msgs)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second) // generous: -race on a loaded two-core machine
	src.mu.Lock()
	src.committed = map[int]int64{}
	src.mu.Unlock()
	for !covered(st, src.logID, src.msgs) || (!src.done() && !startedCovered) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("sink did not drain its input")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(30 * time.Millisecond)
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
