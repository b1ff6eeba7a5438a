package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"github.com/tension-dev/tension/pkg/event"
)

// fakeWriter records every WriteMessages call, or fails with err.
type fakeWriter struct {
	mu    sync.Mutex
	calls [][]kafka.Message
	err   error
}

func (f *fakeWriter) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.calls = append(f.calls, msgs)
	return nil
}

var received = time.Date(2025, 5, 12, 8, 0, 0, 0, time.UTC)

func newTestHandler(w Writer, reg prometheus.Registerer) *Handler {
	return New(w, Config{
		Tokens:   []string{"tok-a", "tok-b"},
		MaxBody:  4096,
		MaxBatch: 3,
		Now:      func() time.Time { return received },
		Metrics:  NewMetrics(reg),
	})
}

type envelopeResp struct {
	Error struct {
		Code    string   `json:"code"`
		Message string   `json:"message"`
		Details []Detail `json:"details"`
	} `json:"error"`
}

func TestArticles(t *testing.T) {
	const ndjson = "application/x-ndjson"
	const js = "application/json"
	tests := []struct {
		name       string
		method     string // default POST
		auth       string // default "Bearer tok-b"
		ctype      string
		body       string
		writerErr  error
		wantStatus int
		wantCode   string
		wantIn     string // substring of message
		wantDetail *Detail
		wantHeader [2]string
		wantWrites int // WriteMessages calls
	}{
		{name: "single article", ctype: js, body: `{"id":"s1","url":"https://ex.com/a","text":"Tariffs rise."}`, wantStatus: 202, wantWrites: 1},
		{name: "ndjson batch with blank lines", ctype: ndjson + "; charset=utf-8", body: "{\"text\":\"a\"}\n\n{\"text\":\"b\"}\r\n  \n{\"text\":\"c\"}", wantStatus: 202, wantWrites: 1},
		{name: "no auth header", auth: "-", ctype: js, body: `{"text":"x"}`, wantStatus: 401, wantCode: CodeUnauthorized, wantHeader: [2]string{"WWW-Authenticate", `Bearer realm="tension"`}},
		{name: "basic auth", auth: "Basic dXNlcjpwYXNz", ctype: js, body: `{"text":"x"}`, wantStatus: 401, wantCode: CodeUnauthorized},
		{name: "bearer without token", auth: "Bearer ", ctype: js, body: `{"text":"x"}`, wantStatus: 401, wantCode: CodeUnauthorized},
		{name: "unknown token", auth: "Bearer tok-c", ctype: js, body: `{"text":"x"}`, wantStatus: 403, wantCode: CodeForbidden},
		{name: "token prefix", auth: "Bearer tok-", ctype: js, body: `{"text":"x"}`, wantStatus: 403, wantCode: CodeForbidden},
		{name: "GET", method: "GET", ctype: js, wantStatus: 405, wantCode: CodeMethodNotAllowed, wantHeader: [2]string{"Allow", "POST"}},
		{name: "text/plain", ctype: "text/plain", body: `{"text":"x"}`, wantStatus: 415, wantCode: CodeUnsupportedMedia},
		{name: "no content type", ctype: "", body: `{"text":"x"}`, wantStatus: 415, wantCode: CodeUnsupportedMedia},
		{name: "body over limit", ctype: js, body: `{"text":"` + strings.Repeat("x", 5000) + `"}`, wantStatus: 413, wantCode: CodeBodyTooLarge, wantIn: "4096"},
		{name: "batch over limit", ctype: ndjson, body: strings.Repeat("{\"text\":\"x\"}\n", 4), wantStatus: 413, wantCode: CodeBatchTooLarge, wantIn: "more than 3"},
		{name: "malformed JSON", ctype: js, body: `{"text":`, wantStatus: 400, wantCode: CodeInvalidArticle, wantDetail: &Detail{Line: 1, Reason: "malformed JSON: unexpected end of input at byte offset 8"}},
		{name: "missing text", ctype: js, body: `{"title":"x"}`, wantStatus: 400, wantCode: CodeInvalidArticle, wantDetail: &Detail{Line: 1, Field: "/text", Reason: "is required"}},
		{name: "wrong type", ctype: js, body: `{"text":["x"]}`, wantStatus: 400, wantCode: CodeInvalidArticle, wantDetail: &Detail{Line: 1, Field: "/text", Reason: "must be a string, got array"}},
		{name: "invalid UTF-8", ctype: js, body: "{\"text\":\"\xc3\x28\"}", wantStatus: 400, wantCode: CodeInvalidArticle, wantDetail: &Detail{Line: 1, Reason: "invalid UTF-8 at byte offset 9"}},
		{name: "unknown field", ctype: js, body: `{"text":"x","body":"y"}`, wantStatus: 400, wantCode: CodeInvalidArticle, wantDetail: &Detail{Line: 1, Field: "/body", Reason: "unknown field"}},
		{name: "bad published_at", ctype: js, body: `{"text":"x","published_at":"12/05/2025"}`, wantStatus: 400, wantCode: CodeInvalidArticle, wantDetail: &Detail{Line: 1, Field: "/published_at"}},
		{name: "bad url", ctype: js, body: `{"text":"x","url":"example.com/a"}`, wantStatus: 400, wantCode: CodeInvalidArticle, wantDetail: &Detail{Line: 1, Field: "/url", Reason: "must be an absolute http or https URL"}},
		{name: "server-assigned field", ctype: js, body: `{"text":"x","received_at":"2025-01-01T00:00:00Z"}`, wantStatus: 400, wantCode: CodeInvalidArticle, wantIn: "invalid", wantDetail: &Detail{Line: 1, Field: "/received_at", Reason: "must not be sent: assigned by the server"}},
		{name: "array body", ctype: js, body: `[{"text":"x"}]`, wantStatus: 400, wantCode: CodeInvalidArticle, wantDetail: &Detail{Line: 1, Reason: "must be a JSON object, got array"}},
		{name: "one bad line fails the batch", ctype: ndjson, body: "{\"text\":\"a\"}\n\n{\"text\":1}\n", wantStatus: 400, wantCode: CodeInvalidArticle, wantIn: "1 of 2 articles are invalid", wantDetail: &Detail{Line: 3, Field: "/text", Reason: "must be a string, got number"}},
		{name: "empty batch", ctype: ndjson, body: "\n \n", wantStatus: 400, wantCode: CodeInvalidArticle, wantIn: "no articles"},
		{name: "kafka down", ctype: js, body: `{"text":"x"}`, writerErr: kafka.WriteErrors{kafka.LeaderNotAvailable}, wantStatus: 503, wantCode: CodeUnavailable, wantHeader: [2]string{"Retry-After", "5"}},
		{name: "kafka timeout", ctype: js, body: `{"text":"x"}`, writerErr: fmt.Errorf("dial: %w", context.DeadlineExceeded), wantStatus: 503, wantCode: CodeUnavailable, wantIn: "in time"},
		{name: "kafka message too large", ctype: js, body: `{"text":"x"}`, writerErr: kafka.WriteErrors{nil, kafka.MessageSizeTooLarge}, wantStatus: 413, wantCode: CodeArticleTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fw := &fakeWriter{err: tt.writerErr}
			h := newTestHandler(fw, prometheus.NewRegistry())
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, "/v1/articles", strings.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			switch tt.auth {
			case "":
				req.Header.Set("Authorization", "Bearer tok-b")
			case "-":
			default:
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type = %q", ct)
			}
			if k := tt.wantHeader[0]; k != "" && rec.Header().Get(k) != tt.wantHeader[1] {
				t.Fatalf("%s = %q, want %q", k, rec.Header().Get(k), tt.wantHeader[1])
			}
			if len(fw.calls) != tt.wantWrites {
				t.Fatalf("WriteMessages calls = %d, want %d", len(fw.calls), tt.wantWrites)
			}
			if tt.wantStatus == 202 {
				return
			}
			var env envelopeResp
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
				t.Fatalf("body is not the envelope: %v: %s", err, rec.Body)
			}
			if env.Error.Code != tt.wantCode || !strings.Contains(env.Error.Message, tt.wantIn) {
				t.Fatalf("error = %+v, want code %q message containing %q", env.Error, tt.wantCode, tt.wantIn)
			}
			if d := tt.wantDetail; d != nil {
				if len(env.Error.Details) == 0 {
					t.Fatalf("no details: %s", rec.Body)
				}
				got := env.Error.Details[0]
				if got.Line != d.Line || got.Field != d.Field || !strings.Contains(got.Reason, d.Reason) {
					t.Fatalf("detail = %+v, want %+v", got, *d)
				}
			}
		})
	}
}

