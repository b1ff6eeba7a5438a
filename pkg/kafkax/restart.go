package kafkax

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
)

// GroupReader is the part of a kafka-go consumer-group Reader a
// RestartingReader wraps.
type GroupReader interface {
	FetchMessage(ctx context.Context) (kafka.Message, error)
	CommitMessages(ctx context.Context, msgs ...kafka.Message) error
	Close() error
}

// RestartingReader is a consumer-group reader that is replaced by a new
// one when it stalls: its group has messages it has not committed (lag)
// and it has fetched nothing for a while. kafka-go's group reader can stop
// delivering after a broker dies at the wrong moment and never recovers
// (segmentio/kafka-go#387, #955): an enricher in a drill that killed the
// broker leading half of its partitions fetched nothing for five minutes,
// with nothing logged. A new reader joins the group afresh. Messages
// fetched from the old one and not yet committed are delivered again (at
// least once; the sink counts each article once). A reader whose fetches
// keep failing while the brokers answer again is replaced too: a reader
// that does not heal after an outage need not wait for the stall rule.
type RestartingReader struct {
	newReader func() GroupReader
	logger    *slog.Logger

	mu      sync.Mutex
	current GroupReader
	gen     int // increments with every replacement

	lastFetch atomic.Int64 // unix nanoseconds of the last fetched message (or of the start)
	// failingSince is the unix nanoseconds of the first failed fetch since
	// the last one that succeeded (or the last restart); 0 while fetches
	// succeed.
	failingSince atomic.Int64
	restarts     atomic.Int64
}

// NewRestartingReader starts a reader from newReader.
func NewRestartingReader(newReader func() GroupReader, logger *slog.Logger) *RestartingReader {
	r := &RestartingReader{newReader: newReader, logger: logger, current: newReader()}
	r.lastFetch.Store(time.Now().UnixNano())
	return r
}

func (r *RestartingReader) reader() (GroupReader, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current, r.gen
}

// FetchMessage fetches from the current reader; when a restart closed the
// reader it was waiting on, it goes on with the new one.
func (r *RestartingReader) FetchMessage(ctx context.Context) (kafka.Message, error) {
	for {
		cur, gen := r.reader()
		m, err := cur.FetchMessage(ctx)
		if err == nil {
			r.lastFetch.Store(time.Now().UnixNano())
			r.failingSince.Store(0)
			return m, nil
		}
		if ctx.Err() != nil {
			return m, err
		}
		if _, now := r.reader(); now != gen {
			continue // replaced while waiting: fetch from the new reader
		}
		r.failingSince.CompareAndSwap(0, time.Now().UnixNano())
		return m, err
	}
}

// CommitMessages commits through the current reader.
func (r *RestartingReader) CommitMessages(ctx context.Context, msgs ...kafka.Message) error {
	cur, _ := r.reader()
	return cur.CommitMessages(ctx, msgs...)
}

// Close closes the current reader.
func (r *RestartingReader) Close() error {
	cur, _ := r.reader()
	return cur.Close()
}

// Restarts is how many times the reader was replaced.
func (r *RestartingReader) Restarts() int64 { return r.restarts.Load() }

// Restart replaces the reader: the new one joins the group, then the old
// one is closed, which ends a fetch waiting on it.
func (r *RestartingReader) Restart(reason string) {
	next := r.newReader()
	r.mu.Lock()
	old := r.current
	r.current = next
	r.gen++
	r.mu.Unlock()
	r.restarts.Add(1)
	r.lastFetch.Store(time.Now().UnixNano())
	r.failingSince.Store(0)
	r.logger.Warn("consumer group reader replaced", "reason", reason)
	if err := old.Close(); err != nil && !errors.Is(err, context.Canceled) {
		r.logger.Debug("closing the stalled reader", "err", err)
	}
}

// Watch checks every interval whether the reader stalled, and replaces it
// then; it runs until ctx ends. A reader stalled when it fetched nothing
// for stall while its group has messages it has not committed (lag, above
// zero), or when its fetches have failed for failing, none succeeding,
// while the lag can be read (the brokers answer again). A lag that cannot
// be read is no stall: the brokers are down, and a new reader would fare no
// better. stall or failing 0 turns its rule off.
func (r *RestartingReader) Watch(ctx context.Context, interval, stall, failing time.Duration, lag func(context.Context) (int64, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if reason := r.stalled(ctx, stall, failing, lag); reason != "" {
			r.Restart(reason)
		}
	}
}

// stalled is why the reader should be replaced now, or "".
func (r *RestartingReader) stalled(ctx context.Context, stall, failing time.Duration, lag func(context.Context) (int64, error)) string {
	idle := time.Since(time.Unix(0, r.lastFetch.Load()))
	var failed time.Duration
	if since := r.failingSince.Load(); since != 0 {
		failed = time.Since(time.Unix(0, since))
	}
	idleRule, failRule := stall > 0 && idle >= stall, failing > 0 && failed >= failing
	if !idleRule && !failRule {
		return ""
	}
	n, err := lag(ctx)
	switch {
	case err != nil:
		return ""
	case failRule:
		return "fetches failing for " + failed.Round(time.Second).String() + " while the brokers answer"
	case n > 0:
		return "nothing fetched for " + idle.Round(time.Second).String() + " while the group has uncommitted messages"
	}
	return ""
}

// TotalLag is Lag summed over the partitions.
func TotalLag(ctx context.Context, brokers []string, group, topic string) (int64, error) {
	lag, err := Lag(ctx, brokers, group, topic)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, l := range lag {
		n += l
	}
	return n, nil
}
