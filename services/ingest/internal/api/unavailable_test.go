package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
)

// TestPartialWriteSaysWhatIsUnknown: when Kafka acknowledges some articles
// of a request and not others, the 503 says how many were acknowledged,
// which lines were not (they may or may not be stored), that re-sending is
// safe — and never that nothing was accepted.
func TestPartialWriteSaysWhatIsUnknown(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		wantMsg    []string
		wantLines  []int
		notInReply string
	}{
		{"some not acknowledged", kafka.WriteErrors{nil, kafka.NotLeaderForPartition, nil},
			[]string{"acknowledged 2 of 3 articles", "the other 1", "may or may not have been written", "article ids are stable"},
			[]int{2}, "nothing was"},
		{"none acknowledged", kafka.WriteErrors{kafka.NotLeaderForPartition, kafka.RequestTimedOut, kafka.NotLeaderForPartition},
			[]string{"acknowledged 0 of 3 articles", "the other 3", "article ids are stable"},
			[]int{1, 2, 3}, "nothing was"},
		{"no per-message answer", errors.New("dial tcp: connection refused"),
			[]string{"did not acknowledge", "some may have been written", "article ids are stable"},
			nil, "nothing was"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestHandler(&fakeWriter{err: tc.err}, prometheus.NewRegistry())
			body := `{"url":"https://ex.com/1","text":"Washington raised tariffs."}` + "\n" +
				`{"url":"https://ex.com/2","text":"Beijing responded."}` + "\n" +
				`{"url":"https://ex.com/3","text":"Talks resumed."}` + "\n"
			req := httptest.NewRequest(http.MethodPost, "/v1/articles", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-ndjson")
			req.Header.Set("Authorization", "Bearer tok-a")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
				t.Fatalf("status %d, Retry-After %q: %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
			}
			var env struct {
				Error struct {
					Code    string   `json:"code"`
					Message string   `json:"message"`
					Details []Detail `json:"details"`
				} `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
				t.Fatal(err)
			}
			if env.Error.Code != CodeUnavailable {
				t.Errorf("code %q, want %q", env.Error.Code, CodeUnavailable)
			}
			for _, want := range tc.wantMsg {
				if !strings.Contains(env.Error.Message, want) {
					t.Errorf("message %q lacks %q", env.Error.Message, want)
				}
			}
			if strings.Contains(rec.Body.String(), tc.notInReply) {
				t.Errorf("reply says %q: %s", tc.notInReply, rec.Body)
			}
			var lines []int
			for _, d := range env.Error.Details {
				lines = append(lines, d.Line)
			}
			if len(lines) != len(tc.wantLines) {
				t.Fatalf("details name lines %v, want %v", lines, tc.wantLines)
			}
			for i := range lines {
				if lines[i] != tc.wantLines[i] {
					t.Fatalf("details name lines %v, want %v", lines, tc.wantLines)
				}
			}
		})
	}
}

// TestPublishFailureLogIsBounded: a batch that a dead broker refuses logs
// one short line (how many failed, the distinct errors), not one error text
// per article — kafka-go's own text for 1,000 refused messages is ~50 KB.
func TestPublishFailureLogIsBounded(t *testing.T) {
	const n = 1000
	refused := errors.New("dial tcp 127.0.0.1:9092: connect: connection refused")
	we := make(kafka.WriteErrors, n)
	for i := range we {
		we[i] = refused
	}
	var logs bytes.Buffer
	h := New(&fakeWriter{err: we}, Config{
		Tokens:   []string{"tok-a"},
		MaxBatch: n,
		Now:      func() time.Time { return received },
		Metrics:  NewMetrics(prometheus.NewRegistry()),
		Logger:   slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	var body strings.Builder
	for i := range n {
		fmt.Fprintf(&body, `{"url":"https://ex.com/%d","text":"Washington raised tariffs."}`+"\n", i)
	}
	if status, _, reply := post(t, h, "application/x-ndjson", body.String()); status != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %.300s", status, reply)
	}
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "publish failed") {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no publish failure logged: %.500s", logs.String())
	}
	if len(line) > 1000 || !strings.Contains(line, "1000 of 1000 messages failed; 1000 × "+refused.Error()) {
		t.Errorf("log line of %d bytes: %.1000s", len(line), line)
	}
}
