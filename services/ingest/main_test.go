package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/kafkax"
	"github.com/tension-dev/tension/pkg/kafkax/kafkatest"
)

const testToken = "test-token-0123456789"

// startIngest runs the whole service in-process on a free port until the
// test ends, and returns its base URL.
func startIngest(t testing.TB, env map[string]string, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs syncBuffer
	go func() {
		// The admin listener on a free port too (its default is fixed).
		args := append([]string{"-admin-addr", "127.0.0.1:0"}, args...)
		done <- runListener(ctx, args, func(k string) string { return env[k] }, &logs, &logs, ln)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ingest stopped with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("ingest did not stop within 30 s; logs:\n%s", logs.String())
		}
		if t.Failed() {
			t.Logf("ingest logs:\n%s", logs.String())
		}
	})
	return "http://" + ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunRefusesToStartWithoutTokens(t *testing.T) {
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no bearer tokens") {
		t.Fatalf("err = %v, want a refusal without tokens", err)
	}
}

// TestRunServesAndShutsDown runs the service against an unreachable broker:
// it starts, is alive but not ready, answers 503 with Retry-After, and stops
// cleanly when its context ends.
func TestRunServesAndShutsDown(t *testing.T) {
	base := startIngest(t, map[string]string{"TENSION_TOKENS": testToken},
		"-brokers", "127.0.0.1:1", "-publish-timeout", "2s", "-ready-interval", "100ms")
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d", code)
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz = %d (%s), want 503 with no broker", code, body)
	}
	resp := post(t, base, "application/json", `{"text":"Tariffs rise."}`)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" {
		t.Fatalf("POST = %d Retry-After %q, want 503 and 5", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, `tension_ingest_requests_total{code="503"} 1`) ||
		!strings.Contains(body, `tension_ingest_articles_rejected_total{reason="unavailable"} 1`) {
		t.Fatalf("/metrics = %d, missing counters:\n%s", code, body)
	}
}

