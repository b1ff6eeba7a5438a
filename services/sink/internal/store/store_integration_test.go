package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/chstore/chtest"
	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
	"github.com/tension-dev/tension/services/sink/internal/journal"
	"github.com/tension-dev/tension/services/sink/internal/ledger"
	"github.com/tension-dev/tension/services/sink/internal/rebuild"
	"github.com/tension-dev/tension/services/sink/internal/store"
)

var t0 = time.Date(2025, 4, 9, 13, 47, 31, 0, time.UTC)

func enriched(id, version string, dyads ...event.Dyad) *event.Enriched {
	return &event.Enriched{ArticleID: id, EventID: id, TaggerVersion: version, Text: "text of " + id,
		PublishedAt: t0, ReceivedAt: t0, EnrichedAt: time.Now().UTC(), Tags: event.Tags{
			Relevant: len(dyads) > 0, Countries: []string{"CN", "US"}, Dyads: dyads,
			Entities: []event.Entity{{Text: "Beijing", Type: "GOV", Canonical: "Chinese government", Country: "CN", Start: 0, End: 7}},
		}}
}

func escalation() event.Dyad {
	return event.Dyad{Pair: "CN-US", Tension: 0.7, Direction: event.DirectionEscalation,
		Cues: []event.Cue{{Text: "raised tariffs", Sentence: -1, Actor: "US", Target: "CN", Polarity: 1, Weight: 8, SourceType: "GOV"}}}
}

