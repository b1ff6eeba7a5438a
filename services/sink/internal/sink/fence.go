package sink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/services/sink/internal/indexpub"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/ledger"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// The ledger protocol, on a store without transactions or conditional
// inserts (ClickHouse 18.16):
//
//  1. Every block records the offset ranges it consumed under its id,
//     which starts with the writer's consumer-group generation (a fencing
//     epoch from Kafka's group coordinator).
//  2. Before a batch, the sink reads the ledger of its partitions; offsets a
//     live range covers are replays. Right before the insert it reads again
//     and retries the batch if another writer got there meanwhile.
//  3. Right after the insert it reads a third time: any two live ranges
//     that overlap, or two live blocks counting the same article in one view,
//     are a conflict, decided by block id alone (ledger.Outranks), so every
//     process decides it alike. The loser is cancelled by a compensating
//     block computed only from the loser's rows (journal.Compensation):
//     whoever writes it writes the same block, and a replicated table keeps
//     one of identical blocks (insert deduplication), so a compensation
//     counts once however many sinks write it. A single 18.16 server keeps
//     both, so there a block is cancelled by its own writer, which sees the
//     conflict in this check, and by anyone else only once it is older than
//     Config.OrphanAge: its writer died between its insert and its check.
//  4. A sink that lost its own block retries the batch, which then skips
//     what the winner counted; a sink whose generation ended meanwhile drops
//     the batch (its partitions are another sink's now). A cancelled block
//     that a later block had been built on leaves offsets nobody counts: the
//     next read below the reading position finds that hole and the sink
//     reads the partition again from it.
//
// Conflicts are found by whoever reads the ledger next, so a zombie that
// dies between its insert and its check is cancelled by the partition's
// owner's next flush.

// LedgerStore is what the protocol reads and writes.
type LedgerStore interface {
	Ranges(ctx context.Context, log string, from map[int32]int64) ([]store.RangeRow, error)
	LegacyLedger(ctx context.Context, topic string) (map[int32]int64, error)
	RangeStarts(ctx context.Context, log string, ends map[int32]int64) (map[int32]int64, error)
	Logs(ctx context.Context, topic, current string) (others []string, hasCurrent bool, err error)
	BlockRows(ctx context.Context, block string) (articles, ranges []journal.Row, err error)
	// VersionTags reads article versions' tags from the raw tables: what
	// the rollups of a block's marker rows hold (journal.RollupRows).
	VersionTags(ctx context.Context, refs []journal.VersionAt) (map[journal.VersionRef]*journal.Tags, error)
	Claims(ctx context.Context, ids []string) ([]ledger.Claim, error)
	// ClaimsBeside is Claims of the articles of block, just written, that
	// another block counts too (the others cannot conflict).
	ClaimsBeside(ctx context.Context, ids []string, block string) ([]ledger.Claim, error)
	CaughtUp(ctx context.Context) error
	// NotNewer returns chstore.ErrSchemaNewer when a newer release
	// migrated the database (its writers may follow a protocol this sink
	// does not): the sink stops instead of writing.
	NotNewer(ctx context.Context) error
	Deduplicates(ctx context.Context) (bool, error)
	WriteJournal(ctx context.Context, rows []journal.Row) error
}

// Sentinel errors of the protocol; flush returns them wrapped.
var (
	// ErrLedgerMoved: another writer counted offsets of this batch while it
	// was being prepared; the batch is retried from a fresh read.
	ErrLedgerMoved = errors.New("sink: the offset ledger moved under this batch (another sink wrote these partitions)")
	// ErrFenced: the block just written lost a conflict and was cancelled.
	ErrFenced = errors.New("sink: this batch's block lost to another sink's and was cancelled")
	// ErrRewind: the ledger has a hole below the reading position; the
	// partitions are read again from the ledger.
	ErrRewind = errors.New("sink: hole in the ledger below the reading position; reading again from it")
	// ErrLogMismatch: the ledger holds offsets of another log than the
	// topic's current one (recreated topic, rebuilt brokers) or beyond its
	// end; counting from it would skip messages as replays. The sink waits.
	ErrLogMismatch = errors.New("sink: the offset ledger belongs to another log")
)

