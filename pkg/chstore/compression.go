package chstore

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Compression names how the native protocol compresses data blocks in
// both directions (Config.Compression, -clickhouse-compression).
const (
	// CompressionAuto compresses unless every address is a loopback one,
	// as ClickHouse's own client and its cluster connections do ("by
	// default compression is disabled if address looks like localhost"):
	// on one machine LZ4 only costs CPU on both sides — measured on the
	// sink, a day of news: ~5 % of its CPU and ~0.2 CPU-s of the server's
	// per 100,000 articles (docs/performance.md).
	CompressionAuto = "auto"
	CompressionLZ4  = "lz4"
	CompressionZSTD = "zstd"
	CompressionNone = "none"
)

// ErrCompression is an unknown -clickhouse-compression value.
var ErrCompression = errors.New("unknown compression")

// compression returns the driver's setting for cfg: nil sends blocks
// uncompressed.
func compression(cfg Config) (*clickhouse.Compression, error) {
	switch strings.ToLower(cfg.Compression) {
	case "", CompressionAuto:
		if allLoopback(cfg.Addr) {
			return nil, nil
		}
		return &clickhouse.Compression{Method: clickhouse.CompressionLZ4}, nil
	case CompressionLZ4:
		return &clickhouse.Compression{Method: clickhouse.CompressionLZ4}, nil
	case CompressionZSTD:
		return &clickhouse.Compression{Method: clickhouse.CompressionZSTD}, nil
	case CompressionNone:
		return nil, nil
	}
	return nil, fmt.Errorf("chstore: %w %q: want auto, lz4, zstd or none", ErrCompression, cfg.Compression)
}

// allLoopback reports whether every address in the comma-separated list
// names this machine by a loopback IP or "localhost". Names are not
// resolved: a name that happens to resolve to a loopback address is
// compressed, the safe side for a connection that may cross a network.
func allLoopback(addrs string) bool {
	list := Addrs(addrs)
	if len(list) == 0 {
		return false
	}
	for _, a := range list {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			host = a
		}
		if strings.EqualFold(host, "localhost") {
			continue
		}
		ip := net.ParseIP(strings.Trim(host, "[]"))
		if ip == nil || !ip.IsLoopback() {
			return false
		}
	}
	return true
}
