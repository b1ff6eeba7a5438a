package store

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tension-dev/tension/pkg/event"
)

var mid2024 = time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)

func textOf(n int) *event.Enriched {
	return &event.Enriched{Text: strings.Repeat("x", n), PublishedAt: mid2024}
}

func sources(n int) []Source {
	out := make([]Source, n)
	for i := range out {
		out[i] = Source{Offset: int64(i)}
	}
	return out
}

// offsets are the source offsets of each run: which articles went where.
func offsets(runs []run) [][]int64 {
	var out [][]int64
	for _, r := range runs {
		var o []int64
		for _, s := range r.srcs {
			o = append(o, s.Offset)
		}
		out = append(out, o)
	}
	return out
}

func TestBlocksBoundBytes(t *testing.T) {
	over := rowOverhead // what an article with only a text weighs besides it
	for _, tc := range []struct {
		name  string
		texts []int
		max   int
		want  [][]int64
	}{
		{"empty batch, no block", nil, 100, nil},
		{"all fit one block", []int{10, 10, 10}, 3 * (10 + over), [][]int64{{0, 1, 2}}},
		{"cut when the next would pass", []int{10, 10, 10}, 2*(10+over) + 5, [][]int64{{0, 1}, {2}}},
		{"an article over the budget is a block of its own", []int{10, 1000, 10}, 100, [][]int64{{0}, {1}, {2}}},
		{"only oversized articles", []int{500, 500}, 100, [][]int64{{0}, {1}}},
		{"oversized first", []int{1000, 10, 10}, 2 * (10 + over), [][]int64{{0}, {1, 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var arts []*event.Enriched
			for _, n := range tc.texts {
				arts = append(arts, textOf(n))
			}
			if got := offsets(blocks(arts, sources(len(arts)), tc.max, 0)); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("blocks = %v, want %v", got, tc.want)
			}
		})
	}
}

// spread returns one article per month for months months from 2010-01, in
// a shuffled order, dated mid-month.
func spread(months int) []*event.Enriched {
	arts := make([]*event.Enriched, months)
	for i := range arts {
		arts[i] = &event.Enriched{Text: "x", PublishedAt: time.Date(2010, time.Month(1+i), 15, 0, 0, 0, 0, time.UTC)}
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(arts), func(i, j int) { arts[i], arts[j] = arts[j], arts[i] })
	return arts
}

func TestBlocksBoundPartitions(t *testing.T) {
	arts := spread(15 * 12) // 15 years, shuffled
	runs := blocks(arts, sources(len(arts)), DefaultBlockBytes, DefaultMaxPartitions)
	if len(runs) != 2 {
		t.Fatalf("%d runs for 180 months at %d partitions per block, want 2", len(runs), DefaultMaxPartitions)
	}
	seen := map[int64]bool{}
	for i, r := range runs {
		months := map[int]bool{}
		for j, e := range r.arts {
			months[monthKey(e.PublishedAt)] = true
			seen[r.srcs[j].Offset] = true
		}
		if len(months) > DefaultMaxPartitions {
			t.Errorf("run %d spans %d months, over %d", i, len(months), DefaultMaxPartitions)
		}
	}
	if len(seen) != len(arts) {
		t.Fatalf("runs hold %d distinct articles, want %d", len(seen), len(arts))
	}
	if got := blocks(arts, sources(len(arts)), DefaultBlockBytes, unlimited); len(got) != 1 {
		t.Fatalf("no partition limit: %d runs, want 1", len(got))
	}
}

// TestBlocksCountEdgeOfMonthTwice: the server's time zone may put an
// article published near a month's edge in the next or previous month, so
// it counts for both.
func TestBlocksCountEdgeOfMonthTwice(t *testing.T) {
	at := func(s string) *event.Enriched {
		ts, _ := time.Parse(time.RFC3339, s)
		return &event.Enriched{Text: "x", PublishedAt: ts}
	}
	arts := []*event.Enriched{
		at("2024-01-31T23:00:00Z"), // January in UTC, February at UTC+1 and east
		at("2024-02-15T12:00:00Z"),
		at("2024-03-01T02:00:00Z"), // March in UTC, February at UTC-3 and west
		at("2024-03-15T12:00:00Z"),
	}
	got := offsets(blocks(arts, sources(len(arts)), DefaultBlockBytes, 2))
	if want := [][]int64{{0, 1}, {2, 3}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("runs %v, want %v", got, want)
	}
	if k := partitionKeys(arts[1].EventTime()); k[0] != 202402 || k[1] != 202402 {
		t.Fatalf("mid-month keys %v, want both 202402", k)
	}
}

