package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/synth"
	"github.com/tension-dev/tension/pkg/tagger"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/ledger"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

// The store sends every block in its table's sorting order, so that the
// server skips its own sort (the largest part of an INSERT's CPU after
// compression): checked by the server's own count of the blocks it found
// already sorted (MergeTreeDataWriterBlocksAlreadySorted, per query in
// system.query_log) against the blocks it wrote, for a batch spread over
// two years (the raw tables' blocks span many monthly partitions, the
// journal holds every kind of row) and again under a second tagger version,
// the journal block and its compensation. It fails with any order the
// server does not share (UUIDs, say, which ClickHouse compares by their
// last 64 bits first).
func TestIntegrationBlocksArriveSorted(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_sorted")
	st := store.New(conn)
	tg, err := tagger.New()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 4, 10, 0, 0, 0, 0, time.UTC)
	gen := synth.New(11, now.Add(-2*365*24*time.Hour), now)
	var arts []*event.Enriched
	var srcs []store.Source
	for i := range 2000 {
		a, _, err := gen.NextRecord(now)
		if err != nil {
			t.Fatal(err)
		}
		version := tagger.Version
		if i%5 == 0 {
			version = "tagger-9.0.0" // some articles under two versions
		}
		e, _, err := event.Enrich(&a, tg.Tag(a.Title, a.Text), version, now)
		if err != nil {
			t.Fatal(err)
		}
		arts, srcs = append(arts, e), append(srcs, store.Source{Partition: int32(i % 3), Offset: int64(i)})
		if i%5 == 0 {
			again := *e
			again.TaggerVersion = tagger.Version
			arts, srcs = append(arts, &again), append(srcs, store.Source{Partition: int32(i % 3), Offset: int64(i) + 100000})
		}
	}
	b := journal.NewBuilder()
	priors := map[string]*journal.Prior{}
	for _, e := range arts {
		b.Count(e, priors)
	}
	b.Cover("enriched@1", 2, 0, 700)
	b.Cover("enriched@1", 0, 0, 700)
	block := ledger.NewBlockID(1, now)
	rows := b.Rows(block)

	// Each write is marked (logged) so that its queries, run on several
	// connections at once, can be found in the query log.
	mark := time.Now().UnixNano()%100000 + 262144
	next := func() (context.Context, int64) {
		mark++
		return logged(mark), mark
	}
	rawCtx, rawMark := next()
	if err := st.WriteRaw(rawCtx, arts, srcs); err != nil {
		t.Fatal(err)
	}
	journalCtx, journalMark := next()
	if err := st.WriteJournal(journalCtx, rows); err != nil {
		t.Fatal(err)
	}
	var articles, ranges []journal.Row
	for _, r := range rows {
		switch r.Kind {
		case journal.KindArticle:
			articles = append(articles, r)
		case journal.KindRange:
			ranges = append(ranges, r)
		}
	}
	compCtx, compMark := next()
	if err := st.WriteJournal(compCtx, journal.Compensation(block, articles, ranges, nil)); err != nil {
		t.Fatal(err)
	}
	// The server logs a query as it ends, which may be just after the client
	// got its answer: flush until the last INSERT is in the log.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if err := conn.Exec(context.Background(), "SYSTEM FLUSH LOGS"); err != nil {
			t.Fatal(err)
		}
		var n uint64
		if err := conn.QueryRow(context.Background(), `SELECT count() FROM system.query_log
			WHERE type = 2 AND event_date >= yesterday() AND query LIKE 'INSERT INTO index_journal %'
			AND Settings.Values[indexOf(Settings.Names, 'max_query_size')] = ?`, fmt.Sprint(compMark)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, c := range []struct {
		name   string
		mark   int64
		tables []string
	}{
		{"raw rows", rawMark, []string{"articles", "entities", "dyads", "cues"}},
		{"journal block", journalMark, []string{"article_keys", "index_journal"}},
		{"compensation", compMark, []string{"article_keys", "index_journal"}},
	} {
		id := c.name
		for _, table := range c.tables {
			var n, blocks, sorted uint64
			err := conn.QueryRow(context.Background(), `SELECT count(),
				sum(ProfileEvents.Values[indexOf(ProfileEvents.Names, 'MergeTreeDataWriterBlocks')]),
				sum(ProfileEvents.Values[indexOf(ProfileEvents.Names, 'MergeTreeDataWriterBlocksAlreadySorted')])
				FROM system.query_log WHERE type = 2 AND event_date >= yesterday() AND query LIKE ?
				AND Settings.Values[indexOf(Settings.Names, 'max_query_size')] = ?`, "INSERT INTO "+table+" %", fmt.Sprint(c.mark)).Scan(&n, &blocks, &sorted)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 || blocks == 0 {
				t.Fatalf("%s: no INSERT into %s in the query log (%d queries, %d blocks)", id, table, n, blocks)
			}
			want := blocks
			switch table {
			case "articles":
				// The INSERT also writes article_versions (its materialized
				// view), sorted by time; the articles' own blocks go by id.
				want = blocks / 2
			case "article_keys":
				// Sorted by a hash the server computes (cityHash64(key)).
				want = 0
			}
			if sorted != want {
				t.Errorf("%s: %d of the %d blocks written by the INSERT INTO %s arrived sorted, want %d", id, sorted, blocks, table, want)
			}
			t.Logf("%s: %d blocks written by the INSERT INTO %s, %d already sorted", id, blocks, table, sorted)
		}
	}
}

// compareUUID orders canonical UUIDs as ClickHouse does (last 64 bits
// first): random ids sorted by the server and by the store's order agree.
// The articles table is sorted by id, so an order the server does not
// share would make it sort every block (TestIntegrationBlocksArriveSorted
// counts only half of its INSERT's blocks).
func TestIntegrationUUIDOrderIsTheServers(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_uuid_order")
	ids := make([]string, 500)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	ids = append(ids, "00000000-0000-0000-0000-000000000002", "01000000-0000-0000-0000-000000000000",
		"00000000-0000-0001-0000-000000000001", "00000000-0000-0000-ff00-000000000000")
	var server []string
	err := conn.QueryRow(context.Background(), "SELECT arrayMap(u -> toString(u), arraySort(arrayMap(s -> toUUID(s), ?)))", ids).Scan(&server)
	if err != nil {
		t.Fatal(err)
	}
	mine := store.SortedIDs(ids)
	if !slices.Equal(server, mine) {
		t.Fatalf("the server's order and the store's differ:\nserver %v\nstore  %v", server[:8], mine[:8])
	}
}
