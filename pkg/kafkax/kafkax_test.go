package kafkax

import (
	"errors"
	"reflect"
	"testing"

	"github.com/segmentio/kafka-go"
)

func TestBrokers(t *testing.T) {
	if got := Brokers(" a:1, ,b:2 "); !reflect.DeepEqual(got, []string{"a:1", "b:2"}) {
		t.Fatalf("Brokers = %q", got)
	}
}

func TestDeadLetterKeepsOriginal(t *testing.T) {
	m := kafka.Message{Topic: "articles.raw.v1", Partition: 3, Offset: 42, Key: []byte("k"), Value: []byte{0xff, 0x00}}
	d := DeadLetter(m, "enricher", errors.New("invalid json"))
	if string(d.Key) != "k" || string(d.Value) != string(m.Value) {
		t.Fatal("dead letter lost the original key or bytes")
	}
	for k, want := range map[string]string{HeaderError: "invalid json", HeaderStage: "enricher",
		HeaderSourceTopic: "articles.raw.v1", HeaderSourcePartition: "3", HeaderSourceOffset: "42"} {
		if got := Header(d, k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
}

func TestWriterIsTuned(t *testing.T) {
	w := NewWriter([]string{"x:1"}, "t", 0)
	if w.BatchTimeout <= 0 || w.BatchTimeout > 50e6 || w.RequiredAcks != kafka.RequireAll || w.Compression == 0 {
		t.Fatalf("writer not tuned: timeout %v acks %v compression %v", w.BatchTimeout, w.RequiredAcks, w.Compression)
	}
}

func TestParseCompression(t *testing.T) {
	for name, want := range map[string]kafka.Compression{"none": 0, "gzip": kafka.Gzip, "snappy": kafka.Snappy, "lz4": kafka.Lz4, "zstd": kafka.Zstd} {
		if got, err := ParseCompression(name); err != nil || got != want {
			t.Errorf("ParseCompression(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, name := range []string{"", "LZ4", "brotli", "uncompressed"} {
		if _, err := ParseCompression(name); err == nil {
			t.Errorf("ParseCompression(%q): no error", name)
		}
	}
}