func TestArticlesPublishesOneKeyedBatch(t *testing.T) {
	fw := &fakeWriter{}
	reg := prometheus.NewRegistry()
	h := newTestHandler(fw, reg)
	body := "{\"id\":\"a\",\"url\":\"https://ex.com/1?utm_source=x\",\"text\":\"one\",\"published_at\":\"2019-05-10\"}\n{\"text\":\"two\"}\n"
	req := httptest.NewRequest(http.MethodPost, "/v1/articles", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "bearer tok-a")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var res Accepted
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	want := []AcceptedRef{
		{ID: "a", ArticleID: event.ArticleID("https://ex.com/1", "")},
		{ID: "", ArticleID: event.ArticleID("", "two")},
	}
	if res.Accepted != 2 || len(res.Articles) != 2 || res.Articles[0] != want[0] || res.Articles[1] != want[1] {
		t.Fatalf("answer = %+v, want %+v", res, want)
	}
	if len(fw.calls) != 1 || len(fw.calls[0]) != 2 {
		t.Fatalf("want one WriteMessages call with 2 messages, got %d calls", len(fw.calls))
	}
	for i, m := range fw.calls[0] {
		if string(m.Key) != want[i].ArticleID {
			t.Fatalf("message %d key = %s, want %s", i, m.Key, want[i].ArticleID)
		}
		// The value is what the enricher will decode.
		a, err := event.DecodeArticle(m.Value, event.DecodeOptions{FromTopic: true})
		if err != nil {
			t.Fatalf("message %d does not decode as a topic article: %v: %s", i, err, m.Value)
		}
		if a.ArticleID != want[i].ArticleID || !a.ReceivedAt.Equal(received) {
			t.Fatalf("message %d = %+v", i, a)
		}
	}
	if got := testutil.ToFloat64(h.m.accepted); got != 2 {
		t.Fatalf("articles_accepted_total = %v", got)
	}
	if got := testutil.ToFloat64(h.m.requests.WithLabelValues("202")); got != 1 {
		t.Fatalf("requests_total{code=202} = %v", got)
	}
}

