package sink

import (
	"context"

	"github.com/tension-dev/tension/pkg/kafkax"
)

// Source is where the enriched articles come from: a consumer group that
// hands this sink some partitions for one generation at a time.
type Source interface {
	// Run calls run for each generation, with a context that ends with the
	// generation or with ctx, until ctx ends.
	Run(ctx context.Context, run func(ctx context.Context, g Generation) error) error
}

// Generation is the partitions this sink holds until the next rebalance.
type Generation interface {
	// Epoch is the group's generation id: it grows with every rebalance, so
	// a sink that was paused through one holds an older epoch than the
	// partitions' new owner. Block ids start with it (ledger.NewBlockID).
	Epoch() int32
	Partitions() []int
	// Committed is the group's committed offset per partition, or a
	// negative kafka-go special offset where none was committed.
	Committed() map[int]int64
	// Fetch reads the partitions from the given offsets.
	Fetch(ctx context.Context, starts map[int]int64) (Fetcher, error)
	// Commit records, per partition, the next offset to read. Kafka refuses
	// it once the generation is over.
	Commit(next map[int]int64) error
}

// Fetcher reads the messages of one generation.
type Fetcher interface {
	kafkax.Fetcher
	Close()
}

// Log tells which log the topic name means now and its offsets: the ledger
// is a set of positions in one log, and must not be applied to another.
type Log interface {
	// ID is the log as the ledger keys it (topic@topic-id).
	ID(ctx context.Context) (string, error)
	// Bounds returns, per partition, the first offset still in the log and
	// the offset the next message will get.
	Bounds(ctx context.Context, partitions []int) (first, next map[int]int64, err error)
}

// GroupSource is a Source over a Kafka consumer group.
func GroupSource(cfg kafkax.GroupConfig) Source { return groupSource(cfg) }

type groupSource kafkax.GroupConfig

func (s groupSource) Run(ctx context.Context, run func(context.Context, Generation) error) error {
	return kafkax.RunGroup(ctx, kafkax.GroupConfig(s), func(ctx context.Context, g *kafkax.Generation) error {
		return run(ctx, kafkaGeneration{g})
	})
}

type kafkaGeneration struct{ g *kafkax.Generation }

func (k kafkaGeneration) Epoch() int32                    { return k.g.ID }
func (k kafkaGeneration) Partitions() []int               { return k.g.Partitions }
func (k kafkaGeneration) Committed() map[int]int64        { return k.g.Committed }
func (k kafkaGeneration) Commit(next map[int]int64) error { return k.g.Commit(next) }
func (k kafkaGeneration) Fetch(ctx context.Context, starts map[int]int64) (Fetcher, error) {
	return k.g.Fetch(ctx, starts)
}

// KafkaLog is the Log of a topic on brokers.
type KafkaLog struct {
	Brokers []string
	Topic   string
}

// ID asks the brokers for the topic's id (kafkax.TopicLog).
func (l KafkaLog) ID(ctx context.Context) (string, error) {
	id, err := kafkax.TopicLog(ctx, l.Brokers, l.Topic)
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// Bounds lists the partitions' first and next offsets.
func (l KafkaLog) Bounds(ctx context.Context, partitions []int) (map[int]int64, map[int]int64, error) {
	return kafkax.PartitionBounds(ctx, l.Brokers, l.Topic, partitions)
}
