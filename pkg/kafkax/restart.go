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
// least once; the sink counts each article once). A commit waiting on a
// reader that is replaced ends with ErrReplaced, so the caller tries it
// again on the new one (offsets are committed by value: a second commit of
// the same ones is harmless).
type RestartingReader struct {
	newReader func() GroupReader
	logger    *slog.Logger

	mu      sync.Mutex
	current GroupReader
	gen     int // increments with every replacement
	// replaced is closed when current is replaced: commits waiting on it
	// stop waiting.
	replaced chan struct{}

	lastFetch atomic.Int64 // unix nanoseconds of the last fetched message (or of the start)
	restarts  atomic.Int64
}

// NewRestartingReader starts a reader from newReader.
func NewRestartingReader(newReader func() GroupReader, logger *slog.Logger) *RestartingReader {
	r := &RestartingReader{newReader: newReader, logger: logger, current: newReader(), replaced: make(chan struct{})}
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
			return m, nil
		}
		if ctx.Err() != nil {
			return m, err
		}
		if _, now := r.reader(); now != gen {
			continue // replaced while waiting: fetch from the new reader
		}
		return m, err
	}
}

// ErrReplaced is returned by a commit whose reader was replaced while it
// waited. kafka-go holds a commit until its reader has a generation and
// answers it from there; in the cluster's two-broker drill an enricher's
// publish waited five minutes on a commit while the stall rule replaced
// the reader twice: the replacement is the caller's cue to try again.
var ErrReplaced = errors.New("kafkax: the consumer-group reader was replaced during the commit")

// CommitMessages commits through the current reader; it returns
// ErrReplaced if that reader is replaced before the commit ends.
func (r *RestartingReader) CommitMessages(ctx context.Context, msgs ...kafka.Message) error {
	r.mu.Lock()
	cur, replaced := r.current, r.replaced
	r.mu.Unlock()
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil) // ends the goroutine below
	go func() {
		select {
		case <-replaced:
			cancel(ErrReplaced)
		case <-cctx.Done():
		}
	}()
	err := cur.CommitMessages(cctx, msgs...)
	if err != nil && errors.Is(context.Cause(cctx), ErrReplaced) {
		return ErrReplaced
	}
	return err
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
	close(r.replaced)
	r.replaced = make(chan struct{})
	r.mu.Unlock()
	r.restarts.Add(1)
	r.lastFetch.Store(time.Now().UnixNano())
	r.logger.Warn("consumer group reader replaced", "reason", reason)
	if err := old.Close(); err != nil && !errors.Is(err, context.Canceled) {
		r.logger.Debug("closing the stalled reader", "err", err)
	}
}

// Watch checks every interval whether the reader stalled: lag (messages
// of its group not committed, from lag) above zero and no message fetched
// for stall. It restarts the reader then, and runs until ctx ends. A lag
// that cannot be read is no stall.
func (r *RestartingReader) Watch(ctx context.Context, interval, stall time.Duration, lag func(context.Context) (int64, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		idle := time.Since(time.Unix(0, r.lastFetch.Load()))
		if idle < stall {
			continue
		}
		n, err := lag(ctx)
		if err != nil || n <= 0 {
			continue
		}
		r.Restart("nothing fetched for " + idle.Round(time.Second).String() + " while the group has uncommitted messages")
	}
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