// DefaultOrphanAge is how old a losing block must be before a sink other
// than its writer cancels it on a server without insert deduplication
// (Config.OrphanAge): its writer checks it within a second of the insert
// unless it died (or paused that long) in between.
const DefaultOrphanAge = time.Minute

// genState is one generation's partitions and where the sink reads them.
type genState struct {
	gen    Generation
	epoch  int32
	log    string          // topic@topic-id
	legacy map[int32]int64 // the pre-0006 ledger, if any
	dedup  bool            // the journal keeps one of identical blocks (replicated)
	first  map[int]int64   // first offset still in the log, per partition
	next   map[int]int64   // the next offset to read, per partition
	rewind context.CancelFunc
	// decoder holds the messages decoded as they were fetched (nil: the
	// flush decodes them).
	decoder *decodingFetcher
	// busy serialises the generation's flushes and its audits (see audit):
	// both read and move the ledger and the reading positions.
	busy sync.Mutex
	// index publishes and commits the last flushed batch (indexStep).
	index indexStep
}

// decode returns the batch's messages decoded (decodingFetcher.take).
func (gs *genState) decode(batch []kafka.Message) ([]*event.Enriched, []error) {
	if gs.decoder == nil {
		return decodeAll(batch)
	}
	return gs.decoder.take(batch)
}

// advance moves the reading positions past batch and returns them for the
// partitions the batch read, as a Kafka commit.
func (gs *genState) advance(batch []kafka.Message) map[int]int64 {
	out := map[int]int64{}
	for _, m := range batch {
		if m.Offset+1 > out[m.Partition] {
			out[m.Partition] = m.Offset + 1
		}
	}
	for p, n := range out {
		gs.next[p] = max(gs.next[p], n)
	}
	return out
}

// coverage collects the offsets a batch consumes, per partition.
type coverage map[int32][2]int64 // partition -> first, last offset

func (c coverage) add(p int32, off int64) {
	r, ok := c[p]
	if !ok {
		c[p] = [2]int64{off, off}
		return
	}
	c[p] = [2]int64{min(r[0], off), max(r[1], off)}
}

