package journal

import (
	"cmp"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/event"
	"github.com/tension-dev/tension/pkg/tension"
)

func article(id, version string, ts time.Time, dyads ...event.Dyad) *event.Enriched {
	return &event.Enriched{ArticleID: id, TaggerVersion: version, PublishedAt: ts, Tags: event.Tags{Dyads: dyads}}
}

var t0 = time.Date(2025, 4, 9, 13, 47, 31, 0, time.UTC)

func esc(score float64) event.Dyad {
	return event.Dyad{Pair: "CN-US", Tension: score, Direction: event.DirectionEscalation, Cues: []event.Cue{{Weight: 2}}}
}

// sum adds up bucket rows the way the query service does: a row in the
// current view too (InCurrent) counts in both views.
func sum(rows []Row, g tension.Granularity, pair, version string) tension.Parts {
	var p tension.Parts
	for _, r := range rows {
		if r.Kind == KindBucket && r.Granularity == string(g) && r.Pair == pair && slices.Contains(r.Views(), version) {
			p.Add(r.Parts)
		}
	}
	return p
}

func TestNewArticlesCountOnceInEveryGranularity(t *testing.T) {
	b := NewBuilder()
	b.Add(article("a", "v1", t0, esc(0.5)), nil)
	b.Add(article("b", "v1", t0.Add(time.Hour)), nil)
	rows := b.Rows("blk")
	for _, g := range tension.Granularities {
		for _, v := range []string{CurrentView, "v1"} {
			all := sum(rows, g, tension.AllPair, v)
			if all.Articles != 2 {
				t.Errorf("%s/%q: articles = %d, want 2", g, v, all.Articles)
			}
			cnus := sum(rows, g, "CN-US", v)
			if cnus.DyadArticles != 1 || cnus.Escalating != 1 || cnus.SumScore != 0.5 || cnus.SumWeight != 2 {
				t.Errorf("%s/%q: CN-US parts = %+v", g, v, cnus)
			}
		}
	}
	// Two hour buckets, one day bucket for "*" in the current view, each
	// one row for both views.
	var hours, days int
	for _, r := range rows {
		if r.Kind == KindBucket && r.Pair == "*" && r.TaggerVersion == "v1" && r.InCurrent {
			switch r.Granularity {
			case "hour":
				hours++
			case "day":
				days++
			}
		}
	}
	if hours != 2 || days != 1 {
		t.Fatalf("hour rows %d, day rows %d; want 2 and 1", hours, days)
	}
}

func TestDuplicateUnderSameVersionAddsNothing(t *testing.T) {
	b := NewBuilder()
	got := b.Add(article("a", "v1", t0, esc(0.5)), &Prior{Versions: map[string]bool{"v1": true}})
	if got != Duplicate || !b.Empty() {
		t.Fatalf("outcome %v, empty %v; want Duplicate and empty", got, b.Empty())
	}
}

func TestRecountMovesCurrentViewAndKeepsOldVersion(t *testing.T) {
	first := NewBuilder()
	first.Add(article("a", "v1", t0, esc(0.5)), nil)
	rows := first.Rows("b1")

	// What the journal holds for "a" in the current view.
	var prior Prior
	prior.Versions = map[string]bool{"v1": true}
	for _, r := range rows {
		if r.Kind == KindArticle && slices.Contains(r.Views(), CurrentView) {
			prior.Current = append(prior.Current, Contribution{Pair: r.Pair, Bucket: r.Bucket, Cell: r.Cell, Parts: r.Parts})
		}
	}
	second := NewBuilder()
	deesc := event.Dyad{Pair: "CN-US", Tension: -0.4, Direction: event.DirectionDeescalation}
	if got := second.Add(article("a", "v2", t0, deesc), &prior); got != Recounted {
		t.Fatalf("outcome %v, want Recounted", got)
	}
	rows = append(rows, second.Rows("b2")...)
	for _, g := range tension.Granularities {
		cur := sum(rows, g, "CN-US", CurrentView)
		if cur.DyadArticles != 1 || cur.Escalating != 0 || cur.Deescalating != 1 || cur.SumScore != -0.4 {
			t.Errorf("%s current CN-US = %+v, want one de-escalating article", g, cur)
		}
		if all := sum(rows, g, "*", CurrentView); all.Articles != 1 {
			t.Errorf("%s current articles = %d, want 1", g, all.Articles)
		}
		if v1 := sum(rows, g, "CN-US", "v1"); v1.Escalating != 1 {
			t.Errorf("%s v1 view lost: %+v", g, v1)
		}
		if v2 := sum(rows, g, "CN-US", "v2"); v2.Deescalating != 1 {
			t.Errorf("%s v2 view = %+v", g, v2)
		}
	}
}

