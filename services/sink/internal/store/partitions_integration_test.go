package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// insertSpy passes every call to the real connection and records, for each
// INSERT block sent, its table and the months (toYYYYMM in UTC, the
// server's zone here) of its rows' published_at.
type insertSpy struct {
	driver.Conn
	mu     sync.Mutex
	blocks []spiedBlock
}

type spiedBlock struct {
	table  string
	months map[int]bool
	rows   int
}

func (c *insertSpy) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	b, err := c.Conn.PrepareBatch(ctx, query, opts...)
	if err != nil {
		return nil, err
	}
	table, cols, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(query), "INSERT INTO")), "(")
	col := -1
	for i, name := range strings.Split(strings.TrimSuffix(strings.TrimSpace(cols), ")"), ",") {
		if strings.TrimSpace(name) == "published_at" {
			col = i
		}
	}
	return &spiedBatch{Batch: b, spy: c, col: col, block: spiedBlock{table: strings.TrimSpace(table), months: map[int]bool{}}}, nil
}

type spiedBatch struct {
	driver.Batch
	spy   *insertSpy
	col   int
	block spiedBlock
}

func (b *spiedBatch) Append(v ...any) error {
	if b.col >= 0 {
		t := v[b.col].(time.Time).UTC()
		b.block.months[t.Year()*100+int(t.Month())] = true
	}
	b.block.rows++
	return b.Batch.Append(v...)
}

func (b *spiedBatch) Send() error {
	if err := b.Batch.Send(); err != nil {
		return err
	}
	b.spy.mu.Lock()
	b.spy.blocks = append(b.spy.blocks, b.block)
	b.spy.mu.Unlock()
	return nil
}

// TestIntegrationRawInsertsSpanFewPartitions: a batch spanning 15 years
// (180 monthly partitions, shuffled) is written in INSERT blocks that each
// span no more partitions than the server allows one block (100 by default
// on 25.x; 18.16 has no limit, so the store assumes the same 100), and
// every row arrives.
func TestIntegrationRawInsertsSpanFewPartitions(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_parts")
	spy := &insertSpy{Conn: conn}
	st := store.New(spy)
	ctx := context.Background()
	limit, err := st.MaxPartitionsPerBlock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if limit != store.DefaultMaxPartitions {
		t.Fatalf("partition limit %d, want the server's default %d", limit, store.DefaultMaxPartitions)
	}

	const months = 15 * 12
	var arts []*event.Enriched
	var srcs []store.Source
	for i := range months {
		m := (i * 7) % months // not in date order
		a := enriched(uuidN(m), "v1", escalation())
		a.PublishedAt = time.Date(2010, time.Month(1+m), 15, 12, 0, 0, 0, time.UTC)
		arts = append(arts, a)
		srcs = append(srcs, store.Source{Partition: 0, Offset: int64(i)})
	}
	if err := st.WriteRaw(ctx, arts, srcs); err != nil {
		t.Fatal(err)
	}

	perTable := map[string]int{}
	rows := map[string]int{}
	for _, b := range spy.blocks {
		perTable[b.table]++
		rows[b.table] += b.rows
		if len(b.months) > limit {
			t.Errorf("an INSERT into %s spans %d partitions, over the limit of %d", b.table, len(b.months), limit)
		}
	}
	for _, table := range []string{"articles", "entities", "dyads", "cues"} {
		if perTable[table] != 2 || rows[table] != months {
			t.Errorf("%s: %d INSERT blocks of %d rows in all, want 2 blocks of %d rows", table, perTable[table], rows[table], months)
		}
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+table+" FINAL").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != months {
			t.Errorf("%s holds %d rows, want %d", table, n, months)
		}
	}
}

// uuidN is a distinct article id per n.
func uuidN(n int) string { return fmt.Sprintf("0b9a6a4c-0000-5000-8000-%012d", n) }
