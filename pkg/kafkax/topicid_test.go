package kafkax

import (
	"encoding/binary"
	"strings"
	"testing"
)

// metadataV12Response builds a response the way a broker encodes it.
func metadataV12Response(correlation int32, cluster string, topics map[string][16]byte, partitions int) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(correlation))
	b = append(b, 0)                        // header tags
	b = binary.BigEndian.AppendUint32(b, 0) // throttle
	b = binary.AppendUvarint(b, 1+1)        // one broker
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.AppendUvarint(b, uint64(len("127.0.0.1"))+1)
	b = append(b, "127.0.0.1"...)
	b = binary.BigEndian.AppendUint32(b, 9092)
	b = append(b, 0, 0) // null rack, tags
	b = binary.AppendUvarint(b, uint64(len(cluster))+1)
	b = append(b, cluster...)
	b = binary.BigEndian.AppendUint32(b, 1) // controller
	b = binary.AppendUvarint(b, uint64(len(topics))+1)
	for name, id := range topics {
		b = binary.BigEndian.AppendUint16(b, 0)
		b = binary.AppendUvarint(b, uint64(len(name))+1)
		b = append(b, name...)
		b = append(b, id[:]...)
		b = append(b, 0)
		b = binary.AppendUvarint(b, uint64(partitions)+1)
		for p := 0; p < partitions; p++ {
			b = binary.BigEndian.AppendUint16(b, 0)
			b = binary.BigEndian.AppendUint32(b, uint32(p))
			b = binary.BigEndian.AppendUint32(b, 1)
			b = binary.BigEndian.AppendUint32(b, 0)
			b = binary.AppendUvarint(b, 1+1)
			b = binary.BigEndian.AppendUint32(b, 1)
			b = binary.AppendUvarint(b, 1+1)
			b = binary.BigEndian.AppendUint32(b, 1)
			b = binary.AppendUvarint(b, 0+1)
			b = append(b, 0) // partition tags
		}
		b = binary.BigEndian.AppendUint32(b, 0) // authorized operations
		b = append(b, 0)                        // topic tags
	}
	return append(b, 0)
}

func TestParseMetadataV12(t *testing.T) {
	id := [16]byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	body := metadataV12Response(7, "clu", map[string][16]byte{"t": id}, 6)
	got, err := parseMetadataV12(body, 7, "t")
	if err != nil {
		t.Fatal(err)
	}
	if got.Cluster != "clu" || got.TopicID != "deadbeef0102030405060708090a0b0c" || got.Partitions != 6 || got.String() != "t@deadbeef0102030405060708090a0b0c" {
		t.Fatalf("got %+v", got)
	}
	if _, err := parseMetadataV12(body, 8, "t"); err == nil {
		t.Fatal("a response to another request must be refused")
	}
	if _, err := parseMetadataV12(body, 7, "other"); err == nil {
		t.Fatal("a missing topic must be an error")
	}
	if _, err := parseMetadataV12(metadataV12Response(7, "clu", map[string][16]byte{"t": {}}, 1), 7, "t"); err != ErrNoTopicID {
		t.Fatalf("zero topic id: %v, want ErrNoTopicID", err)
	}
	for i := range body {
		if _, err := parseMetadataV12(body[:i], 7, "t"); err == nil {
			t.Fatalf("truncated at %d of %d: no error", i, len(body))
		}
	}
}

func TestMetadataV12Request(t *testing.T) {
	b := metadataV12Request(9, "articles.enriched.v1")
	if int(binary.BigEndian.Uint32(b)) != len(b)-4 {
		t.Fatalf("size prefix %d, length %d", binary.BigEndian.Uint32(b), len(b)-4)
	}
	if binary.BigEndian.Uint16(b[4:]) != 3 || binary.BigEndian.Uint16(b[6:]) != 12 {
		t.Fatal("not Metadata v12")
	}
	if !strings.Contains(string(b), "articles.enriched.v1") {
		t.Fatal("topic name missing")
	}
}

func FuzzParseMetadataV12(f *testing.F) {
	f.Add(metadataV12Response(7, "clu", map[string][16]byte{"t": {1}}, 3))
	f.Add([]byte{0, 0, 0, 7, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := parseMetadataV12(body, 7, "t")
		if err == nil && (len(got.TopicID) != 32 || got.Topic != "t") {
			t.Fatalf("accepted %+v", got)
		}
	})
}
