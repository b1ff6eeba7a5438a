package ledger

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestCoverGapEnd(t *testing.T) {
	l := New([]Range{
		{0, 0, 10, "a"}, {0, 10, 15, "b"}, {0, 20, 30, "c"}, // a gap at [15, 20)
		{1, 5, 8, "d"},
		{2, 3, 3, "empty"}, // no offsets: ignored
	})
	cov := []struct {
		p    int32
		off  int64
		want bool
	}{{0, 0, true}, {0, 14, true}, {0, 15, false}, {0, 19, false}, {0, 20, true}, {0, 29, true}, {0, 30, false},
		{1, 4, false}, {1, 5, true}, {1, 8, false}, {2, 3, false}, {3, 0, false}}
	for _, c := range cov {
		if got := l.Covered(c.p, c.off); got != c.want {
			t.Errorf("Covered(%d, %d) = %v, want %v", c.p, c.off, got, c.want)
		}
	}
	gaps := []struct {
		p        int32
		from, to int64
		want     int64
		ok       bool
	}{{0, 0, 15, 0, false}, {0, 0, 16, 15, true}, {0, 16, 40, 16, true}, {0, 20, 30, 0, false}, {0, 20, 31, 30, true},
		{1, 0, 10, 0, true}, {1, 5, 8, 0, false}, {3, 7, 9, 7, true}, {0, 5, 5, 0, false}}
	for _, g := range gaps {
		got, ok := l.Gap(g.p, g.from, g.to)
		if got != g.want || ok != g.ok {
			t.Errorf("Gap(%d, %d, %d) = %d, %v; want %d, %v", g.p, g.from, g.to, got, ok, g.want, g.ok)
		}
	}
	if got := l.Uncovered(0, 5, 40); !reflect.DeepEqual(got, []Range{{0, 15, 20, ""}, {0, 30, 40, ""}}) {
		t.Errorf("Uncovered(0, 5, 40) = %v", got)
	}
	if got := l.Uncovered(0, 0, 15); got != nil {
		t.Errorf("Uncovered of a covered span = %v", got)
	}
	if got := l.Uncovered(1, 0, 6); !reflect.DeepEqual(got, []Range{{1, 0, 5, ""}}) {
		t.Errorf("Uncovered(1, 0, 6) = %v", got)
	}
	if e, ok := l.End(0); e != 30 || !ok {
		t.Errorf("End(0) = %d, %v", e, ok)
	}
	if _, ok := l.End(5); ok {
		t.Error("End of a partition without ranges")
	}
}

func TestBlockIDsSortByEpochThenTime(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ids := []string{NewBlockID(2, t0), NewBlockID(10, t0.Add(-time.Hour)), NewBlockID(10, t0), NewBlockID(123456789, t0)}
	for i := 1; i < len(ids); i++ {
		if !Outranks(ids[i], ids[i-1]) || Outranks(ids[i-1], ids[i]) {
			t.Errorf("%s should outrank %s", ids[i], ids[i-1])
		}
	}
	if Epoch(ids[1]) != 10 || Epoch("nonsense") != -1 {
		t.Errorf("Epoch(%s) = %d", ids[1], Epoch(ids[1]))
	}
	if !Outranks(LegacyBlock, ids[3]) || Outranks(ids[3], LegacyBlock) {
		t.Error("the legacy ledger must outrank every block")
	}
}

