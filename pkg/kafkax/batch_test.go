package kafkax

import (
	"context"
	"errors"
	"sync"
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
			}, func(int, []kafka.Message, error) { retries++ })
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
