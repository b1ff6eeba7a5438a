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
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/pkg/tagger"
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

func (panicky) TagLangContext(_ context.Context, title, text, lang string) (event.Tags, error) {
	switch text {
	case "boom":
		panic("tagger bug")
	case "over budget":
		return event.Tags{}, errors.New("the article needs more work than its budget")
	}
	return event.Tags{Relevant: true, Countries: []string{"CN", "US"}}, nil
}

// An article the tagger refuses (over its work budget) is dead-lettered
// with the reason; it is never published with empty tags, never retried.
func TestTaggerErrorIsDeadLetteredNotPublishedEmpty(t *testing.T) {
	r := &fakeReader{msgs: []kafka.Message{
		rawMessage(t, 0, 1, "0b9a6a4c-0000-5000-8000-000000000011", "over budget"),
		rawMessage(t, 0, 2, "0b9a6a4c-0000-5000-8000-000000000012", "tariffs"),
	}}
	out, dlq := &fakeWriter{}, &fakeWriter{}
	e := New(Config{Workers: 2, TaggerVersion: "v-test", FlushInterval: 20 * time.Millisecond}, r, out, dlq, panicky{},
		slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()))
	runUntilIdle(t, e, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.committed) > 0
	})
	if len(out.got) != 1 || string(out.got[0].Key) != "0b9a6a4c-0000-5000-8000-000000000012" {
		t.Fatalf("published %d enriched, want only the article the tagger could tag", len(out.got))
	}
	if len(dlq.got) != 1 || !strings.Contains(kafkax.Header(dlq.got[0], kafkax.HeaderError), "budget") {
		t.Fatalf("dead letters = %d, want 1 naming the budget", len(dlq.got))
	}
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
	runUntil(t, e, done, 60*time.Second) // generous: -race on a loaded two-core machine
}

// runUntil is runUntilIdle with a deadline of the caller's: tagging an
// article at the size limit takes seconds under the race detector.
func runUntil(t *testing.T, e *Enricher, done func() bool, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- e.Run(ctx) }()
	deadline := time.Now().Add(timeout)
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

// kafkaLimitWriter refuses, as kafka-go does, a write holding a record over
// the record limit (MessageTooLargeError, before anything is sent), and
// counts its calls.
type kafkaLimitWriter struct {
	fakeWriter
	calls int
}

func (w *kafkaLimitWriter) WriteMessages(ctx context.Context, msgs ...kafka.Message) error {
	w.mu.Lock()
	w.calls++
	w.mu.Unlock()
	for i, m := range msgs {
		if kafkax.RecordSize(m) > kafkax.MaxMessageBytes {
			return kafka.MessageTooLargeError{Message: m, Remaining: append(append([]kafka.Message{}, msgs[:i]...), msgs[i+1:]...)}
		}
	}
	return w.fakeWriter.WriteMessages(ctx, msgs...)
}

// admittedNearLimit is a cue-dense raw article as ingest admits it, within
// a few bytes of the article limit.
func admittedNearLimit(t *testing.T, partition int, offset int64) kafka.Message {
	t.Helper()
	unit := "Washington raised tariffs on Chinese goods and Beijing retaliated against the United States, Xinhua said. "
	received := time.Date(2025, 4, 9, 12, 0, 0, 0, time.UTC)
	text := strings.Repeat(unit, event.MaxArticleBytes/len(unit))
	for {
		a := event.Article{Text: text, URL: "https://example.com/dense"}
		rec, err := event.EncodeArticle(&a, received, 0)
		if err == nil {
			if rec.Size() < event.MaxArticleBytes-len(unit) {
				t.Fatalf("built a %d-byte article, want one near the limit", rec.Size())
			}
			return kafka.Message{Topic: "raw", Partition: partition, Offset: offset, Key: rec.Key, Value: rec.Value}
		}
		text = text[:len(text)-len(unit)]
	}
}

