package chstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/tension-dev/tension/pkg/chstore"
	"github.com/tension-dev/tension/pkg/chstore/chtest"
)

// Every -clickhouse-compression setting writes and reads the same data, and
// the server decompresses what it receives exactly when the setting
// compresses: ClickHouse counts the compressed blocks it reads
// (CompressedReadBufferBlocks) in the INSERT's query log entry.
func TestIntegrationCompression(t *testing.T) {
	_, db := chtest.Open(t, "tension_test_compression")
	ctx := context.Background()
	const rows = 20000
	for _, c := range []struct {
		setting    string
		compressed bool
	}{
		{chstore.CompressionNone, false},
		{chstore.CompressionLZ4, true},
		{chstore.CompressionZSTD, true},
		{chstore.CompressionAuto, false}, // the test server is on a loopback address
	} {
		t.Run(c.setting, func(t *testing.T) {
			cfg := chtest.Config(db)
			cfg.Compression = c.setting
			conn, err := chstore.Connect(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			table := "compressed_" + c.setting
			if err := conn.Exec(ctx, "CREATE TABLE "+table+" (n UInt64, s String) ENGINE = Memory"); err != nil {
				t.Fatal(err)
			}
			id := fmt.Sprintf("tension-test-compression-%s-%d", c.setting, time.Now().UnixNano())
			insertCtx := clickhouse.Context(ctx, clickhouse.WithQueryID(id), clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1}))
			b, err := conn.PrepareBatch(insertCtx, "INSERT INTO "+table+" (n, s)")
			if err != nil {
				t.Fatal(err)
			}
			var wantLen uint64
			for i := range rows {
				s := strings.Repeat("tension ", i%7)
				wantLen += uint64(len(s))
				if err := b.Append(uint64(i), s); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Send(); err != nil {
				t.Fatal(err)
			}
			var n, sum, length uint64
			if err := conn.QueryRow(ctx, "SELECT count(), sum(n), sum(length(s)) FROM "+table).Scan(&n, &sum, &length); err != nil {
				t.Fatal(err)
			}
			if n != rows || sum != rows*(rows-1)/2 || length != wantLen {
				t.Fatalf("read back %d rows, sum %d, length %d; want %d, %d, %d", n, sum, length, rows, rows*(rows-1)/2, wantLen)
			}
			blocks := loggedEvent(t, conn, id, "CompressedReadBufferBlocks")
			if (blocks > 0) != c.compressed {
				t.Errorf("the server read %d compressed blocks of the INSERT; compressed: %v", blocks, c.compressed)
			}
		})
	}
}
