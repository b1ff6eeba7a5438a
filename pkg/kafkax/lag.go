package kafkax

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
)

// Lag returns, per partition of topic, how many messages the consumer group
// has not committed yet: the partition's end offset minus the group's
// committed offset (the whole partition when the group has committed
// nothing). It is what operators watch to see a consumer fall behind.
func Lag(ctx context.Context, brokers []string, group, topic string) (map[int]int64, error) {
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("kafkax: lag: metadata of %s: %w", topic, err)
	}
	var parts []int
	for _, t := range md.Topics {
		if t.Error != nil {
			return nil, fmt.Errorf("kafkax: lag: topic %s: %w", topic, t.Error)
		}
		for _, p := range t.Partitions {
			parts = append(parts, p.ID)
		}
	}
	first, last, err := partitionBounds(ctx, client, topic, parts)
	if err != nil {
		return nil, err
	}
	committed, err := offsetFetch(ctx, client, group, topic, parts)
	if err != nil {
		return nil, err
	}
	lag := map[int]int64{}
	for _, p := range parts {
		lag[p] = last[p] - first[p]
	}
	for _, c := range committed.Topics[topic] {
		if c.Error == nil && c.CommittedOffset >= 0 {
			lag[c.Partition] = max(0, last[c.Partition]-c.CommittedOffset)
		}
	}
	return lag, nil
}

// PartitionBounds returns, per partition of topic, the first offset still
// in the log and the offset its next message will get.
func PartitionBounds(ctx context.Context, brokers []string, topic string, parts []int) (first, next map[int]int64, err error) {
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	return partitionBounds(ctx, client, topic, parts)
}

func partitionBounds(ctx context.Context, client *kafka.Client, topic string, parts []int) (first, next map[int]int64, err error) {
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range parts {
		req.Topics[topic] = append(req.Topics[topic], kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	offs, err := client.ListOffsets(ctx, req)
	if err != nil {
		return nil, nil, fmt.Errorf("kafkax: offsets of %s: %w", topic, err)
	}
	first, next = map[int]int64{}, map[int]int64{}
	for _, po := range offs.Topics[topic] {
		if po.Error != nil {
			return nil, nil, fmt.Errorf("kafkax: offsets of %s/%d: %w", topic, po.Partition, po.Error)
		}
		first[po.Partition], next[po.Partition] = po.FirstOffset, po.LastOffset
	}
	return first, next, nil
}

// LagGauge reports Lag as a gauge per partition, refreshed every interval
// until ctx ends. Failures are logged at debug level and retried: lag is
// for watching, never a reason to stop consuming.
func LagGauge(ctx context.Context, brokers []string, group, topic string, gauge *prometheus.GaugeVec,
	interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		lag, err := Lag(ctx, brokers, group, topic)
		if err != nil {
			logger.Debug("consumer lag not measured", "err", err)
		}
		for p, n := range lag {
			gauge.WithLabelValues(strconv.Itoa(p)).Set(float64(n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// NewLagGauge returns the consumer-lag gauge of a component, registered on
// reg: namespace tension, the component as subsystem, one series per
// partition.
func NewLagGauge(reg prometheus.Registerer, subsystem string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "tension", Subsystem: subsystem,
		Name: "consumer_lag_messages", Help: "Messages in the input topic the consumer group has not committed yet, per partition."},
		[]string{"partition"})
	reg.MustRegister(g)
	return g
}

// offsetFetch asks for the group's committed offsets, waiting out the
// moments when no coordinator is ready (a new broker creates its offsets
// topic on the first group request).
func offsetFetch(ctx context.Context, client *kafka.Client, group, topic string, parts []int) (*kafka.OffsetFetchResponse, error) {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		resp, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
		if err == nil {
			err = resp.Error
		}
		if err == nil {
			return resp, nil
		}
		transient := errors.Is(err, kafka.NotCoordinatorForGroup) || errors.Is(err, kafka.GroupCoordinatorNotAvailable) ||
			errors.Is(err, kafka.GroupLoadInProgress)
		if !transient || attempt == 8 {
			return nil, fmt.Errorf("kafkax: lag: committed offsets of %s: %w", group, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// MessageCount is the number of messages ever written to topic: the sum of
// its partitions' end offsets. It reads fresh metadata on its own
// transport: the shared default one answers Metadata from a cache kept for
// seconds, in which a topic created meanwhile has no partitions, so the
// count would be 0 (an e2e test saw a follower "publish again" the 8
// messages that the stale count had missed). Every partition must answer.
func MessageCount(ctx context.Context, brokers []string, topic string) (int64, error) {
	transport := &kafka.Transport{MetadataTTL: time.Second}
	defer transport.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: transport}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return 0, fmt.Errorf("kafkax: metadata of %s: %w", topic, err)
	}
	t, err := findTopic(md, topic)
	if err != nil {
		return 0, err
	}
	parts := make([]int, len(t.Partitions))
	for i, p := range t.Partitions {
		parts[i] = p.ID
	}
	_, next, err := partitionBounds(ctx, client, topic, parts)
	if err != nil {
		return 0, err
	}
	if len(next) != len(parts) {
		return 0, fmt.Errorf("kafkax: offsets of %s: %d of %d partitions answered", topic, len(next), len(parts))
	}
	var n int64
	for _, off := range next {
		if off < 0 {
			return 0, fmt.Errorf("kafkax: offsets of %s: a partition has no end offset", topic)
		}
		n += off
	}
	return n, nil
}
