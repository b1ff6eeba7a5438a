package kafkax

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// LogID says which log a topic name currently means: the cluster's id and
// the topic's id (Kafka ≥ 2.8 gives every topic a UUID at creation; a topic
// deleted and created again under the same name gets a new one, and so does
// every topic of a wiped or rebuilt cluster). Offsets are positions in one
// such log, so a consumer that stores offsets outside Kafka must store this
// with them: the same offset in another log is another message.
type LogID struct {
	Cluster    string
	Topic      string
	TopicID    string // 32 hex digits
	Partitions int
}

// String is the log as the sink's ledger keys it: topic@topic-id.
func (l LogID) String() string { return l.Topic + "@" + l.TopicID }

// ErrNoTopicID means the broker does not give topic ids (Kafka < 2.8).
var ErrNoTopicID = errors.New("kafkax: the broker gives no topic id (Kafka 2.8 or later does)")

// TopicLog asks the brokers for the id of topic and its cluster, with a
// Metadata v12 request: kafka-go speaks Metadata only up to v8, before
// topic ids.
func TopicLog(ctx context.Context, brokers []string, topic string) (LogID, error) {
	var lastErr error
	for _, b := range brokers {
		id, err := topicLogFrom(ctx, b, topic)
		if err == nil {
			return id, nil
		}
		lastErr = err
	}
	return LogID{}, fmt.Errorf("kafkax: topic id of %s: %w", topic, lastErr)
}

func topicLogFrom(ctx context.Context, broker, topic string) (LogID, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", broker)
	if err != nil {
		return LogID{}, err
	}
	defer conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetDeadline(deadline)
	const correlation = 0x54454e53 // "TENS"
	if _, err := conn.Write(metadataV12Request(correlation, topic)); err != nil {
		return LogID{}, err
	}
	var size [4]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		return LogID{}, err
	}
	n := binary.BigEndian.Uint32(size[:])
	if n > 16<<20 {
		return LogID{}, fmt.Errorf("metadata response of %d bytes", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(conn, body); err != nil {
		return LogID{}, err
	}
	return parseMetadataV12(body, correlation, topic)
}

// metadataV12Request encodes a Metadata v12 request for one topic: request
// header v2 (flexible), then the body with compact arrays and strings.
func metadataV12Request(correlation int32, topic string) []byte {
	b := []byte{0, 0, 0, 0}                  // size, filled below
	b = binary.BigEndian.AppendUint16(b, 3)  // api key: Metadata
	b = binary.BigEndian.AppendUint16(b, 12) // api version
	b = binary.BigEndian.AppendUint32(b, uint32(correlation))
	client := "tension"
	b = binary.BigEndian.AppendUint16(b, uint16(len(client))) // client id: a (non-compact) nullable string
	b = append(b, client...)
	b = append(b, 0)                   // header tagged fields
	b = binary.AppendUvarint(b, 1+1)   // topics: compact array of 1
	b = append(b, make([]byte, 16)...) // topic id: zero (asking by name)
	b = binary.AppendUvarint(b, uint64(len(topic))+1)
	b = append(b, topic...)
	b = append(b, 0) // topic tagged fields
	b = append(b, 0) // allow_auto_topic_creation
	b = append(b, 0) // include_topic_authorized_operations
	b = append(b, 0) // tagged fields
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// reader decodes Kafka's primitive types; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) int16() int16 {
	b := r.take(2)
	if b == nil {
		return 0
	}
	return int16(binary.BigEndian.Uint16(b))
}

func (r *reader) int32() int32 {
	b := r.take(4)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = io.ErrUnexpectedEOF
		return 0
	}
	r.b = r.b[n:]
	return v
}

// compactLen reads a compact array or string length: N+1, 0 = null.
func (r *reader) compactLen() int {
	n := r.uvarint()
	if n > uint64(len(r.b))+1 {
		r.err = fmt.Errorf("length %d beyond the %d bytes left", n, len(r.b))
		return 0
	}
	return int(n) - 1
}

func (r *reader) compactString() string {
	n := r.compactLen()
	if n < 0 {
		return ""
	}
	return string(r.take(n))
}

func (r *reader) skipTags() {
	for n := r.uvarint(); n > 0 && r.err == nil; n-- {
		r.uvarint() // tag
		r.take(int(min(r.uvarint(), uint64(len(r.b)+1))))
	}
}

// parseMetadataV12 decodes a Metadata v12 response (after its size) down to
// the cluster id and the one topic asked for.
func parseMetadataV12(body []byte, correlation int32, topic string) (LogID, error) {
	r := &reader{b: body}
	if got := r.int32(); r.err == nil && got != correlation {
		return LogID{}, fmt.Errorf("metadata response for request %d, want %d", got, correlation)
	}
	r.skipTags() // response header v1
	r.int32()    // throttle
	for n := r.compactLen(); n > 0 && r.err == nil; n-- {
		r.int32()         // node id
		r.compactString() // host
		r.int32()         // port
		r.compactString() // rack
		r.skipTags()
	}
	out := LogID{Topic: topic, Cluster: r.compactString()}
	r.int32() // controller
	found := false
	for n := r.compactLen(); n > 0 && r.err == nil; n-- {
		code := r.int16()
		name := r.compactString()
		id := r.take(16)
		r.take(1) // is_internal
		parts := 0
		for p := r.compactLen(); p > 0 && r.err == nil; p-- {
			r.int16()                                // error
			r.int32()                                // index
			r.int32()                                // leader
			r.int32()                                // leader epoch
			for k := 0; k < 3 && r.err == nil; k++ { // replicas, isr, offline
				r.take(4 * max(0, r.compactLen()))
			}
			r.skipTags()
			parts++
		}
		r.int32() // authorized operations
		r.skipTags()
		if r.err != nil || name != topic {
			continue
		}
		if code != 0 {
			return LogID{}, fmt.Errorf("topic %s: kafka error %d", topic, code)
		}
		found = true
		out.TopicID = hex.EncodeToString(id)
		out.Partitions = parts
	}
	r.skipTags()
	if r.err != nil {
		return LogID{}, fmt.Errorf("decode metadata response: %w", r.err)
	}
	if !found {
		return LogID{}, fmt.Errorf("topic %s not in the metadata response", topic)
	}
	if out.TopicID == "00000000000000000000000000000000" {
		return LogID{}, ErrNoTopicID
	}
	return out, nil
}