// ranges is what the block records: from the reading position (offsets
// between it and the first message do not exist) to the last message, less
// what the ledger already covers.
func (c coverage) ranges(led *ledger.Ledger, gs *genState) []ledger.Range {
	parts := make([]int32, 0, len(c))
	for p := range c {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	var out []ledger.Range
	for _, p := range parts {
		r := c[p]
		from := r[0]
		if next, ok := gs.next[int(p)]; ok && next >= 0 {
			from = min(from, next)
		}
		out = append(out, led.Uncovered(p, from, r[1]+1)...)
	}
	return out
}

// open prepares a generation: checks that the ledger belongs to the topic's
// current log, resolves conflicts, and finds where to read each partition:
// the first offset the ledger does not cover (the log's start when it
// covers nothing), or the group's committed offset when that is lower
// (what lies between is replayed to republish its buckets).
func (s *Sink) open(ctx context.Context, g Generation) (*genState, error) {
	gs := &genState{gen: g, epoch: g.Epoch(), next: map[int]int64{}, first: map[int]int64{}, rewind: func() {}}
	parts := g.Partitions()
	if len(parts) == 0 {
		return gs, nil
	}
	log, err := s.log.ID(ctx)
	if err != nil {
		return nil, err
	}
	gs.log = log
	first, end, err := s.log.Bounds(ctx, parts)
	if err != nil {
		return nil, err
	}
	gs.first = first
	if err := s.checkSchema(ctx); err != nil {
		return nil, err
	}
	if err := s.store.CaughtUp(ctx); err != nil {
		return nil, err
	}
	if gs.dedup, err = s.store.Deduplicates(ctx); err != nil {
		return nil, err
	}
	if gs.legacy, err = s.store.LegacyLedger(ctx, s.cfg.Topic); err != nil {
		return nil, err
	}
	if err := s.checkLog(ctx, gs, end); err != nil {
		return nil, err
	}
	ends := make(map[int32]int64, len(parts))
	for _, p := range parts {
		ends[int32(p)] = end[p]
	}
	starts, err := s.store.RangeStarts(ctx, log, ends)
	if err != nil {
		return nil, err
	}
	from := map[int32]int64{}
	for _, p := range parts {
		from[int32(p)] = max(0, starts[int32(p)]-s.cfg.LedgerWindow-journal.MaxRange)
	}
	led, _, err := s.resolve(ctx, gs, from)
	if err != nil {
		return nil, err
	}
	// The window must reach a full LedgerWindow below each partition's
	// live end (a cancelled range may have started above it).
	wider := false
	for _, p := range parts {
		if e, ok := led.End(int32(p)); ok && e-s.cfg.LedgerWindow-journal.MaxRange < from[int32(p)] {
			from[int32(p)] = max(0, e-s.cfg.LedgerWindow-journal.MaxRange)
			wider = true
		}
	}
	if wider {
		if led, _, err = s.resolve(ctx, gs, from); err != nil {
			return nil, err
		}
	}
	for _, p := range parts {
		e, ok := led.End(int32(p))
		if !ok {
			gs.next[p] = first[p]
			continue
		}
		if e > end[p] {
			err := fmt.Errorf("%w: the ledger of %s partition %d reaches offset %d, the log ends at %d: the log lost messages (truncated, or a broker's data lost) and new ones would be taken for replays",
				ErrLogMismatch, log, p, e, end[p])
			s.mismatch(err)
			return nil, err
		}
		gs.next[p] = e
		if gap, ok := led.Gap(int32(p), max(first[p], e-s.cfg.LedgerWindow), e); ok {
			s.logger.Warn("hole in the ledger: reading the partition again from it", "partition", p, "from", gap, "ledger_end", e)
			gs.next[p] = gap
		}
		if gs.next[p] < first[p] {
			s.logger.Error("messages left the log before they were counted (retention)", "partition", p,
				"first_uncounted", gs.next[p], "log_start", first[p])
			s.metrics.lost.Add(float64(first[p] - gs.next[p]))
			gs.next[p] = first[p]
		}
		// The group's commit follows a batch's index updates: read again from
		// it, so the buckets of a block written but not published (a crash in
		// between) are published now, as replays.
		if c, ok := g.Committed()[p]; ok && c >= first[p] && c < gs.next[p] {
			gs.next[p] = c
		}
	}
	s.health.clear()
	s.metrics.logMismatch.Set(0)
	s.logger.Info("generation started", "generation", gs.epoch, "log", log, "partitions", parts, "from", gs.next)
	return gs, nil
}

// checkLog refuses a ledger that holds another log of the topic and none of
// the current one (the topic was deleted and created again, or the brokers
// were rebuilt), unless told to adopt the new log, and a legacy ledger
// beyond the log's end.
func (s *Sink) checkLog(ctx context.Context, gs *genState, end map[int]int64) error {
	others, current, err := s.store.Logs(ctx, s.cfg.Topic, gs.log)
	if err != nil {
		return err
	}
	if len(others) > 0 && !current && !s.cfg.AdoptLog {
		err := fmt.Errorf("%w: the ledger counted offsets of %v; topic %s is now %s (deleted and created again, or the brokers were rebuilt): its offsets are not those; start a sink with -adopt-log to count the new log from its start (articles already counted are still recognised by id)",
			ErrLogMismatch, others, s.cfg.Topic, gs.log)
		s.mismatch(err)
		return err
	}
	if len(others) > 0 && !current {
		s.logger.Warn("adopting a new log of the topic", "log", gs.log, "previous", others)
	}
	if !current && len(others) > 0 {
		gs.legacy = nil // it belonged to the log the sink no longer reads
	}
	for p, pos := range gs.legacy {
		if e, ok := end[int(p)]; ok && pos > e {
			err := fmt.Errorf("%w: the journal's old ledger has partition %d of %s at offset %d, the log ends at %d (the topic was recreated or lost messages)",
				ErrLogMismatch, p, s.cfg.Topic, pos, e)
			s.mismatch(err)
			return err
		}
	}
	return nil
}

func (s *Sink) mismatch(err error) {
	s.health.set(err)
	s.metrics.logMismatch.Set(1)
	s.logger.Error("offset ledger does not match the topic; not counting", "err", err)
}

// resolve reads the live ranges from the given offsets on, cancels every
// losing block of a conflict among them, and returns the ledger and the
// blocks it cancelled.
func (s *Sink) resolve(ctx context.Context, gs *genState, from map[int32]int64) (*ledger.Ledger, []string, error) {
	var losers []string
	for attempt := 0; ; attempt++ {
		rows, err := s.store.Ranges(ctx, gs.log, from)
		if err != nil {
			return nil, nil, err
		}
		live := make([]ledger.Range, 0, len(rows)+len(gs.legacy))
		for _, r := range rows {
			if r.Entries > 0 {
				live = append(live, r.Range)
				continue
			}
			s.metrics.overCompensated.Inc()
			err := fmt.Errorf("block %s was cancelled %d times too often (partition %d [%d, %d)): the replicated table's insert deduplication window was exceeded; `sink rebuild` corrects the index",
				r.Block, -r.Entries, r.Partition, r.From, r.To)
			s.health.set(err)
			s.logger.Error("over-compensated block", "err", err)
		}
		for p, pos := range gs.legacy {
			if _, ok := from[p]; ok {
				live = append(live, ledger.Range{Partition: p, From: 0, To: pos, Block: ledger.LegacyBlock})
			}
		}
		led := ledger.New(live)
		var cancelled int
		for _, c := range led.Overlaps() {
			done, err := s.compensate(ctx, gs, c, "offsets")
			if err != nil {
				return nil, nil, err
			}
			if done {
				losers = append(losers, c.Loser)
				cancelled++
			}
		}
		if cancelled == 0 {
			// Conflicts left are another writer's to settle (see OrphanAge);
			// meanwhile the union of their ranges is what is covered.
			return led, losers, nil
		}
		if attempt == 5 {
			return nil, nil, fmt.Errorf("sink: ledger conflicts still there after 5 rounds of compensation")
		}
	}
}

// readLedger is the ledger a batch is checked against: conflicts resolved,
// and no hole below where the sink reads (else ErrRewind).
func (s *Sink) readLedger(ctx context.Context, gs *genState, batch []kafka.Message) (*ledger.Ledger, error) {
	if err := s.checkSchema(ctx); err != nil {
		return nil, err
	}
	if err := s.store.CaughtUp(ctx); err != nil {
		return nil, err
	}
	from := map[int32]int64{}
	for _, m := range batch {
		p := int32(m.Partition)
		if _, ok := from[p]; !ok {
			from[p] = max(0, min(gs.next[m.Partition], m.Offset)-s.cfg.LedgerWindow-journal.MaxRange)
		}
	}
	led, _, err := s.resolve(ctx, gs, from)
	if err != nil {
		return nil, err
	}
	if err := s.rewindAtHole(gs, led, from); err != nil {
		return nil, err
	}
	return led, nil
}

// checkSchema stops the sink (Sink.Run returns chstore.ErrSchemaNewer) when
// a newer release migrated the database: before every batch, at the start of
// a generation and in every audit, so a sink of this release still running
// when a newer one migrates writes at most the batch in flight (Migrate
// refuses such a database at start). Other errors are the caller's to retry.
func (s *Sink) checkSchema(ctx context.Context) error {
	err := s.store.NotNewer(ctx)
	if errors.Is(err, chstore.ErrSchemaNewer) {
		s.health.set(err)
		s.logger.Error("a newer release migrated the database; stopping this sink", "err", err)
		s.halt(err)
	}
	return err
}

// rewindAtHole starts the generation over from the ledger (ErrRewind) when
// a partition's ledger has a hole below where the sink reads: a block of
// its own was cancelled, and what it counted must be counted again.
func (s *Sink) rewindAtHole(gs *genState, led *ledger.Ledger, from map[int32]int64) error {
	for p := range from {
		next := gs.next[int(p)]
		if gap, ok := led.Gap(p, max(gs.first[int(p)], next-s.cfg.LedgerWindow), next); ok {
			s.logger.Warn("hole in the ledger below the reading position", "partition", p, "hole_at", gap, "reading_at", next)
			gs.rewind()
			return fmt.Errorf("%w: partition %d at %d (reading at %d)", ErrRewind, p, gap, next)
		}
	}
	return nil
}

// audit settles, between batches, what the checks after each insert leave
// for later, so that it does not wait for the partitions' next message:
// conflicts left to a losing block's writer, once that block is an orphan
// (OrphanAge) — its writer may have checked it before the winner was
// written, and then never learns it lost — and holes that a cancelled block
// of this sink left below its reading position (the batch is counted
// again). An idle sink would otherwise leave an article counted twice, or a
// cancelled batch uncounted, until new messages arrived.
func (s *Sink) audit(ctx context.Context, gs *genState) error {
	gs.busy.Lock()
	defer gs.busy.Unlock()
	if err := s.checkSchema(ctx); err != nil {
		return err
	}
	if due := s.dueRechecks(); len(due) > 0 {
		claims, err := s.store.Claims(ctx, due)
		if err != nil {
			s.recheckAt(due, time.Now())
			return err
		}
		for _, c := range ledger.ArticleConflicts(claims, journal.CompensationSuffix) {
			done, err := s.compensate(ctx, gs, c, "articles")
			if err != nil {
				s.recheckAt(c.Articles, time.Now())
				return err
			}
			if !done {
				s.recheckLater(c)
			}
		}
	}
	from := map[int32]int64{}
	for p, next := range gs.next {
		from[int32(p)] = max(0, next-s.cfg.LedgerWindow-journal.MaxRange)
	}
	if len(from) == 0 {
		return nil
	}
	led, _, err := s.resolve(ctx, gs, from)
	if err != nil {
		return err
	}
	if err := s.rewindAtHole(gs, led, from); err != nil && !errors.Is(err, ErrRewind) {
		return err
	}
	return nil
}

// auditEvery runs audit every interval until ctx ends.
func (s *Sink) auditEvery(ctx context.Context, gs *genState, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.audit(ctx, gs); err != nil && ctx.Err() == nil {
			s.logger.Warn("audit of the ledger failed; trying again at the next one", "err", err)
		}
	}
}

