// Package sink consumes enriched articles in batches and writes them to
// ClickHouse with an exactly-once effect on the index: the journal block of a
// batch carries its rollup deltas, the articles it counted and the offsets it
// consumed, so a replay after any crash, restart or rebalance is recognised
// by offset (the ledger) and by article (the counted set) and adds nothing.
// Several sinks share the partitions through a consumer group; a sink that
// counted what another counted (it lost its partitions during a pause and
// flushed anyway) is found after the fact and cancelled (fence.go).
package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/services/sink/internal/indexpub"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/ledger"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// Stage is the DLQ stage header value of this service.
const Stage = "sink"

// Writer publishes dead letters.
type Writer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Store is the ClickHouse side the sink needs.
type Store interface {
	Priors(ctx context.Context, ids []string) (map[string]*journal.Prior, error)
	WriteRaw(ctx context.Context, arts []*event.Enriched, srcs []store.Source) error
	WriteJournal(ctx context.Context, rows []journal.Row) error
	// WritePointers writes article_versions rows that point from an
	// article's old versions to its current one (journal.Pointer).
	WritePointers(ctx context.Context, ptrs []journal.Pointer) error
	LedgerStore
}

// Config tunes batching. Zero values take the defaults.
type Config struct {
	Topic         string        // default articles.enriched.v1
	MaxBatch      int           // messages per flush; default 10000
	MaxBatchBytes int           // bytes of messages per flush (kafkax.MessageBytes); default DefaultMaxBatchBytes
	FlushInterval time.Duration // longest a message waits for its batch; default 1s
	IdleFlush     time.Duration // flush sooner when nothing arrives for this long; default 50ms
	// MinFlushInterval is the least time between two flushes of batches
	// that are not full (kafkax.BatchConfig.MinInterval; default 0, none;
	// the sink binary's is DefaultMinFlushInterval):
	// every flush costs ClickHouse a part in each raw table and the journal
	// and the exactly-once reads, whatever its size.
	MinFlushInterval time.Duration

	// LedgerWindow is how many offsets of a partition's ledger behind its
	// reading position the sink checks for conflicts and holes; default
	// DefaultLedgerWindow.
	LedgerWindow int64
	// OrphanAge: on a journal without insert deduplication (one 18.16
	// server), a losing block is cancelled by its own writer, and by other
	// sinks once it is this old; default DefaultOrphanAge.
	OrphanAge time.Duration
	// AuditInterval is how often an idle sink settles what its checks left
	// for later (see Sink.audit); default 5s.
	AuditInterval time.Duration
	// AdoptLog lets the sink count from a log (topic@topic-id) other than
	// the one its ledger holds: after the topic was recreated on purpose.
	AdoptLog bool

	// AfterJournal, when set, runs after a batch's journal block is written
	// and before its index updates are published: tests use it to crash
	// the process in that window.
	AfterJournal func()
	// BeforeJournal, when set, runs just before a batch's journal block is
	// inserted: tests use it to pause a sink there.
	BeforeJournal func()
}

// DefaultMemoryLimit is the sink's default Go soft memory limit (the
// enricher's is admin.DefaultMemoryLimit, 512 MiB). The sink holds more
// live (a batch being written, the next one decoded as it is fetched, the
// journal block and the INSERT columns): at 512 MiB it sat at the limit and
// collected nonstop, 9.8 s of CPU per 100,000 articles in `make bench-sink`
// against 7.5 at 768 MiB and 6.7 without a limit; `make bench-memory` (1 MB
// articles) keeps its peak under the 1 GiB target.
const DefaultMemoryLimit = 768 << 20

// DefaultMinFlushInterval is the sink's -min-flush-interval default
// (Config.MinFlushInterval: 0 there, none). Every write of a batch costs
// ClickHouse a new part in each table it fills (merged again later) and the
// exactly-once reads, whatever its size: a stream of 1,000 articles/s sent
// in bursts every 100 ms made 6–8 writes a second, and ClickHouse spent 1.33
// cores on them, the sink 0.19–0.21. At 250 ms: 0.77–1.14 and 0.14–0.15,
// p99 accept → visible as before (~0.5 s); 500 ms cuts ClickHouse's by a
// third again and adds ~0.2 s (docs/performance.md, round 13).
const DefaultMinFlushInterval = 250 * time.Millisecond

// DefaultLedgerWindow covers a hundred full batches.
const DefaultLedgerWindow = 1_000_000

