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
// INSERT sent (one run of a raw table, in one or more blocks), its table,
// its rows and the months (toYYYYMM in UTC, the server's zone here) of its
// rows' published_at.
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

func (b *spiedBatch) month(t time.Time) {
	t = t.UTC()
	b.block.months[t.Year()*100+int(t.Month())] = true
}

func (b *spiedBatch) Append(v ...any) error {
	if b.col >= 0 {
		b.month(v[b.col].(time.Time))
	}
	return b.Batch.Append(v...)
}

// Column spies on the published_at column when the block is built column
// by column.
func (b *spiedBatch) Column(i int) driver.BatchColumn {
	c := b.Batch.Column(i)
	if i != b.col {
		return c
	}
	return &spiedColumn{BatchColumn: c, batch: b}
}

type spiedColumn struct {
	driver.BatchColumn
	batch *spiedBatch
}

func (c *spiedColumn) Append(v any) error {
	if ts, ok := v.([]time.Time); ok {
		for _, t := range ts {
			c.batch.month(t)
		}
	}
	return c.BatchColumn.Append(v)
}

// Flush counts the rows of a block sent before the INSERT's end: the
// store sends a raw table's rows in several (insertChunked).
func (b *spiedBatch) Flush() error {
	b.block.rows += b.Batch.Rows()
	return b.Batch.Flush()
}

func (b *spiedBatch) Send() error {
	b.block.rows += b.Batch.Rows()
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
	start := time.Now()
	if err := st.WriteRaw(ctx, arts, srcs); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d articles over %d months written in %v", len(arts), months, time.Since(start).Round(time.Millisecond))

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

// TestIntegrationManyEntitiesAndCuesDoNotCollide: an article with more
// entities, and a dyad with more cues, than a UInt16 index can number keeps
// every row (they collided in the ReplacingMergeTree key before migration
// 0005), and a cue's sentence number past Int16 is stored as is.
func TestIntegrationManyEntitiesAndCuesDoNotCollide(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_idx")
	st := store.New(conn)
	ctx := context.Background()
	const n = 70_000
	a := enriched(uuidN(1), "v1", escalation())
	a.Entities = make([]event.Entity, n)
	for i := range a.Entities {
		a.Entities[i] = event.Entity{Text: "Beijing", Type: "GOV", Canonical: "Chinese government", Country: "CN", Start: i, End: i + 7}
	}
	cues := make([]event.Cue, n)
	for i := range cues {
		cues[i] = event.Cue{Text: "raised tariffs", Sentence: i, Actor: "US", Target: "CN", Polarity: 1, Weight: 1, SourceType: "NEWS"}
	}
	a.Dyads[0].Cues = cues
	if err := st.WriteRaw(ctx, []*event.Enriched{a}, []store.Source{{Partition: 0, Offset: 0}}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct{ table, expr string }{
		{"entities", "uniqExact(idx)"}, {"entities", "count()"},
		{"cues", "uniqExact(idx)"}, {"cues", "count()"}, {"cues", "max(sentence) + 1"},
	} {
		var got uint64
		if err := conn.QueryRow(ctx, "SELECT toUInt64("+q.expr+") FROM "+q.table+" FINAL").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%s: %s = %d, want %d", q.table, q.expr, got, n)
		}
	}
	var nCues uint32
	if err := conn.QueryRow(ctx, "SELECT n_cues FROM dyads FINAL").Scan(&nCues); err != nil {
		t.Fatal(err)
	}
	if nCues != n {
		t.Errorf("dyads.n_cues = %d, want %d", nCues, n)
	}
}

// TestIntegrationRawInsertIsOnePartPerPartition: a run larger than one
// block of the driver (the store sends a raw table's rows in blocks of a
// thousand within one INSERT, so that the driver reuses its columns) still
// lands as one new part per partition and table, as one block did: the
// server squashes an INSERT's blocks before it writes them. More parts per
// INSERT would cost merges, not rows; every row is checked too.
func TestIntegrationRawInsertIsOnePartPerPartition(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_squash")
	st := store.New(conn)
	ctx := context.Background()
	const n = 2500 // over two blocks of rows in every raw table
	var arts []*event.Enriched
	var srcs []store.Source
	for i := range n {
		a := enriched(uuidN(i), "v1", escalation())
		a.PublishedAt = time.Date(2024, time.Month(1+i%2), 10, 12, 0, 0, 0, time.UTC)
		arts = append(arts, a)
		srcs = append(srcs, store.Source{Partition: 0, Offset: int64(i)})
	}
	if err := st.WriteRaw(ctx, arts, srcs); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"articles", "entities", "dyads", "cues"} {
		var rows uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+table+" FINAL").Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != n {
			t.Errorf("%s holds %d rows, want %d", table, rows, n)
		}
		// A part made by one INSERT and not merged has level 0; parts
		// merged from several have a higher one, so the check holds
		// even when the server merged in between.
		r, err := conn.Query(ctx, `SELECT partition, name, level FROM system.parts
			WHERE database = currentDatabase() AND table = ? AND active ORDER BY partition`, table)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for r.Next() {
			var partition, name string
			var level uint32
			if err := r.Scan(&partition, &name, &level); err != nil {
				t.Fatal(err)
			}
			if level != 0 {
				t.Errorf("%s: part %s has level %d: the INSERT's blocks were written as parts and merged", table, name, level)
			}
			parts = append(parts, partition)
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if want := []string{"202401", "202402"}; strings.Join(parts, ",") != strings.Join(want, ",") {
			t.Errorf("%s: active parts in partitions %v, want one in each of %v", table, parts, want)
		}
	}
}
