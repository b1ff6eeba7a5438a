package kafkax

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
	// MinInterval is the least time between the hand-overs of two batches
	// that are not full (default 0: none). A batch that is due holds on
	// and keeps filling until MinInterval has passed since the previous
	// one was handed over, so a steady stream becomes at most one batch per
	// MinInterval however its messages are spaced, instead of one per gap
	// of IdleFlush: a consumer whose every batch costs inserts and reads
	// (the sink) bounds what a slow stream costs its store. A message after
	// a quiet spell still goes after IdleFlush. A batch waits at most
	// max(FlushInterval, MinInterval).
	MinInterval   time.Duration
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
// arrived for IdleFlush, but not sooner than MinInterval after the batch
// before unless full — and hands each to handle, retrying it with
// backoff until it succeeds: a batch is never skipped, so the handler's
// commit-after-output rule holds. onRetry (may be nil) is told of each
// failure, a failed fetch too (Failure.Fetch): fetching is retried as well,
// as kafka-go's readers heal from a broker's death by themselves.
//
// The next batch is fetched while the current one is handled (one batch
// ahead, so memory holds at most two batches): fetching and decompressing
// messages overlaps the handler's writes instead of following them. It is
// handed over only after the current one succeeded. The time limits cut a
// batch only when the handler is free to take it: while the handler is
// busy the next batch keeps filling up to MaxBatch and MaxBytes, so a
// consumer catching up on a backlog writes full batches (fewer, larger
// inserts) whatever the fetch rate; a due batch is handed over within
// askPoll of the handler asking for it.
//
// When ctx ends, a batch still being handled is abandoned with its ctx, a
// batch collected as ctx ended gets one attempt bounded by ShutdownGrace,
// and ConsumeBatches returns nil; nothing after a batch that did not
// succeed is handled, and whatever did not land is redelivered after
// restart. It returns an error only when the reader was closed under it.
func ConsumeBatches(ctx context.Context, r Fetcher, cfg BatchConfig,
	handle func(ctx context.Context, batch []kafka.Message) error, onRetry func(Failure)) error {
	cfg.defaults()
	c := &collector{r: r, cfg: cfg, want: make(chan struct{})}
	batches := make(chan collected) // unbuffered: one batch collected ahead
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { c.run(ctx, batches, stop) })
	defer wg.Wait()
	defer close(stop)
	for {
		// Ask for the next batch; the collector answers only once asked,
		// and never ends without answering.
		c.want <- struct{}{}
		b, ok := <-batches
		if !ok {
			return nil
		}
		if len(b.batch) > 0 {
			hctx, cancel := ctx, context.CancelFunc(func() {})
			if ctx.Err() != nil {
				hctx, cancel = context.WithTimeout(context.Background(), cfg.ShutdownGrace)
			}
			done := false
			if ctx.Err() == nil || cfg.FinalAttempt == nil || cfg.FinalAttempt() {
				done = retry(hctx, b.batch, handle, onRetry)
			}
			cancel()
			if !done {
				return nil // ctx ended first: a later batch must not be handled
			}
		}
		if b.err == nil {
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		if readerClosed(b.err) {
			return fmt.Errorf("kafkax: fetch: %w", b.err)
		}
		if onRetry != nil {
			onRetry(Failure{Fetch: true, Attempt: b.fails, Err: fmt.Errorf("kafkax: fetch: %w", b.err)})
		}
	}
}

// readerClosed reports whether a fetch failed because the reader was
// closed: the one fetch error not worth retrying.
func readerClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe)
}

// collected is a batch and the error that ended its collection, with the
// fetch failures in a row so far.
type collected struct {
	batch []kafka.Message
	err   error
	fails int
}