// writeBlock inserts a batch's journal block and checks it against every
// other writer: step 2's second read before the insert, step 3 after.
func (s *Sink) writeBlock(ctx context.Context, gs *genState, block string, rows []journal.Row, ranges []ledger.Range,
	ids []string, touched indexpub.Touched) error {
	from := map[int32]int64{}
	for _, r := range ranges {
		if f, ok := from[r.Partition]; !ok || r.From-journal.MaxRange < f {
			from[r.Partition] = max(0, r.From-journal.MaxRange)
		}
	}
	now, err := s.store.Ranges(ctx, gs.log, from)
	if err != nil {
		return err
	}
	mine := ledger.New(ranges)
	for _, r := range now {
		if r.Entries > 0 && overlapsAny(mine, r.Range) {
			return fmt.Errorf("%w: partition %d [%d, %d) counted by block %s", ErrLedgerMoved, r.Partition, r.From, r.To, r.Block)
		}
	}
	if s.cfg.BeforeJournal != nil {
		s.cfg.BeforeJournal()
	}
	s.remember(block)
	// From the insert on, finish: a sink whose generation ended while it
	// inserted (it was paused, and resumed a zombie) still checks its block
	// and cancels it if it lost, rather than leave it to others.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := s.store.WriteJournal(wctx, rows); err != nil {
		return err
	}
	lost, err := s.verify(wctx, gs, block, from, ids)
	if err != nil {
		return fmt.Errorf("sink: check block %s after writing it: %w", block, err)
	}
	if lost {
		return fmt.Errorf("%w (block %s)", ErrFenced, block)
	}
	return nil
}