// TestAdmittedArticleAtTheLimitIsPublishedNotRetried is issue 8's wedge: an
// admitted article whose tags would take its enriched record over the limit
// is published with its tags cut, once: no dead letter, no retry.
func TestAdmittedArticleAtTheLimitIsPublishedNotRetried(t *testing.T) {
	tg, err := tagger.New()
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeReader{msgs: []kafka.Message{admittedNearLimit(t, 0, 1), rawMessage(t, 0, 2, "0b9a6a4c-0000-5000-8000-000000000002", "talks")}}
	out, dlq := &kafkaLimitWriter{}, &kafkaLimitWriter{}
	reg := prometheus.NewRegistry()
	e := New(Config{TaggerVersion: tagger.Version, FlushInterval: 50 * time.Millisecond}, r, out, dlq, tg,
		slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(reg))
	runUntil(t, e, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.committed) > 0
	}, 3*time.Minute)
	if len(out.got) != 2 || len(dlq.got) != 0 || out.calls != 1 {
		t.Fatalf("published %d in %d writes, dead letters %d: want 2 in 1 write, none dead", len(out.got), out.calls, len(dlq.got))
	}
	got, err := event.DecodeEnriched(out.got[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cut == nil || got.Cut.Cues == 0 || kafkax.RecordSize(out.got[0]) > kafkax.MaxMessageBytes {
		t.Fatalf("cut = %+v, record %d bytes", got.Cut, kafkax.RecordSize(out.got[0]))
	}
	if n := testutil.ToFloat64(e.metrics.tagsCut); n != 1 {
		t.Fatalf("tags_cut_total = %v", n)
	}
}

// TestRefusedForSizeIsDeadLetteredNotRetried: a record the broker refuses
// for its size (a broker configured below the record limit) becomes a dead
// letter; the others are written once, the batch is committed.
func TestRefusedForSizeIsDeadLetteredNotRetried(t *testing.T) {
	r := &fakeReader{msgs: []kafka.Message{
		rawMessage(t, 0, 1, "0b9a6a4c-0000-5000-8000-000000000001", "a"),
		rawMessage(t, 0, 2, "0b9a6a4c-0000-5000-8000-000000000002", "b"),
		rawMessage(t, 0, 3, "0b9a6a4c-0000-5000-8000-000000000003", "c"),
	}}
	out := &brokerWriter{errs: kafka.WriteErrors{nil, kafka.MessageSizeTooLarge, kafka.LeaderNotAvailable}}
	dlq := &fakeWriter{}
	e := New(Config{TaggerVersion: "v", FlushInterval: 50 * time.Millisecond}, r, out, dlq, panicky{},
		slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()))
	runUntilIdle(t, e, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.committed) > 0
	})
	// First call: a written, b refused, c failed; second call: c alone.
	if len(out.calls) != 2 || len(out.calls[1]) != 1 || string(out.calls[1][0].Key) != "0b9a6a4c-0000-5000-8000-000000000003" {
		t.Fatalf("writes = %d, want the failed message written once more", len(out.calls))
	}
	if len(dlq.got) != 1 || dlq.got[0].Offset != 0 || kafkax.Header(dlq.got[0], kafkax.HeaderSourceOffset) != "2" ||
		!strings.Contains(kafkax.Header(dlq.got[0], kafkax.HeaderError), "refused for its size") {
		t.Fatalf("dead letters %v", dlq.got)
	}
}

// brokerWriter answers its first write with errs (one per message), then
// accepts everything; it records every call.
type brokerWriter struct {
	mu    sync.Mutex
	errs  kafka.WriteErrors
	calls [][]kafka.Message
}

func (w *brokerWriter) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, msgs)
	if len(w.calls) == 1 {
		return w.errs
	}
	return nil
}

// TestOversizeGarbageIsDeadLetteredWithinTheLimit: a raw record a foreign
// producer wrote near the broker's own limit dead-letters truncated, so the
// DLQ write cannot be refused either.
func TestOversizeGarbageIsDeadLetteredWithinTheLimit(t *testing.T) {
	r := &fakeReader{msgs: []kafka.Message{{Topic: "raw", Partition: 2, Offset: 9, Key: []byte("k"),
		Value: []byte(`{"text":"` + strings.Repeat("a", 1_040_000) + `"}`)}}}
	out, dlq := &kafkaLimitWriter{}, &kafkaLimitWriter{}
	e := New(Config{TaggerVersion: "v", FlushInterval: 10 * time.Millisecond}, r, out, dlq, panicky{},
		slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics(prometheus.NewRegistry()))
	runUntilIdle(t, e, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.committed) > 0
	})
	if len(dlq.got) != 1 || dlq.calls != 1 || kafkax.Header(dlq.got[0], kafkax.HeaderTruncated) != "1040011" ||
		!strings.Contains(kafkax.Header(dlq.got[0], kafkax.HeaderError), "message limit") {
		t.Fatalf("dead letters %d in %d writes: %v", len(dlq.got), dlq.calls, dlq.got)
	}
}

// TestTaggerVersionIsOrdered: the tagger's version has a precedence
// (event.TaggerPrecedence), or every record the enricher builds would be
// dead-lettered.
func TestTaggerVersionIsOrdered(t *testing.T) {
	if _, err := event.TaggerPrecedence(tagger.Version); err != nil {
		t.Fatal(err)
	}
}

// The output writer's batches are sized to the enricher's rounds, never
// above kafkax's size.
func TestFitWriter(t *testing.T) {
	for _, tt := range []struct{ maxBatch, want int }{{0, 1000}, {100, 100}, {10000, 1000}} {
		w := kafkax.NewWriter([]string{"127.0.0.1:1"}, "t", 0)
		FitWriter(w, tt.maxBatch)
		if w.BatchSize != tt.want {
			t.Errorf("FitWriter(%d): BatchSize %d, want %d", tt.maxBatch, w.BatchSize, tt.want)
		}
	}
}