// TestIntegrationJournalRoundTrip writes a batch the way the sink does and
// reads back the ledger, the priors and the index, then checks the index
// equals the raw rows.
func TestIntegrationJournalRoundTrip(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_store")
	st := store.New(conn)
	ctx := context.Background()

	a := enriched("0b9a6a4c-0000-5000-8000-000000000001", "v1", escalation())
	b := enriched("0b9a6a4c-0000-5000-8000-000000000002", "v1")
	if err := st.WriteRaw(ctx, []*event.Enriched{a, b}, []store.Source{{0, 0}, {0, 1}}); err != nil {
		t.Fatal(err)
	}
	jb := journal.NewBuilder()
	jb.Add(a, nil)
	jb.Add(b, nil)
	jb.Cover("enriched@x", 0, 0, 2)
	block := ledger.NewBlockID(3, time.Now())
	if err := st.WriteJournal(ctx, jb.Rows(block)); err != nil {
		t.Fatal(err)
	}
	ranges, err := st.Ranges(ctx, "enriched@x", map[int32]int64{0: 0, 1: 0})
	if err != nil {
		t.Fatal(err)
	}
	if len(ranges) != 1 || ranges[0].Partition != 0 || ranges[0].From != 0 || ranges[0].To != 2 || ranges[0].Block != block || ranges[0].Entries != 1 {
		t.Fatalf("ranges = %+v, want partition 0 [0, 2) of block %s", ranges, block)
	}
	if logs, err := st.Logs(ctx, "enriched"); err != nil || len(logs) != 1 || logs[0] != "enriched@x" {
		t.Fatalf("logs = %v (%v)", logs, err)
	}

	// The block read back and cancelled: nothing of it is left, in the
	// index, the ledger or the counted set.
	arts, rs, err := st.BlockRows(ctx, block)
	if err != nil || len(arts) == 0 || len(rs) != 1 {
		t.Fatalf("block rows: %d articles, %d ranges (%v)", len(arts), len(rs), err)
	}
	claims, err := st.Claims(ctx, []string{a.ArticleID})
	if err != nil || len(claims) != 2 { // the current view and v1
		t.Fatalf("claims = %+v (%v)", claims, err)
	}
	tags, err := st.VersionTags(ctx, journal.MarkerRefs(arts))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.WriteJournal(ctx, journal.Compensation(block, arts, rs, tags)); err != nil {
		t.Fatal(err)
	}
	if ranges, _ := st.Ranges(ctx, "enriched@x", map[int32]int64{0: 0}); len(ranges) != 0 {
		t.Fatalf("ranges after the compensation: %+v", ranges)
	}
	if _, rs, _ := st.BlockRows(ctx, block); len(rs) != 0 {
		t.Fatalf("a cancelled block still has live ranges: %+v", rs)
	}
	if p, _ := st.Priors(ctx, []string{a.ArticleID}); len(p) != 0 {
		t.Fatalf("a cancelled block's article is still counted: %+v", p)
	}
	// Its articles are stored but no longer counted: rebuild leaves them
	// alone (the sink that cancelled it counts them again) and says so.
	if res, err := rebuild.Check(ctx, st, t0, t0.Add(time.Minute), true); err != nil || len(res.Diffs) != 0 || res.Uncounted != 2 {
		t.Fatalf("with the block cancelled: %v, %d uncounted (%v); want 2 uncounted", res.Diffs, res.Uncounted, err)
	}
	// Counted again, as the winner's block would.
	jb = journal.NewBuilder()
	jb.Add(a, nil)
	jb.Add(b, nil)
	jb.Cover("enriched@x", 0, 0, 2)
	if err := st.WriteJournal(ctx, jb.Rows(ledger.NewBlockID(4, time.Now()))); err != nil {
		t.Fatal(err)
	}
	priors, err := st.Priors(ctx, []string{a.ArticleID, b.ArticleID, "0b9a6a4c-0000-5000-8000-00000000ffff"})
	if err != nil {
		t.Fatal(err)
	}
	if len(priors) != 2 || !priors[a.ArticleID].Versions["v1"] || len(priors[a.ArticleID].Current) != len(journal.Contributions(a)) {
		t.Fatalf("priors = %+v", priors)
	}
	if diffs, err := rebuild.Run(ctx, st, t0, t0.Add(time.Minute), true); err != nil || len(diffs) != 0 {
		t.Fatalf("index differs from raw rows: %v %v", diffs, err)
	}
	buckets, err := st.JournalBuckets(ctx, t0.Add(-24*time.Hour), t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	day := store.BucketKey{Granularity: tension.Day, Pair: "*", Bucket: tension.Day.Truncate(t0).Unix()}
	if buckets[day].Articles != 2 {
		t.Fatalf("day bucket = %+v, want 2 articles", buckets[day])
	}

	// Rebuild repairs a damaged index: drop one article's count by hand.
	damage := []journal.Row{{Kind: journal.KindBucket, Granularity: "hour", Pair: "*", Bucket: tension.Hour.Truncate(t0),
		Entries: 1, Parts: tension.Parts{Articles: -1}}}
	if err := st.WriteJournal(ctx, damage); err != nil {
		t.Fatal(err)
	}
	diffs, err := rebuild.Run(ctx, st, t0, t0.Add(time.Minute), false)
	if err != nil || len(diffs) != 1 {
		t.Fatalf("rebuild found %v (%v), want the one damaged bucket", diffs, err)
	}
	if diffs, err := rebuild.Run(ctx, st, t0, t0.Add(time.Minute), true); err != nil || len(diffs) != 0 {
		t.Fatalf("after rebuild the index still differs: %v %v", diffs, err)
	}

	// ... and damaged cells of the split: a's dyad cell (US acts, its
	// government speaks, lang "" read as und) lost in the day bucket, and a
	// language cell that no article has, in the minute bucket. Rebuild
	// recomputes both from the raw rows (the cues pick the cell).
	aCell := tension.Cell{Actor: "US", Source: tension.SourceGovernment, Lang: tension.UndLang}
	damage = []journal.Row{
		{Kind: journal.KindCell, Key: aCell.Key(), Granularity: "day", Pair: "CN-US", Bucket: tension.Day.Truncate(t0),
			Entries: 1, Parts: tension.DyadContribution(escalation()).Neg()},
		{Kind: journal.KindCell, Key: tension.Cell{Lang: "fr"}.Key(), Granularity: "minute", Pair: "*", Bucket: tension.Minute.Truncate(t0),
			Entries: 1, Parts: tension.Parts{Articles: 3}},
	}
	if err := st.WriteJournal(ctx, damage); err != nil {
		t.Fatal(err)
	}
	diffs, err = rebuild.Run(ctx, st, t0, t0.Add(time.Minute), false)
	if err != nil || len(diffs) != 2 {
		t.Fatalf("rebuild found %v (%v), want the two damaged cells", diffs, err)
	}
	for _, d := range diffs {
		if _, cell := tension.SplitCellPair(d.Key.Pair); cell == "" {
			t.Errorf("rebuild corrected %s, a pair, not a cell", d)
		}
	}
	if diffs, err := rebuild.Run(ctx, st, t0, t0.Add(time.Minute), true); err != nil || len(diffs) != 0 {
		t.Fatalf("after rebuild the cells still differ: %v %v", diffs, err)
	}
	buckets, err = st.JournalBuckets(ctx, t0.Add(-24*time.Hour), t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	dayCell := store.BucketKey{Granularity: tension.Day, Pair: tension.CellPair("CN-US", aCell), Bucket: tension.Day.Truncate(t0).Unix()}
	if got := buckets[dayCell]; got.DyadArticles != 1 || got.Escalating != 1 {
		t.Fatalf("the day's US/government cell after rebuild: %+v, want a's escalation", got)
	}
}

// TestIntegrationRebuildLeavesBatchesInFlightAlone: a sink writes a batch's
// raw rows, then its journal block; a rebuild that runs in between must not
// add those articles to the index (the block is about to), and one that
// runs after must find nothing to correct.
func TestIntegrationRebuildLeavesBatchesInFlightAlone(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_rebuild")
	st := store.New(conn)
	ctx := context.Background()
	a := enriched("0b9a6a4c-0000-5000-8000-000000000001", "v1", escalation())
	b := enriched("0b9a6a4c-0000-5000-8000-000000000002", "v1")
	if err := st.WriteRaw(ctx, []*event.Enriched{a, b}, []store.Source{{0, 0}, {0, 1}}); err != nil {
		t.Fatal(err)
	}
	before, err := st.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rebuild.Check(ctx, st, t0, t0.Add(time.Minute), false) // the batch is in flight
	if err != nil || len(res.Diffs) != 0 || res.Uncounted != 2 {
		t.Fatalf("rebuild during the batch: %v, %d uncounted (%v); want no correction and 2 uncounted", res.Diffs, res.Uncounted, err)
	}
	jb := journal.NewBuilder()
	jb.Add(a, nil)
	jb.Add(b, nil)
	jb.Cover("enriched@x", 0, 0, 2)
	if err := st.WriteJournal(ctx, jb.Rows(ledger.NewBlockID(1, time.Now()))); err != nil {
		t.Fatal(err)
	}
	if after, _ := st.Fingerprint(ctx); after == before {
		t.Fatal("a journal block did not change the fingerprint")
	}
	res, err = rebuild.Check(ctx, st, t0, t0.Add(time.Minute), true)
	if err != nil || len(res.Diffs) != 0 || res.Uncounted != 0 {
		t.Fatalf("after the batch: %v, %d uncounted (%v); want a clean index", res.Diffs, res.Uncounted, err)
	}
	// A double count (two live blocks counting a) stops rebuild until a sink
	// cancels one: correcting it too would undo it twice.
	jb = journal.NewBuilder()
	jb.Add(a, nil)
	jb.Cover("enriched@x", 1, 0, 1)
	if err := st.WriteJournal(ctx, jb.Rows(ledger.NewBlockID(1, time.Now()))); err != nil {
		t.Fatal(err)
	}
	if _, err := rebuild.Check(ctx, st, t0, t0.Add(time.Minute), false); !errors.Is(err, rebuild.ErrUnsettled) {
		t.Fatalf("rebuild with a double count pending: %v, want ErrUnsettled", err)
	}
}