// DefaultMaxBatchBytes bounds a flush by bytes: the sink holds each message
// about five times while it writes it (the Kafka value, the decoded article,
// clickhouse-go's column buffer, the encoded and the LZ4-compressed block),
// so 32 MiB of messages is ~160 MiB at the peak of a flush.
const DefaultMaxBatchBytes = 32 << 20

func (c *Config) defaults() {
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if c.Topic == "" {
		c.Topic = event.TopicEnriched
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 10000
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = time.Second
	}
	if c.IdleFlush <= 0 {
		c.IdleFlush = 50 * time.Millisecond
	}
	if c.LedgerWindow <= 0 {
		c.LedgerWindow = DefaultLedgerWindow
	}
	if c.OrphanAge <= 0 {
		c.OrphanAge = DefaultOrphanAge
	}
	if c.AuditInterval <= 0 {
		c.AuditInterval = 5 * time.Second
	}
}

// Index publishes the updates of the index buckets a batch touched
// (indexpub.Publisher). The sink marks buckets as it counts and publishes
// after the journal block is written.
type Index interface {
	AddArticle(t indexpub.Touched, e *event.Enriched)
	Add(t indexpub.Touched, ts time.Time, taggerVersion string)
	Publish(ctx context.Context, t indexpub.Touched) (int, error)
}

// noIndex is the Index of a sink that publishes no index updates.
type noIndex struct{}

func (noIndex) AddArticle(indexpub.Touched, *event.Enriched)           {}
func (noIndex) Add(indexpub.Touched, time.Time, string)                {}
func (noIndex) Publish(context.Context, indexpub.Touched) (int, error) { return 0, nil }

// Sink is one consumer of the enriched topic.
type Sink struct {
	cfg     Config
	src     Source
	log     Log
	dlq     Writer
	store   Store
	logger  *slog.Logger
	metrics *Metrics
	index   Index
	health  health
	// halt stops Run with its cause (checkSchema); set by Run.
	halt context.CancelCauseFunc
	mine struct {
		sync.Mutex
		blocks  map[string]bool      // blocks this process wrote lately
		recheck map[string]time.Time // articles of conflicts left to others, and when to look again
	}
}

// New wires a sink. A nil index publishes no index updates.
func New(cfg Config, src Source, log Log, dlq Writer, st Store, logger *slog.Logger, m *Metrics, index Index) *Sink {
	cfg.defaults()
	if index == nil {
		index = noIndex{}
	}
	return &Sink{cfg: cfg, src: src, log: log, dlq: dlq, store: st, logger: logger, metrics: m, index: index,
		halt: func(error) {}}
}

// Run consumes until ctx ends and returns nil; it returns an error when
// the consumer group fails, and chstore.ErrSchemaNewer when a newer release
// migrated the database (the sink stops: its partitions go to the newer
// sinks). When ctx ends, the batch in hand gets one last attempt (within a
// bounded time); when a generation ends, it is dropped: its partitions
// belong to another sink now, which reads them from the ledger's position.
func (s *Sink) Run(ctx context.Context) error {
	ctx, halt := context.WithCancelCause(ctx)
	defer halt(nil)
	s.halt = halt
	err := s.src.Run(ctx, func(gctx context.Context, g Generation) error {
		return s.runGeneration(ctx, gctx, g)
	})
	if cause := context.Cause(ctx); errors.Is(cause, chstore.ErrSchemaNewer) {
		return cause
	}
	return err
}

// halted reports whether checkSchema stopped the sink: then the batch in
// hand gets no last attempt.
func halted(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), chstore.ErrSchemaNewer)
}

