package store

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tension-dev/tension/pkg/event"
)

func textOf(n int) *event.Enriched { return &event.Enriched{Text: strings.Repeat("x", n)} }

func TestBlocksBoundBytes(t *testing.T) {
	over := rowOverhead // what an article with only a text weighs besides it
	for _, tc := range []struct {
		name  string
		texts []int
		max   int
		want  []int
	}{
		{"empty batch, no block", nil, 100, nil},
		{"all fit one block", []int{10, 10, 10}, 3 * (10 + over), []int{3}},
		{"cut when the next would pass", []int{10, 10, 10}, 2*(10+over) + 5, []int{2, 3}},
		{"an article over the budget is a block of its own", []int{10, 1000, 10}, 100, []int{1, 2, 3}},
		{"only oversized articles", []int{500, 500}, 100, []int{1, 2}},
		{"oversized first", []int{1000, 10, 10}, 2 * (10 + over), []int{1, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var arts []*event.Enriched
			for _, n := range tc.texts {
				arts = append(arts, textOf(n))
			}
			if got := blocks(arts, tc.max); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("blocks = %v, want %v", got, tc.want)
			}
		})
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
