package kafkax

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
)

// TestFailureReport: every failure is counted in its own counter; fetch
// failures are logged at the 1st, 2nd, 4th … in a row, failed handlings
// every time, with the step's name and the batch's size.
func TestFailureReport(t *testing.T) {
	var logs bytes.Buffer
	fetches := prometheus.NewCounter(prometheus.CounterOpts{Name: "fetches"})
	handles := prometheus.NewCounter(prometheus.CounterOpts{Name: "handles"})
	report := FailureReport(slog.New(slog.NewJSONHandler(&logs, nil)), "publish", fetches, handles)
	refused := errors.New("connection refused")
	for attempt := 1; attempt <= 9; attempt++ {
		report(Failure{Fetch: true, Attempt: attempt, Err: refused})
	}
	report(Failure{Attempt: 1, Batch: make([]kafka.Message, 3), Err: kafka.WriteErrors{refused, nil, refused}})
	report(Failure{Attempt: 2, Batch: make([]kafka.Message, 3), Err: refused})

	if got := testutil.ToFloat64(fetches); got != 9 {
		t.Errorf("fetch failures counted %v, want 9", got)
	}
	if got := testutil.ToFloat64(handles); got != 2 {
		t.Errorf("handling failures counted %v, want 2", got)
	}
	var fetchLines, publishLines []string
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		switch {
		case strings.Contains(l, `"fetch failed; retrying"`):
			fetchLines = append(fetchLines, l)
		case strings.Contains(l, `"publish failed; retrying"`):
			publishLines = append(publishLines, l)
		default:
			t.Errorf("unexpected log line %s", l)
		}
	}
	if len(fetchLines) != 4 || !strings.Contains(fetchLines[3], `"attempt":8`) {
		t.Errorf("fetch failures logged %d times (want 4: attempts 1, 2, 4, 8): %q", len(fetchLines), fetchLines)
	}
	if len(publishLines) != 2 || !strings.Contains(publishLines[0], `"messages":3`) ||
		!strings.Contains(publishLines[0], `"err":"2 of 3 messages failed; 2 × connection refused"`) {
		t.Errorf("publish failures logged: %q", publishLines)
	}
}
