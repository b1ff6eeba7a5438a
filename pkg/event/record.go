package event

import (
	"errors"
	"fmt"
)

// The size rule (README "Contracts"). Every stage writes records of at most
// MaxRecordBytes, counted the way a Kafka producer counts them against its
// batch limit: key, value, headers and the per-record overhead (RecordSize).
// Kafka's default message.max.bytes (1,048,588) is above it, so every topic
// left at its defaults takes every record the pipeline writes.
//
// An article is admitted (ingest, backfill) only when its raw record takes
// at most MaxArticleBytes, half the limit: the enriched record carries the
// same text again plus the tags, and the other half is what the tags may
// take. Tags that would not fit are cut to the room left (FitTags), so the
// enriched record of an admitted article always fits its topic.
const (
	MaxRecordBytes  = 1_000_000
	MaxArticleBytes = MaxRecordBytes / 2
)

// ErrTooLarge is matched (errors.Is) by every error about a record that is
// over its limit: a permanent error, never worth a retry.
var ErrTooLarge = errors.New("record too large")

// SizeError says which record is over which limit. It matches ErrTooLarge.
type SizeError struct {
	What  string // "article", "enriched article", ...
	Size  int    // bytes as RecordSize counts them
	Limit int
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("%s record is %d bytes, over the %d-byte message limit", e.What, e.Size, e.Limit)
}

// Is reports whether target is ErrTooLarge.
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge }

// Header is a Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is a key and value ready to publish.
type Record struct {
	Key, Value []byte
}

// Size is the record's RecordSize without headers.
func (r Record) Size() int { return RecordSize(r.Key, r.Value, nil) }

// recordOverhead is what kafka-go adds to key and value when it counts a
// record against Writer.BatchBytes (Message.totalSize): CRC, magic byte,
// attributes, the two length prefixes and the timestamp.
const recordOverhead = 4 + 1 + 1 + 4 + 4 + 8

// RecordSize is the size of a record as kafka-go counts it against
// Writer.BatchBytes (a record above that is refused with
// MessageTooLargeError before anything is sent). pkg/kafkax tests that the
// two agree byte for byte.
func RecordSize(key, value []byte, headers []Header) int {
	n := recordOverhead + len(key) + len(value) + varintLen(len(headers))
	for _, h := range headers {
		n += varintLen(len(h.Key)) + len(h.Key) + varintLen(len(h.Value)) + len(h.Value)
	}
	return n
}

// varintLen is the length of n as a zig-zag varint (Kafka's record format).
func varintLen(n int) int {
	u := uint64(int64(n)<<1) ^ uint64(int64(n)>>63)
	l := 1
	for u >= 0x80 {
		u >>= 7
		l++
	}
	return l
}
