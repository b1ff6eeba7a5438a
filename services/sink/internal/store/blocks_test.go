package store

import (
	"fmt"
	"math/rand/v2"
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
	if k := partitionKeys(arts[1]); k[0] != 202402 || k[1] != 202402 {
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