func get(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post sends body to /v1/articles with the test token; the body of the
// answer is read into the response's Body again for the caller.
func post(t testing.TB, base, ctype, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/v1/articles", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

// integration returns the brokers of the local platform, skipping only when
// TENSION_INTEGRATION is not set and failing loudly when Kafka is down.
func integration(t testing.TB) []string { return kafkatest.Brokers(t) }

// testTopic returns a fresh topic name, deleted when the test ends.
func testTopic(t testing.TB, brokers []string) string {
	return kafkatest.Topic(t, brokers, "test.ingest.")
}

func waitReady(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := get(t, base+"/readyz")
		if code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ingest not ready after 30 s: %s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ndjsonBatch(prefix string, n int, textLen int) string {
	var sb strings.Builder
	filler := strings.Repeat(`Officials said the \"door remains open\" to talks. `, textLen/50+1)
	for i := range n {
		fmt.Fprintf(&sb, `{"id":"%s-%d","url":"https://news.example.com/%s/%d","published_at":"2025-05-12T08:00:00Z","text":"Article %d. %s"}`+"\n",
			prefix, i, prefix, i, i, filler)
	}
	return sb.String()
}

func TestIntegrationIngestPublishesBatch(t *testing.T) {
	brokers := integration(t)
	topic := testTopic(t, brokers)
	base := startIngest(t, map[string]string{"TENSION_TOKENS": testToken, "KAFKA_BROKERS": strings.Join(brokers, ",")},
		"-topic", topic, "-ready-interval", "200ms")
	waitReady(t, base)

	const n = 200
	resp := post(t, base, "application/x-ndjson", ndjsonBatch(topic, n, 300))
	if resp.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST = %d: %s", resp.StatusCode, b)
	}
	var res struct {
		Accepted int `json:"accepted"`
		Articles []struct {
			ID        string `json:"id"`
			ArticleID string `json:"article_id"`
		} `json:"articles"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		t.Fatal(err)
	}
	if res.Accepted != n || len(res.Articles) != n {
		t.Fatalf("accepted %d (%d ids), want %d", res.Accepted, len(res.Articles), n)
	}
	want := map[string]string{} // article_id -> sender id
	for i, a := range res.Articles {
		if a.ID != fmt.Sprintf("%s-%d", topic, i) || a.ArticleID != event.ArticleID(fmt.Sprintf("https://news.example.com/%s/%d", topic, i), "") {
			t.Fatalf("answer %d = %+v", i, a)
		}
		want[a.ArticleID] = a.ID
	}

	// Acknowledged means readable: everything is in the topic already.
	r := kafka.NewReader(kafkax.ReaderConfig(brokers, topic+".reader", topic))
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for len(want) > 0 {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("read back: %v (%d of %d articles still missing)", err, len(want), n)
		}
		a, err := event.DecodeArticle(m.Value, event.DecodeOptions{FromTopic: true})
		if err != nil {
			t.Fatalf("message at %d/%d does not decode: %v", m.Partition, m.Offset, err)
		}
		id, ok := want[string(m.Key)]
		if !ok || a.ArticleID != string(m.Key) || a.ID != id {
			t.Fatalf("unexpected message key %s value %+v", m.Key, a)
		}
		if a.ReceivedAt.IsZero() || !a.PublishedAt.Equal(time.Date(2025, 5, 12, 8, 0, 0, 0, time.UTC)) {
			t.Fatalf("times not set: %+v", a)
		}
		delete(want, string(m.Key))
	}

	// A batch with one bad line publishes nothing.
	bad := ndjsonBatch(topic+"-bad", 3, 10) + `{"text":12}` + "\n"
	if resp := post(t, base, "application/x-ndjson", bad); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad batch = %d, want 400", resp.StatusCode)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancelShort()
	if m, err := r.FetchMessage(short); err == nil {
		t.Fatalf("a rejected batch published %s", m.Key)
	}
}

func TestIntegrationIngestKafkaUnreachable(t *testing.T) {
	integration(t)
	base := startIngest(t, map[string]string{"TENSION_TOKENS": testToken},
		"-brokers", "127.0.0.1:1", "-publish-timeout", "3s")
	start := time.Now()
	resp := post(t, base, "application/x-ndjson", ndjsonBatch("down", 10, 50))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST = %d Retry-After %q: %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	var env struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Error.Code != "kafka_unavailable" {
		t.Fatalf("envelope = %+v (%v)", env, err)
	}
	t.Logf("503 after %v: %s", time.Since(start).Round(time.Millisecond), env.Error.Message)
}

// BenchmarkIntegrationIngest measures articles/s accepted (acknowledged by
// the real local Kafka) with 4 clients posting 1,000-article NDJSON batches
// of ~1 KB articles:
//
//	TENSION_INTEGRATION=1 go test -run XXX -bench Integration -benchtime 20x .
func BenchmarkIntegrationIngest(b *testing.B) {
	brokers := integration(b)
	topic := testTopic(b, brokers)
	base := startIngest(b, map[string]string{"TENSION_TOKENS": testToken, "KAFKA_BROKERS": strings.Join(brokers, ",")},
		"-topic", topic, "-ready-interval", "200ms")
	waitReady(b, base)
	const perBatch, clients = 1000, 4
	batches := make([]string, clients)
	for i := range batches {
		batches[i] = ndjsonBatch(fmt.Sprintf("%s-c%d", topic, i), perBatch, 900)
	}
	b.SetBytes(int64(len(batches[0]) * clients))
	n := 0
	for b.Loop() {
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodPost, base+"/v1/articles", strings.NewReader(batches[c]))
				req.Header.Set("Content-Type", "application/x-ndjson")
				req.Header.Set("Authorization", "Bearer "+testToken)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					b.Errorf("POST = %d", resp.StatusCode)
				}
			})
		}
		wg.Wait()
		n += perBatch * clients
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "articles/s")
}
