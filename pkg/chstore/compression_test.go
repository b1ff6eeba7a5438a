package chstore

import (
	"errors"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"
)

func TestCompression(t *testing.T) {
	lz4, zstd := clickhouse.CompressionLZ4, clickhouse.CompressionZSTD
	for _, c := range []struct {
		setting, addr string
		want          *clickhouse.CompressionMethod // nil: uncompressed
	}{
		{"", "127.0.0.1:9000", nil},
		{"auto", "127.0.0.1:9000", nil},
		{"auto", "localhost:9000", nil},
		{"AUTO", "LocalHost:9000", nil},
		{"auto", "127.0.0.2:9000", nil},
		{"auto", "[::1]:9000", nil},
		{"auto", "127.0.0.1:9000,[::1]:9001", nil},
		{"auto", "127.0.0.1", nil},
		{"auto", "10.0.0.5:9000", &lz4},
		{"auto", "127.0.0.1:9000,ch2:9000", &lz4}, // one replica across a network
		{"auto", "clickhouse.internal:9000", &lz4},
		{"auto", "localhost.evil.example:9000", &lz4},
		{"auto", "", &lz4},
		{"lz4", "127.0.0.1:9000", &lz4},
		{"zstd", "127.0.0.1:9000", &zstd},
		{"none", "10.0.0.5:9000", nil},
	} {
		got, err := compression(Config{Addr: c.addr, Compression: c.setting})
		if err != nil {
			t.Errorf("%q at %q: %v", c.setting, c.addr, err)
			continue
		}
		switch {
		case c.want == nil && got != nil:
			t.Errorf("%q at %q: compressed with %v, want uncompressed", c.setting, c.addr, got.Method)
		case c.want != nil && (got == nil || got.Method != *c.want):
			t.Errorf("%q at %q: %v, want %v", c.setting, c.addr, got, *c.want)
		}
	}
}

func TestCompressionRefusesUnknownNames(t *testing.T) {
	for _, s := range []string{"gzip", "lz4hc", "yes", " lz4"} {
		if _, err := compression(Config{Addr: "127.0.0.1:9000", Compression: s}); !errors.Is(err, ErrCompression) {
			t.Errorf("%q: err %v, want ErrCompression", s, err)
		}
		if _, err := open(Config{Addr: "127.0.0.1:9000", Compression: s}, "default"); !errors.Is(err, ErrCompression) {
			t.Errorf("open with %q: err %v, want ErrCompression", s, err)
		}
	}
}