// runGeneration consumes the generation's partitions from the ledger's
// positions until the generation (or the process) ends, starting over from
// the ledger when a flush finds a hole below its reading position.
//
// A start that fails is tried again with kafkax.Retry's backoff (100 ms,
// doubling): a topic created a moment ago answers "not leader" for its
// first second or so, and a fixed 2 s pause made every new sink wait 2 s.
func (s *Sink) runGeneration(procCtx, ctx context.Context, g Generation) error {
	for ctx.Err() == nil {
		var gs *genState
		started := kafkax.Retry(ctx, func(ctx context.Context) (err error) {
			gs, err = s.open(ctx, g)
			return err
		}, func(attempt int, err error) {
			if ctx.Err() == nil {
				s.logger.Error("cannot start the generation's partitions; retrying", "generation", g.Epoch(),
					"attempt", attempt, "err", err)
				s.metrics.flushErrors.Inc()
			}
		})
		if !started {
			break
		}
		fetched, err := g.Fetch(ctx, gs.next)
		if err != nil {
			return err
		}
		f := newDecodingFetcher(fetched)
		gs.decoder = f
		rctx, rewind := context.WithCancel(ctx)
		gs.rewind = rewind
		audited := make(chan struct{})
		go func() { defer close(audited); s.auditEvery(rctx, gs, s.cfg.AuditInterval) }()
		err = kafkax.ConsumeBatches(rctx, f,
			kafkax.BatchConfig{MaxBatch: s.cfg.MaxBatch, MaxBytes: s.cfg.MaxBatchBytes, FlushInterval: s.cfg.FlushInterval,
				IdleFlush: s.cfg.IdleFlush, MinInterval: s.cfg.MinFlushInterval, ShutdownGrace: ShutdownGrace, FinalAttempt: func() bool { return procCtx.Err() != nil && !halted(procCtx) }},
			func(ctx context.Context, batch []kafka.Message) error {
				gs.busy.Lock()
				defer gs.busy.Unlock()
				return s.flush(ctx, gs, batch)
			},
			kafkax.FailureReport(s.logger, "flush", s.metrics.fetchErrors, s.metrics.flushErrors))
		f.Close()
		rewinding := rctx.Err() != nil && ctx.Err() == nil
		rewind()
		<-audited
		s.endIndexStep(procCtx, ctx, gs)
		if err != nil || !rewinding {
			return err
		}
		s.metrics.rewinds.Inc()
	}
	return nil
}

// ShutdownGrace is how long the batch in hand, and the index step of the
// batch before it, may take when the process stops (kafkax.BatchConfig).
const ShutdownGrace = 10 * time.Second

// endIndexStep ends the generation's index step when its consumption
// stopped. On a rewind the generation goes on: the step may finish. When
// the process stops, the step gets the grace the batch in hand gets. When
// the generation ended, its partitions belong to another sink, which
// publishes their buckets again (their offsets were not committed): the
// step is cancelled.
func (s *Sink) endIndexStep(procCtx, ctx context.Context, gs *genState) {
	var grace time.Duration
	switch {
	case ctx.Err() == nil:
		_ = gs.index.wait(ctx) // ends early only with the generation
	case procCtx.Err() != nil:
		grace = ShutdownGrace
	}
	gs.index.stop(grace)
}

// flush writes one batch, in this order: classify every message (replay,
// dead letter, counted, duplicate ...), write the dead letters and the raw
// rows (both idempotent), write the journal block that makes the batch
// count, publish the index updates of every bucket the batch touched, and
// commit the Kafka offsets (these two beside the next batch: indexStep;
// flush returns once they started). The ledger is the truth for counting; for the
// index topic the commit is what proves the updates were published: a
// message below the ledger is a replay that counts nothing, but its buckets
// are published again, because the process that wrote its block may have
// died before publishing — and then it did not commit either, which is why
// Kafka redelivers the message.
func (s *Sink) flush(ctx context.Context, gs *genState, batch []kafka.Message) error {
	now := time.Now()
	t := phases{start: now, last: now}
	p, err := s.classify(ctx, gs, batch)
	if err != nil {
		return err
	}
	t.lap(&t.classify)
	if len(p.dead) > 0 {
		if err := s.dlq.WriteMessages(ctx, p.dead...); err != nil {
			return fmt.Errorf("sink: write %d dead letters: %w", len(p.dead), err)
		}
	}
	// The journal block is built while the raw rows are written (on the
	// other core; the server works on the raw blocks meanwhile); it goes
	// in only after they landed.
	raw, rctx := errgroup.WithContext(ctx)
	raw.Go(func() error {
		if err := s.store.WriteRaw(rctx, p.fresh, p.srcs); err != nil {
			return err
		}
		return s.store.WritePointers(rctx, p.journal.Pointers())
	})
	block, rows := s.blockRows(gs, p)
	if err := raw.Wait(); err != nil {
		return err
	}
	t.lap(&t.raw)
	if err := s.writeJournal(ctx, gs, p, block, rows); err != nil {
		return err
	}
	t.lap(&t.journal)
	// The reading positions move now (the next batch's ranges start
	// there); the publish and the commit run beside the next batch.
	offsets, touched, messages, tally := gs.advance(batch), p.touched, len(batch), p.tally
	tally.dead = len(p.dead)
	return gs.index.start(ctx, func(ctx context.Context) error {
		t.lap(&t.wait)
		updates, err := s.index.Publish(ctx, touched)
		if err != nil {
			return err
		}
		t.lap(&t.publish)
		if err := gs.gen.Commit(offsets); err != nil {
			// Not fatal: the ledger already records these offsets, and it is
			// where a sink starts reading.
			s.logger.Warn("commit failed; the ledger covers the replay", "err", err)
		}
		t.lap(&t.commit)
		s.report(ctx, messages, tally, updates, t)
		return nil
	}, func(attempt int, err error) {
		s.metrics.flushErrors.Inc()
		s.logger.Error("index publish failed; retrying", "attempt", attempt, "messages", messages, "err", kafkax.Summary(err))
	})
}

