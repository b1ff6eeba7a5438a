package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/pkg/kafkax/kafkatest"
)

// TestIntegrationOnceIntoKafka runs `follow -once` on the sample site
// against the real Kafka: every article reaches the raw topic as the
// enricher reads it, and a second run (state file) publishes nothing.
func TestIntegrationOnceIntoKafka(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	raw, dlq := kafkatest.Topic(t, brokers, "test.follow.raw."), kafkatest.Topic(t, brokers, "test.follow.dlq.")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	srv := httptest.NewServer(http.FileServer(http.Dir("../../samples/feeds")))
	defer srv.Close()
	dir := t.TempDir()
	src, _ := os.ReadFile("../../samples/feeds/sources.tsv")
	sourcesFile := filepath.Join(dir, "sources.tsv")
	os.WriteFile(sourcesFile, []byte(strings.ReplaceAll(string(src), "http://127.0.0.1:8087", srv.URL)), 0o600)
	args := []string{"-once", "-sources", sourcesFile, "-state", filepath.Join(dir, "state"), "-contact-url", "https://ops.example/contact",
		"-brokers", strings.Join(brokers, ","), "-topic-raw", raw, "-topic-dlq", dlq, "-partitions", "2", "-host-interval", "1ms"}

	var out, errb bytes.Buffer
	if err := run(ctx, args, env(nil), &out, &errb); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.String(), errb.String())
	}
	for _, want := range []string{"harborline-trade: ok, 4 new, 4 published", "eastbridge: ok, 3 new, 3 published", "capital-wire-markets: ok, 1 new, 1 published"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	msgs := readAll(ctx, t, brokers, raw, 8)
	t.Logf("read %d messages from %s", len(msgs), raw)
	ids := map[string]bool{}
	for _, m := range msgs {
		a, err := event.DecodeArticle(m.Value, event.DecodeOptions{FromTopic: true})
		if err != nil {
			t.Fatalf("the enricher would refuse %s: %v", m.Value, err)
		}
		ids[a.ArticleID] = true
	}
	if len(ids) != 7 {
		t.Fatalf("%d distinct articles in 8 messages, want 7 (one page in two feeds)", len(ids))
	}

	// Again, as after a restart: the state file says everything was seen.
	out.Reset()
	if err := run(ctx, args, env(nil), &out, &errb); err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), " 0 published") != 3 {
		t.Fatalf("second run published again:\n%s", out.String())
	}
	if n := count(ctx, t, brokers, raw); n != 8 {
		t.Fatalf("%d messages on the topic after the second run, want 8", n)
	}
}

func readAll(ctx context.Context, t *testing.T, brokers []string, topic string, n int) []kafka.Message {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, GroupID: "test-follow-" + topic, Topic: topic, StartOffset: kafka.FirstOffset, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var out []kafka.Message
	for len(out) < n {
		m, err := r.FetchMessage(rctx)
		if err != nil {
			t.Fatalf("read %d of %d messages: %v", len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

// count is the number of messages on the topic (sum of the partitions'
// end offsets).
func count(ctx context.Context, t *testing.T, brokers []string, topic string) int64 {
	t.Helper()
	n, err := kafkax.MessageCount(ctx, brokers, topic)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
