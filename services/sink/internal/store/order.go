package store

import (
	"cmp"
	"slices"
	"strings"

	"github.com/tension-dev/tension/pkg/event"
)

// The raw tables' blocks go in the order of each table's sorting key
// (migration 0001): the server checks whether an inserted block is sorted
// and sorts it only when it is not, and that sort was a third to two thirds
// of an INSERT's CPU (100,000-row blocks from a Memory table, one thread,
// clickhouse-client on 18.16: articles 380 → 260 ms, entities 330 → 145,
// cues 543 → 195). Each table's order:
//
//	articles  (article_id, tagger_version)
//	entities  (published_at, article_id, tagger_version, idx)
//	dyads     (pair, published_at, article_id, tagger_version)
//	cues      (pair, published_at, article_id, tagger_version, idx)
//
// published_at is a DateTime (seconds). An order the server does not share
// (a non-canonical id, say) costs only its sort, never a row.

// compareUUID orders canonical UUID strings as ClickHouse orders UUIDs: by
// their last 64 bits, then their first (a UUID is two UInt64 halves, the
// low one compared first), each half as its hex digits read. Other strings
// compare as strings.
func compareUUID(a, b string) int {
	if len(a) != 36 || len(b) != 36 {
		return strings.Compare(a, b)
	}
	if n := strings.Compare(a[19:], b[19:]); n != 0 {
		return n
	}
	return strings.Compare(a[:18], b[:18])
}

// byTime returns the indexes of arts in the entities table's order: event
// time to the second, id, tagger version.
func byTime(arts []*event.Enriched) []int {
	secs := make([]int64, len(arts))
	order := make([]int, len(arts))
	for i, e := range arts {
		secs[i], order[i] = e.EventTime().Unix(), i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if n := cmp.Compare(secs[a], secs[b]); n != 0 {
			return n
		}
		return compareIDs(arts[a], arts[b])
	})
	return order
}

// compareIDs orders articles by id, then tagger version.
func compareIDs(a, b *event.Enriched) int {
	if n := compareUUID(a.ArticleID, b.ArticleID); n != 0 {
		return n
	}
	return strings.Compare(a.TaggerVersion, b.TaggerVersion)
}

// byID returns a run's articles (and their sources) in the articles
// table's order.
func byID(arts []*event.Enriched, srcs []Source) ([]*event.Enriched, []Source) {
	order := make([]int, len(arts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return compareIDs(arts[a], arts[b]) })
	sortedArts, sortedSrcs := make([]*event.Enriched, len(arts)), make([]Source, len(arts))
	for i, j := range order {
		sortedArts[i], sortedSrcs[i] = arts[j], srcs[j]
	}
	return sortedArts, sortedSrcs
}

// dyadRef is one dyad of a run's article.
type dyadRef struct {
	e *event.Enriched
	d *event.Dyad
}

// byPair returns the dyads of a run (taken in time order) in the dyads and
// cues tables' order: pair, then the run's order.
func byPair(arts []*event.Enriched) []dyadRef {
	n := 0
	for _, e := range arts {
		n += len(e.Dyads)
	}
	refs := make([]dyadRef, 0, n)
	for _, e := range arts {
		for i := range e.Dyads {
			refs = append(refs, dyadRef{e, &e.Dyads[i]})
		}
	}
	slices.SortStableFunc(refs, func(a, b dyadRef) int { return strings.Compare(a.d.Pair, b.d.Pair) })
	return refs
}
