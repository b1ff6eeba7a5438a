package enrich

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/kafkax"
)

// fakeReader serves a fixed list of messages, then blocks until ctx ends.
type fakeReader struct {
	mu        sync.Mutex
	msgs      []kafka.Message
	committed []kafka.Message
}

func (r *fakeReader) FetchMessage(ctx context.Context) (kafka.Message, error) {
	r.mu.Lock()
	if len(r.msgs) > 0 {
		m := r.msgs[0]
		r.msgs = r.msgs[1:]
		r.mu.Unlock()
		return m, nil
	}
	r.mu.Unlock()
	<-ctx.Done()
	return kafka.Message{}, ctx.Err()
}

func (r *fakeReader) CommitMessages(_ context.Context, msgs ...kafka.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.committed = append(r.committed, msgs...)
	return nil
}

type fakeWriter struct {
	mu      sync.Mutex
	failFor int // fail this many calls first
	got     []kafka.Message
}

func (w *fakeWriter) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failFor > 0 {
		w.failFor--
		return errors.New("broker unavailable")
	}
	w.got = append(w.got, msgs...)
	return nil
}

type panicky struct{}

func (panicky) Tag(title, text string) event.Tags {
	if text == "boom" {
		panic("tagger bug")
	}
	return event.Tags{Relevant: true, Countries: []string{"CN", "US"}}
}

func rawMessage(t *testing.T, partition int, offset int64, id, text string) kafka.Message {
	t.Helper()
	b, err := json.Marshal(map[string]any{"article_id": id, "text": text,
		"received_at": "2025-04-09T12:00:00Z", "published_at": "2025-04-09T11:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	return kafka.Message{Topic: "raw", Partition: partition, Offset: offset, Key: []byte(id), Value: b}
}

func runUntilIdle(t *testing.T, e *Enricher, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- e.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second) // generous: -race on a loaded two-core machine
	for !done() {
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("enricher did not finish in time")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestEnrichPublishesTagsDeadLettersAndCommitsAfterAck(t *testing.T) {
	r := &fakeReader{msgs: []kafka.Message{
		rawMessage(t, 0, 10, "0b9a6a4c-0000-5000-8000-000000000001", "tariffs"),
		{Topic: "raw", Partition: 1, Offset: 5, Key: []byte("k"), Value: []byte{0xff, 0xfe}},
		rawMessage(t, 0, 11, "0b9a6a4c-0000-5000-8000-000000000002", "boom"),
		rawMessage(t, 1, 6, "0b9a6a4c-0000-5000-8000-000000000003", "talks"),
	}}
	out := &fakeWriter{failFor: 2} // the first two produce attempts fail: nothing may be committed before the ack
	dlq := &fakeWriter{}
	e := New(Config{Workers: 3, TaggerVersion: "v-test", FlushInterval: 20 * time.Millisecond}, r, out, dlq, panicky{},
		slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()))
	runUntilIdle(t, e, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.committed) > 0
	})
	if len(out.got) != 2 {
		t.Fatalf("published %d enriched, want 2", len(out.got))
	}
	var first event.Enriched
	if err := json.Unmarshal(out.got[0].Value, &first); err != nil {
		t.Fatal(err)
	}
	if first.ArticleID != "0b9a6a4c-0000-5000-8000-000000000001" || string(out.got[0].Key) != first.ArticleID ||
		first.TaggerVersion != "v-test" || first.EventID == "" || !first.Relevant || first.PublishedAt.Hour() != 11 {
		t.Fatalf("enriched = %+v", first)
	}
	if len(dlq.got) != 2 {
		t.Fatalf("dead letters = %d, want 2 (invalid UTF-8 and the panic)", len(dlq.got))
	}
	reasons := kafkax.Header(dlq.got[0], kafkax.HeaderError) + " | " + kafkax.Header(dlq.got[1], kafkax.HeaderError)
	for _, want := range []string{"UTF-8", "panicked"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("dead-letter reasons %q do not mention %q", reasons, want)
		}
	}
	// One commit per partition, at its highest offset.
	offsets := map[int]int64{}
	for _, m := range r.committed {
		offsets[m.Partition] = max(offsets[m.Partition], m.Offset)
	}
	if offsets[0] != 11 || offsets[1] != 6 {
		t.Fatalf("committed %v, want partition 0 at 11 and 1 at 6", offsets)
	}
}

func TestOversizeEnrichedArticleIsDeadLettered(t *testing.T) {
	r := &fakeReader{msgs: []kafka.Message{
		rawMessage(t, 0, 1, "0b9a6a4c-0000-5000-8000-000000000009", strings.Repeat("<", 200_000)), // JSON escapes each to 6 bytes
	}}
	out, dlq := &fakeWriter{}, &fakeWriter{}
	e := New(Config{TaggerVersion: "v", FlushInterval: 10 * time.Millisecond}, r, out, dlq, panicky{},
		slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()))
	runUntilIdle(t, e, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.committed) > 0
	})
	if len(out.got) != 0 || len(dlq.got) != 1 || !strings.Contains(kafkax.Header(dlq.got[0], kafkax.HeaderError), "message limit") {
		t.Fatalf("published %d, dead letters %v", len(out.got), dlq.got)
	}
}
