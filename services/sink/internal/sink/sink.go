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
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

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
	LedgerStore
}

// Config tunes batching. Zero values take the defaults.
type Config struct {
	Topic         string        // default articles.enriched.v1
	MaxBatch      int           // messages per flush; default 10000
	MaxBatchBytes int           // bytes of messages per flush (kafkax.MessageBytes); default DefaultMaxBatchBytes
	FlushInterval time.Duration // longest a message waits for its batch; default 1s
	IdleFlush     time.Duration // flush sooner when nothing arrives for this long; default 50ms

	// LedgerWindow is how many offsets of a partition's ledger behind its
	// reading position the sink checks for conflicts and holes; default
	// DefaultLedgerWindow.
	LedgerWindow int64
	// OrphanAge: on a journal without insert deduplication (one 18.16
	// server), a losing block is cancelled by its own writer, and by other
	// sinks once it is this old; default DefaultOrphanAge.
	OrphanAge time.Duration
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
}

// Sink is one consumer of the enriched topic.
type Sink struct {
	cfg     Config
	src     Source
	log     Log
	dlq     Writer
	store   Store
	logger  *slog.Logger
	metrics *Metrics
	index   *indexpub.Publisher
	health  health
	mine    struct {
		sync.Mutex
		blocks  map[string]bool      // blocks this process wrote lately
		recheck map[string]time.Time // articles of conflicts left to others, and when to look again
	}
}

// New wires a sink. index may be nil: then no index updates are published.
func New(cfg Config, src Source, log Log, dlq Writer, st Store, logger *slog.Logger, m *Metrics, index *indexpub.Publisher) *Sink {
	cfg.defaults()
	return &Sink{cfg: cfg, src: src, log: log, dlq: dlq, store: st, logger: logger, metrics: m, index: index}
}

// Run consumes until ctx ends and returns nil; it returns an error only
// when the consumer group fails. When ctx ends, the batch in hand gets one
// last attempt (within a bounded time); when a generation ends, it is
// dropped: its partitions belong to another sink now, which reads them from
// the ledger's position.
func (s *Sink) Run(ctx context.Context) error {
	return s.src.Run(ctx, func(gctx context.Context, g Generation) error {
		return s.runGeneration(ctx, gctx, g)
	})
}

// runGeneration consumes the generation's partitions from the ledger's
// positions until the generation (or the process) ends, starting over from
// the ledger when a flush finds a hole below its reading position.
func (s *Sink) runGeneration(procCtx, ctx context.Context, g Generation) error {
	for ctx.Err() == nil {
		gs, err := s.open(ctx, g)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.Error("cannot start the generation's partitions; retrying", "generation", g.Epoch(), "err", err)
				s.metrics.flushErrors.Inc()
			}
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
			continue
		}
		f, err := g.Fetch(ctx, gs.next)
		if err != nil {
			return err
		}
		rctx, rewind := context.WithCancel(ctx)
		gs.rewind = rewind
		err = kafkax.ConsumeBatches(rctx, f,
			kafkax.BatchConfig{MaxBatch: s.cfg.MaxBatch, MaxBytes: s.cfg.MaxBatchBytes, FlushInterval: s.cfg.FlushInterval,
				IdleFlush: s.cfg.IdleFlush, FinalAttempt: func() bool { return procCtx.Err() != nil }},
			func(ctx context.Context, batch []kafka.Message) error { return s.flush(ctx, gs, batch) },
			func(attempt int, batch []kafka.Message, err error) {
				s.metrics.flushErrors.Inc()
				s.logger.Error("flush failed; retrying", "attempt", attempt, "messages", len(batch), "err", err)
			})
		f.Close()
		rewinding := rctx.Err() != nil && ctx.Err() == nil
		rewind()
		if err != nil || !rewinding {
			return err
		}
		s.metrics.rewinds.Inc()
	}
	return nil
}

