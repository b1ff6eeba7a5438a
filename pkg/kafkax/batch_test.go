package kafkax

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

type sliceFetcher struct {
	mu   sync.Mutex
	msgs []kafka.Message
}

func (f *sliceFetcher) FetchMessage(ctx context.Context) (kafka.Message, error) {
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

func TestConsumeBatchesRetriesAndCutsBatches(t *testing.T) {
	var msgs []kafka.Message
	for i := range 7 {
		msgs = append(msgs, kafka.Message{Partition: i % 2, Offset: int64(i)})
	}
	f := &sliceFetcher{msgs: msgs}
	var (
		mu      sync.Mutex
		sizes   []int
		fails   = 2
		retries int
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ConsumeBatches(ctx, f, BatchConfig{MaxBatch: 3, FlushInterval: 50 * time.Millisecond, IdleFlush: 10 * time.Millisecond},
			func(_ context.Context, b []kafka.Message) error {
				mu.Lock()
				defer mu.Unlock()
				if fails > 0 {
					fails--
					return errors.New("not yet")
				}
				sizes = append(sizes, len(b))
				return nil
			}, func(f Failure) {
				if f.Fetch || len(f.Batch) != 3 || f.Attempt != retries+1 || f.Err == nil {
					t.Errorf("failure %d reported as %+v", retries+1, f)
				}
				retries++
			})
	}()
	deadline := time.Now().Add(60 * time.Second) // generous: -race on a loaded two-core machine
	for {
		mu.Lock()
		total := 0
		for _, s := range sizes {
			total += s
		}
		mu.Unlock()
		if total == 7 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("handled %d of 7 messages", total)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if retries != 2 || len(sizes) != 3 || sizes[0] != 3 || sizes[1] != 3 || sizes[2] != 1 {
		t.Fatalf("batches %v after %d retries; want [3 3 1] after 2", sizes, retries)
	}
}

func TestFits(t *testing.T) {
	for _, tc := range []struct {
		name                             string
		n, size, msg, maxBatch, maxBytes int
		want                             bool
	}{
		{"empty batch takes a small message", 0, 0, 10, 5, 100, true},
		{"empty batch takes a message over the budget", 0, 0, 1 << 20, 5, 100, true},
		{"within both limits", 2, 50, 50, 5, 100, true},
		{"exactly the byte budget", 2, 60, 40, 5, 100, true},
		{"one byte over the budget", 2, 60, 41, 5, 100, false},
		{"count limit reached", 5, 10, 1, 5, 100, false},
		{"a big message after a small one", 1, 10, 1 << 20, 5, 100, false},
		{"empty message into a full-byte batch", 3, 100, 0, 5, 100, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Fits(tc.n, tc.size, tc.msg, tc.maxBatch, tc.maxBytes); got != tc.want {
				t.Fatalf("Fits(%d, %d, %d, %d, %d) = %v, want %v", tc.n, tc.size, tc.msg, tc.maxBatch, tc.maxBytes, got, tc.want)
			}
		})
	}
}

func TestMessageBytesCountsKeyValueAndHeaders(t *testing.T) {
	m := kafka.Message{Key: []byte("abc"), Value: make([]byte, 100),
		Headers: []kafka.Header{{Key: "error", Value: []byte("bad")}, {Key: "stage", Value: []byte("sink")}}}
	if got, want := MessageBytes(m), 3+100+5+3+5+4; got != want {
		t.Fatalf("MessageBytes = %d, want %d", got, want)
	}
}

// TestConsumeBatchesByteBudget: batches are cut by bytes as well as count,
// a message that would overflow starts the next batch (nothing lost or
// reordered), and a message larger than the whole budget is a batch of one.
func TestConsumeBatchesByteBudget(t *testing.T) {
	sizes := []int{10, 10, 10, 50, 10, 5, 30, 0, 25}
	var msgs []kafka.Message
	for i, n := range sizes {
		msgs = append(msgs, kafka.Message{Offset: int64(i), Value: make([]byte, n)})
	}
	got := consumeAll(t, msgs, BatchConfig{MaxBatch: 100, MaxBytes: 25, FlushInterval: time.Second, IdleFlush: 50 * time.Millisecond})
	want := [][]int64{{0, 1}, {2}, {3}, {4, 5}, {6}, {7, 8}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("batches (offsets) %v, want %v", got, want)
	}
}

// TestConsumeBatchesOversizeMessagesNeverWedge: a stream of messages each
// larger than the budget flows through one by one.
func TestConsumeBatchesOversizeMessagesNeverWedge(t *testing.T) {
	var msgs []kafka.Message
	for i := range 5 {
		msgs = append(msgs, kafka.Message{Offset: int64(i), Value: make([]byte, 1000)})
	}
	got := consumeAll(t, msgs, BatchConfig{MaxBatch: 100, MaxBytes: 10, FlushInterval: time.Second, IdleFlush: 50 * time.Millisecond})
	if want := [][]int64{{0}, {1}, {2}, {3}, {4}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("batches (offsets) %v, want %v", got, want)
	}
}

// consumeAll runs ConsumeBatches over msgs until every message was handled
// and returns the offsets of each batch in order.
func consumeAll(t *testing.T, msgs []kafka.Message, cfg BatchConfig) [][]int64 {
	t.Helper()
	f := &sliceFetcher{msgs: msgs}
	var (
		mu      sync.Mutex
		batches [][]int64
		total   int
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ConsumeBatches(ctx, f, cfg, func(_ context.Context, b []kafka.Message) error {
			mu.Lock()
			defer mu.Unlock()
			var offs []int64
			for _, m := range b {
				offs = append(offs, m.Offset)
			}
			batches = append(batches, offs)
			total += len(b)
			return nil
		}, nil)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := total
		mu.Unlock()
		if n == len(msgs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("handled %d of %d messages", n, len(msgs))
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return batches
}

func TestLastPerPartition(t *testing.T) {
	got := LastPerPartition([]kafka.Message{{Partition: 0, Offset: 5}, {Partition: 1, Offset: 2}, {Partition: 0, Offset: 7}, {Partition: 0, Offset: 6}})
	want := map[int]int64{0: 7, 1: 2}
	if len(got) != 2 {
		t.Fatalf("got %v", got)
	}
	for _, m := range got {
		if want[m.Partition] != m.Offset {
			t.Fatalf("partition %d at %d, want %d", m.Partition, m.Offset, want[m.Partition])
		}
	}
}

// countingFetcher serves msgs and counts the fetches that returned one.
type countingFetcher struct {
	sliceFetcher
	served atomic.Int64
}

func (f *countingFetcher) FetchMessage(ctx context.Context) (kafka.Message, error) {
	m, err := f.sliceFetcher.FetchMessage(ctx)
	if err == nil {
		f.served.Add(1)
	}
	return m, err
}

// TestConsumeBatchesFetchesAheadWhileHandling: the next batch is fetched
// while the current one is handled, not after.
func TestConsumeBatchesFetchesAheadWhileHandling(t *testing.T) {
	f := &countingFetcher{sliceFetcher: sliceFetcher{msgs: []kafka.Message{{Offset: 0}, {Offset: 1}, {Offset: 2}, {Offset: 3}}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	aheadSeen := make(chan bool, 1)
	handled := make(chan int, 4)
	go ConsumeBatches(ctx, f, BatchConfig{MaxBatch: 2, FlushInterval: time.Second, IdleFlush: 20 * time.Millisecond},
		func(_ context.Context, b []kafka.Message) error {
			if b[0].Offset == 0 {
				deadline := time.Now().Add(5 * time.Second)
				for f.served.Load() < 4 && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				aheadSeen <- f.served.Load() == 4
			}
			handled <- len(b)
			return nil
		}, nil)
	if !<-aheadSeen {
		t.Fatal("the second batch was not fetched while the first was handled")
	}
	if a, b := <-handled, <-handled; a != 2 || b != 2 {
		t.Fatalf("batches of %d and %d, want 2 and 2", a, b)
	}
}

// TestConsumeBatchesNothingAfterAnAbandonedBatch: a batch abandoned at
// shutdown (its handler never succeeded) is not followed by the batch
// fetched ahead, whose commit would skip it.
func TestConsumeBatchesNothingAfterAnAbandonedBatch(t *testing.T) {
	f := &sliceFetcher{msgs: []kafka.Message{{Offset: 0}, {Offset: 1}, {Offset: 2}, {Offset: 3}}}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var handled [][]kafka.Message
	done := make(chan error, 1)
	go func() {
		done <- ConsumeBatches(ctx, f, BatchConfig{MaxBatch: 2, FlushInterval: time.Second, IdleFlush: 20 * time.Millisecond},
			func(hctx context.Context, b []kafka.Message) error {
				if b[0].Offset == 0 {
					cancel() // shutdown while the first batch is written
					<-hctx.Done()
					return hctx.Err()
				}
				mu.Lock()
				handled = append(handled, b)
				mu.Unlock()
				return nil
			}, nil)
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(handled) != 0 {
		t.Fatalf("handled %v after the first batch was abandoned", handled)
	}
}

// dripFetcher serves n messages, one every interval: a topic written to
// (or fetched) slower than the consumer's time limits.
type dripFetcher struct {
	interval time.Duration
	n        int
	next     int64
}

func (f *dripFetcher) FetchMessage(ctx context.Context) (kafka.Message, error) {
	if f.next >= int64(f.n) {
		<-ctx.Done()
		return kafka.Message{}, ctx.Err()
	}
	select {
	case <-ctx.Done():
		return kafka.Message{}, ctx.Err()
	case <-time.After(f.interval):
	}
	f.next++
	return kafka.Message{Offset: f.next - 1}, nil
}

// TestConsumeBatchesFillWhileTheHandlerIsBusy: the time limits cut a batch
// only when the handler can take it. While the first batch is handled (for
// far longer than FlushInterval), the next one fills up to MaxBatch instead
// of being cut after FlushInterval; once the handler waits, a batch is
// handed over by time again.
func TestConsumeBatchesFillWhileTheHandlerIsBusy(t *testing.T) {
	f := &dripFetcher{interval: 2 * time.Millisecond, n: 60}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sizes := make(chan int, 60)
	go ConsumeBatches(ctx, f, BatchConfig{MaxBatch: 40, FlushInterval: 20 * time.Millisecond, IdleFlush: 10 * time.Millisecond},
		func(_ context.Context, b []kafka.Message) error {
			if b[0].Offset == 0 {
				time.Sleep(time.Second) // 500 messages' worth of drip
			}
			sizes <- len(b)
			return nil
		}, nil)
	first := <-sizes
	if first >= 40 {
		t.Fatalf("first batch of %d: the handler was free, so FlushInterval (20ms of a 2ms drip) should have cut it", first)
	}
	if second := <-sizes; second != 40 {
		t.Fatalf("second batch of %d, want 40 (MaxBatch): it was collected while the handler was busy", second)
	}
	total := first + 40
	deadline := time.After(30 * time.Second)
	for total < 60 {
		select {
		case n := <-sizes:
			total += n
		case <-deadline:
			t.Fatalf("handled %d of 60 messages: once the handler waits, batches must be handed over by time", total)
		}
	}
}

// chanFetcher serves the messages sent on its channel.
type chanFetcher chan kafka.Message

func (f chanFetcher) FetchMessage(ctx context.Context) (kafka.Message, error) {
	select {
	case m := <-f:
		return m, nil
	case <-ctx.Done():
		return kafka.Message{}, ctx.Err()
	}
}

// TestConsumeBatchesHandsOverADueBatchAtOnce: a batch that became due
// while the handler was busy is handed over as soon as the handler asks,
// not after another IdleFlush.
func TestConsumeBatchesHandsOverADueBatchAtOnce(t *testing.T) {
	f := make(chanFetcher, 2)
	f <- kafka.Message{Offset: 0}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	freed := make(chan time.Time, 1)
	started := make(chan time.Time, 1)
	go ConsumeBatches(ctx, f, BatchConfig{MaxBatch: 10, FlushInterval: 50 * time.Millisecond, IdleFlush: 2 * time.Second},
		func(_ context.Context, b []kafka.Message) error {
			if b[0].Offset == 0 {
				f <- kafka.Message{Offset: 1} // due 50 ms later, while this handler is still busy
				time.Sleep(300 * time.Millisecond)
				freed <- time.Now()
				return nil
			}
			started <- time.Now()
			return nil
		}, nil)
	var free, start time.Time
	select {
	case free = <-freed:
	case <-time.After(30 * time.Second):
		t.Fatal("the first batch was not handled")
	}
	select {
	case start = <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the second batch was not handed over")
	}
	if d := start.Sub(free); d > time.Second {
		t.Fatalf("the due batch was handed over %v after the handler was free; IdleFlush (2s) must not delay it", d)
	}
}

// failingFetcher fails its first fails fetches with err, then serves msgs.
type failingFetcher struct {
	sliceFetcher
	mu    sync.Mutex
	fails int
	err   error
}

func (f *failingFetcher) FetchMessage(ctx context.Context) (kafka.Message, error) {
	f.mu.Lock()
	if f.fails > 0 {
		f.fails--
		f.mu.Unlock()
		return kafka.Message{}, f.err
	}
	f.mu.Unlock()
	return f.sliceFetcher.FetchMessage(ctx)
}

// TestConsumeBatchesRetriesFailedFetches: a failed fetch (kafka-go's group
// reader reporting a rejoin that failed) is told to onRetry as a fetch
// failure, counted in a row, and retried; the messages after it are all
// handled.
func TestConsumeBatchesRetriesFailedFetches(t *testing.T) {
	f := &failingFetcher{sliceFetcher: sliceFetcher{msgs: []kafka.Message{{Offset: 0}, {Offset: 1}, {Offset: 2}}},
		fails: 2, err: errors.New("coordinator not available")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	handled := make(chan int, 3)
	var mu sync.Mutex
	var attempts []int
	done := make(chan error, 1)
	go func() {
		done <- ConsumeBatches(ctx, f, BatchConfig{MaxBatch: 10, FlushInterval: 20 * time.Millisecond, IdleFlush: 10 * time.Millisecond},
			func(_ context.Context, b []kafka.Message) error {
				handled <- len(b)
				return nil
			}, func(f Failure) {
				mu.Lock()
				defer mu.Unlock()
				if !f.Fetch || f.Batch != nil {
					t.Errorf("fetch failure reported as %+v", f)
				}
				attempts = append(attempts, f.Attempt)
			})
	}()
	total := 0
	deadline := time.After(30 * time.Second)
	for total < 3 {
		select {
		case n := <-handled:
			total += n
		case err := <-done:
			t.Fatalf("ConsumeBatches returned %v after a transient fetch error", err)
		case <-deadline:
			t.Fatalf("handled %d of 3 messages", total)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(attempts) != "[1 2]" {
		t.Fatalf("onRetry attempts %v, want [1 2]", attempts)
	}
}

// TestConsumeBatchesStopsWhenTheReaderIsClosed: a closed reader (io.EOF)
// ends ConsumeBatches with an error instead of a retry loop.
func TestConsumeBatchesStopsWhenTheReaderIsClosed(t *testing.T) {
	f := &failingFetcher{fails: 1 << 30, err: io.EOF}
	done := make(chan error, 1)
	go func() {
		done <- ConsumeBatches(context.Background(), f, BatchConfig{}, func(context.Context, []kafka.Message) error { return nil }, nil)
	}()
	select {
	case err := <-done:
		if !errors.Is(err, io.EOF) {
			t.Fatalf("ConsumeBatches returned %v, want io.EOF", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("ConsumeBatches kept going on a closed reader")
	}
}

// TestConsumeBatchesMinInterval: with MinInterval, a steady drip (a message
// every 10 ms, IdleFlush 5 ms) is handed over at most once per MinInterval
// instead of once per message, and every message still arrives.
func TestConsumeBatchesMinInterval(t *testing.T) {
	for _, tc := range []struct {
		name        string
		minInterval time.Duration
		minBatches  int
		maxBatches  int
	}{
		{"none: a batch per pause", 0, 30, 40},
		{"100ms", 100 * time.Millisecond, 2, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 40
			f := &dripFetcher{interval: 10 * time.Millisecond, n: n}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			type handed struct {
				at   time.Time
				size int
			}
			got := make(chan handed, n)
			go ConsumeBatches(ctx, f, BatchConfig{MaxBatch: 1000, FlushInterval: time.Second, IdleFlush: 5 * time.Millisecond,
				MinInterval: tc.minInterval},
				func(_ context.Context, b []kafka.Message) error {
					got <- handed{time.Now(), len(b)}
					return nil
				}, nil)
			var batches []handed
			total := 0
			deadline := time.After(30 * time.Second)
			for total < n {
				select {
				case h := <-got:
					batches = append(batches, h)
					total += h.size
				case <-deadline:
					t.Fatalf("handled %d of %d messages", total, n)
				}
			}
			if len(batches) < tc.minBatches || len(batches) > tc.maxBatches {
				t.Fatalf("%d messages in %d batches, want %d to %d", n, len(batches), tc.minBatches, tc.maxBatches)
			}
			for i := 1; i < len(batches) && tc.minInterval > 0; i++ {
				// Every hand-over waits MinInterval after the one before; the
				// handler's clock reads it later by the scheduler's delay,
				// which on a busy machine differs from batch to batch (without
				// the hold the gap is a drip's 10 ms).
				if gap := batches[i].at.Sub(batches[i-1].at); gap < tc.minInterval/2 {
					t.Fatalf("batch %d handed over %v after the one before, want >= %v", i, gap, tc.minInterval)
				}
			}
		})
	}
}

// TestConsumeBatchesMinIntervalSparesALoneMessage: MinInterval counts from
// the previous hand-over, so a message after a quiet spell longer than it
// goes after IdleFlush, not after another MinInterval.
func TestConsumeBatchesMinIntervalSparesALoneMessage(t *testing.T) {
	f := make(chanFetcher, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	handled := make(chan time.Time, 2)
	go ConsumeBatches(ctx, f, BatchConfig{MaxBatch: 10, FlushInterval: 5 * time.Second, IdleFlush: 5 * time.Millisecond,
		MinInterval: time.Second},
		func(_ context.Context, b []kafka.Message) error {
			handled <- time.Now()
			return nil
		}, nil)
	f <- kafka.Message{Offset: 0}
	select {
	case <-handled:
	case <-time.After(30 * time.Second):
		t.Fatal("the first message was not handled")
	}
	time.Sleep(1200 * time.Millisecond) // quiet for longer than MinInterval
	sent := time.Now()
	f <- kafka.Message{Offset: 1}
	select {
	case at := <-handled:
		if d := at.Sub(sent); d > 500*time.Millisecond {
			t.Fatalf("a message after a quiet spell was handed over %v after it arrived; only IdleFlush (5ms) should delay it", d)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the second message was not handled")
	}
}

// Fetch failures are logged at 1, 2, 4, 8 … in a row; failed handlings
// every time.
func TestFailureLogged(t *testing.T) {
	var fetches []int
	for a := 1; a <= 20; a++ {
		if (Failure{Fetch: true, Attempt: a}).logged() {
			fetches = append(fetches, a)
		}
		if !(Failure{Attempt: a}).logged() {
			t.Errorf("failed handling %d not logged", a)
		}
	}
	if fmt.Sprint(fetches) != "[1 2 4 8 16]" {
		t.Errorf("fetch failures logged at %v, want [1 2 4 8 16]", fetches)
	}
}

// TestConsumeBatchesDrainsQueuedFetchErrors: a kafka-go reader queues a
// report of each failed attempt among its messages; after an outage of a
// minute the messages behind 60 such reports are handled within seconds
// (with a growing backoff per report they waited minutes).
func TestConsumeBatchesDrainsQueuedFetchErrors(t *testing.T) {
	f := &failingFetcher{sliceFetcher: sliceFetcher{msgs: []kafka.Message{{Offset: 0}, {Offset: 1}}},
		fails: 60, err: errors.New("failed to dial: connection refused")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	handled := make(chan int, 2)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		done <- ConsumeBatches(ctx, f, BatchConfig{MaxBatch: 10, FlushInterval: 20 * time.Millisecond, IdleFlush: 10 * time.Millisecond},
			func(_ context.Context, b []kafka.Message) error {
				handled <- len(b)
				return nil
			}, nil)
	}()
	deadline := time.After(30 * time.Second) // generous for -race on a busy machine; the old backoff took ~4.5 min
	for total := 0; total < 2; {
		select {
		case n := <-handled:
			total += n
		case <-deadline:
			t.Fatalf("handled %d of 2 messages after 60 queued errors in 30 s", total)
		}
	}
	t.Logf("60 queued fetch errors drained, messages handled in %v", time.Since(start).Round(time.Millisecond))
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
