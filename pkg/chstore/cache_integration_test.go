package chstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/chstore/chtest"
)

// A small read made twice is served from the server's uncompressed cache
// the second time unless the connection turns the cache off: ClickHouse
// counts the hits (UncompressedCacheHits) in each query's log entry. The
// writer and the reader (a read-only profile) are checked alike.
func TestIntegrationUncompressedCache(t *testing.T) {
	_, db := chtest.Open(t, "tension_test_uncompressed_cache")
	ctx := context.Background()
	writer, err := chstore.Connect(ctx, chtest.Config(db))
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if err := writer.Exec(ctx, "CREATE TABLE cached (k UInt32, s String) ENGINE = MergeTree ORDER BY k"); err != nil {
		t.Fatal(err)
	}
	if err := writer.Exec(ctx, "INSERT INTO cached SELECT number, toString(number) FROM system.numbers LIMIT 100000"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cfg  chstore.Config
		off  bool
	}{
		{"writer", chtest.Config(db), false},
		{"writer without cache", chtest.Config(db), true},
		{"reader", chtest.ReaderConfig(db), false},
		{"reader without cache", chtest.ReaderConfig(db), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.NoUncompressedCache = c.off
			conn, err := chstore.Connect(ctx, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var hits [2]uint64
			for i := range hits {
				id := fmt.Sprintf("tension-test-cache-%d-%d", time.Now().UnixNano(), i)
				qctx := clickhouse.Context(ctx, clickhouse.WithQueryID(id), clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1}))
				var n uint64
				if err := conn.QueryRow(qctx, "SELECT count() FROM cached WHERE k BETWEEN 50000 AND 50010 AND s != ''").Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 11 {
					t.Fatalf("read %d rows, want 11", n)
				}
				hits[i] = loggedEvent(t, writer, id, "UncompressedCacheHits")
			}
			if want := !c.off; (hits[1] > 0) != want {
				t.Errorf("the second read hit the uncompressed cache %d times; want hits: %v", hits[1], want)
			}
			if c.off && hits[0] > 0 {
				t.Errorf("the first read hit the uncompressed cache %d times with the cache off", hits[0])
			}
		})
	}
}