func TestRawBytesCountsEveryRow(t *testing.T) {
	e := &event.Enriched{ArticleID: "id", Text: "abc", Tags: event.Tags{
		Entities: []event.Entity{{Text: "Beijing", Canonical: "Chinese government", Country: "CN"}},
		Dyads:    []event.Dyad{{Pair: "CN-US", Cues: []event.Cue{{Text: "raised tariffs", Actor: "US", Target: "CN"}}}},
	}}
	want := rowOverhead + 2 + 3 + // article
		rowOverhead + 7 + 18 + 2 + // entity
		2*rowOverhead + 2*5 + // dyad row and the pair on its cues
		rowOverhead + 14 + 2 + 2 // cue
	if got := rawBytes(e); got != want {
		t.Fatalf("rawBytes = %d, want %d", got, want)
	}
}

// The raw tables' orders on parsed UUID halves (the fast path) and on the
// strings (compareUUID, for ids of another shape) agree on canonical
// (lower-case) ids, many sharing a second or an id; a batch with an id of
// another shape is ordered by the strings.
func TestRawOrdersAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var arts []*event.Enriched
	for i := range 3000 {
		id := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xffff,
			rng.Uint32()&0xffff, rng.Uint64()&0xffffffffffff)
		if i%7 == 0 && len(arts) > 0 {
			id = arts[rng.IntN(len(arts))].ArticleID // the same article under another version, or time
		}
		at := time.Date(2025, 4, 9, 0, 0, rng.IntN(600), 0, time.UTC) // many in the same second
		arts = append(arts, &event.Enriched{ArticleID: id, TaggerVersion: fmt.Sprintf("tagger-1.%d.0", rng.IntN(3)), PublishedAt: at})
	}
	for _, batch := range [][]*event.Enriched{arts, append(slices.Clone(arts), &event.Enriched{ArticleID: "not-a-uuid", PublishedAt: arts[0].PublishedAt})} {
		strOrder := func(less func(a, b *event.Enriched) int) []*event.Enriched {
			out := slices.Clone(batch)
			slices.SortStableFunc(out, less)
			return out
		}
		byTimeStr := strOrder(func(a, b *event.Enriched) int {
			if n := cmp.Compare(a.EventTime().Unix(), b.EventTime().Unix()); n != 0 {
				return n
			}
			return compareIDs(a, b)
		})
		var got []*event.Enriched
		keys, _ := byTime(batch)
		for _, k := range keys {
			got = append(got, batch[k.i])
		}
		for i := range got {
			if cmp.Compare(got[i].EventTime().Unix(), byTimeStr[i].EventTime().Unix()) != 0 || compareIDs(got[i], byTimeStr[i]) != 0 {
				t.Fatalf("byTime: row %d is %s %s, the strings' order has %s %s", i, got[i].ArticleID, got[i].TaggerVersion, byTimeStr[i].ArticleID, byTimeStr[i].TaggerVersion)
			}
		}
		byIDStr := strOrder(compareIDs)
		runs := blocks(batch, make([]Source, len(batch)), 1<<40, 0)
		if len(runs) != 1 {
			t.Fatalf("%d runs, want 1", len(runs))
		}
		gotID, _ := byID(runs[0])
		for i := range gotID {
			if compareIDs(gotID[i], byIDStr[i]) != 0 {
				t.Fatalf("byID: row %d is %s, the strings' order has %s", i, gotID[i].ArticleID, byIDStr[i].ArticleID)
			}
		}
	}
	if lo, hi, ok := uuidHalves("0123456789AB-cdef-0123-4567-89abcdef0123"); ok {
		t.Fatalf("a malformed id parsed: %x %x", lo, hi)
	}
	if lo, hi, ok := uuidHalves("01234567-89AB-cdef-0123-456789abcdef"); !ok || hi != 0x0123456789abcdef || lo != 0x0123456789abcdef {
		t.Fatalf("uuidHalves = %x %x %v", lo, hi, ok)
	}
}

// compareIDs orders articles by id (as strings, compareUUID), then tagger
// version: the reference for the keys' order.
func compareIDs(a, b *event.Enriched) int {
	if n := compareUUID(a.ArticleID, b.ArticleID); n != 0 {
		return n
	}
	return strings.Compare(a.TaggerVersion, b.TaggerVersion)
}
