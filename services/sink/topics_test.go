package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/kafkax"
)

// TestTopicsSpecs: the one table of topics, as `sink topics specs` prints
// it for scripts/platform.sh.
func TestTopicsSpecs(t *testing.T) {
	var out bytes.Buffer
	env := map[string]string{"KAFKA_PARTITIONS": "3", "KAFKA_REPLICATION_FACTOR": "3", "KAFKA_MIN_INSYNC_REPLICAS": "2"}
	if err := run(context.Background(), []string{"topics", "specs"}, func(k string) string { return env[k] }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	want := "articles.raw.v1 partitions=3 replication=3 min.insync.replicas=2\n" +
		"articles.enriched.v1 partitions=3 replication=3 min.insync.replicas=2\n" +
		"articles.dlq.v1 partitions=3 replication=3 min.insync.replicas=2\n" +
		"tension.index.v1 partitions=3 replication=3 cleanup.policy=compact min.insync.replicas=2 segment.ms=3600000\n"
	if out.String() != want {
		t.Fatalf("specs:\n%s\nwant:\n%s", out.String(), want)
	}
	err := run(context.Background(), []string{"topics", "specs", "-replication-factor", "1", "-min-insync-replicas", "2"},
		func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "min.insync.replicas") {
		t.Fatalf("min.insync.replicas above the replication factor: err = %v", err)
	}
}

// TestIntegrationTopicsEnsure creates the pipeline's topics under test
// names, as scripts/platform.sh does, then lists them: partitions, the index
// topic compacted, min.insync.replicas set; a second ensure creates nothing.
func TestIntegrationTopicsEnsure(t *testing.T) {
	chtest.Integration(t)
	brokers := os.Getenv("KAFKA_BROKERS")
	if brokers == "" {
		brokers = kafkax.DefaultBrokers
	}
	id := time.Now().Format("150405.000000")
	env := map[string]string{"KAFKA_BROKERS": brokers, "KAFKA_PARTITIONS": "2", "KAFKA_MIN_INSYNC_REPLICAS": "1",
		"TOPIC_RAW": "topics-test." + id + ".raw", "TOPIC_ENRICHED": "topics-test." + id + ".enriched",
		"TOPIC_DLQ": "topics-test." + id + ".dlq", "TOPIC_INDEX": "topics-test." + id + ".index"}
	getenv := func(k string) string { return env[k] }
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := kafkax.DeleteTopics(ctx, kafkax.Brokers(brokers), env["TOPIC_RAW"], env["TOPIC_ENRICHED"], env["TOPIC_DLQ"], env["TOPIC_INDEX"]); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, []string{"topics", "ensure", "-wait", "30s"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("ensure: %v\n%s", err, out.String())
	}
	if n := strings.Count(out.String(), "created "); n != 4 {
		t.Fatalf("ensure created %d topics, want 4:\n%s", n, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"topics", "ensure"}, getenv, &out, io.Discard); err != nil || out.Len() != 0 {
		t.Fatalf("second ensure: %v, printed %q", err, out.String())
	}
	if err := run(ctx, []string{"topics", "list"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{env["TOPIC_RAW"], env["TOPIC_ENRICHED"], env["TOPIC_DLQ"], env["TOPIC_INDEX"]} {
		policy := "delete"
		if name == env["TOPIC_INDEX"] {
			policy = "compact"
		}
		var line string
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, name+" ") {
				line = l
			}
		}
		if !strings.Contains(line, "partitions=2 ") || !strings.Contains(line, "cleanup.policy="+policy) ||
			!strings.Contains(line, "min.insync.replicas=1") {
			t.Fatalf("topic %s listed as %q:\n%s", name, line, out.String())
		}
	}
}