func TestCoverSplitsLongRanges(t *testing.T) {
	b := NewBuilder()
	b.Cover("t@id", 2, 10, 15)
	b.Cover("t@id", 3, 7, 7) // nothing read: no row
	b.Cover("t@id", 4, 0, 2*MaxRange+1)
	rows := b.Rows("blk")
	want := [][2]int64{{10, 15}, {0, MaxRange}, {MaxRange, 2 * MaxRange}, {2 * MaxRange, 2*MaxRange + 1}}
	if len(rows) != len(want) {
		t.Fatalf("rows = %+v", rows)
	}
	for i, r := range rows {
		if r.Kind != KindRange || r.Key != "t@id" || r.Block != "blk" || r.Entries != 1 ||
			r.SrcOffset != want[i][0] || r.Position != want[i][1] {
			t.Errorf("row %d = %+v, want range %v", i, r, want[i])
		}
	}
}

// total sums rows by their full key (what a reader's GROUP BY sees),
// leaving out the entries of bucket and cell rows, which count revisions.
// Bucket and cell rows are summed in each of their views (expandViews);
// article rows are kept in the form they were written.
func total(rows []Row) map[Row]tension.Parts {
	out := map[Row]tension.Parts{}
	for _, r := range expandViews(rows) {
		k := Row{Kind: r.Kind, Key: r.Key, Granularity: r.Granularity, Pair: r.Pair, TaggerVersion: r.TaggerVersion,
			Bucket: r.Bucket, SrcPartition: r.SrcPartition, SrcOffset: r.SrcOffset, InCurrent: r.InCurrent}
		p := out[k]
		p.Add(r.Parts)
		if r.Kind != KindBucket && r.Kind != KindCell {
			p.Articles += 1000 * r.Entries // entries must cancel too
		}
		if r.Kind == KindRange {
			p.Mixed += r.Position
		}
		out[k] = p
	}
	return out
}

// expandViews returns rows with each bucket, cell and rollup row in the
// current view too (InCurrent) as the two rows it stands for, one per view
// (a rollup row under its key there, RollupViewKey), as the readers expand
// it (migration 0014); article rows as they were written.
func expandViews(rows []Row) []Row {
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		if r.Kind == KindArticle || r.Kind == KindRange || !r.InCurrent {
			out = append(out, r)
			continue
		}
		for _, v := range r.Views() {
			c := r
			c.TaggerVersion, c.InCurrent = v, false
			if r.Kind == KindEntity || r.Kind == KindCue {
				c.Key = RollupViewKey(r.Key, r.Pair, v)
			}
			out = append(out, c)
		}
	}
	return out
}

func nearZero(p tension.Parts) bool {
	return p.Articles == 0 && p.DyadArticles == 0 && p.Escalating == 0 && p.Deescalating == 0 && p.Mixed == 0 &&
		math.Abs(p.SumScore) < 1e-9 && math.Abs(p.SumWeight) < 1e-9
}

// A block and its compensation sum to nothing in every row a reader sums:
// buckets of every granularity, articles, ranges.
func TestCompensationCancelsTheBlock(t *testing.T) {
	b := NewBuilder()
	b.Add(article("a", "v1", t0, esc(0.5)), nil)
	b.Add(article("b", "v1", t0.Add(90*time.Minute), esc(0.25), event.Dyad{Pair: "JP-US", Tension: -0.3, Direction: event.DirectionDeescalation}), nil)
	prior := &Prior{Versions: map[string]bool{"v1": true}, Current: Contributions(article("c", "v1", t0, esc(0.7)))}
	b.Add(article("c", "v2", t0, esc(-0.2)), prior) // a recount in the same minute: rows of one key merge
	b.Cover("t@id", 0, 5, 9)
	b.Cover("t@id", 3, 100, 120)
	stored := tagsOf(article("a", "v1", t0, esc(0.5)), article("c", "v1", t0, esc(0.7)), article("c", "v2", t0, esc(-0.2)),
		article("b", "v1", t0.Add(90*time.Minute), esc(0.25), event.Dyad{Pair: "JP-US", Tension: -0.3, Direction: event.DirectionDeescalation}))
	b.Retract(stored) // c's v1, counted by an earlier block
	rows := b.Rows("0000000007-x")
	articles, ranges := articlesAndRanges(rows)
	comp := Compensation("0000000007-x", articles, ranges, stored)
	for k, p := range total(append(append([]Row{}, rows...), comp...)) {
		if !nearZero(p) {
			t.Errorf("%s %s %s %q %v p%d@%d: block + compensation = %+v", k.Kind, k.Key, k.Granularity, k.TaggerVersion, k.Bucket, k.SrcPartition, k.SrcOffset, p)
		}
	}
	for _, r := range comp {
		switch r.Kind {
		case KindArticle:
			if r.Block != "0000000007-x"+CompensationSuffix {
				t.Errorf("compensating article row under block %q", r.Block)
			}
		case KindRange:
			if r.Block != "0000000007-x" || r.Entries != -1 {
				t.Errorf("compensating range row %+v: want the loser's id and entries -1", r)
			}
		case KindBucket, KindCell:
			if r.Entries != 1 {
				t.Errorf("compensating bucket row has entries %d: every change adds one revision", r.Entries)
			}
		}
	}
	again := Compensation("0000000007-x", articles, ranges, stored)
	if !reflect.DeepEqual(comp, again) {
		t.Fatal("compensation is not deterministic: two compensators would not write identical blocks")
	}
}

