package kafkax

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// Fetcher is the part of kafka.Reader a batch consumer needs.
type Fetcher interface {
	FetchMessage(ctx context.Context) (kafka.Message, error)
}

// BatchConfig tunes ConsumeBatches. Zero values take the defaults.
type BatchConfig struct {
	MaxBatch      int           // messages per batch; default 1000
	FlushInterval time.Duration // longest the first message of a batch waits; default 1s
	IdleFlush     time.Duration // hand the batch over sooner when nothing arrives this long; default 50ms
	ShutdownGrace time.Duration // one last attempt at the batch in hand when ctx ends; default 10s
}

func (c *BatchConfig) defaults() {
	if c.MaxBatch <= 0 {
		c.MaxBatch = 1000
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

// ConsumeBatches reads batches — full, or when the oldest message has waited
// FlushInterval, or when nothing arrived for IdleFlush — and hands each to
// handle, retrying it with backoff until it succeeds: a batch is never
// skipped, so the handler's commit-after-output rule holds. onRetry (may be
// nil) is told of each failure. When ctx ends, the batch in hand gets one
// attempt bounded by ShutdownGrace and ConsumeBatches returns nil; whatever
// did not land is redelivered after restart. It returns an error only when
// fetching fails.
func ConsumeBatches(ctx context.Context, r Fetcher, cfg BatchConfig,
	handle func(ctx context.Context, batch []kafka.Message) error, onRetry func(attempt int, batch []kafka.Message, err error)) error {
	cfg.defaults()
	for {
		batch, err := collect(ctx, r, cfg)
		if len(batch) > 0 {
			hctx, cancel := ctx, context.CancelFunc(func() {})
			if ctx.Err() != nil {
				hctx, cancel = context.WithTimeout(context.Background(), cfg.ShutdownGrace)
			}
			retry(hctx, batch, handle, onRetry)
			cancel()
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("kafkax: fetch: %w", err)
		}
	}
}

func collect(ctx context.Context, r Fetcher, cfg BatchConfig) ([]kafka.Message, error) {
	first, err := r.FetchMessage(ctx)
	if err != nil {
		return nil, err
	}
	batch := []kafka.Message{first}
	deadline := time.Now().Add(cfg.FlushInterval)
	for len(batch) < cfg.MaxBatch {
		wait := min(time.Until(deadline), cfg.IdleFlush)
		if wait <= 0 {
			break
		}
		fctx, cancel := context.WithTimeout(ctx, wait)
		m, err := r.FetchMessage(fctx)
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
		batch = append(batch, m)
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