func overlapsAny(l *ledger.Ledger, r ledger.Range) bool {
	for _, m := range l.Ranges(r.Partition) {
		if m.From < r.To && r.From < m.To {
			return true
		}
	}
	return false
}

// verify reads the ledger and the articles' counts back after block was
// written and cancels every losing block; it reports whether block lost.
func (s *Sink) verify(ctx context.Context, gs *genState, block string, from map[int32]int64, ids []string) (bool, error) {
	_, losers, err := s.resolve(ctx, gs, from)
	if err != nil {
		return false, err
	}
	claims, err := s.claimsAfter(ctx, block, ids)
	if err != nil {
		return false, err
	}
	for _, c := range ledger.ArticleConflicts(claims, journal.CompensationSuffix) {
		done, err := s.compensate(ctx, gs, c, "articles")
		if err != nil {
			return false, err
		}
		if done {
			losers = append(losers, c.Loser)
		} else {
			s.recheckLater(c)
		}
	}
	for _, l := range losers {
		if l == block {
			return true, nil
		}
	}
	return false, nil
}

// claimsAfter reads the claims of the articles of block, just written, and
// of the articles due for a recheck: those only where another block counts
// them too (ClaimsBeside), these whole. On a replica not caught up (or when
// that cannot be read) the whole read is made for all, as before
// article_keys. Each id goes into one of the two reads (an article's claims
// read twice would count twice).
func (s *Sink) claimsAfter(ctx context.Context, block string, ids []string) ([]ledger.Claim, error) {
	due := s.dueRechecks()
	if len(due) > 0 {
		recheck := make(map[string]bool, len(due))
		for _, id := range due {
			recheck[id] = true
		}
		ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return recheck[id] })
	}
	read := s.store.Claims
	if s.store.CaughtUp(ctx) == nil {
		read = func(ctx context.Context, ids []string) ([]ledger.Claim, error) {
			return s.store.ClaimsBeside(ctx, ids, block)
		}
	}
	claims, err := read(ctx, ids)
	if err != nil || len(due) == 0 {
		return claims, err
	}
	more, err := s.store.Claims(ctx, due)
	return append(claims, more...), err
}