// run collects batches and hands each to out once the consumer asked for
// it (want), until ctx ends, the reader is closed or stop is closed. A
// failed fetch is handed over like a batch and the next one follows after
// drainPause: kafka-go's readers report a failed attempt (a partition's
// leader or the group's coordinator died) and go on healing by
// themselves, at their own pace.
func (c *collector) run(ctx context.Context, out chan<- collected, stop <-chan struct{}) {
	defer close(out)
	fails := 0
	for {
		batch, err := c.collect(ctx)
		switch {
		case err == nil:
			fails = 0
		case ctx.Err() == nil && !readerClosed(err):
			fails++
		}
		if !c.asked {
			select {
			case <-c.want:
			case <-stop:
				return
			}
		}
		c.asked = false
		select {
		case out <- collected{batch, err, fails}:
			c.handedOver = time.Now()
		case <-stop:
			return
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil || readerClosed(err) {
			return
		}
		select {
		case <-stop:
			return
		case <-ctx.Done(): // the next collect ends at once, and is handed over
		case <-time.After(drainPause):
		}
	}
}

// askPoll is how often a collector holding a batch that is due looks
// whether the busy consumer asked for it: how much later than the time
// limits a batch can be handed over.
const askPoll = 5 * time.Millisecond

// asking reports whether the consumer asked for the next batch (it is
// waiting for one), remembering it until the batch is handed over.
func (c *collector) asking() bool {
	if !c.asked {
		select {
		case <-c.want:
			c.asked = true
		default:
		}
	}
	return c.asked
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
	want    chan struct{} // the consumer asks for a batch
	asked   bool          // it asked, and has not got the batch yet
	// handedOver is when the last batch was handed over (MinInterval).
	handedOver time.Time
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
	due := false // FlushInterval passed, or nothing arrived for IdleFlush
	timer := fetchTimer{parent: ctx}
	defer timer.release()
	for len(batch) < c.cfg.MaxBatch && size < c.cfg.MaxBytes {
		wait := min(time.Until(deadline), c.cfg.IdleFlush)
		if wait <= 0 {
			due = true
		}
		if due {
			if hold := time.Until(c.handedOver.Add(c.cfg.MinInterval)); hold > 0 {
				wait = hold // the previous batch went out less than MinInterval ago: keep filling until then
			} else if c.asking() {
				break // due, and the consumer waits for it
			} else {
				// The consumer is busy: keep filling, and look again soon.
				wait = min(askPoll, c.cfg.IdleFlush)
			}
		}
		fctx := timer.arm(wait)
		m, err := c.r.FetchMessage(fctx)
		if err != nil {
			if ctx.Err() != nil {
				return batch, ctx.Err()
			}
			if errors.Is(err, context.Canceled) && fctx.Err() != nil {
				due = true // waited wait
				continue
			}
			return batch, err
		}
		n := MessageBytes(m)
		if !Fits(len(batch), size, n, c.cfg.MaxBatch, c.cfg.MaxBytes) {
			held := m // a copy: taking m's address would move every message to the heap
			c.pending = &held
			break
		}
		batch = append(batch, m)
		size += n
	}
	return batch, nil
}

// fetchTimer bounds each fetch of a batch without a context and a timer of
// its own: one cancellable context serves the fetches until its timer
// fires, and each fetch only moves the timer. A context.WithTimeout per
// message (an allocation, a runtime timer, registering with the parent and
// leaving it) took ~5 % of the enricher's CPU on a backlog, ~1.5 % of the
// sink's.
type fetchTimer struct {
	parent context.Context
	ctx    context.Context
	cancel context.CancelFunc
	timer  *time.Timer
}

// arm returns a context that ends when the parent does or after d.
func (t *fetchTimer) arm(d time.Duration) context.Context {
	if t.timer != nil && t.timer.Stop() {
		t.timer.Reset(d) // it had not fired: its context is still live
		return t.ctx
	}
	// First fetch, or the timer fired (its context is cancelled, or about
	// to be): start a new one.
	t.ctx, t.cancel = context.WithCancel(t.parent)
	t.timer = time.AfterFunc(d, t.cancel)
	return t.ctx
}

// release stops the timer and ends its context.
func (t *fetchTimer) release() {
	if t.timer == nil {
		return
	}
	t.timer.Stop()
	t.cancel()
}

// Failure is one failed step that ConsumeBatches retries: reading from
// Kafka (Fetch) or handling Batch. Services report the two apart (a
// fetch failure is not a failed write: a broker is down or the group is
// rejoining, and the reader heals by itself).
type Failure struct {
	Fetch   bool
	Attempt int             // 1 for the first failure of this step in a row
	Batch   []kafka.Message // the batch being handled; nil for a fetch
	Err     error
}

// logged reports whether the failure deserves a log line: every failed
// handling (each is an attempt after a backoff), and the 1st, 2nd, 4th,
// 8th … fetch failure in a row, since a reader reports each of its own
// reconnection attempts (about one a second per partition while a broker
// is down). Metrics count them all.
func (f Failure) logged() bool {
	return !f.Fetch || powerOfTwo(f.Attempt)
}

// powerOfTwo reports whether the n-th failure in a row is one that is
// logged (1, 2, 4, 8 …): a long outage writes a few lines, not one per
// attempt.
func powerOfTwo(n int) bool { return n > 0 && n&(n-1) == 0 }

// retry handles batch until it succeeds (true) or ctx ends (false).
func retry(ctx context.Context, batch []kafka.Message, handle func(context.Context, []kafka.Message) error,
	onRetry func(Failure)) bool {
	return Retry(ctx, func(ctx context.Context) error { return handle(ctx, batch) }, func(attempt int, err error) {
		if onRetry != nil {
			onRetry(Failure{Attempt: attempt, Batch: batch, Err: err})
		}
	})
}

// Retry runs run until it succeeds (true) or ctx ends (false), waiting
// 100 ms after the first failure and twice as long after each next one, up
// to 5 s; every failure is reported to onRetry (nil: not reported).
func Retry(ctx context.Context, run func(context.Context) error, onRetry func(attempt int, err error)) bool {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := run(ctx)
		if err == nil {
			return true
		}
		if onRetry != nil {
			onRetry(attempt, err)
		}
		select {
		case <-ctx.Done():
			return false
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

// FailureReport makes ConsumeBatches' onRetry for a service: a fetch failure
// counts in fetches and is logged the 1st, 2nd, 4th … time in a row
// (Failure.logged); a failed handling counts in handles and is logged as
// "<step> failed; retrying" with the batch's size. Error texts are bounded
// (Summary).
func FailureReport(logger *slog.Logger, step string, fetches, handles prometheus.Counter) func(Failure) {
	return func(f Failure) {
		if f.Fetch {
			fetches.Inc()
			if f.logged() {
				logger.Error("fetch failed; retrying", "attempt", f.Attempt, "err", Summary(f.Err))
			}
			return
		}
		handles.Inc()
		logger.Error(step+" failed; retrying", "attempt", f.Attempt, "messages", len(f.Batch), "err", Summary(f.Err))
	}
}