// plan is what classify decided about a batch.
type plan struct {
	journal *journal.Builder
	fresh   []*event.Enriched // counted, recounted or older: written to the raw tables
	srcs    []store.Source    // where each fresh article was read
	dead    []kafka.Message
	ids     []string // the articles the block may count (and their former ids)
	ranges  []ledger.Range
	touched indexpub.Touched
	tally
}

// tally counts what a flush did with its messages.
type tally struct {
	counted, recounted, older, dups, replayed, dead int
}

// classify decodes the batch, reads the ledger and what the journal holds
// for its articles (both at once), and builds the journal block.
func (s *Sink) classify(ctx context.Context, gs *genState, batch []kafka.Message) (*plan, error) {
	decoded, errs := gs.decode(batch)
	ids := make([]string, len(decoded)) // as decoded: priors may move an article to its former id
	for i, e := range decoded {
		if e != nil {
			ids[i] = e.ArticleID
		}
	}
	aliases := legacyAliases(decoded)
	var (
		led    *ledger.Ledger
		priors map[string]*journal.Prior
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		led, err = s.readLedger(gctx, gs, batch)
		return err
	})
	g.Go(func() (err error) {
		priors, err = s.priors(gctx, decoded, aliases)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	p := &plan{journal: journal.NewBuilder(), touched: indexpub.Touched{}}
	p.journal.Grow(len(batch))
	cover := s.sortByLedger(p, batch, decoded, errs, led)
	for i, e := range decoded {
		if e == nil {
			continue
		}
		p.ids = append(p.ids, ids[i])
		if old, ok := aliases[ids[i]]; ok {
			p.ids = append(p.ids, old)
		}
		s.count(p, batch[i], e, priors)
	}
	if pending := p.journal.Pending(); len(pending) > 0 {
		// Versions counted by earlier blocks leave the current view: their
		// tags leave its rollups, read from the raw rows written then.
		tags, err := s.store.VersionTags(ctx, pending)
		if err != nil {
			return nil, err
		}
		p.journal.Retract(tags)
	}
	p.ranges = cover.ranges(led, gs)
	for _, r := range p.ranges {
		p.journal.Cover(gs.log, r.Partition, r.From, r.To)
	}
	return p, nil
}

// sortByLedger sorts the batch by the ledger: a message it covers is a
// replay (its buckets are marked for publishing again, and it is dropped
// from decoded), one that did not decode is a dead letter, and the rest stay
// in decoded to be counted. It returns the offsets the block consumes.
func (s *Sink) sortByLedger(p *plan, batch []kafka.Message, decoded []*event.Enriched, errs []error, led *ledger.Ledger) coverage {
	cover := coverage{} // the offsets this block consumes, per partition
	for i, m := range batch {
		part := int32(m.Partition)
		if led.Covered(part, m.Offset) {
			p.replayed++ // counted by an earlier flush
			if decoded[i] != nil {
				s.index.AddArticle(p.touched, decoded[i])
			}
			decoded[i] = nil
			continue
		}
		cover.add(part, m.Offset)
		if errs[i] != nil {
			p.dead = append(p.dead, kafkax.DeadLetter(m, Stage, errs[i]))
		}
	}
	return cover
}

// priors reads what the journal holds for the decoded articles, under their
// ids and the ids they had before the canonical URL rules changed
// (aliases), and moves an article to its former id where only that one is
// counted (useLegacyIDs).
func (s *Sink) priors(ctx context.Context, decoded []*event.Enriched, aliases map[string]string) (map[string]*journal.Prior, error) {
	var ids []string
	for _, e := range decoded {
		if e != nil {
			ids = append(ids, e.ArticleID)
		}
	}
	for _, old := range aliases {
		ids = append(ids, old)
	}
	priors, err := s.store.Priors(ctx, ids)
	if err != nil {
		return nil, err
	}
	useLegacyIDs(decoded, aliases, priors)
	return priors, nil
}

// count adds one decoded article to the journal block and marks the
// buckets it changes; priors then holds it as counted for the rest of the
// batch.
func (s *Sink) count(p *plan, m kafka.Message, e *event.Enriched, priors map[string]*journal.Prior) {
	outcome, prior := p.journal.Count(e, priors)
	switch outcome {
	case journal.Duplicate:
		p.dups++
		return
	case journal.Tied:
		p.dead = append(p.dead, kafkax.DeadLetter(m, Stage, fmt.Errorf(
			"%w: tagger_version %q has the same numbers as %q, which the article is counted under: "+
				"which is current would be ambiguous (give every tagger release its own numbers)",
			event.ErrInvalidEnriched, e.TaggerVersion, prior.TiedWith(e.TaggerVersion))))
		return
	case journal.Counted:
		p.counted++
	case journal.Recounted:
		p.recounted++
		for _, c := range prior.Current { // where a recount retracts from
			s.index.Add(p.touched, c.Bucket, journal.CurrentView)
		}
	case journal.Older:
		p.older++
	}
	s.index.AddArticle(p.touched, e)
	p.fresh = append(p.fresh, e)
	p.srcs = append(p.srcs, store.Source{Partition: int32(m.Partition), Offset: m.Offset})
}

// blockRows names the batch's journal block and returns its rows; none
// when the batch writes nothing.
func (s *Sink) blockRows(gs *genState, p *plan) (string, []journal.Row) {
	if p.journal.Empty() {
		return "", nil
	}
	block := ledger.NewBlockID(gs.epoch, time.Now())
	return block, p.journal.Rows(block)
}

// writeJournal writes the batch's journal block (blockRows), unless it is
// empty, with the fencing checks of writeBlock.
func (s *Sink) writeJournal(ctx context.Context, gs *genState, p *plan, block string, rows []journal.Row) error {
	if block == "" {
		return nil
	}
	if err := s.writeBlock(ctx, gs, block, rows, p.ranges, p.ids, p.touched); err != nil {
		return err
	}
	if s.cfg.AfterJournal != nil {
		s.cfg.AfterJournal()
	}
	return nil
}

// phases times the steps of a flush, for the log.
type phases struct {
	start, last                                   time.Time
	classify, raw, journal, wait, publish, commit time.Duration
}

// lap records the time since the previous lap in d.
func (t *phases) lap(d *time.Duration) {
	now := time.Now()
	*d, t.last = now.Sub(t.last), now
}

// report records a flush in the metrics and the log.
// took is from the start of the batch to its commit, waiting for the
// previous batch's publish (wait) included.
func (s *Sink) report(ctx context.Context, messages int, n tally, updates int, t phases) {
	took := t.last.Sub(t.start)
	s.metrics.observeFlush(took, n.counted, n.recounted, n.older, n.dups, n.replayed, n.dead)
	s.metrics.indexUpdates.Add(float64(updates))
	level := slog.LevelDebug
	if n.dups > 0 || n.replayed > 0 || n.dead > 0 {
		level = slog.LevelInfo // recovery at work: worth a line at the default level
	}
	s.logger.Log(ctx, level, "flushed", "messages", messages, "counted", n.counted, "recounted", n.recounted, "older", n.older,
		"duplicates", n.dups, "replayed", n.replayed, "dead", n.dead, "index_updates", updates, "took", took,
		"classify", t.classify, "raw", t.raw, "journal", t.journal, "wait", t.wait, "publish", t.publish, "commit", t.commit)
}

// legacyAliases maps the new id of each article whose id changed with the
// canonical URL rules (docs/ids.md) to the id it had before.
func legacyAliases(decoded []*event.Enriched) map[string]string {
	var out map[string]string
	for _, e := range decoded {
		if e == nil || e.URL == "" {
			continue
		}
		if old := event.LegacyArticleID(e.URL); old != "" && old != e.ArticleID {
			if out == nil {
				out = map[string]string{}
			}
			out[e.ArticleID] = old
		}
	}
	return out
}

// useLegacyIDs counts an article under the id it had before the canonical
// URL rules changed when that id is counted and the new one is not: an
// article stored before the change is the same article when it is sent
// again after it, and keeps its identity in the journal and the raw tables.
func useLegacyIDs(decoded []*event.Enriched, aliases map[string]string, priors map[string]*journal.Prior) {
	for _, e := range decoded {
		if e == nil {
			continue
		}
		if old, ok := aliases[e.ArticleID]; ok && priors[old] != nil && priors[e.ArticleID] == nil {
			e.ArticleID = old
		}
	}
}
