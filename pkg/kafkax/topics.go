package kafkax

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
)

// Role is what a topic is for in the pipeline.
type Role int

// The pipeline's topics (docs/design.md §3.1).
const (
	Raw        Role = iota // articles.raw.v1: ingest and backfill → enricher
	Enriched               // articles.enriched.v1: enricher and reprocess → sink
	DLQ                    // articles.dlq.v1: what a stage could not process
	Index                  // tension.index.v1: compacted index updates
	IndexCells             // tension.index.cells.v1: compacted updates of the index split's cells (opt-in)
)

// roles are the topics every deployment has; IndexCells exists where a
// sink publishes cells, which creates it.
var roles = []Role{Raw, Enriched, DLQ, Index}

// Name is the default name of the role's topic.
func (r Role) Name() string {
	switch r {
	case Raw:
		return event.TopicRaw
	case Enriched:
		return event.TopicEnriched
	case DLQ:
		return event.TopicDLQ
	case Index:
		return event.TopicIndex
	case IndexCells:
		return event.TopicIndexCells
	}
	return ""
}

// TopicSettings are a deployment's settings of every topic: the one table of
// topics (Topic, Topics) turns them into specs, which the platform script
// (`sink topics ensure`) and every service at start create the same way.
type TopicSettings struct {
	Partitions        int // default 6
	ReplicationFactor int // default 1 (one broker); 3 on a production cluster
	// MinInsyncReplicas is the topics' min.insync.replicas: with acks=all
	// (every writer here) a write succeeds only when this many replicas
	// have it. 0 leaves the broker's default (1).
	MinInsyncReplicas int
}

// DefaultPartitions is the partitions of topics created without settings.
const DefaultPartitions = 6

// Check reports settings that cannot work.
func (s TopicSettings) Check() error {
	var errs []error
	if s.Partitions < 0 {
		errs = append(errs, errors.New("partitions must be positive"))
	}
	if s.ReplicationFactor < 0 || s.ReplicationFactor > 32767 {
		errs = append(errs, errors.New("replication factor must be between 1 and 32767"))
	}
	if rf := max(s.ReplicationFactor, 1); s.MinInsyncReplicas < 0 || s.MinInsyncReplicas > rf {
		errs = append(errs, fmt.Errorf("min.insync.replicas %d must be between 1 and the replication factor %d", s.MinInsyncReplicas, rf))
	}
	return errors.Join(errs...)
}

// Topic is the spec of the role's topic, under name ("" = the role's default
// name, Role.Name).
func (s TopicSettings) Topic(r Role, name string) TopicSpec {
	if name == "" {
		name = r.Name()
	}
	spec := TopicSpec{Name: name, Partitions: s.Partitions, ReplicationFactor: s.ReplicationFactor, Configs: map[string]string{}}
	if spec.Partitions <= 0 {
		spec.Partitions = DefaultPartitions
	}
	if s.MinInsyncReplicas > 0 {
		spec.Configs["min.insync.replicas"] = strconv.Itoa(s.MinInsyncReplicas)
	}
	if r == Index || r == IndexCells {
		// The latest update per pair (cell) and bucket is its state;
		// one-hour segments let the cleaner reach old updates.
		spec.Configs["cleanup.policy"] = "compact"
		spec.Configs["segment.ms"] = "3600000"
	}
	return spec
}

// Topics is the spec of every topic, under the default names.
func (s TopicSettings) Topics() []TopicSpec {
	out := make([]TopicSpec, len(roles))
	for i, r := range roles {
		out[i] = s.Topic(r, "")
	}
	return out
}

// TopicSpec is a topic to ensure.
type TopicSpec struct {
	Name              string
	Partitions        int
	ReplicationFactor int               // 0 = 1
	Configs           map[string]string // topic configs, e.g. cleanup.policy
}

func (t TopicSpec) String() string {
	s := fmt.Sprintf("%s partitions=%d replication=%d", t.Name, t.Partitions, max(t.ReplicationFactor, 1))
	for _, k := range slices.Sorted(maps.Keys(t.Configs)) {
		s += " " + k + "=" + t.Configs[k]
	}
	return s
}

// EnsureTopics creates the topics that do not exist yet. Creating a topic
// that exists is not an error, and an existing topic is left as it is (its
// partitions, replication and configs are not changed). It returns the
// names of the topics it created.
func EnsureTopics(ctx context.Context, brokers []string, specs ...TopicSpec) error {
	_, err := CreateTopics(ctx, brokers, specs...)
	return err
}

// CreateTopics is EnsureTopics that also says which topics it created.
func CreateTopics(ctx context.Context, brokers []string, specs ...TopicSpec) ([]string, error) {
	if len(brokers) == 0 {
		return nil, errors.New("kafkax: no brokers")
	}
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 15 * time.Second}
	req := &kafka.CreateTopicsRequest{}
	for _, s := range specs {
		tc := kafka.TopicConfig{Topic: s.Name, NumPartitions: s.Partitions, ReplicationFactor: max(s.ReplicationFactor, 1)}
		for _, k := range slices.Sorted(maps.Keys(s.Configs)) {
			tc.ConfigEntries = append(tc.ConfigEntries, kafka.ConfigEntry{ConfigName: k, ConfigValue: s.Configs[k]})
		}
		req.Topics = append(req.Topics, tc)
	}
	resp, err := client.CreateTopics(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("kafkax: create topics: %w", err)
	}
	var created []string
	for _, s := range specs {
		terr := resp.Errors[s.Name]
		switch {
		case terr == nil:
			created = append(created, s.Name)
		case errors.Is(terr, kafka.TopicAlreadyExists):
		default:
			return created, fmt.Errorf("kafkax: create topic %s: %w", s.Name, terr)
		}
	}
	return created, nil
}

// TopicState is a topic as the cluster has it.
type TopicState struct {
	Name              string
	Partitions        int
	ReplicationFactor int
	Configs           map[string]string // the configs asked for by DescribeTopics
}

// DescribeTopics returns the topics that exist among names, with the
// values of the given configs.
func DescribeTopics(ctx context.Context, brokers []string, names []string, configs ...string) ([]TopicState, error) {
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 15 * time.Second}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: names})
	if err != nil {
		return nil, fmt.Errorf("kafkax: describe topics: %w", err)
	}
	var out []TopicState
	var resources []kafka.DescribeConfigRequestResource
	for _, t := range md.Topics {
		if t.Error != nil {
			if errors.Is(t.Error, kafka.UnknownTopicOrPartition) {
				continue
			}
			return nil, fmt.Errorf("kafkax: describe topic %s: %w", t.Name, t.Error)
		}
		st := TopicState{Name: t.Name, Partitions: len(t.Partitions), Configs: map[string]string{}}
		if len(t.Partitions) > 0 {
			st.ReplicationFactor = len(t.Partitions[0].Replicas)
		}
		out = append(out, st)
		resources = append(resources, kafka.DescribeConfigRequestResource{ResourceType: kafka.ResourceTypeTopic,
			ResourceName: t.Name, ConfigNames: configs})
	}
	if len(configs) > 0 && len(resources) > 0 {
		resp, err := client.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: resources})
		if err != nil {
			return nil, fmt.Errorf("kafkax: describe topic configs: %w", err)
		}
		for _, r := range resp.Resources {
			for i := range out {
				if out[i].Name != r.ResourceName {
					continue
				}
				for _, e := range r.ConfigEntries {
					out[i].Configs[e.ConfigName] = e.ConfigValue
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b TopicState) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out, nil
}
