package kafkax

import (
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/segmentio/kafka-go"

	"github.com/tension-dev/tension/pkg/event"
)

// DLQ header names (docs/design.md §3).
const (
	HeaderError           = "error"
	HeaderStage           = "stage"
	HeaderSourceTopic     = "source_topic"
	HeaderSourcePartition = "source_partition"
	HeaderSourceOffset    = "source_offset"
	// HeaderTruncated is set on a dead letter whose value was cut to fit
	// the record limit: the original value's length in bytes. The key and
	// the other headers are kept whole.
	HeaderTruncated = "truncated"
	// HeaderTruncatedKey is set, with the original key's length, in the
	// extreme case where the key alone would not fit either.
	HeaderTruncatedKey = "truncated_key"
)

// maxReasonBytes bounds the error header: reasons are short, but one that
// quotes its input must not crowd out the message it explains.
const maxReasonBytes = 4096

// DeadLetter wraps a message that a stage could not process: the original
// key and bytes, with the reason and where it came from in headers. The
// dead letter always fits the record limit (MaxMessageBytes): when the
// original plus headers would not, its value is cut (HeaderTruncated), so
// the DLQ write can never be refused for its size and wedge the batch.
func DeadLetter(m kafka.Message, stage string, reason error) kafka.Message {
	dl := kafka.Message{
		Key:   m.Key,
		Value: m.Value,
		Headers: []kafka.Header{
			{Key: HeaderError, Value: []byte(cutUTF8(reason.Error(), maxReasonBytes))},
			{Key: HeaderStage, Value: []byte(stage)},
			{Key: HeaderSourceTopic, Value: []byte(m.Topic)},
			{Key: HeaderSourcePartition, Value: []byte(strconv.Itoa(m.Partition))},
			{Key: HeaderSourceOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
		},
	}
	if RecordSize(dl) <= MaxMessageBytes {
		return dl
	}
	dl.Headers = append(dl.Headers, kafka.Header{Key: HeaderTruncated, Value: []byte(strconv.Itoa(len(m.Value)))})
	dl.Value = nil
	if over := RecordSize(dl) - MaxMessageBytes; over > 0 {
		// Not even the key fits: cut it too (a record Kafka took can have a
		// key near the broker's own limit).
		dl.Headers = append(dl.Headers, kafka.Header{Key: HeaderTruncatedKey, Value: []byte(strconv.Itoa(len(m.Key)))})
		over = RecordSize(dl) - MaxMessageBytes
		dl.Key = cutBytes(m.Key, len(m.Key)-over)
	}
	room := MaxMessageBytes - RecordSize(dl)
	dl.Value = cutBytes(m.Value, room)
	return dl
}

// cutBytes returns the first n bytes of b (all of b when shorter), backing
// off to a UTF-8 character boundary when b is text.
func cutBytes(b []byte, n int) []byte {
	if n >= len(b) {
		return b
	}
	if n <= 0 {
		return []byte{}
	}
	cut := n
	for i := 0; i < utf8.UTFMax && cut > 0 && !utf8.RuneStart(b[cut]); i++ {
		cut--
	}
	if !utf8.RuneStart(b[cut]) {
		cut = n // not text: cut anywhere
	}
	return b[:cut:cut]
}

func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return string(cutBytes([]byte(s), n-len("…"))) + "…"
}

// RecordSize is m's size as kafka-go counts it against Writer.BatchBytes
// (event.RecordSize).
func RecordSize(m kafka.Message) int {
	hs := make([]event.Header, len(m.Headers))
	for i, h := range m.Headers {
		hs[i] = event.Header{Key: h.Key, Value: h.Value}
	}
	return event.RecordSize(m.Key, m.Value, hs)
}

// IsTooLarge reports whether a write failed because a message is over a
// size limit — the writer's own (MessageTooLargeError) or the broker's
// (MessageSizeTooLarge): an error no retry can fix.
func IsTooLarge(err error) bool {
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		for _, e := range we {
			if e != nil && IsTooLarge(e) {
				return true
			}
		}
		return false
	}
	var mtl kafka.MessageTooLargeError
	return errors.As(err, &mtl) || errors.Is(err, kafka.MessageSizeTooLarge)
}

// Header returns the value of the first header named key, or "".
func Header(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
