package kafkax

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestFetchTimer checks the one context that bounds a batch's fetches: it
// ends after the last wait it was armed with (not an earlier one), a new
// one is made once it has ended, and release and the parent end it.
func TestFetchTimer(t *testing.T) {
	const long = time.Hour
	ended := func(ctx context.Context, within time.Duration) bool {
		select {
		case <-ctx.Done():
			return true
		case <-time.After(within):
			return false
		}
	}

	t.Run("ends after its wait", func(t *testing.T) {
		ft := fetchTimer{parent: context.Background()}
		defer ft.release()
		ctx := ft.arm(10 * time.Millisecond)
		if !ended(ctx, 10*time.Second) {
			t.Fatal("context armed for 10ms still live after 10s")
		}
	})
	t.Run("re-arming keeps the context and moves its end", func(t *testing.T) {
		ft := fetchTimer{parent: context.Background()}
		defer ft.release()
		first := ft.arm(long)
		again := ft.arm(long)
		if again != first {
			t.Fatal("a live context was replaced: one per fetch again")
		}
		if ft.arm(10*time.Millisecond) != first {
			t.Fatal("a live context was replaced when re-armed for less")
		}
		if !ended(first, 10*time.Second) {
			t.Fatal("context re-armed from an hour to 10ms still live after 10s")
		}
	})
	t.Run("a new context once it ended", func(t *testing.T) {
		ft := fetchTimer{parent: context.Background()}
		defer ft.release()
		first := ft.arm(time.Millisecond)
		if !ended(first, 10*time.Second) {
			t.Fatal("context armed for 1ms still live after 10s")
		}
		next := ft.arm(long)
		if next.Err() != nil {
			t.Fatalf("context armed after the last one ended: %v", next.Err())
		}
	})
	t.Run("release ends it", func(t *testing.T) {
		ft := fetchTimer{parent: context.Background()}
		ctx := ft.arm(long)
		ft.release()
		if ctx.Err() == nil {
			t.Fatal("context live after release")
		}
	})
	t.Run("the parent ends it", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		ft := fetchTimer{parent: parent}
		defer ft.release()
		ctx := ft.arm(long)
		cancel()
		if !ended(ctx, 10*time.Second) {
			t.Fatal("context live after its parent ended")
		}
	})
	t.Run("release before any fetch", func(t *testing.T) {
		ft := fetchTimer{parent: context.Background()}
		ft.release() // must not panic
	})
}

// BenchmarkCollect is a collector's cost per message on a backlog (every
// fetch answered at once): the time limits' bookkeeping, not the fetching.
func BenchmarkCollect(b *testing.B) {
	const batch = 10000
	msgs := make([]kafka.Message, batch)
	for i := range msgs {
		msgs[i] = kafka.Message{Partition: i % 6, Offset: int64(i), Value: []byte("{}")}
	}
	f := &sliceFetcher{}
	c := &collector{r: f, cfg: BatchConfig{MaxBatch: batch}, want: make(chan struct{})}
	c.cfg.defaults()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f.msgs = msgs
		got, err := c.collect(ctx)
		if err != nil || len(got) != batch {
			b.Fatalf("collected %d, %v", len(got), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/message")
}
