package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/services/query/internal/store"
)

// TestIntegrationDriversReadOnlyWhatTheyReturn: drivers of 1 MB articles
// come back with their cue contexts while the query service receives a
// few kilobytes from ClickHouse (the server's own count of the bytes it
// sent, ProfileInfo), not the articles' texts: before, a page of 5 drivers
// moved 5 MB, a page of 1,000 a gigabyte.
func TestIntegrationDriversReadOnlyWhatTheyReturn(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_query_drivers")
	ctx := context.Background()
	const (
		articles = 6
		textSize = 1_000_000
		sentence = "Washington raised tariffs on Chinese steel."
	)
	pub := time.Date(2025, 4, 9, 12, 0, 0, 0, time.UTC)
	filler := strings.Repeat("the market was steady today and ", textSize/32+1)
	arts, err := conn.PrepareBatch(ctx, `INSERT INTO articles (article_id, tagger_version, published_at, received_at,
		enriched_at, url, source, title, text, relevant, countries, topics, pairs, src_partition, src_offset, version)`)
	must(t, err)
	dyads, err := conn.PrepareBatch(ctx, `INSERT INTO dyads (pair, published_at, article_id, tagger_version, tension,
		direction, weight, n_cues, version)`)
	must(t, err)
	cues, err := conn.PrepareBatch(ctx, `INSERT INTO cues (pair, published_at, article_id, tagger_version, idx, text,
		category, sentence, start_offset, end_offset, actor, target, polarity, weight, hedged, negated, future,
		background, source, source_type, version)`)
	must(t, err)
	for i := range articles {
		id := fmt.Sprintf("0b9a6a4c-0000-5000-8000-%012d", i)
		at := (i + 1) * textSize / (articles + 1) // the cue sentence moves through the text
		at -= at % 32                             // on a word boundary of the filler
		text := (filler[:at-2] + ". " + sentence + " " + filler)[:textSize]
		start := at + len("Washington ")
		must(t, arts.Append(id, "v1", pub, pub, pub, "https://example.test/"+id, "test", "Title "+id, text, uint8(1),
			[]string{"CN", "US"}, []string{}, []string{"CN-US"}, int32(0), int64(i), uint64(1)))
		must(t, dyads.Append("CN-US", pub, id, "v1", 0.1*float64(i+1), "escalation", 8.0, uint32(2), uint64(1)))
		for idx, c := range []struct {
			text       string
			sentence   int32
			start, end int
		}{{"raised tariffs", 1, start, start + 14}, {"Title", -1, 0, 5}} {
			must(t, cues.Append("CN-US", pub, id, "v1", uint32(idx), c.text, "tariff", c.sentence, uint32(c.start), uint32(c.end),
				"US", "CN", int8(1), 8.0, uint8(0), uint8(0), uint8(0), uint8(0), "", "NEWS", uint64(1)))
		}
	}
	must(t, arts.Send())
	must(t, dyads.Send())
	must(t, cues.Send())

	var (
		mu       sync.Mutex
		received uint64
	)
	qctx := clickhouse.Context(ctx, clickhouse.WithProfileInfo(func(p *clickhouse.ProfileInfo) {
		mu.Lock()
		received += p.Bytes
		mu.Unlock()
	}))
	s := store.New(conn, 30*time.Second)
	got, err := s.Drivers(qctx, store.DriversQuery{Pair: "CN-US", From: pub.Add(-time.Hour), To: pub.Add(time.Hour), Limit: 5})
	must(t, err)
	if len(got) != 5 {
		t.Fatalf("%d drivers, want 5", len(got))
	}
	for _, d := range got {
		if d.Title != "Title "+d.ArticleID.String() || len(d.Cues) != 2 {
			t.Fatalf("driver %s: title %q, %d cues", d.ArticleID, d.Title, len(d.Cues))
		}
		for _, c := range d.Cues {
			want := store.CueContext{Before: "Washington ", Match: "raised tariffs", After: " on Chinese steel."}
			if c.Sentence < 0 {
				want = store.CueContext{Match: "Title", After: " " + d.ArticleID.String()}
			}
			if c.Context == nil || *c.Context != want {
				t.Errorf("driver %s, cue %q: context %+v, want %+v", d.ArticleID, c.Text, c.Context, want)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("5 drivers of %d-byte articles: %d bytes received from ClickHouse", textSize, received)
	if received == 0 || received > 64<<10 {
		t.Fatalf("drivers received %d bytes from ClickHouse, want (0, 64 KiB]: texts are read whole", received)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