func TestArticlesNoAuthWhenNoTokens(t *testing.T) {
	fw := &fakeWriter{}
	h := New(fw, Config{})
	req := httptest.NewRequest(http.MethodPost, "/v1/articles", strings.NewReader(`{"text":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}

func TestArticleTooLargeForKafka(t *testing.T) {
	fw := &fakeWriter{}
	h := New(fw, Config{MaxMessageBytes: 1024})
	req := httptest.NewRequest(http.MethodPost, "/v1/articles", strings.NewReader("{\"text\":\"x\"}\n{\"text\":\""+strings.Repeat("y", 2000)+"\"}"))
	req.Header.Set("Content-Type", "application/x-ndjson")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || len(fw.calls) != 0 {
		t.Fatalf("status %d, writes %d: %s", rec.Code, len(fw.calls), rec.Body)
	}
	if !strings.Contains(rec.Body.String(), `"line":2`) {
		t.Fatalf("want line 2 in %s", rec.Body)
	}
}

func TestPublishErrorMapping(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"network", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), 503},
		{"kafka error", kafka.NotEnoughReplicas, 503},
		{"too large in write errors", kafka.WriteErrors{kafka.MessageSizeTooLarge}, 413},
		{"client-side too large", kafka.MessageTooLargeError{}, 413},
		{"wrapped", fmt.Errorf("x: %w", kafka.RequestTimedOut), 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := publishError(tt.err, 1000).status; got != tt.want {
				t.Fatalf("status = %d, want %d", got, tt.want)
			}
		})
	}
}

// BenchmarkArticlesBatch measures the handler without Kafka: auth, read,
// split, validate and encode a 1,000-article NDJSON batch.
func BenchmarkArticlesBatch(b *testing.B) {
	var sb strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&sb, `{"id":"%d","url":"https://news.example.com/a/%d","title":"Talks resume","published_at":"2025-05-12T08:00:00Z","text":"%s"}`+"\n",
			i, i, strings.Repeat(`Officials said the \"door remains open\" to talks after tariffs rose. `, 40))
	}
	body := sb.String()
	h := New(&fakeWriter{}, Config{Tokens: []string{"t"}, MaxBatch: 5000})
	b.SetBytes(int64(len(body)))
	n := 0
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/articles", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Authorization", "Bearer t")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("status %d", rec.Code)
		}
		n += 1000
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "articles/s")
}
