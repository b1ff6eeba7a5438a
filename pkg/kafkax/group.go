package kafkax

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// GroupConfig is a consumer group on one topic, consumed generation by
// generation (RunGroup) rather than through kafka.Reader's shared queue.
type GroupConfig struct {
	Brokers []string
	Group   string
	Topic   string
	// QueueCapacity is the messages buffered for the whole generation,
	// shared by its partitions (default DefaultQueueCapacity).
	QueueCapacity int
	Logger        *slog.Logger
}

// Generation is one generation of the group as this member sees it: the
// group coordinator's generation id, which grows with every rebalance and
// is therefore a fencing epoch (a member paused through a rebalance still
// holds the older one), and the partitions assigned to this member for as
// long as the generation lasts.
type Generation struct {
	ID         int32
	Partitions []int
	// Committed is the group's committed offset per assigned partition, or
	// kafka.FirstOffset where none was committed.
	Committed map[int]int64

	cfg GroupConfig
	gen *kafka.Generation
}

// Commit commits, per partition, the offset of the next message to read.
// It fails once the generation is over: a member that lost its partitions
// cannot move the group's offsets.
func (g *Generation) Commit(next map[int]int64) error {
	if len(next) == 0 {
		return nil
	}
	return g.gen.CommitOffsets(map[string]map[int]int64{g.cfg.Topic: next})
}

// RunGroup joins the group and calls run once per generation, with a
// context that ends when the generation ends (a rebalance: another member
// joined or left, partitions were added) or when ctx ends. run must return
// soon after its context ends: the group's next generation waits for it.
// A generation ends too when run returns. RunGroup returns nil when ctx
// ends, or run's error.
//
// Unlike kafka.Reader with a GroupID, nothing fetched in one generation is
// handed out in the next (segmentio/kafka-go#1398): each generation fetches
// with its own readers, which stop with it.
func RunGroup(ctx context.Context, cfg GroupConfig, run func(ctx context.Context, g *Generation) error) error {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	rc := ReaderConfig(cfg.Brokers, cfg.Group, cfg.Topic)
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                     cfg.Group,
		Brokers:                cfg.Brokers,
		Topics:                 []string{cfg.Topic},
		HeartbeatInterval:      rc.HeartbeatInterval,
		SessionTimeout:         rc.SessionTimeout,
		RebalanceTimeout:       rc.RebalanceTimeout,
		JoinGroupBackoff:       rc.JoinGroupBackoff,
		WatchPartitionChanges:  true,
		PartitionWatchInterval: 5 * time.Second,
		StartOffset:            kafka.FirstOffset,
		Timeout:                10 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("kafkax: consumer group %s: %w", cfg.Group, err)
	}
	defer cg.Close()
	for failures := 0; ; {
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, kafka.ErrGroupClosed) {
				return fmt.Errorf("kafkax: consumer group %s closed", cfg.Group)
			}
			// Joining failed (coordinator moving, broker down): the group
			// retries by itself, every JoinGroupBackoff; say so (at the
			// 1st, 2nd, 4th … failure in a row) and wait for the next
			// generation.
			failures++
			if powerOfTwo(failures) {
				cfg.Logger.Warn("consumer group: no generation yet", "group", cfg.Group, "attempt", failures, "err", Summary(err))
			}
			continue
		}
		failures = 0
		g := &Generation{ID: gen.ID, cfg: cfg, gen: gen, Committed: map[int]int64{}}
		for _, a := range gen.Assignments[cfg.Topic] {
			g.Partitions = append(g.Partitions, a.ID)
			g.Committed[a.ID] = a.Offset
		}
		cfg.Logger.Info("consumer group generation", "group", cfg.Group, "generation", gen.ID, "partitions", g.Partitions)
		done := make(chan error, 1)
		gen.Start(func(gctx context.Context) {
			rctx, cancel := context.WithCancel(ctx)
			defer cancel()
			go func() {
				select {
				case <-gctx.Done():
					cancel()
				case <-rctx.Done():
				}
			}()
			done <- run(rctx, g)
		})
		if err := <-done; err != nil && ctx.Err() == nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// PartitionFetcher reads the partitions of one generation, each from its
// own start offset, and hands their messages out one at a time in arrival
// order (per partition in offset order). It implements Fetcher.
type PartitionFetcher struct {
	msgs    chan kafka.Message
	errs    chan error
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	readers []*kafka.Reader
}

// Fetch starts one reader per partition of the generation at starts[p] (an
// offset, or kafka.FirstOffset). Close stops them.
func (g *Generation) Fetch(ctx context.Context, starts map[int]int64) (*PartitionFetcher, error) {
	capacity := g.cfg.QueueCapacity
	if capacity <= 0 {
		capacity = DefaultQueueCapacity
	}
	fctx, cancel := context.WithCancel(ctx)
	f := &PartitionFetcher{msgs: make(chan kafka.Message), errs: make(chan error, len(g.Partitions)), cancel: cancel}
	perPartition := max(1, capacity/max(1, len(g.Partitions)))
	for _, p := range g.Partitions {
		start, ok := starts[p]
		if !ok {
			start = g.Committed[p]
		}
		rc := ReaderConfig(g.cfg.Brokers, "", g.cfg.Topic)
		rc.GroupID = ""
		rc.Partition = p
		rc.QueueCapacity = perPartition
		rc.WatchPartitionChanges = false
		r := kafka.NewReader(rc)
		if err := r.SetOffset(start); err != nil {
			r.Close()
			f.Close()
			return nil, fmt.Errorf("kafkax: start partition %d at %d: %w", p, start, err)
		}
		f.readers = append(f.readers, r)
		f.wg.Add(1)
		go f.pump(fctx, r)
	}
	return f, nil
}

// drainPause is how long a pump or collector waits after a failed fetch
// before the next. A kafka-go reader's errors are reports it queued among
// its messages, one per failed attempt of its own (it backs off between
// attempts, 100 ms to 1 s): waiting longer here than it does leaves them
// piling up, and after an outage the reader handed out errors of attempts
// long past for minutes while the broker was back (a fetch backoff of up to
// 5 s held the sinks and enrichers of the cluster's two-broker drill 60 to
// 90 s after the brokers returned). The pause only keeps a reader that
// fails at once, every time, from spinning.
const drainPause = 20 * time.Millisecond

func (f *PartitionFetcher) pump(ctx context.Context, r *kafka.Reader) {
	defer f.wg.Done()
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return
			}
			// Report it and go on: the reader reconnects to the partition's
			// new leader by itself.
			select {
			case f.errs <- err:
			default:
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(drainPause):
			}
			continue
		}
		select {
		case f.msgs <- m:
		case <-ctx.Done():
			return
		}
	}
}

// FetchMessage returns the next message of any partition.
func (f *PartitionFetcher) FetchMessage(ctx context.Context) (kafka.Message, error) {
	select {
	case m := <-f.msgs:
		return m, nil
	case err := <-f.errs:
		return kafka.Message{}, err
	case <-ctx.Done():
		return kafka.Message{}, ctx.Err()
	}
}

// Close stops the readers and waits for them.
func (f *PartitionFetcher) Close() {
	f.cancel()
	f.wg.Wait()
	for _, r := range f.readers {
		r.Close()
	}
}