// A zombie (an older epoch) that wrote a range over the new owner's loses
// to every block it overlaps, and is named once.
func TestOverlapsZombieLoses(t *testing.T) {
	l := New([]Range{
		{0, 0, 100, "0000000005-a"},   // the zombie's last flush, from its stale read
		{0, 0, 40, "0000000006-b"},    // the new owner's blocks
		{0, 40, 90, "0000000006-c"},   //
		{0, 90, 150, "0000000006-d"},  //
		{1, 0, 10, "0000000006-e"},    // another partition, no conflict
		{1, 10, 20, "0000000006-f"},   //
		{2, 0, 50, LegacyBlock},       // the legacy ledger
		{2, 40, 60, "0000000001-old"}, // overlapping it: the block loses
	})
	got := l.Overlaps()
	want := []Conflict{
		{Winner: LegacyBlock, Loser: "0000000001-old", What: "partition 2 offsets [40, 50)"},
		{Winner: "0000000006-d", Loser: "0000000005-a", What: "partition 0 offsets [90, 100)"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestArticleConflicts(t *testing.T) {
	claims := []Claim{
		// x counted by two blocks in v1 and in the current view: the lower id loses.
		{"x", "v1", "0000000003-a", 1}, {"x", "", "0000000003-a", 1},
		{"x", "v1", "0000000003-b", 1}, {"x", "", "0000000003-b", 1},
		// y counted twice, but one of the two is already compensated.
		{"y", "v1", "0000000003-c", 1}, {"y", "v1", "0000000001-z", 1}, {"y", "v1", "0000000001-z~", -1},
		// z recounted: the old count and the recount's net zero in the current view.
		{"z", "v1", "0000000001-p", 1}, {"z", "", "0000000001-p", 1},
		{"z", "v2", "0000000002-q", 1}, {"z", "", "0000000002-q", 0},
	}
	got := ArticleConflicts(claims, "~")
	if len(got) != 1 || got[0].Loser != "0000000003-a" || got[0].Winner != "0000000003-b" {
		t.Fatalf("got %+v", got)
	}
}

// Property: one partition, owners changing epoch by epoch (each rebalance
// a new generation), each owner reading the ledger and inserting a block for
// the next offsets it does not cover — the first gap, else the end (the
// sink rewinds its reader to a gap); some owners pause after their read and
// insert after one or more rebalances (zombies). After every insert every
// conflict is resolved by cancelling losers. A cancelled zombie never leaves
// a hole; a cancelled block that a later owner had built on can, and the
// owner's next read finds it and fills it. At the end (the owner reading on
// until it finds no gap) the live ranges are disjoint and cover [0, end):
// no offset counted twice, none lost.
func TestPropertyZombiesLoseWithoutHoles(t *testing.T) {
	for seed := range uint64(400) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var live []Range
		type pending struct {
			r       Range
			landsAt int
		}
		var zombies []pending
		resolve := func() {
			for {
				cs := New(live).Overlaps()
				if len(cs) == 0 {
					return
				}
				lost := map[string]bool{}
				for _, c := range cs {
					lost[c.Loser] = true
				}
				var next []Range
				for _, r := range live {
					if !lost[r.Block] {
						next = append(next, r)
					}
				}
				live = next
			}
		}
		epoch := int32(1)
		for step := 0; step < 60; step++ {
			for i := 0; i < len(zombies); i++ {
				if zombies[i].landsAt == step {
					live = append(live, zombies[i].r)
					resolve()
				}
			}
			if rng.IntN(6) == 0 {
				epoch++ // a rebalance: the partition's owner now holds a new generation
			}
			r := next(New(live), 1+rng.Int64N(20), NewBlockID(epoch, time.Unix(int64(step), 0)))
			if rng.IntN(8) == 0 {
				// The owner pauses between its read and its insert; the group
				// moves on without it.
				epoch++
				zombies = append(zombies, pending{r, step + 1 + rng.IntN(10)})
				continue
			}
			live = append(live, r)
			resolve()
		}
		for _, z := range zombies { // late zombies land at the end
			if z.landsAt >= 60 {
				live = append(live, z.r)
				resolve()
			}
		}
		for step := 60; ; step++ { // the owner fills what is left
			l := New(live)
			end, _ := l.End(0)
			if _, ok := l.Gap(0, 0, end); !ok {
				break
			}
			if step > 200 {
				t.Fatalf("seed %d: gaps never filled", seed)
			}
			live = append(live, next(l, 5, NewBlockID(epoch, time.Unix(int64(step), 0))))
			resolve()
		}
		l := New(live)
		rs := l.Ranges(0)
		for i := 1; i < len(rs); i++ {
			if rs[i].From < rs[i-1].To {
				t.Fatalf("seed %d: %v and %v overlap", seed, rs[i-1], rs[i])
			}
		}
		end, _ := l.End(0)
		if g, ok := l.Gap(0, 0, end); ok {
			t.Fatalf("seed %d: offset %d lost (end %d): %v", seed, g, end, rs)
		}
	}
}

// next is the block an owner writes after reading l: the first gap (up to
// the next covered offset), else n offsets from the end.
func next(l *Ledger, n int64, block string) Range {
	end, _ := l.End(0)
	if g, ok := l.Gap(0, 0, end); ok {
		to := g + n
		for _, r := range l.Ranges(0) {
			if r.From > g && r.From < to {
				to = r.From
			}
		}
		return Range{0, g, to, block}
	}
	return Range{0, end, end + n, block}
}

// Property: skipping the views with one claim changes nothing — the
// answer is netConflicts' over all claims (the whole netting, as it ran
// before the shortcut), on random claims with recounts, compensations and
// zombies' blocks.
func TestPropertyArticleConflictsSkipsLoneClaims(t *testing.T) {
	for seed := range uint64(500) {
		rng := rand.New(rand.NewPCG(seed, 11))
		var claims []Claim
		articles := 1 + rng.IntN(30)
		for a := range articles {
			for _, version := range []string{"", "v1"} {
				for range 1 + rng.IntN(3) {
					block := fmt.Sprintf("%010d-%c", rng.IntN(4), 'a'+rune(rng.IntN(3)))
					if rng.IntN(5) == 0 {
						block = LegacyBlock
					}
					claims = append(claims, Claim{fmt.Sprint("art", a), version, block, int64(rng.IntN(3))})
					if rng.IntN(4) == 0 {
						claims = append(claims, Claim{fmt.Sprint("art", a), version, block + "~", -1})
					}
				}
			}
		}
		rng.Shuffle(len(claims), func(i, j int) { claims[i], claims[j] = claims[j], claims[i] })
		got, want := normalConflicts(ArticleConflicts(claims, "~")), normalConflicts(netConflicts(claims, "~"))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: %d claims\ngot  %+v\nwant %+v", seed, len(claims), got, want)
		}
	}
}

// normalConflicts puts each conflict's articles in order and drops its
// What, and makes no conflicts an empty slice: both come in map order (a
// loser of several views with equal winners is described by either).
func normalConflicts(cs []Conflict) []Conflict {
	out := []Conflict{}
	for _, c := range cs {
		c.Articles = slices.Sorted(slices.Values(c.Articles))
		c.What = ""
		out = append(out, c)
	}
	return out
}

// BenchmarkArticleConflicts is a sink batch's check: 10,000 articles
// counted in two views by the batch's block, 1 % of them recounted
// (compensated) earlier.
func BenchmarkArticleConflicts(b *testing.B) {
	const n = 10_000
	var claims []Claim
	for a := range n {
		id := fmt.Sprintf("%08x-1111-2222-3333-444455556666", a)
		for _, version := range []string{"", "tagger-1.2.0"} {
			claims = append(claims, Claim{id, version, "0000000009-batch", 1})
			if a%100 == 0 {
				claims = append(claims, Claim{id, version, "0000000001-old", 1}, Claim{id, version, "0000000001-old~", -1})
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if got := ArticleConflicts(claims, "~"); len(got) != 0 {
			b.Fatalf("conflicts %+v", got)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/article")
}