// compensate cancels the losing block of a conflict, unless it is cancelled
// already, and publishes the buckets that changed. It reports whether the
// block is cancelled; on a journal without insert deduplication it leaves a
// young block of another writer to that writer (false).
func (s *Sink) compensate(ctx context.Context, gs *genState, c ledger.Conflict, kind string) (bool, error) {
	if !gs.dedup && !s.wrote(c.Loser) && ledger.Age(c.Loser, time.Now()) < s.cfg.OrphanAge {
		s.logger.Info("conflict left to the losing block's writer", "loser", c.Loser, "winner", c.Winner, "conflict", c.What)
		return false, nil
	}
	articles, ranges, err := s.store.BlockRows(ctx, c.Loser)
	if err != nil {
		return false, err
	}
	if len(ranges) == 0 {
		return true, nil // cancelled already
	}
	// The rollups the loser wrote are read back from the raw rows its
	// markers name, which are written before a block and never change, so
	// every process derives the same compensation.
	tags, err := s.store.VersionTags(ctx, journal.MarkerRefs(articles))
	if err != nil {
		return false, err
	}
	rows := journal.Compensation(c.Loser, articles, ranges, tags)
	if err := s.store.WriteJournal(ctx, rows); err != nil {
		return false, fmt.Errorf("sink: cancel block %s: %w", c.Loser, err)
	}
	s.metrics.conflicts.WithLabelValues(kind).Inc()
	s.metrics.compensations.Inc()
	s.logger.Warn("cancelled a block that counted what another counted", "loser", c.Loser, "winner", c.Winner,
		"conflict", c.What, "loser_epoch", ledger.Epoch(c.Loser), "winner_epoch", ledger.Epoch(c.Winner),
		"articles", len(articles), "ranges", len(ranges))
	touched := indexpub.Touched{}
	for _, r := range articles {
		for _, v := range r.Views() {
			s.index.Add(touched, r.Bucket, v)
		}
	}
	// After the last batch's own publish, so that this one's states are
	// the later ones on the topic.
	if err := gs.index.wait(ctx); err != nil {
		return true, err
	}
	if _, err := s.index.Publish(ctx, touched); err != nil {
		return true, fmt.Errorf("sink: publish the buckets block %s's cancellation changed: %w", c.Loser, err)
	}
	return true, nil
}

