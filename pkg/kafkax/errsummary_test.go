package kafkax

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/segmentio/kafka-go"
)

func TestSummary(t *testing.T) {
	refused := errors.New("dial tcp 127.0.0.1:9092: connect: connection refused")
	many := make(kafka.WriteErrors, 500)
	for i := range many {
		if i%5 != 0 {
			many[i] = refused
		}
	}
	many[1] = kafka.NotLeaderForPartition
	kinds := make(kafka.WriteErrors, 6)
	for i := range kinds {
		kinds[i] = fmt.Errorf("error %d", i)
	}
	long := errors.New(strings.Repeat("é", 2000))
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"plain", refused, refused.Error()},
		{"write errors", many, "400 of 500 messages failed; 1 × " + kafka.NotLeaderForPartition.Error() + "; 399 × " + refused.Error()},
		{"wrapped", fmt.Errorf("publish: %w", kafka.WriteErrors{nil, refused}), "1 of 2 messages failed; 1 × " + refused.Error()},
		{"more kinds than shown", kinds, "6 of 6 messages failed; 1 × error 0; 1 × error 1; 1 × error 2; and 3 more distinct"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Summary(tc.err); got != tc.want {
				t.Errorf("Summary = %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("long text is cut on a rune boundary", func(t *testing.T) {
		got := Summary(long)
		if len(got) > summaryMaxText+len("…") || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
			t.Errorf("Summary of a %d-byte error: %d bytes, valid UTF-8 %v", len(long.Error()), len(got), utf8.ValidString(got))
		}
	})
	t.Run("bounded whatever the batch", func(t *testing.T) {
		we := make(kafka.WriteErrors, 10000)
		for i := range we {
			we[i] = errors.New(strings.Repeat("x", i%1000))
		}
		if got := Summary(we); len(got) > 1000 {
			t.Errorf("Summary of 10,000 distinct errors is %d bytes", len(got))
		}
	})
}
