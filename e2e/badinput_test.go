package e2e

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/kafkax"
)

func TestIntegrationBadInput(t *testing.T) {
	s := newStack(t)
	s.startAll()

	big := `{"text": "` + strings.Repeat("a", 9<<20) + `"}`
	tests := []struct {
		name        string
		body        string
		contentType string
		token       string
		wantCode    int
		wantInBody  string
	}{
		{"malformed JSON", `{"text": "x"`, "application/json", s.token, 400, "invalid"},
		{"missing text", `{"title": "no body"}`, "application/json", s.token, 400, "text"},
		{"wrong type", `{"text": 42}`, "application/json", s.token, 400, "text"},
		{"unknown field", `{"text": "x", "colour": "red"}`, "application/json", s.token, 400, "colour"},
		{"invalid UTF-8", "{\"text\": \"caf\xe9\"}", "application/json", s.token, 400, "UTF-8"},
		{"bad line in a batch", "{\"text\": \"ok\"}\n{\"text\": 1}\n", "application/x-ndjson", s.token, 400, "line"},
		{"oversize body", big, "application/json", s.token, 413, ""},
		{"no token", `{"text": "x"}`, "application/json", "", 401, ""},
		{"wrong token", `{"text": "x"}`, "application/json", "not-the-token", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", "http://"+s.addrs["ingest"]+"/v1/articles", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantCode, b.String())
			}
			if !strings.Contains(b.String(), `"error"`) {
				t.Errorf("body has no error envelope: %s", b.String())
			}
			if tt.wantInBody != "" && !strings.Contains(b.String(), tt.wantInBody) {
				t.Errorf("body does not mention %q: %s", tt.wantInBody, b.String())
			}
		})
	}

	// Garbage written straight to the raw topic lands in the DLQ with a
	// reason, and the pipeline keeps going.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := kafkax.NewWriter(kafkax.Brokers(s.brokers), s.topics.raw, 0)
	defer w.Close()
	garbage := [][]byte{{0xff, 0xfe, 0x00, 0x01}, []byte(`{"text": "no id"}`), []byte(`not json at all`)}
	for _, g := range garbage {
		if err := w.WriteMessages(ctx, kafka.Message{Key: []byte("garbage"), Value: g}); err != nil {
			t.Fatal(err)
		}
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: kafkax.Brokers(s.brokers), Topic: s.topics.dlq,
		GroupID: "e2e-dlq-" + s.db, StartOffset: kafka.FirstOffset, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	for i := range garbage {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("dead letter %d: %v", i, err)
		}
		if kafkax.Header(m, kafkax.HeaderError) == "" || kafkax.Header(m, kafkax.HeaderStage) != "enricher" ||
			kafkax.Header(m, kafkax.HeaderSourceTopic) != s.topics.raw {
			t.Errorf("dead letter %d headers: %v", i, m.Headers)
		}
		t.Logf("dead letter: %s", kafkax.Header(m, kafkax.HeaderError))
	}
	code, body := s.post([]byte(`{"text": "Washington and Beijing agreed to resume trade talks.", "published_at": "2025-06-11T12:00:00Z"}`), "application/json")
	if code != http.StatusAccepted {
		t.Fatalf("good article after garbage: %d %s", code, body)
	}
	from := time.Date(2025, 6, 11, 0, 0, 0, 0, time.UTC)
	// Three minutes: well beyond the enricher's -stall-restart (1 min), which
	// replaces a consumer-group reader that kafka-go left stalled (README,
	// "Known limits"); once, on a busy machine, this article was not counted
	// within one minute.
	s.waitVisible("CN-US", "hour", from, from.Add(24*time.Hour), 1, 3*time.Minute)
}