// flush writes one batch. Order matters: dead letters and raw rows first
// (both idempotent), then the journal block that makes the batch count,
// then the index updates of every bucket the batch touched, then the Kafka
// commit (the ledger is the truth for counting; for the index topic the
// commit is what proves the updates were published). A message below the
// ledger is a replay: it counts nothing, but its buckets are published
// again, because the process that wrote its block may have died before
// publishing — and then it did not commit either, which is why Kafka
// redelivers the message.
func (s *Sink) flush(ctx context.Context, gs *genState, batch []kafka.Message) error {
	start := time.Now()
	led, err := s.readLedger(ctx, gs, batch)
	if err != nil {
		return err
	}
	b := journal.NewBuilder()
	var (
		fresh   []*event.Enriched
		srcs    []store.Source
		dead    []kafka.Message
		ids     []string
		skipped int
		decoded = make([]*event.Enriched, len(batch))
		cover   = coverage{} // the offsets this block consumes, per partition
		touched = indexpub.Touched{}
	)
	for i, m := range batch {
		p := int32(m.Partition)
		if led.Covered(p, m.Offset) {
			skipped++ // counted by an earlier flush: a replay
			if s.index != nil {
				if e, err := decodeEnriched(m.Value); err == nil {
					s.index.AddArticle(touched, e)
				}
			}
			continue
		}
		cover.add(p, m.Offset)
		e, err := decodeEnriched(m.Value)
		if err != nil {
			dead = append(dead, kafkax.DeadLetter(m, Stage, err))
			continue
		}
		decoded[i] = e
		ids = append(ids, e.ArticleID)
	}
	aliases := legacyAliases(decoded)
	for _, old := range aliases {
		ids = append(ids, old)
	}
	priors, err := s.store.Priors(ctx, ids)
	if err != nil {
		return err
	}
	useLegacyIDs(decoded, aliases, priors)
	var counted, recounted, older, dups int
	for i, e := range decoded {
		if e == nil {
			continue
		}
		prior := priors[e.ArticleID]
		outcome := b.Add(e, prior)
		switch outcome {
		case journal.Duplicate:
			dups++
			continue
		case journal.Tied:
			dead = append(dead, kafkax.DeadLetter(batch[i], Stage, fmt.Errorf(
				"%w: tagger_version %q has the same numbers as %q, which the article is counted under: "+
					"which is current would be ambiguous (give every tagger release its own numbers)",
				event.ErrInvalidEnriched, e.TaggerVersion, prior.TiedWith(e.TaggerVersion))))
			continue
		case journal.Counted:
			counted++
		case journal.Recounted:
			recounted++
		case journal.Older:
			older++
		}
		// Later messages of this batch see this one as counted.
		priors[e.ArticleID] = prior.After(e, outcome)
		if s.index != nil {
			s.index.AddArticle(touched, e)
			if outcome == journal.Recounted {
				for _, c := range prior.Current { // where a recount retracts from
					s.index.Add(touched, c.Bucket, journal.CurrentView)
				}
			}
		}
		fresh = append(fresh, e)
		srcs = append(srcs, store.Source{Partition: int32(batch[i].Partition), Offset: batch[i].Offset})
	}
	ranges := cover.ranges(led, gs)
	for _, r := range ranges {
		b.Cover(gs.log, r.Partition, r.From, r.To)
	}
	if len(dead) > 0 {
		if err := s.dlq.WriteMessages(ctx, dead...); err != nil {
			return fmt.Errorf("sink: write %d dead letters: %w", len(dead), err)
		}
	}
	if err := s.store.WriteRaw(ctx, fresh, srcs); err != nil {
		return err
	}
	if !b.Empty() {
		block := ledger.NewBlockID(gs.epoch, time.Now())
		if err := s.writeBlock(ctx, gs, block, b.Rows(block), ranges, ids, touched); err != nil {
			return err
		}
		if s.cfg.AfterJournal != nil {
			s.cfg.AfterJournal()
		}
	}
	var updates int
	if s.index != nil {
		if updates, err = s.index.Publish(ctx, touched); err != nil {
			return err
		}
	}
	if err := gs.gen.Commit(gs.advance(batch)); err != nil {
		// Not fatal: the ledger already records these offsets, and it is
		// where a sink starts reading.
		s.logger.Warn("commit failed; the ledger covers the replay", "err", err)
	}
	s.metrics.observeFlush(time.Since(start), counted, recounted, older, dups, skipped, len(dead))
	s.metrics.indexUpdates.Add(float64(updates))
	level := slog.LevelDebug
	if dups > 0 || skipped > 0 || len(dead) > 0 {
		level = slog.LevelInfo // recovery at work: worth a line at the default level
	}
	s.logger.Log(ctx, level, "flushed", "messages", len(batch), "counted", counted, "recounted", recounted, "older", older,
		"duplicates", dups, "replayed", skipped, "dead", len(dead), "index_updates", updates, "took", time.Since(start))
	return nil
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
