package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/tension-dev/tension/pkg/admin"
	"github.com/tension-dev/tension/pkg/flagenv"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/pkg/tagger"
	"github.com/tension-dev/tension/services/enricher/internal/enrich"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flagenv.New("enricher", getenv, stderr)
	adminFlags := admin.DefineFlags(fs, "ENRICHER", "127.0.0.1:8083", true)
	brokers := fs.Brokers()
	group := fs.String("group", "ENRICHER_GROUP", "tension-enricher", "Kafka consumer group")
	workers := fs.Int("workers", "ENRICHER_WORKERS", 0, "tagging goroutines (0 = one per CPU)")
	maxBatch := fs.Int("max-batch", "ENRICHER_MAX_BATCH", 2000, "messages per produce and commit round")
	maxBatchBytes := fs.Int("max-batch-bytes", "ENRICHER_MAX_BATCH_BYTES", enrich.DefaultMaxBatchBytes,
		"bytes of raw messages per round (a larger single message is a round of its own)")
	memory := admin.DefineRuntimeFlags(fs, "ENRICHER", getenv, admin.DefaultMemoryLimit)
	queue := fs.Int("queue-capacity", "ENRICHER_QUEUE_CAPACITY", kafkax.DefaultQueueCapacity,
		"messages fetched ahead of the batch (each up to 1 MB)")
	stall := fs.Duration("stall-restart", "ENRICHER_STALL_RESTART", time.Minute,
		"replace the consumer-group reader when it fetched nothing this long while its group has uncommitted messages (0 = never)")
	compression := fs.String("compression", "ENRICHER_COMPRESSION", "lz4",
		"codec of the enriched records: lz4, snappy, zstd, gzip or none (none: 5-15% less enricher CPU, for several times the bytes on the topic; docs/performance.md)")
	partitions := fs.Partitions()
	replication := fs.ReplicationFactor()
	minISR := fs.MinInsyncReplicas()
	inTopic := fs.TopicRaw()
	outTopic := fs.TopicEnriched()
	dlqTopic := fs.TopicDLQ()
	fs.DeprecatedFlag("in-topic", "topic-raw")
	fs.DeprecatedFlag("out-topic", "topic-enriched")
	fs.DeprecatedFlag("dlq-topic", "topic-dlq")
	level := fs.LogLevel()
	if err := fs.Parse(args); err != nil {
		return err
	}
	adminTokens, err := adminFlags.Tokens()
	if err != nil {
		return err
	}
	memory.Apply()
	codec, err := kafkax.ParseCompression(*compression)
	if err != nil {
		return err
	}
	logger := admin.NewLogger(stderr, *level, "enricher")
	reg := admin.NewRegistry()
	brokerList := kafkax.Brokers(*brokers)

	t, err := tagger.New()
	if err != nil {
		return fmt.Errorf("load tagger: %w", err)
	}
	ts := kafkax.TopicSettings{Partitions: *partitions, ReplicationFactor: *replication, MinInsyncReplicas: *minISR}
	if err := ts.Check(); err != nil {
		return err
	}
	if err := kafkax.EnsureTopics(ctx, brokerList,
		ts.Topic(kafkax.Raw, *inTopic), ts.Topic(kafkax.Enriched, *outTopic), ts.Topic(kafkax.DLQ, *dlqTopic)); err != nil {
		return err
	}
	rc := kafkax.ReaderConfig(brokerList, *group, *inTopic)
	rc.QueueCapacity = max(*queue, 1)
	rc.ErrorLogger = kafka.LoggerFunc(func(msg string, args ...any) {
		logger.Warn("kafka reader: "+fmt.Sprintf(msg, args...), "component", "kafka-reader")
	})
	reader := kafkax.NewRestartingReader(func() kafkax.GroupReader { return kafka.NewReader(rc) }, logger)
	defer reader.Close()
	out := kafkax.NewWriter(brokerList, *outTopic, 0)
	defer out.Close()
	enrich.FitWriter(out, *maxBatch)
	out.Compression = codec
	dlq := kafkax.NewWriter(brokerList, *dlqTopic, 0)
	defer dlq.Close()

	ready := admin.NewReadiness(map[string]admin.Check{
		"kafka": func(ctx context.Context) error { return kafkax.Ping(ctx, brokerList) },
	})
	e := enrich.New(enrich.Config{Workers: *workers, MaxBatch: *maxBatch, MaxBatchBytes: *maxBatchBytes, TaggerVersion: tagger.Version},
		reader, out, dlq, t, logger, enrich.NewMetrics(reg))
	logger.Info("tagger loaded", "version", tagger.Version)

	adminHandler, err := admin.Handler(adminFlags.Addr(), reg, ready, adminTokens)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { ready.Run(gctx, 5*time.Second); return nil })
	lag := kafkax.NewLagGauge(reg, "enricher")
	g.Go(func() error {
		kafkax.LagGauge(gctx, brokerList, *group, *inTopic, lag, 15*time.Second, logger)
		return nil
	})
	g.Go(func() error { return admin.Serve(gctx, adminFlags.Addr(), adminHandler, 5*time.Second, logger) })
	if *stall > 0 {
		g.Go(func() error {
			reader.Watch(gctx, 15*time.Second, *stall, func(ctx context.Context) (int64, error) {
				return kafkax.TotalLag(ctx, brokerList, *group, *inTopic)
			})
			return nil
		})
	}
	g.Go(func() error {
		defer ready.Drain()
		return e.Run(gctx)
	})
	err = g.Wait()
	logger.Info("stopped", "err", err)
	return err
}
