package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
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
	if others, current, err := st.Logs(ctx, "enriched", "enriched@x"); err != nil || len(others) != 0 || !current {
		t.Fatalf("logs = %v, current %v (%v); want none other, current", others, current, err)
	}
	if others, current, err := st.Logs(ctx, "enriched", "enriched@y"); err != nil || !reflect.DeepEqual(others, []string{"enriched@x"}) || current {
		t.Fatalf("logs beside enriched@y = %v, current %v (%v); want enriched@x, not current", others, current, err)
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

// TestIntegrationStatesOfSpreadBuckets writes bucket and cell rows in many
// buckets, far apart and close together, of two views and in both at once
// (in_current), and checks that
// States returns exactly the sums of the rows in the buckets asked for, the
// pairs' and, when asked, the cells' (the read filters by sets of buckets
// per granularity and a superset of views, and keeps what was asked for).
func TestIntegrationStatesOfSpreadBuckets(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_states")
	st := store.New(conn)
	ctx := context.Background()

	rng := rand.New(rand.NewPCG(3, 4))
	type cellKey struct {
		key  store.BucketKey
		cell string
	}
	want := map[string]map[cellKey]store.BucketState{"bucket": {}, "cell": {}}
	var rows []journal.Row
	var refs []store.BucketRef
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3000 {
		g := tension.Granularities[rng.IntN(len(tension.Granularities))]
		at := start.Add(time.Duration(rng.Int64N(int64(2 * 365 * 24 * time.Hour))))
		if i%3 == 0 { // a dense stretch too
			at = start.Add(400*24*time.Hour + time.Duration(rng.IntN(6*60))*time.Minute)
		}
		bucket := g.Truncate(at)
		// The current view, a version's own, or both at once (in_current).
		form := rng.IntN(3)
		version, inCurrent := []string{"", "tagger-9", "tagger-9"}[form], form == 2
		pair := []string{"*", "CN-US", "EU-US"}[rng.IntN(3)]
		kind, cell := "bucket", ""
		if rng.IntN(4) == 0 {
			kind, cell = "cell", []string{"en", "zh"}[rng.IntN(2)]
		}
		parts := tension.Parts{Articles: 1 + rng.Int64N(5), Escalating: rng.Int64N(3), SumScore: float64(rng.IntN(100)) / 4}
		rows = append(rows, journal.Row{Kind: kind, Key: cell, Granularity: string(g), Pair: pair, TaggerVersion: version,
			InCurrent: inCurrent, Bucket: bucket, Entries: 1, Parts: parts})
		if rng.IntN(3) > 0 { // asked for: two thirds of the buckets written, in one of their views
			view := version
			if inCurrent && rng.IntN(2) == 0 {
				view = journal.CurrentView
			}
			refs = append(refs, store.BucketRef{Granularity: g, TaggerVersion: view, Bucket: bucket.Unix()})
		}
	}
	asked := map[store.BucketRef]bool{}
	for _, r := range refs {
		asked[r] = true
	}
	for _, r := range rows {
		for _, view := range r.Views() { // a row in two views is in the state of each
			k := store.BucketKey{Granularity: tension.Granularity(r.Granularity), Pair: r.Pair, TaggerVersion: view, Bucket: r.Bucket.Unix()}
			if !asked[k.Ref()] {
				continue
			}
			s := want[r.Kind][cellKey{k, r.Key}]
			s.Key, s.Cell = k, r.Key
			s.Entries += r.Entries
			s.Parts.Add(r.Parts)
			want[r.Kind][cellKey{k, r.Key}] = s
		}
	}
	for i := 0; i < len(rows); i += 700 { // several parts, as several blocks make
		if err := st.WriteJournal(ctx, rows[i:min(i+700, len(rows))]); err != nil {
			t.Fatal(err)
		}
	}
	// An unasked bucket between asked ones, and a bucket nobody wrote.
	refs = append(refs, store.BucketRef{Granularity: tension.Minute, Bucket: start.Add(-time.Hour).Unix()})

	pairsOnly, noCells, err := st.States(ctx, refs, false)
	if err != nil || noCells != nil {
		t.Fatalf("States without cells: %d cell states (%v)", len(noCells), err)
	}
	pairs, cells, err := st.States(ctx, refs, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairsOnly) != len(pairs) {
		t.Fatalf("States: %d pair states without cells, %d with", len(pairsOnly), len(pairs))
	}
	for kind, states := range map[string][]store.BucketState{"bucket": pairs, "cell": cells} {
		got := map[cellKey]store.BucketState{}
		for _, s := range states {
			if _, dup := got[cellKey{s.Key, s.Cell}]; dup {
				t.Fatalf("%s state %+v read twice", kind, s.Key)
			}
			got[cellKey{s.Key, s.Cell}] = s
		}
		if len(got) != len(want[kind]) || len(got) == 0 {
			t.Fatalf("%s states: read %d, want %d", kind, len(got), len(want[kind]))
		}
		for k, w := range want[kind] {
			g := got[k]
			if g.Entries != w.Entries || g.Parts.Articles != w.Parts.Articles || g.Parts.Escalating != w.Parts.Escalating ||
				math.Abs(g.Parts.SumScore-w.Parts.SumScore) > 1e-9 {
				t.Fatalf("%s state %+v %q = %+v, want %+v", kind, k.key, k.cell, g, w)
			}
		}
	}
	// Revisions: every asked bucket's states' Entries, summed; none for
	// the buckets without rows.
	for _, withCells := range []bool{false, true} {
		revs, err := st.Revisions(ctx, refs, withCells)
		if err != nil {
			t.Fatal(err)
		}
		wantRevs := map[store.BucketRef]int64{}
		for kind, states := range want {
			if kind == "cell" && !withCells {
				continue
			}
			for k, w := range states {
				wantRevs[k.key.Ref()] += w.Entries
			}
		}
		if len(revs) != len(wantRevs) || len(revs) == 0 {
			t.Fatalf("revisions (cells %v): read %d buckets, want %d", withCells, len(revs), len(wantRevs))
		}
		for r, w := range wantRevs {
			if revs[r] != w {
				t.Fatalf("revision (cells %v) of %+v = %d, want %d", withCells, r, revs[r], w)
			}
		}
	}
}

// TestIntegrationArticleKeysNarrowTheLookups: WriteJournal puts the keys of
// a block's article rows into article_keys before the block; Priors and
// ClaimsBeside read the journal only for the articles named there, and
// find the same prior counts and the same conflicts as the whole reads.
func TestIntegrationArticleKeysNarrowTheLookups(t *testing.T) {
	conn, _ := chtest.Open(t, "tension_test_sink_keys")
	st := store.New(conn)
	ctx := context.Background()
	id := func(n int) string { return fmt.Sprintf("0b9a6a4c-0000-5000-8000-%012d", n) }
	write := func(epoch int32, ns ...int) string {
		t.Helper()
		jb := journal.NewBuilder()
		for _, n := range ns {
			e := enriched(id(n), "v1", escalation())
			if err := st.WriteRaw(ctx, []*event.Enriched{e}, []store.Source{{Partition: 0, Offset: int64(n)}}); err != nil {
				t.Fatal(err)
			}
			jb.Add(e, nil)
		}
		block := ledger.NewBlockID(epoch, time.Now())
		if err := st.WriteJournal(ctx, jb.Rows(block)); err != nil {
			t.Fatal(err)
		}
		return block
	}
	older := write(3, 1, 2) // 2 is counted by both blocks: a conflict
	newer := write(4, 2, 3)
	keys := map[string][]string{}
	rows, err := conn.Query(ctx, "SELECT DISTINCT key, blk FROM article_keys ORDER BY key, blk")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k, b string
		if err := rows.Scan(&k, &b); err != nil {
			t.Fatal(err)
		}
		keys[k] = append(keys[k], b)
	}
	rows.Close()
	want := map[string][]string{id(1): {older}, id(2): {older, newer}, id(3): {newer}}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("article_keys = %v, want %v", keys, want)
	}

	ids := []string{id(1), id(2), id(3), id(4)} // 4 never counted
	priors, err := st.Priors(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(priors) != 3 || priors[id(4)] != nil || len(priors[id(2)].Current) != len(journal.Contributions(enriched(id(2), "v1", escalation()))) {
		t.Fatalf("priors = %+v", priors)
	}
	check := func(stage string, wantConflicts int) {
		t.Helper()
		mine := ids[1:3] // the newer block's articles
		all, err := st.Claims(ctx, mine)
		if err != nil {
			t.Fatal(err)
		}
		beside, err := st.ClaimsBeside(ctx, mine, newer)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range beside {
			if c.Article != id(2) {
				t.Errorf("%s: ClaimsBeside read %+v: only article 2 is counted by another block", stage, c)
			}
		}
		// What names either view the loser lost in: map order.
		losers := func(cs []ledger.Conflict) (out []string) {
			for _, c := range cs {
				out = append(out, c.Winner+">"+c.Loser+":"+strings.Join(slices.Sorted(slices.Values(c.Articles)), ","))
			}
			return out
		}
		got, whole := losers(ledger.ArticleConflicts(beside, journal.CompensationSuffix)), losers(ledger.ArticleConflicts(all, journal.CompensationSuffix))
		if len(got) != wantConflicts || !slices.Equal(got, whole) {
			t.Fatalf("%s: conflicts from ClaimsBeside %+v, from Claims %+v; want %d", stage, got, whole, wantConflicts)
		}
	}
	check("both blocks live", 1)
	// The older block cancelled: its compensation's keys ('<id>~') send
	// article 2 to the journal still, where the two net to nothing.
	arts, rs, err := st.BlockRows(ctx, older)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := st.VersionTags(ctx, journal.MarkerRefs(arts))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.WriteJournal(ctx, journal.Compensation(older, arts, rs, tags)); err != nil {
		t.Fatal(err)
	}
	check("the older block cancelled", 0)
}