// wrote reports whether this process wrote block (in this run).
func (s *Sink) wrote(block string) bool {
	s.mine.Lock()
	defer s.mine.Unlock()
	return s.mine.blocks[block]
}

// remember records a block this process is about to write; the set is
// bounded to the recent ones, which are all a check can concern.
func (s *Sink) remember(block string) {
	s.mine.Lock()
	defer s.mine.Unlock()
	if s.mine.blocks == nil || len(s.mine.blocks) > 10000 {
		s.mine.blocks = map[string]bool{}
	}
	s.mine.blocks[block] = true
}

// recheckLater keeps the articles of a conflict left to another writer, to
// check again once its losing block is an orphan.
func (s *Sink) recheckLater(c ledger.Conflict) {
	s.mine.Lock()
	defer s.mine.Unlock()
	if s.mine.recheck == nil {
		s.mine.recheck = map[string]time.Time{}
	}
	if len(c.Articles) > 0 && len(s.mine.recheck) < 100000 {
		for _, a := range c.Articles {
			s.mine.recheck[a] = time.Now().Add(s.cfg.OrphanAge)
		}
	}
}

// recheckAt puts articles back to be checked at the given time (an audit
// that could not finish).
func (s *Sink) recheckAt(articles []string, at time.Time) {
	s.mine.Lock()
	defer s.mine.Unlock()
	if s.mine.recheck == nil {
		s.mine.recheck = map[string]time.Time{}
	}
	for _, a := range articles {
		s.mine.recheck[a] = at
	}
}

// dueRechecks returns (and forgets) the articles whose conflicts are due for
// another look.
func (s *Sink) dueRechecks() []string {
	s.mine.Lock()
	defer s.mine.Unlock()
	var out []string
	now := time.Now()
	for a, at := range s.mine.recheck {
		if now.After(at) {
			out = append(out, a)
			delete(s.mine.recheck, a)
		}
	}
	return out
}

// health is what the sink's readiness reports beyond its connections: a
// ledger it refuses to count from.
type health struct {
	mu  sync.Mutex
	err error
	at  time.Time
}

func (h *health) set(err error) {
	h.mu.Lock()
	h.err, h.at = err, time.Now()
	h.mu.Unlock()
}

func (h *health) clear() {
	h.mu.Lock()
	h.err = nil
	h.mu.Unlock()
}

// Ready reports nil unless the sink is refusing to count (the ledger does
// not match the topic's log) or found a block cancelled twice.
func (s *Sink) Ready(context.Context) error {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	return s.health.err
}
