package flagenv

import "github.com/tension-dev/tension/pkg/event"

// The settings several binaries share, defined here once so that each has
// one flag, one variable and one default everywhere.

// DefaultBrokers is the local stack's Kafka bootstrap address.
const DefaultBrokers = "127.0.0.1:9092"

// LogLevel defines -log-level (LOG_LEVEL).
func (s *Set) LogLevel() *string {
	return s.String("log-level", "LOG_LEVEL", "info", "log level: debug, info, warn or error")
}

// Brokers defines -brokers (KAFKA_BROKERS).
func (s *Set) Brokers() *string {
	return s.String("brokers", "KAFKA_BROKERS", DefaultBrokers, "Kafka bootstrap brokers, comma-separated")
}

// Partitions defines -partitions (KAFKA_PARTITIONS).
func (s *Set) Partitions() *int {
	return s.Int("partitions", "KAFKA_PARTITIONS", 6, "partitions of the topics created at start")
}

// ReplicationFactor defines -replication-factor (KAFKA_REPLICATION_FACTOR).
func (s *Set) ReplicationFactor() *int {
	return s.Int("replication-factor", "KAFKA_REPLICATION_FACTOR", 1, "replication factor of the topics created at start (3 on a cluster)")
}

// MinInsyncReplicas defines -min-insync-replicas (KAFKA_MIN_INSYNC_REPLICAS).
func (s *Set) MinInsyncReplicas() *int {
	return s.Int("min-insync-replicas", "KAFKA_MIN_INSYNC_REPLICAS", 0,
		"min.insync.replicas of the topics created at start: an acknowledged write is on at least this many replicas (0: the broker's default)")
}

// TopicRaw defines -topic-raw (TOPIC_RAW).
func (s *Set) TopicRaw() *string {
	return s.String("topic-raw", "TOPIC_RAW", event.TopicRaw, "topic of raw articles")
}

// TopicEnriched defines -topic-enriched (TOPIC_ENRICHED).
func (s *Set) TopicEnriched() *string {
	return s.String("topic-enriched", "TOPIC_ENRICHED", event.TopicEnriched, "topic of enriched articles")
}

// TopicDLQ defines -topic-dlq (TOPIC_DLQ).
func (s *Set) TopicDLQ() *string {
	return s.String("topic-dlq", "TOPIC_DLQ", event.TopicDLQ, "dead-letter topic")
}

// TopicIndex defines -topic-index (TOPIC_INDEX); usage says what the
// binary does with it.
func (s *Set) TopicIndex(usage string) *string {
	return s.String("topic-index", "TOPIC_INDEX", event.TopicIndex, usage)
}
