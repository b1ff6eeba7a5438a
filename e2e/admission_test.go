package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/kafkax"
)

// TestIntegrationArticleAtTheLimit is the size rule end to end (issue 8): an
// article whose raw record is exactly the article limit, dense with cues and
// entities, is accepted and counted — its tags cut to fit the enriched
// topic, the index counting every cue — with nothing dead-lettered and no
// retry. Then a record a foreign producer wrote near the broker's own limit
// is dead-lettered truncated, and the pipeline keeps flowing.
func TestIntegrationArticleAtTheLimit(t *testing.T) {
	s := newStack(t)
	s.startAll()

	published := time.Date(2025, 6, 12, 12, 0, 0, 0, time.UTC)
	body := articleAtLimit(t, published)
	code, resp := s.post(body, "application/json")
	if code != http.StatusAccepted {
		t.Fatalf("an article of exactly the limit: %d %s", code, tail(string(resp), 500))
	}
	var acc struct {
		Articles []struct {
			ArticleID string `json:"article_id"`
		} `json:"articles"`
	}
	if err := json.Unmarshal(resp, &acc); err != nil || len(acc.Articles) != 1 {
		t.Fatalf("answer %s: %v", resp, err)
	}
	id := acc.Articles[0].ArticleID
	day := published.Truncate(24 * time.Hour)
	s.waitVisible("CN-US", "hour", day, day.Add(24*time.Hour), 1, 3*time.Minute)

	// Stored: the listed cues are fewer than the dyad counts, and the dyad
	// row carries the totals the index counted.
	ctx := context.Background()
	var listed, counted uint64
	var weight float64
	if err := s.ch.QueryRow(ctx, `SELECT count() FROM cues WHERE article_id = toUUID(?) AND pair = 'CN-US'`, id).Scan(&listed); err != nil {
		t.Fatal(err)
	}
	if err := s.ch.QueryRow(ctx, `SELECT toUInt64(any(n_cues)), any(weight) FROM dyads WHERE article_id = toUUID(?) AND pair = 'CN-US'`, id).Scan(&counted, &weight); err != nil {
		t.Fatal(err)
	}
	if listed == 0 || counted <= listed || weight <= 0 {
		t.Fatalf("cues listed %d, counted %d, weight %v: want a cut list and whole totals", listed, counted, weight)
	}
	t.Logf("article %s: %d of %d CN-US cues listed, total weight %.1f", id, listed, counted, weight)
	if n := s.metric("enricher", "tension_enricher_tags_cut_total"); n != 1 {
		t.Fatalf("tags_cut_total = %v, want 1", n)
	}
	for svc, name := range map[string]string{"enricher": "tension_enricher_dead_letters_total",
		"sink": `tension_sink_messages_total{outcome="dead"}`} {
		if n := s.metric(svc, name); n != 0 {
			t.Fatalf("%s: %s = %v", svc, name, n)
		}
	}
	if n := s.metric("enricher", "tension_enricher_publish_errors_total"); n != 0 {
		t.Fatalf("the enricher retried %v times", n)
	}
	s.checkIndexMatchesRaw(day, day.Add(24*time.Hour))

	// A record over our limit that the broker still took (its default is
	// 1,048,588 bytes): dead-lettered, cut to fit, the DLQ write not refused.
	w := kafkax.NewWriter(kafkax.Brokers(s.brokers), s.topics.raw, 0)
	w.BatchBytes = 2 << 20
	defer w.Close()
	big := []byte(`{"text":"` + strings.Repeat("a", 1_040_000) + `"}`)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := w.WriteMessages(wctx, kafka.Message{Key: []byte("foreign"), Value: big}); err != nil {
		t.Fatal(err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: kafkax.Brokers(s.brokers), Topic: s.topics.dlq,
		GroupID: "e2e-dlq-" + s.db, StartOffset: kafka.FirstOffset, MaxWait: 200 * time.Millisecond, MaxBytes: 4 << 20})
	defer r.Close()
	m, err := r.FetchMessage(wctx)
	if err != nil {
		t.Fatalf("dead letter: %v", err)
	}
	if kafkax.Header(m, kafkax.HeaderTruncated) != strconv.Itoa(len(big)) || string(m.Key) != "foreign" ||
		kafkax.RecordSize(m) > kafkax.MaxMessageBytes || !strings.Contains(kafkax.Header(m, kafkax.HeaderError), "message limit") {
		t.Fatalf("dead letter: key %q, %d bytes, headers %v", m.Key, kafkax.RecordSize(m), m.Headers)
	}
	code, resp = s.post([]byte(`{"text": "Washington and Beijing agreed to resume trade talks.", "published_at": "2025-06-12T13:00:00Z"}`), "application/json")
	if code != http.StatusAccepted {
		t.Fatalf("after the dead letter: %d %s", code, resp)
	}
	s.waitVisible("CN-US", "hour", day, day.Add(24*time.Hour), 2, 2*time.Minute)
}

// articleAtLimit is a client article, dense with cues and entities, whose
// raw record as ingest publishes it is exactly event.MaxArticleBytes.
func articleAtLimit(t *testing.T, published time.Time) []byte {
	t.Helper()
	unit := "Washington raised tariffs on Chinese goods and Beijing retaliated against the United States, Xinhua said. "
	url := "https://example.test/at-the-limit/" + randomHex(4)
	size := func(text string) int {
		a := event.Article{URL: url, Text: text, PublishedAt: published}
		rec, err := event.EncodeArticle(&a, time.Now(), event.MaxRecordBytes)
		var se *event.SizeError
		if errors.As(err, &se) {
			return se.Size
		}
		return rec.Size()
	}
	text := strings.Repeat(unit, event.MaxArticleBytes/len(unit))
	for n := size(text); n != event.MaxArticleBytes; n = size(text) {
		if n > event.MaxArticleBytes {
			text = text[:len(text)-(n-event.MaxArticleBytes)]
		} else {
			text += strings.Repeat("x", event.MaxArticleBytes-n)
		}
	}
	body, _ := json.Marshal(map[string]string{"url": url, "text": text, "published_at": published.Format(time.RFC3339)})
	return body
}
