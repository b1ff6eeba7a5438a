package kafkax

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/segmentio/kafka-go"
)

// Fetcher is the part of kafka.Reader a batch consumer needs.
type Fetcher interface {
	FetchMessage(ctx context.Context) (kafka.Message, error)
}

// DefaultBatchBytes is the byte budget of a batch when BatchConfig leaves it
// zero: 32 batches of the largest message Kafka takes by default.
const DefaultBatchBytes = 32 << 20

// BatchConfig tunes ConsumeBatches. Zero values take the defaults.
type BatchConfig struct {
	MaxBatch int // messages per batch; default 1000
	// MaxBytes bounds the keys, values and headers a batch holds (see
	// MessageBytes), so memory follows bytes, not message counts: 1,000
	// one-megabyte messages are a gigabyte before any decoding. A message
	// that would take a batch past it starts the next batch, and a single
	// message larger than MaxBytes is a batch of its own (never refused,
	// never stuck). Default DefaultBatchBytes.
	MaxBytes      int
	FlushInterval time.Duration // longest the first message of a batch waits; default 1s
	IdleFlush     time.Duration // hand the batch over sooner when nothing arrives this long; default 50ms
	ShutdownGrace time.Duration // one last attempt at the batch in hand when ctx ends; default 10s
	// FinalAttempt, when set, decides whether the batch in hand gets that
	// last attempt when ctx ends (default: always). A consumer whose
	// partitions went to another member must not write them any more.
	FinalAttempt func() bool
}

func (c *BatchConfig) defaults() {
	if c.MaxBatch <= 0 {
		c.MaxBatch = 1000
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultBatchBytes
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = time.Second
	}
	if c.IdleFlush <= 0 {
		c.IdleFlush = 50 * time.Millisecond
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 10 * time.Second
	}
}

// ConsumeBatches reads batches — full (MaxBatch messages or MaxBytes bytes),
// or when the oldest message has waited FlushInterval, or when nothing
// arrived for IdleFlush — and hands each to
// handle, retrying it with backoff until it succeeds: a batch is never
// skipped, so the handler's commit-after-output rule holds. onRetry (may be
// nil) is told of each failure, a failed fetch too (with a negative attempt
// and no batch): fetching is retried as well, as kafka-go's readers heal
// from a broker's death by themselves. When ctx ends, the batch in hand gets
// one attempt bounded by ShutdownGrace and ConsumeBatches returns nil;
// whatever did not land is redelivered after restart. It returns an error
// only when the reader was closed under it.
func ConsumeBatches(ctx context.Context, r Fetcher, cfg BatchConfig,
	handle func(ctx context.Context, batch []kafka.Message) error, onRetry func(attempt int, batch []kafka.Message, err error)) error {
	cfg.defaults()
	c := &collector{r: r, cfg: cfg}
	fetchErrors := 0
	for {
		batch, err := c.collect(ctx)
		if len(batch) > 0 {
			hctx, cancel := ctx, context.CancelFunc(func() {})
			if ctx.Err() != nil {
				hctx, cancel = context.WithTimeout(context.Background(), cfg.ShutdownGrace)
			}
			if ctx.Err() == nil || cfg.FinalAttempt == nil || cfg.FinalAttempt() {
				retry(hctx, batch, handle, onRetry)
			}
			cancel()
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) {
				return fmt.Errorf("kafkax: fetch: %w", err) // the reader was closed
			}
			// kafka-go's group reader reports a failed rejoin (the group's
			// coordinator broker died) and goes on healing itself: wait and
			// fetch again rather than exit.
			fetchErrors++
			if onRetry != nil {
				onRetry(-fetchErrors, nil, fmt.Errorf("kafkax: fetch: %w", err))
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(min(time.Duration(fetchErrors)*500*time.Millisecond, 5*time.Second)):
			}
			continue
		}
		fetchErrors = 0
	}
}

// MessageBytes is what a message weighs in a batch's byte budget: its key,
// value and headers, the bytes a consumer holds for it.
func MessageBytes(m kafka.Message) int {
	n := len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}

// Fits is the batching rule: a batch of n messages weighing size bytes takes
// a message of msgBytes when it is empty (so a message over the budget is a
// batch of one), or when it stays within both maxBatch and maxBytes.
func Fits(n, size, msgBytes, maxBatch, maxBytes int) bool {
	return n == 0 || (n < maxBatch && size+msgBytes <= maxBytes)
}

// collector cuts batches from a Fetcher. A fetched message that does not fit
// the batch in hand is held for the next one: kafka-go has no "unread", and
// dropping it would lose it until a restart.
type collector struct {
	r       Fetcher
	cfg     BatchConfig
	pending *kafka.Message
}

func (c *collector) next(ctx context.Context) (kafka.Message, error) {
	if c.pending != nil {
		m := *c.pending
		c.pending = nil
		return m, nil
	}
	return c.r.FetchMessage(ctx)
}

func (c *collector) collect(ctx context.Context) ([]kafka.Message, error) {
	first, err := c.next(ctx)
	if err != nil {
		return nil, err
	}
	batch := []kafka.Message{first}
	size := MessageBytes(first)
	deadline := time.Now().Add(c.cfg.FlushInterval)
	for len(batch) < c.cfg.MaxBatch && size < c.cfg.MaxBytes {
		wait := min(time.Until(deadline), c.cfg.IdleFlush)
		if wait <= 0 {
			break
		}
		fctx, cancel := context.WithTimeout(ctx, wait)
		m, err := c.r.FetchMessage(fctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return batch, ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) {
				break
			}
			return batch, err
		}
		n := MessageBytes(m)
		if !Fits(len(batch), size, n, c.cfg.MaxBatch, c.cfg.MaxBytes) {
			c.pending = &m
			break
		}
		batch = append(batch, m)
		size += n
	}
	return batch, nil
}

func retry(ctx context.Context, batch []kafka.Message, handle func(context.Context, []kafka.Message) error,
	onRetry func(int, []kafka.Message, error)) {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := handle(ctx, batch)
		if err == nil {
			return
		}
		if onRetry != nil {
			onRetry(attempt, batch, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// LastPerPartition returns the highest-offset message of each partition in
// batch: committing those commits the whole batch.
func LastPerPartition(batch []kafka.Message) []kafka.Message {
	last := map[int]kafka.Message{}
	for _, m := range batch {
		if prev, ok := last[m.Partition]; !ok || m.Offset > prev.Offset {
			last[m.Partition] = m
		}
	}
	out := make([]kafka.Message, 0, len(last))
	for _, m := range last {
		out = append(out, m)
	}
	return out
}
