// Package kafkax is the Kafka plumbing shared by the services: writers and
// readers configured against kafka-go's trap defaults (a 1 s batch wait and
// no acks on the Writer), topic creation, and dead-letter messages.
package kafkax

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/flagenv"
)

// DefaultBrokers is the local stack's bootstrap address (defined with the
// other shared settings in flagenv).
const DefaultBrokers = flagenv.DefaultBrokers

// MaxMessageBytes is the largest message (and uncompressed produce batch) a
// writer sends: the contract's record limit (event.MaxRecordBytes), just
// under Kafka's default message.max.bytes (1 MiB), so the pipeline works
// against any broker left at its defaults. Every stage keeps its records
// within it (the size rule in pkg/event) and dead-letters what it cannot,
// rather than retrying a write the broker will always refuse.
const MaxMessageBytes = event.MaxRecordBytes

// writerBatchSize is NewWriter's most messages in one produce batch: a
// thousand already spread a produce request's cost thin, and BatchBytes
// bounds the batch's bytes.
const writerBatchSize = 1000

// Brokers splits a comma-separated broker list.
func Brokers(s string) []string { return flagenv.List(s) }

// NewWriter returns a synchronous writer for topic tuned for the request
// path: batches flush after at most batchTimeout (kafka-go's default is a
// full second), every in-sync replica acknowledges, and messages are
// LZ4-compressed. Keys are hashed to partitions, so one article id always
// lands on the same partition in every topic.
//
// A produce batch holds at most writerBatchSize messages (and BatchBytes).
// kafka-go makes every batch, per partition, with room for BatchSize
// messages, zeroed, however few it then carries; the request path's
// batches carry tens to hundreds (an ingest request spread over the
// partitions), so a large BatchSize was mostly zeroing: 5,000 came to
// 760 KB a batch, 5 % of ingest's CPU (docs/performance.md, round 21).
func NewWriter(brokers []string, topic string, batchTimeout time.Duration) *kafka.Writer {
	if batchTimeout <= 0 {
		batchTimeout = 5 * time.Millisecond
	}
	return &kafka.Writer{
		Addr:                   kafka.TCP(brokers...),
		Topic:                  topic,
		Balancer:               &kafka.Hash{},
		BatchTimeout:           batchTimeout,
		BatchSize:              writerBatchSize,
		BatchBytes:             MaxMessageBytes,
		RequiredAcks:           kafka.RequireAll,
		Compression:            compress.Lz4,
		MaxAttempts:            5,
		WriteBackoffMin:        50 * time.Millisecond,
		WriteBackoffMax:        time.Second,
		ReadTimeout:            10 * time.Second,
		WriteTimeout:           10 * time.Second,
		AllowAutoTopicCreation: false,
		// Its own transport: kafka-go's shared default caches topic
		// metadata per process, so a ping made before a topic existed
		// would make this writer's first writes fail with "unknown topic".
		Transport: &kafka.Transport{MetadataTTL: 5 * time.Second},
	}
}

// ParseCompression reads a codec name as Kafka's compression.type spells
// it: none, gzip, snappy, lz4 or zstd.
func ParseCompression(name string) (kafka.Compression, error) {
	if name == "none" {
		return 0, nil
	}
	for _, c := range []kafka.Compression{kafka.Gzip, kafka.Snappy, kafka.Lz4, kafka.Zstd} {
		if c.String() == name {
			return c, nil
		}
	}
	return 0, fmt.Errorf("kafkax: unknown compression %q (want none, gzip, snappy, lz4 or zstd)", name)
}

// DefaultQueueCapacity is how many messages a reader fetches ahead of its
// consumer (kafka-go's QueueCapacity). kafka-go counts the queue in
// messages, not bytes, so the bound that matters is this times the largest
// message: 64 × MaxMessageBytes = 64 MB. A deeper queue buys nothing: the
// consumer drains it in batches far larger than one fetch round trip.
const DefaultQueueCapacity = 64

// FetchMaxBytes is the most a reader asks the broker for per partition and
// fetch. kafka-go streams a fetch response message by message (decompressing
// one record batch at a time), so this bounds the socket, not the heap; the
// broker still returns a first record larger than this, so it never stops a
// partition.
const FetchMaxBytes = 8 << 20

// ReaderConfig is a consumer-group reader for at-least-once processing:
// callers use FetchMessage and commit only after their output is
// acknowledged (CommitInterval 0 = synchronous commits). Its queue holds
// DefaultQueueCapacity messages; services set QueueCapacity from a flag.
func ReaderConfig(brokers []string, group, topic string) kafka.ReaderConfig {
	return kafka.ReaderConfig{
		Brokers:               brokers,
		GroupID:               group,
		Topic:                 topic,
		MinBytes:              1,
		MaxBytes:              FetchMaxBytes,
		MaxWait:               250 * time.Millisecond,
		ReadBatchTimeout:      2 * time.Second,
		QueueCapacity:         DefaultQueueCapacity,
		HeartbeatInterval:     time.Second,
		SessionTimeout:        6 * time.Second, // the broker minimum: a killed member stalls its partitions this long
		RebalanceTimeout:      10 * time.Second,
		JoinGroupBackoff:      500 * time.Millisecond,
		CommitInterval:        0,
		StartOffset:           kafka.FirstOffset,
		WatchPartitionChanges: true,
	}
}

// Ping checks that a broker answers metadata requests.
func Ping(ctx context.Context, brokers []string) error {
	var d net.Dialer
	for _, b := range brokers {
		conn, err := d.DialContext(ctx, "tcp", b)
		if err != nil {
			continue
		}
		conn.Close()
		client := &kafka.Client{Addr: kafka.TCP(b), Timeout: 3 * time.Second}
		if _, err := client.Metadata(ctx, &kafka.MetadataRequest{}); err == nil {
			return nil
		}
	}
	return fmt.Errorf("kafkax: no broker of %v answers (start it with `make up`)", brokers)
}

// DeleteTopics deletes topics; tests use it to clean up after themselves.
func DeleteTopics(ctx context.Context, brokers []string, topics ...string) error {
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 15 * time.Second}
	resp, err := client.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: topics})
	if err != nil {
		return fmt.Errorf("kafkax: delete topics: %w", err)
	}
	var errs []error
	for name, terr := range resp.Errors {
		if terr != nil && !errors.Is(terr, kafka.UnknownTopicOrPartition) {
			errs = append(errs, fmt.Errorf("kafkax: delete topic %s: %w", name, terr))
		}
	}
	return errors.Join(errs...)
}
