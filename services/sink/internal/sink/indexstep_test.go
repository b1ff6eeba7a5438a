package sink

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Steps run one at a time, in the order they were started: a step starts
// only after the one before it ended, however long that one takes.
func TestIndexStepRunsInOrder(t *testing.T) {
	var (
		q       indexStep
		mu      sync.Mutex
		order   []int
		running int
	)
	for i := range 5 {
		err := q.start(context.Background(), func(context.Context) error {
			mu.Lock()
			running++
			if running > 1 {
				t.Errorf("step %d runs beside another", i)
			}
			mu.Unlock()
			time.Sleep(time.Duration(5-i) * time.Millisecond) // the first steps are the slowest
			mu.Lock()
			order = append(order, i)
			running--
			mu.Unlock()
			return nil
		}, func(int, error) { t.Error("no step fails") })
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := q.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, got := range order {
		if got != i {
			t.Fatalf("steps ran in the order %v", order)
		}
	}
	if len(order) != 5 {
		t.Fatalf("%d of 5 steps ran", len(order))
	}
}

// A failing step is retried (each failure reported) until it succeeds; it
// keeps running after the context it was started with ended.
func TestIndexStepRetriesUntilItSucceeds(t *testing.T) {
	var q indexStep
	ctx, cancel := context.WithCancel(context.Background())
	var attempts, reported int
	errPublish := errors.New("publish failed")
	err := q.start(ctx, func(ctx context.Context) error {
		attempts++
		if attempts == 1 {
			cancel() // the flush's context ends: the step goes on
		}
		if attempts < 4 {
			return errPublish
		}
		return ctx.Err()
	}, func(attempt int, err error) {
		reported++
		if attempt != reported || !errors.Is(err, errPublish) {
			t.Errorf("retry %d reported as attempt %d: %v", reported, attempt, err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if attempts != 4 || reported != 3 {
		t.Fatalf("%d attempts, %d failures reported; want 4 and 3", attempts, reported)
	}
}

// stop ends a step that would retry forever: at once without grace, after
// the grace otherwise; a step that ends within the grace is not cancelled.
func TestIndexStepStop(t *testing.T) {
	for _, tc := range []struct {
		name       string
		grace      time.Duration
		stepTakes  time.Duration // 0: fails forever
		cancelled  bool
		atLeast    time.Duration
		notLongest time.Duration
	}{
		{name: "no grace cancels at once", grace: 0, cancelled: true, notLongest: 5 * time.Second},
		{name: "grace then cancel", grace: 50 * time.Millisecond, cancelled: true, atLeast: 50 * time.Millisecond, notLongest: 5 * time.Second},
		{name: "ends within the grace", grace: 5 * time.Second, stepTakes: 20 * time.Millisecond, cancelled: false, notLongest: 4 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var q indexStep
			var (
				mu        sync.Mutex
				cancelled bool
			)
			err := q.start(context.Background(), func(ctx context.Context) error {
				if tc.stepTakes > 0 {
					select {
					case <-time.After(tc.stepTakes):
						return nil
					case <-ctx.Done():
					}
				} else {
					<-ctx.Done()
				}
				mu.Lock()
				cancelled = true
				mu.Unlock()
				return ctx.Err()
			}, func(int, error) {})
			if err != nil {
				t.Fatal(err)
			}
			begin := time.Now()
			q.stop(tc.grace)
			took := time.Since(begin)
			mu.Lock()
			defer mu.Unlock()
			if cancelled != tc.cancelled {
				t.Fatalf("cancelled = %v, want %v", cancelled, tc.cancelled)
			}
			if took < tc.atLeast || took > tc.notLongest {
				t.Fatalf("stop took %v, want between %v and %v", took, tc.atLeast, tc.notLongest)
			}
			if err := q.wait(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// wait gives up when its context ends before the step does.
func TestIndexStepWaitEndsWithItsContext(t *testing.T) {
	var q indexStep
	release := make(chan struct{})
	if err := q.start(context.Background(), func(context.Context) error { <-release; return nil }, func(int, error) {}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := q.wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait = %v, want the context's deadline", err)
	}
	close(release)
	q.stop(time.Minute)
}
