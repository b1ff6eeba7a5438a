package kafkax

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestRecordSizeIsKafkaGos proves event.RecordSize counts a record exactly as
// kafka-go does against Writer.BatchBytes: a record of exactly BatchBytes
// passes kafka-go's size check (and fails only later, dialling a port where
// no broker listens), one byte more is refused before anything is sent.
func TestRecordSizeIsKafkaGos(t *testing.T) {
	msgs := []kafka.Message{
		{Key: []byte("k"), Value: bytes.Repeat([]byte("v"), 1000)},
		{Value: bytes.Repeat([]byte("v"), 200)},
		{Key: bytes.Repeat([]byte("k"), 300), Value: bytes.Repeat([]byte("v"), 70_000), Headers: []kafka.Header{
			{Key: HeaderError, Value: bytes.Repeat([]byte("e"), 200)}, {Key: HeaderStage, Value: []byte("enricher")},
			{Key: strings.Repeat("h", 130), Value: nil}}},
	}
	for i, m := range msgs {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			n := RecordSize(m)
			for _, limit := range []int{n, n - 1} {
				w := &kafka.Writer{Addr: kafka.TCP("127.0.0.1:1"), Topic: "t", BatchBytes: int64(limit), MaxAttempts: 1,
					WriteBackoffMin: time.Millisecond, WriteBackoffMax: time.Millisecond}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err := w.WriteMessages(ctx, m)
				cancel()
				w.Close()
				var mtl kafka.MessageTooLargeError
				refused := errors.As(err, &mtl)
				if refused != (limit < n) {
					t.Fatalf("RecordSize %d, BatchBytes %d: kafka-go says %v", n, limit, err)
				}
			}
		})
	}
}

func TestDeadLetterFitsTheRecordLimit(t *testing.T) {
	key := []byte("0b9a6a4c-0000-5000-8000-000000000001")
	tests := []struct {
		name          string
		key, value    []byte
		reason        string
		wantTruncated bool
		wantKeyCut    bool
	}{
		{"small", key, []byte(`{"text":"x"}`), "invalid article: /text: is required", false, false},
		// The sizes of issue 8: a value that fitted alone, and one just under
		// the limit, both overflow once the DLQ headers are added.
		{"999,770 bytes fit with the headers", key, bytes.Repeat([]byte("a"), 999_770), "enriched article record is 1000100 bytes", false, false},
		{"999,900 bytes", key, bytes.Repeat([]byte("a"), 999_900), "x", true, false},
		{"a value the broker took, over our limit", key, bytes.Repeat([]byte("é"), 520_000), "too large", true, false},
		{"a key near the broker's limit", bytes.Repeat([]byte("k"), 1_040_000), []byte("v"), "x", true, true},
		{"a very long reason", key, []byte("v"), strings.Repeat("r", 100_000), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := kafka.Message{Topic: "articles.raw.v1", Partition: 3, Offset: 42, Key: tt.key, Value: tt.value}
			dl := DeadLetter(m, "enricher", errors.New(tt.reason))
			if n := RecordSize(dl); n > MaxMessageBytes {
				t.Fatalf("dead letter is %d bytes, over %d", n, MaxMessageBytes)
			}
			if got := Header(dl, HeaderTruncated); (got != "") != tt.wantTruncated || (got != "" && got != strconv.Itoa(len(tt.value))) {
				t.Fatalf("truncated header = %q, want original length %d: %v", got, len(tt.value), tt.wantTruncated)
			}
			if (Header(dl, HeaderTruncatedKey) != "") != tt.wantKeyCut {
				t.Fatalf("truncated_key header = %q", Header(dl, HeaderTruncatedKey))
			}
			if !tt.wantKeyCut && !bytes.Equal(dl.Key, tt.key) {
				t.Fatal("key not kept")
			}
			if !bytes.HasPrefix(tt.value, dl.Value) || (!tt.wantTruncated && len(dl.Value) != len(tt.value)) {
				t.Fatalf("value is not the original or a prefix of it (%d of %d bytes)", len(dl.Value), len(tt.value))
			}
			if tt.wantTruncated && !tt.wantKeyCut && RecordSize(dl) < MaxMessageBytes-4 {
				t.Fatalf("cut more than needed: %d bytes", RecordSize(dl))
			}
			for _, h := range []string{HeaderError, HeaderStage, HeaderSourceTopic, HeaderSourcePartition, HeaderSourceOffset} {
				if Header(dl, h) == "" {
					t.Fatalf("header %s missing", h)
				}
			}
			if Header(dl, HeaderSourceOffset) != "42" || Header(dl, HeaderSourcePartition) != "3" {
				t.Fatalf("source headers %v", dl.Headers)
			}
			if r := Header(dl, HeaderError); len(r) > maxReasonBytes || !strings.HasPrefix(tt.reason, strings.TrimSuffix(r, "…")) {
				t.Fatalf("error header %d bytes", len(r))
			}
		})
	}
}

func TestDeadLetterCutsTextAtACharacterBoundary(t *testing.T) {
	v := bytes.Repeat([]byte("é"), 600_000) // 2 bytes each
	dl := DeadLetter(kafka.Message{Key: []byte("k"), Value: v}, "sink", errors.New("x"))
	if len(dl.Value)%2 != 0 {
		t.Fatalf("cut inside a character: %d bytes", len(dl.Value))
	}
}

func TestIsTooLarge(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{kafka.MessageTooLargeError{}, true},
		{kafka.WriteErrors{nil, kafka.MessageSizeTooLarge}, true},
		{fmt.Errorf("write: %w", kafka.MessageSizeTooLarge), true},
		{kafka.WriteErrors{kafka.LeaderNotAvailable}, false},
		{errors.New("connection refused"), false},
	}
	for _, tt := range tests {
		if got := IsTooLarge(tt.err); got != tt.want {
			t.Errorf("IsTooLarge(%v) = %v", tt.err, got)
		}
	}
}
