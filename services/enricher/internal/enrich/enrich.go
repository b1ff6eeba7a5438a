// Package enrich is the enricher's consumer: it reads raw articles in
// batches, tags them on a pool of workers, publishes the enriched articles
// (and dead letters) and commits the batch's offsets only after Kafka has
// acknowledged every output. A crash at any point replays the batch; the
// sink counts each article once, so a replay costs work, not correctness.
package enrich

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/kafkax"
)

// Stage is the DLQ stage header value of this service.
const Stage = "enricher"

// Reader is the part of kafka.Reader the enricher uses.
type Reader interface {
	FetchMessage(ctx context.Context) (kafka.Message, error)
	CommitMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Writer publishes messages; the topic is the writer's.
type Writer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Tagger tags one article in its language (the article's lang, or detected
// when empty); safe for concurrent use. An error is permanent for that
// article (it needs more work than the tagger's budget allows): the article
// is dead-lettered with the reason, never scored as empty.
type Tagger interface {
	TagLangContext(ctx context.Context, title, text, lang string) (event.Tags, error)
}

// Config tunes the consumer. Zero values take the defaults.
type Config struct {
	Workers       int           // tagging goroutines; default GOMAXPROCS
	MaxBatch      int           // messages per produce/commit round; default 2000
	MaxBatchBytes int           // bytes of messages per round (kafkax.MessageBytes); default DefaultMaxBatchBytes
	FlushInterval time.Duration // longest a message waits for its batch; default 200ms
	IdleFlush     time.Duration // flush sooner when nothing arrives; default 20ms
	TaggerVersion string
}

// DefaultMaxBatchBytes bounds a round by bytes: the enricher holds each raw
// message about five times (the Kafka value, the decoded article, the
// encoded enriched record, which is larger, and the producer's compressed
// batch), so 32 MiB of raw messages is ~160 MiB at the peak of a round.
const DefaultMaxBatchBytes = 32 << 20

func (c *Config) defaults() {
	if c.MaxBatchBytes <= 0 {
		c.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 2000
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 200 * time.Millisecond
	}
	if c.IdleFlush <= 0 {
		c.IdleFlush = 20 * time.Millisecond
	}
}

// FitWriter sizes the output writer to the rounds of maxBatch messages
// (0: the default) it is given: kafka-go allocates, for every produce batch,
// room for Writer.BatchSize messages (152 bytes each, zeroed), and a round
// never holds more than maxBatch.
func FitWriter(w *kafka.Writer, maxBatch int) {
	c := Config{MaxBatch: maxBatch}
	c.defaults()
	w.BatchSize = min(w.BatchSize, c.MaxBatch)
}

// Enricher is one member of the enricher consumer group.
type Enricher struct {
	cfg     Config
	reader  Reader
	out     Writer
	dlq     Writer
	tagger  Tagger
	logger  *slog.Logger
	metrics *Metrics
	now     func() time.Time
}

// New wires an enricher.
func New(cfg Config, r Reader, out, dlq Writer, t Tagger, logger *slog.Logger, m *Metrics) *Enricher {
	cfg.defaults()
	return &Enricher{cfg: cfg, reader: r, out: out, dlq: dlq, tagger: t, logger: logger, metrics: m, now: time.Now}
}

// Run consumes until ctx ends. On shutdown the batch in hand is finished
// within a bounded time; anything unfinished is replayed after restart.
func (e *Enricher) Run(ctx context.Context) error {
	return kafkax.ConsumeBatches(ctx, e.reader,
		kafkax.BatchConfig{MaxBatch: e.cfg.MaxBatch, MaxBytes: e.cfg.MaxBatchBytes, FlushInterval: e.cfg.FlushInterval, IdleFlush: e.cfg.IdleFlush},
		e.process, kafkax.FailureReport(e.logger, "publish", e.metrics.fetchErrors, e.metrics.publishErrors))
}

// process tags a batch and publishes it; an error makes ConsumeBatches try
// the whole batch again.
func (e *Enricher) process(ctx context.Context, batch []kafka.Message) error {
	outs, srcs, dead := e.tagBatch(batch)
	return e.publish(ctx, batch, outs, srcs, dead)
}

// tagBatch tags every message on the worker pool. Output order follows
// input order, so per-key order in the output topic follows the input.
// srcs[i] is the raw message outs[i] was made from (batch itself when
// nothing was dead-lettered). Workers take the next index from a counter,
// not a channel: a batch is thousands of articles of tens of microseconds
// each, and a channel handoff per article costs a wake-up.
func (e *Enricher) tagBatch(batch []kafka.Message) (outs, srcs, dead []kafka.Message) {
	results := make([]kafka.Message, len(batch))
	failed := make([]error, len(batch))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(e.cfg.Workers, len(batch)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(batch) {
					return
				}
				results[i], failed[i] = e.enrichOne(batch[i])
			}
		})
	}
	wg.Wait()
	outs = results[:0] // compacted in place: outs[j] is results[i] for some i >= j
	for i, m := range batch {
		if failed[i] != nil {
			dead = append(dead, kafkax.DeadLetter(m, Stage, failed[i]))
			continue
		}
		outs = append(outs, results[i])
	}
	if len(dead) == 0 {
		return outs, batch, nil
	}
	srcs = make([]kafka.Message, 0, len(outs))
	for i, m := range batch {
		if failed[i] == nil {
			srcs = append(srcs, m)
		}
	}
	return outs, srcs, dead
}

