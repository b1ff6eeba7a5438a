// Command tension-watch is the example consumer of tension.index.v1: it
// reads every partition of the compacted topic (from the beginning with
// -from-beginning, which rebuilds the current state of every bucket, or
// from the end for live updates only), keeps the highest revision per key
// and prints each update that is new. With -snapshot it stops once it has
// read to the end and prints the state it rebuilt. See
// docs/streaming-and-backfill.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/tension-dev/tension/pkg/flagenv"
	"github.com/tension-dev/tension/pkg/logging"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/tension-watch/internal/watch"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tension-watch:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flagenv.New("tension-watch", getenv, stderr)
	brokers := fs.Brokers()
	topic := fs.TopicIndex("index topic to read")
	fs.DeprecatedFlag("topic", "topic-index")
	level := fs.LogLevel()
	var f watch.Filter
	fs.FlagSet.StringVar(&f.Pair, "pair", "CN-US", `pair to watch ("*" = all-article counts)`)
	fs.FlagSet.BoolVar(&f.AllPairs, "all", false, "every pair")
	fs.FlagSet.StringVar(&f.Interval, "interval", "hour", `minute, hour, day, or "" for all`)
	fs.FlagSet.StringVar(&f.TaggerVersion, "tagger-version", "", "a tagger version's own view (default: the current view)")
	fromBeginning := fs.FlagSet.Bool("from-beginning", false, "read the compacted topic from the start: rebuilds every bucket's state, then follows")
	snapshot := fs.FlagSet.Bool("snapshot", false, "read from the beginning to the end, print the rebuilt state and exit")
	asJSON := fs.FlagSet.Bool("json", false, "print updates as JSON lines (the message as published)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	logger := logging.New(stderr, *level, "tension-watch")
	if f.Interval != "" {
		if _, err := tension.ParseGranularity(f.Interval); err != nil {
			return err
		}
	}
	brokerList := flagenv.List(*brokers)
	parts, ends, err := partitions(ctx, brokerList, *topic)
	if err != nil {
		return err
	}
	start := kafka.LastOffset
	if *fromBeginning || *snapshot {
		start = kafka.FirstOffset
	}
	state := watch.NewState(f)
	apply := func(m kafka.Message) error {
		u, fresh, err := state.Apply(m.Key, m.Value)
		if err != nil {
			logger.Warn("skip update", "partition", m.Partition, "offset", m.Offset, "err", err)
			return nil
		}
		if !fresh || *snapshot {
			return nil
		}
		return watch.Print(stdout, &u, *asJSON)
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, p := range parts {
		end := ends[p]
		g.Go(func() error {
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokerList, Topic: *topic, Partition: p,
				MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 250 * time.Millisecond})
			defer r.Close()
			// Without a consumer group kafka-go ignores StartOffset: set it.
			if err := r.SetOffset(start); err != nil {
				return fmt.Errorf("partition %d: %w", p, err)
			}
			if *snapshot && end == 0 {
				return nil
			}
			for {
				m, err := r.ReadMessage(gctx)
				if err != nil {
					if gctx.Err() != nil {
						return nil
					}
					return fmt.Errorf("read partition %d: %w", p, err)
				}
				if err := apply(m); err != nil {
					return err
				}
				if *snapshot && m.Offset+1 >= end {
					return nil
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if *snapshot {
		for _, u := range state.Sorted() {
			if err := watch.Print(stdout, &u, *asJSON); err != nil {
				return err
			}
		}
	}
	return nil
}

// partitions lists the topic's partitions and each one's end offset (the
// next offset to be written), for -snapshot.
func partitions(ctx context.Context, brokers []string, topic string) ([]int, map[int]int64, error) {
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, nil, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	var parts []int
	for _, t := range md.Topics {
		if t.Error != nil {
			return nil, nil, fmt.Errorf("topic %s: %w", topic, t.Error)
		}
		for _, p := range t.Partitions {
			parts = append(parts, p.ID)
		}
	}
	if len(parts) == 0 {
		return nil, nil, errors.New("topic " + topic + " has no partitions (does it exist? the sink creates it)")
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range parts {
		req.Topics[topic] = append(req.Topics[topic], kafka.LastOffsetOf(p))
	}
	resp, err := client.ListOffsets(ctx, req)
	if err != nil {
		return nil, nil, fmt.Errorf("offsets of %s: %w", topic, err)
	}
	ends := map[int]int64{}
	for _, po := range resp.Topics[topic] {
		if po.Error != nil {
			return nil, nil, fmt.Errorf("offsets of %s/%d: %w", topic, po.Partition, po.Error)
		}
		ends[po.Partition] = po.LastOffset
	}
	return parts, ends, nil
}
