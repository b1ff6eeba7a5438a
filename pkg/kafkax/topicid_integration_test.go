package kafkax

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestIntegrationTopicLogChangesWithTheTopic: the log id of a topic is
// stable while the topic lives, and a topic deleted and created again under
// the same name is another log.
func TestIntegrationTopicLogChangesWithTheTopic(t *testing.T) {
	if os.Getenv("TENSION_INTEGRATION") != "1" {
		t.Skip("integration test: run with `make test` (sets TENSION_INTEGRATION=1)")
	}
	brokers := Brokers(brokersEnv())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	topic := "topicid." + time.Now().Format("150405.000000")
	if err := EnsureTopics(ctx, brokers, TopicSpec{Name: topic, Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { DeleteTopics(context.Background(), brokers, topic) })
	first := waitLog(t, ctx, brokers, topic)
	if first.Cluster == "" || len(first.TopicID) != 32 || first.Partitions != 3 {
		t.Fatalf("log = %+v", first)
	}
	if again := waitLog(t, ctx, brokers, topic); again != first {
		t.Fatalf("the same topic reads as %+v, then %+v", first, again)
	}
	if err := DeleteTopics(ctx, brokers, topic); err != nil {
		t.Fatal(err)
	}
	var second LogID
	for {
		time.Sleep(500 * time.Millisecond)
		if err := EnsureTopics(ctx, brokers, TopicSpec{Name: topic, Partitions: 3}); err != nil {
			continue // deletion still under way
		}
		if l, err := TopicLog(ctx, brokers, topic); err == nil && l.TopicID != first.TopicID {
			second = l
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the recreated topic never got a new id")
		}
	}
	if second.Cluster != first.Cluster || second.String() == first.String() {
		t.Fatalf("recreated topic: %+v, first %+v", second, first)
	}
}

func waitLog(t *testing.T, ctx context.Context, brokers []string, topic string) LogID {
	t.Helper()
	for {
		l, err := TopicLog(ctx, brokers, topic)
		if err == nil {
			return l
		}
		if ctx.Err() != nil {
			t.Fatalf("topic log of %s: %v", topic, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func brokersEnv() string {
	if b := os.Getenv("KAFKA_BROKERS"); b != "" {
		return b
	}
	return DefaultBrokers
}
