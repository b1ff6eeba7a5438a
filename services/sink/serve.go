package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/flagenv"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/services/sink/internal/sink"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flagenv.New("sink", getenv, stderr)
	adminFlags := admin.DefineFlags(fs, "SINK", "127.0.0.1:8082", true)
	brokers := fs.Brokers()
	group := fs.String("group", "SINK_GROUP", "tension-sink", "Kafka consumer group")
	chFlags := chstore.DefineFlags(fs, chstore.Writer)
	maxBatch := fs.Int("max-batch", "SINK_MAX_BATCH", 10000, "messages per ClickHouse write")
	maxBatchBytes := fs.Int("max-batch-bytes", "SINK_MAX_BATCH_BYTES", sink.DefaultMaxBatchBytes,
		"bytes of messages per ClickHouse write (a larger single message is written alone)")
	memory := admin.DefineRuntimeFlags(fs, "SINK", getenv, sink.DefaultMemoryLimit)
	queue := fs.Int("queue-capacity", "SINK_QUEUE_CAPACITY", kafkax.DefaultQueueCapacity,
		"messages fetched ahead of the batch (each up to 1 MB)")
	flushEvery := fs.Duration("flush-interval", "SINK_FLUSH_INTERVAL", time.Second, "longest a message waits for its batch")
	minFlush := fs.Duration("min-flush-interval", "SINK_MIN_FLUSH_INTERVAL", sink.DefaultMinFlushInterval,
		"least time between two writes of batches that are not full: a steady stream is written at most this often, not once per pause in it (0: write whenever nothing arrived for 50ms)")
	partitions := fs.Partitions()
	replication := fs.ReplicationFactor()
	minISR := fs.MinInsyncReplicas()
	topic := fs.TopicEnriched()
	dlqTopic := fs.TopicDLQ()
	fs.DeprecatedFlag("topic", "topic-enriched")
	fs.DeprecatedFlag("dlq-topic", "topic-dlq")
	adoptLog := fs.Bool("adopt-log", "SINK_ADOPT_LOG", false,
		"count the topic's current log although the ledger holds another (after deleting and creating the topic again on purpose; articles already counted are still recognised)")
	index := defineIndexFlags(fs)
	level := fs.LogLevel()
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *minFlush < 0 {
		return fmt.Errorf("-min-flush-interval %v: want 0 or more", *minFlush)
	}
	memory.Apply()
	indexCfg, err := index.config()
	if err != nil {
		return err
	}
	chCfg, err := chFlags.Config()
	if err != nil {
		return err
	}
	adminTokens, err := adminFlags.Tokens()
	if err != nil {
		return err
	}
	logger := admin.NewLogger(stderr, *level, "sink")
	reg := admin.NewRegistry()
	brokerList := kafkax.Brokers(*brokers)

	conn, err := chstore.Open(ctx, chCfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := chstore.Migrate(ctx, chCfg, conn, logger); err != nil {
		return err
	}
	ts := kafkax.TopicSettings{Partitions: *partitions, ReplicationFactor: *replication, MinInsyncReplicas: *minISR}
	if err := ts.Check(); err != nil {
		return err
	}
	specs := []kafkax.TopicSpec{ts.Topic(kafkax.Enriched, *topic), ts.Topic(kafkax.DLQ, *dlqTopic)}
	specs = append(specs, index.topics(ts)...)
	if err := kafkax.EnsureTopics(ctx, brokerList, specs...); err != nil {
		return err
	}
	dlq := kafkax.NewWriter(brokerList, *dlqTopic, 0)
	defer dlq.Close()

	st := store.New(conn)
	publisher, closePublisher := index.publisher(indexCfg, brokerList, st, logger)
	defer closePublisher()
	cfg := sink.Config{Topic: *topic, MaxBatch: *maxBatch, MaxBatchBytes: *maxBatchBytes, FlushInterval: *flushEvery,
		MinFlushInterval: *minFlush, AdoptLog: *adoptLog}
	testHooks(&cfg, getenv, logger)
	src := sink.GroupSource(kafkax.GroupConfig{Brokers: brokerList, Group: *group, Topic: *topic,
		QueueCapacity: max(*queue, 1), Logger: logger})
	s := sink.New(cfg, src, sink.KafkaLog{Brokers: brokerList, Topic: *topic}, dlq, st, logger, sink.NewMetrics(reg), publisher)
	ready := admin.NewReadiness(map[string]admin.Check{
		"clickhouse": func(ctx context.Context) error { return conn.Ping(ctx) },
		"kafka":      func(ctx context.Context) error { return kafkax.Ping(ctx, brokerList) },
		// The offset ledger belongs to the topic's log: not ready while the
		// sink refuses to count (recreated topic, rebuilt brokers).
		"ledger": s.Ready,
	})

	adminHandler, err := admin.Handler(adminFlags.Addr(), reg, ready, adminTokens)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { ready.Run(gctx, 5*time.Second); return nil })
	lag := kafkax.NewLagGauge(reg, "sink")
	g.Go(func() error {
		kafkax.LagGauge(gctx, brokerList, *group, *topic, lag, 15*time.Second, logger)
		return nil
	})
	g.Go(func() error { return admin.Serve(gctx, adminFlags.Addr(), adminHandler, 5*time.Second, logger) })
	g.Go(func() error {
		defer ready.Drain()
		if err := s.Run(gctx); err != nil {
			return fmt.Errorf("consume: %w", err)
		}
		return nil
	})
	err = g.Wait()
	logger.Info("stopped", "err", err)
	return err
}
