package kafkax

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

func TestIntegrationLag(t *testing.T) {
	if os.Getenv("TENSION_INTEGRATION") != "1" {
		t.Skip("integration test: run with `make test` (sets TENSION_INTEGRATION=1)")
	}
	brokers := Brokers(os.Getenv("KAFKA_BROKERS"))
	if len(brokers) == 0 {
		brokers = []string{DefaultBrokers}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := Ping(ctx, brokers); err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	rand.Read(b[:])
	topic, group := "test.lag."+hex.EncodeToString(b[:]), "test-lag-"+hex.EncodeToString(b[:])
	if err := EnsureTopics(ctx, brokers, TopicSpec{Name: topic, Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	defer DeleteTopics(context.Background(), brokers, topic)
	w := NewWriter(brokers, topic, 0)
	defer w.Close()
	var msgs []kafka.Message
	for i := range 10 {
		msgs = append(msgs, kafka.Message{Key: []byte{byte(i)}, Value: []byte("x")})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	total := func() int64 {
		lag, err := Lag(ctx, brokers, group, topic)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, l := range lag {
			n += l
		}
		return n
	}
	if n := total(); n != 10 {
		t.Fatalf("lag before consuming = %d, want 10", n)
	}
	r := kafka.NewReader(ReaderConfig(brokers, group, topic))
	defer r.Close()
	for range 4 {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if n := total(); n != 6 {
		t.Fatalf("lag after committing 4 = %d, want 6", n)
	}
}
