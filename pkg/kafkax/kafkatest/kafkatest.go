// Package kafkatest is what integration tests need of the local Kafka (the
// one `make up` starts): its brokers, a check that it answers that fails
// with how to start it, and topics of a test's own, deleted afterwards.
package kafkatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/kafkax"
)

// Brokers skips the test unless TENSION_INTEGRATION=1 (`make test` sets
// it), then returns KAFKA_BROKERS (default the local stack's), failing the
// test when no broker answers.
func Brokers(t testing.TB) []string {
	t.Helper()
	if os.Getenv("TENSION_INTEGRATION") != "1" {
		t.Skip("integration test: run with `make test` (sets TENSION_INTEGRATION=1)")
	}
	brokers := kafkax.Brokers(os.Getenv("KAFKA_BROKERS"))
	if len(brokers) == 0 {
		brokers = []string{kafkax.DefaultBrokers}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := kafkax.Ping(ctx, brokers); err != nil {
		t.Fatalf("Kafka at %v does not answer (start it with `make up`): %v", brokers, err)
	}
	return brokers
}

// Topic returns a new topic name starting with prefix ("test.follow."),
// deleted when the test ends (best effort: logged, never failing it).
func Topic(t testing.TB, brokers []string, prefix string) string {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	name := prefix + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := kafkax.DeleteTopics(ctx, brokers, name); err != nil {
			t.Logf("delete topic %s: %v", name, err)
		}
	})
	return name
}