// enrichOne is the per-message path: decode and validate the raw article,
// tag it, build the enriched record (event.Enrich: the tags cut to fit the
// record limit, checked as the sink checks it). Every error is permanent
// and dead-letters the message; a panic in the tagger too, instead of a
// crash loop on the same input.
func (e *Enricher) enrichOne(m kafka.Message) (out kafka.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("tagger panicked: %v", r)
		}
	}()
	if n := kafkax.RecordSize(m); n > kafkax.MaxMessageBytes {
		// Not ours (ingest and backfill publish at most half of it): no
		// enriched record of it can fit, so it is not worth tagging.
		return kafka.Message{}, &event.SizeError{What: "raw article", Size: n, Limit: kafkax.MaxMessageBytes}
	}
	a, err := event.DecodeArticle(m.Value, event.DecodeOptions{FromTopic: true})
	if err != nil {
		return kafka.Message{}, err
	}
	start := time.Now()
	// Not the batch's context: the tagger's work budget bounds the time, and
	// a shutdown must not turn an article into a permanent failure.
	tags, err := e.tagger.TagLangContext(context.Background(), a.Title, a.Text, a.Lang)
	e.metrics.tagSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		return kafka.Message{}, fmt.Errorf("tag: %w", err)
	}
	e.metrics.countLang(tags.Lang, tags.Unsupported)
	enriched, rec, err := event.Enrich(&a, tags, e.cfg.TaggerVersion, e.now())
	if err != nil {
		return kafka.Message{}, err
	}
	if enriched.Cut != nil {
		e.metrics.tagsCut.Inc()
		e.logger.Info("tags cut to fit the record limit", "article_id", a.ArticleID, "cut", *enriched.Cut)
	}
	return kafka.Message{Key: rec.Key, Value: rec.Value}, nil
}

// CommitTimeout bounds one commit of a batch's offsets. kafka-go holds a
// commit until its reader has a generation; after an outage a reader can go
// without one until the stall rule replaces it, and a publish waited five
// minutes on its commit in the cluster's two-broker drill. A commit that
// times out fails the attempt, which is retried whole (outputs written
// again: the sink counts each article once).
const CommitTimeout = 30 * time.Second

// publish writes outputs and dead letters, then commits. Nothing is
// committed unless every write was acknowledged. A write error is retried
// with the whole batch (transient: the broker is unavailable), except a
// message the broker refuses for its size, which no retry can fix: it
// becomes a dead letter of its source message.
func (e *Enricher) publish(ctx context.Context, batch, outs, srcs, dead []kafka.Message) error {
	written := len(outs)
	if len(outs) > 0 {
		refused, err := writeAll(ctx, e.out, outs)
		if err != nil {
			return fmt.Errorf("write %d enriched: %w", len(outs), err)
		}
		for _, i := range refused {
			dead = append(dead, kafkax.DeadLetter(srcs[i], Stage,
				fmt.Errorf("the enriched record (%d bytes) was refused for its size: %w", kafkax.RecordSize(outs[i]), event.ErrTooLarge)))
		}
		written -= len(refused)
	}
	if len(dead) > 0 {
		if err := e.dlq.WriteMessages(ctx, dead...); err != nil {
			return fmt.Errorf("write %d dead letters: %w", len(dead), err)
		}
	}
	commits := kafkax.LastPerPartition(batch)
	cctx, cancel := context.WithTimeout(ctx, CommitTimeout)
	defer cancel()
	if err := e.reader.CommitMessages(cctx, commits...); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	e.metrics.enriched.Add(float64(written))
	e.metrics.dead.Add(float64(len(dead)))
	return nil
}

// writeAll writes msgs and returns the indexes of those refused for their
// size. Messages that failed for another reason are written once more; an
// error means some message is still not written (the caller retries).
func writeAll(ctx context.Context, w Writer, msgs []kafka.Message) ([]int, error) {
	err := w.WriteMessages(ctx, msgs...)
	if err == nil || !kafkax.IsTooLarge(err) {
		return nil, err
	}
	var refused, again []int
	var we kafka.WriteErrors
	switch {
	case errors.As(err, &we) && len(we) == len(msgs):
		for i, e := range we {
			switch {
			case e == nil:
			case kafkax.IsTooLarge(e):
				refused = append(refused, i)
			default:
				again = append(again, i)
			}
		}
	default: // the writer refused before sending anything
		for i, m := range msgs {
			if kafkax.RecordSize(m) > kafkax.MaxMessageBytes {
				refused = append(refused, i)
			} else {
				again = append(again, i)
			}
		}
		if len(refused) == 0 {
			return nil, err
		}
	}
	if len(again) > 0 {
		rest := make([]kafka.Message, len(again))
		for j, i := range again {
			rest[j] = msgs[i]
		}
		if err := w.WriteMessages(ctx, rest...); err != nil {
			return nil, err
		}
	}
	return refused, nil
}
