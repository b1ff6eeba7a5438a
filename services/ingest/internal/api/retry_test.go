package api

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// scriptedWriter answers each WriteMessages call with the next scripted
// reply, given the messages of that call.
type scriptedWriter struct {
	calls   [][]kafka.Message
	replies []func(msgs []kafka.Message) error
}

func (w *scriptedWriter) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	w.calls = append(w.calls, msgs)
	if len(w.replies) == 0 {
		return nil
	}
	r := w.replies[0]
	w.replies = w.replies[1:]
	return r(msgs)
}

func notLeaderFor(keys ...string) func([]kafka.Message) error {
	return func(msgs []kafka.Message) error {
		we := make(kafka.WriteErrors, len(msgs))
		for i, m := range msgs {
			for _, k := range keys {
				if string(m.Key) == k {
					we[i] = kafka.NotLeaderForPartition
				}
			}
		}
		return we
	}
}

func TestWriteRetryingResendsOnlyRetriableFailures(t *testing.T) {
	msgs := []kafka.Message{{Key: []byte("a")}, {Key: []byte("b")}, {Key: []byte("c")}}
	tests := []struct {
		name      string
		replies   []func([]kafka.Message) error
		wantErr   bool
		wantCalls [][]string // keys sent per call
		wantAcked []bool     // per message, when wantErr
	}{
		{
			name:      "leader moves, then the rest is acknowledged",
			replies:   []func([]kafka.Message) error{notLeaderFor("b"), nil},
			wantCalls: [][]string{{"a", "b", "c"}, {"b"}},
		},
		{
			name:      "a whole-request retriable error is retried whole",
			replies:   []func([]kafka.Message) error{func([]kafka.Message) error { return kafka.LeaderNotAvailable }, nil},
			wantCalls: [][]string{{"a", "b", "c"}, {"a", "b", "c"}},
		},
		{
			name: "a permanent error is not retried",
			replies: []func([]kafka.Message) error{func(m []kafka.Message) error {
				return kafka.WriteErrors{nil, kafka.MessageSizeTooLarge, nil}
			}},
			wantErr:   true,
			wantCalls: [][]string{{"a", "b", "c"}},
			wantAcked: []bool{true, false, true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &scriptedWriter{}
			for _, r := range tt.replies {
				if r == nil {
					r = func([]kafka.Message) error { return nil }
				}
				w.replies = append(w.replies, r)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := writeRetrying(ctx, w, msgs)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if len(w.calls) != len(tt.wantCalls) {
				t.Fatalf("%d calls, want %d", len(w.calls), len(tt.wantCalls))
			}
			for i, call := range w.calls {
				var keys []string
				for _, m := range call {
					keys = append(keys, string(m.Key))
				}
				if len(keys) != len(tt.wantCalls[i]) {
					t.Fatalf("call %d sent %v, want %v", i, keys, tt.wantCalls[i])
				}
				for j := range keys {
					if keys[j] != tt.wantCalls[i][j] {
						t.Fatalf("call %d sent %v, want %v", i, keys, tt.wantCalls[i])
					}
				}
			}
			if tt.wantErr {
				var we kafka.WriteErrors
				if !errors.As(err, &we) || len(we) != len(msgs) {
					t.Fatalf("err %v is not per-message", err)
				}
				for i, acked := range tt.wantAcked {
					if (we[i] == nil) != acked {
						t.Errorf("message %d: error %v, want acknowledged %v", i, we[i], acked)
					}
				}
			}
		})
	}
}

// A retriable failure that outlasts the publish timeout ends with the
// per-message errors, so the 503 can say which articles were acknowledged.
func TestWriteRetryingStopsAtTheDeadline(t *testing.T) {
	msgs := []kafka.Message{{Key: []byte("a")}, {Key: []byte("b")}}
	w := &scriptedWriter{}
	for range 100 {
		w.replies = append(w.replies, notLeaderFor("b"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	err := writeRetrying(ctx, w, msgs)
	var we kafka.WriteErrors
	if !errors.As(err, &we) || we[0] != nil || we[1] == nil {
		t.Fatalf("err = %v, want a acknowledged and b not", err)
	}
	if len(w.calls) < 2 || len(w.calls) > 10 {
		t.Fatalf("%d calls in 700 ms, want a few with backoff", len(w.calls))
	}
}