// A block's bucket rows are the rollup of its article rows: what lets a
// compensation derive the buckets from the article rows it reads back.
func TestBucketRowsAreTheRollupOfArticleRows(t *testing.T) {
	b := NewBuilder()
	b.Add(article("a", "v1", t0, esc(0.5)), nil)
	b.Add(article("b", "v2", t0.Add(26*time.Hour), esc(0.25)), nil)
	prior := &Prior{Versions: map[string]bool{"v1": true}, Current: Contributions(article("c", "v1", t0.Add(-time.Hour), esc(0.7)))}
	b.Add(article("c", "v2", t0, esc(-0.2)), prior)
	var buckets, articles []Row
	for _, r := range b.Rows("x") {
		switch r.Kind {
		case KindBucket, KindCell:
			buckets = append(buckets, r)
		case KindArticle:
			articles = append(articles, r)
		}
	}
	got, want := total(BucketRows(articles)), total(buckets)
	if len(got) != len(want) {
		t.Fatalf("%d rollup buckets, %d block buckets", len(got), len(want))
	}
	for k, p := range want {
		g := got[k]
		g.Add(p.Neg())
		if !nearZero(g) {
			t.Errorf("%s %s %q %v: rollup differs by %+v", k.Granularity, k.Pair, k.TaggerVersion, k.Bucket, g)
		}
	}
}

func TestArticleWithoutPublishedAtUsesReceivedAt(t *testing.T) {
	e := &event.Enriched{ArticleID: "x", ReceivedAt: t0}
	c := Contributions(e)
	// "*" in its language cell ("und": the record has no lang), with the
	// version's marker.
	if len(c) != 1 || c[0].Pair != "*" || c[0].Cell != "||und" || c[0].Marker != "@" || !c[0].Bucket.Equal(t0.Truncate(time.Minute)) {
		t.Fatalf("contributions = %+v", c)
	}
}

// tagsOf is what the raw tables hold for the articles.
func tagsOf(es ...*event.Enriched) map[VersionRef]*Tags {
	out := map[VersionRef]*Tags{}
	for _, e := range es {
		out[VersionRef{e.ArticleID, e.TaggerVersion}] = TagsOf(e)
	}
	return out
}

// For random batches with recounts, older versions and duplicates of the
// same article, a block holds each article row's key once, in the order of
// sortArticles, and its bucket rows are the rollup of its article rows.
func TestBlockRowsOfRandomBatches(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	for round := range 50 {
		b := NewBuilder()
		priors := map[string]*Prior{}
		for range 40 {
			e := randomTagged(r, []string{"v1", "v2", "v3"}[r.IntN(3)])
			if r.IntN(4) == 0 { // minutes and days before 1970 round down too
				e.PublishedAt = time.Date(1969, 12, 31, 23, 59, 30, 0, time.UTC).Add(time.Duration(r.IntN(3)) * 20 * time.Hour)
			}
			b.Count(e, priors)
		}
		var buckets, articles []Row
		for _, row := range b.Rows("0000000003-r") {
			switch row.Kind {
			case KindBucket, KindCell:
				buckets = append(buckets, row)
			case KindArticle:
				articles = append(articles, row)
			}
		}
		sorted := slices.Clone(articles)
		sortArticles(sorted)
		if !reflect.DeepEqual(sorted, articles) {
			t.Fatalf("round %d: article rows not in the order of sortArticles", round)
		}
		for i := 1; i < len(articles); i++ {
			a, c := articles[i-1], articles[i]
			if a.Key == c.Key && a.Pair == c.Pair && a.TaggerVersion == c.TaggerVersion && a.Bucket.Equal(c.Bucket) && a.InCurrent == c.InCurrent && a.Cell == c.Cell && a.Marker == c.Marker {
				t.Fatalf("round %d: key %s %s %q %v twice", round, a.Key, a.Pair, a.TaggerVersion, a.Bucket)
			}
		}
		got, want := total(naiveBuckets(articles)), total(buckets)
		if len(got) != len(want) {
			t.Fatalf("round %d: %d rollup buckets, %d block buckets", round, len(got), len(want))
		}
		for k, p := range want {
			g := got[k]
			g.Add(p.Neg())
			if !nearZero(g) {
				t.Fatalf("round %d %s %s %q %v: rollup differs by %+v", round, k.Granularity, k.Pair, k.TaggerVersion, k.Bucket, g)
			}
		}
	}
}

