package sink

import (
	"context"
	"sync"
	"time"

	"github.com/tension-dev/tension/pkg/kafkax"
)

// indexStep runs what follows a batch's journal block — publishing the index
// updates of the buckets it touched, then committing its Kafka offsets —
// while the next batch is classified and written: the index reads and the
// producer no longer hold up the next batch (`make bench-sink`: the publish
// was ~15 % of a flush's wall time). One step runs at a time, in batch
// order: a flush starts its step only after the previous one ended, so
// every update and commit of a batch follows its predecessor's, as when the
// flush did them itself.
//
// Nothing about counting changes: the journal block is written (and fenced)
// before the step starts, and the commit still follows the publish. A step
// that has not committed when the process dies leaves its messages to be
// redelivered; they are replays below the ledger, and the sink publishes
// their buckets again (see flush).
type indexStep struct {
	mu     sync.Mutex
	done   chan struct{} // closed when the step in flight ended; nil: none yet
	cancel context.CancelFunc
}

// start waits for the step in flight (or ctx), then runs run in the
// background with a context that outlives ctx: the step is cut off only by
// stop. run is retried with the batches' backoff (kafkax.Retry) until it
// succeeds or stop cancels it; failed attempts are reported to onRetry.
func (q *indexStep) start(ctx context.Context, run func(context.Context) error, onRetry func(attempt int, err error)) error {
	if err := q.wait(ctx); err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	q.mu.Lock()
	q.done, q.cancel = done, cancel
	q.mu.Unlock()
	go func() {
		defer close(done)
		defer cancel()
		kafkax.Retry(sctx, run, onRetry)
	}()
	return nil
}

// wait returns once the step in flight ended, or with ctx's error when ctx
// ends first.
func (q *indexStep) wait(ctx context.Context) error {
	q.mu.Lock()
	done := q.done
	q.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop gives the step in flight until grace ends (none: it is cancelled at
// once), then cancels it, and returns when it ended.
func (q *indexStep) stop(grace time.Duration) {
	q.mu.Lock()
	done, cancel := q.done, q.cancel
	q.mu.Unlock()
	if done == nil {
		return
	}
	if grace > 0 {
		t := time.NewTimer(grace)
		select {
		case <-done:
		case <-t.C:
		}
		t.Stop()
	}
	cancel()
	<-done
}