// naiveBuckets rolls article rows up into every granularity the plain
// way, one bucket per row and granularity (Granularity.Truncate), as the
// oracle of the builder's sorted runs of minutes.
func naiveBuckets(articles []Row) []Row {
	var out []Row
	for _, r := range articles {
		for _, r := range r.OwnRows() {
			if _, ok := MarkerVersion(r.Pair); ok {
				continue
			}
			pair, cell := tension.SplitCellPair(r.Pair)
			kind := KindBucket
			if cell != "" {
				kind = KindCell
			}
			for _, v := range r.Views() {
				for _, g := range tension.Granularities {
					out = append(out, Row{Kind: kind, Key: cell, Granularity: string(g), Pair: pair, TaggerVersion: v,
						Bucket: g.Truncate(r.Bucket), Entries: 1, Parts: r.Parts})
				}
			}
		}
	}
	return out
}

func TestFloorTo(t *testing.T) {
	for _, tt := range []struct{ sec, width, want int64 }{
		{0, 60, 0}, {59, 60, 0}, {60, 60, 60}, {3599, 3600, 0}, {-1, 60, -60}, {-60, 60, -60}, {-61, 60, -120}, {-86401, 86400, -172800},
	} {
		if got := floorTo(tt.sec, tt.width); got != tt.want {
			t.Errorf("floorTo(%d, %d) = %d, want %d", tt.sec, tt.width, got, tt.want)
		}
		ts := time.Unix(tt.sec, 0).UTC()
		if g := time.Unix(tt.want, 0).UTC(); !g.Equal(ts.Truncate(time.Duration(tt.width) * time.Second)) {
			t.Errorf("floorTo(%d, %d) disagrees with time.Truncate", tt.sec, tt.width)
		}
	}
}

// articlesAndRanges returns a block's article rows and range rows: what a
// compensation reads back of it.
func articlesAndRanges(rows []Row) (articles, ranges []Row) {
	for _, r := range rows {
		switch r.Kind {
		case KindArticle:
			articles = append(articles, r)
		case KindRange:
			ranges = append(ranges, r)
		}
	}
	return articles, ranges
}

// TestRangeKeySortsAsItsNumbers: the ledger's read bounds a partition's
// ranges by RangeKey(p, from) and RangeKey(p, math.MaxInt64), which finds
// them only if the strings sort as (partition, offset) do — at the edges
// of both types too — and a range row carries its key in pair.
func TestRangeKeySortsAsItsNumbers(t *testing.T) {
	type key struct {
		p int32
		o int64
	}
	keys := []key{{0, 0}, {0, 1}, {0, 9}, {0, 10}, {0, MaxRange}, {0, math.MaxInt64}, {1, 0}, {9, 99}, {10, 0},
		{math.MaxInt32, 0}, {math.MaxInt32, math.MaxInt64}}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		keys = append(keys, key{r.Int32N(1 << r.IntN(31)), r.Int64N(1 << r.IntN(63))})
	}
	for i, a := range keys {
		for _, b := range keys[max(0, i-50):] {
			want := cmp.Or(cmp.Compare(a.p, b.p), cmp.Compare(a.o, b.o))
			if got := strings.Compare(RangeKey(a.p, a.o), RangeKey(b.p, b.o)); got != want {
				t.Fatalf("RangeKey(%d, %d) vs RangeKey(%d, %d): %d, want %d", a.p, a.o, b.p, b.o, got, want)
			}
		}
	}
	b := NewBuilder()
	b.Cover("enriched@x", 3, 5, 5+MaxRange+7)
	rows := b.Rows("blk")
	var got []string
	for _, row := range rows {
		if row.Kind == KindRange {
			got = append(got, row.Pair)
		}
	}
	if want := []string{RangeKey(3, 5), RangeKey(3, 5+MaxRange)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("range rows' pairs %q, want %q", got, want)
	}
}
