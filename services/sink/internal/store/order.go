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

// uuidHalves returns a canonical UUID's two 64-bit halves (lo: the last
// 16 hex digits), ok false for any other string.
func uuidHalves(s string) (lo, hi uint64, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return 0, 0, false
	}
	hex := func(s string, v uint64) (uint64, bool) {
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case '0' <= c && c <= '9':
				v = v<<4 | uint64(c-'0')
			case 'a' <= c && c <= 'f':
				v = v<<4 | uint64(c-'a'+10)
			case 'A' <= c && c <= 'F':
				v = v<<4 | uint64(c-'A'+10)
			default:
				return 0, false
			}
		}
		return v, true
	}
	var okA, okB, okC, okD, okE bool
	hi, okA = hex(s[0:8], 0)
	hi, okB = hex(s[9:13], hi)
	hi, okC = hex(s[14:18], hi)
	lo, okD = hex(s[19:23], 0)
	lo, okE = hex(s[24:36], lo)
	return lo, hi, okA && okB && okC && okD && okE
}

// rawKey is what the raw tables sort an article by: its event time (to the
// second), its id as ClickHouse orders UUIDs, its tagger version; i is its
// index in the batch, the last tie-break (a total order: no stable sort
// needed). size and parts are what blocks needs of it, computed in the
// batch's order with the rest: walking the articles in time order, which
// is not the order they sit in memory, cost more than the sort.
type rawKey struct {
	secs   int64
	lo, hi uint64
	i      int
	size   int
	parts  [2]int
}

// rawKeys returns arts' keys; parsed is false when an id is not a
// canonical UUID (then the ids compare as strings, compareUUID).
func rawKeys(arts []*event.Enriched) (keys []rawKey, parsed bool) {
	keys, parsed = make([]rawKey, len(arts)), true
	for i, e := range arts {
		lo, hi, ok := uuidHalves(e.ArticleID)
		parsed = parsed && ok
		t := e.EventTime()
		keys[i] = rawKey{secs: t.Unix(), lo: lo, hi: hi, i: i, size: rawBytes(e), parts: partitionKeys(t)}
	}
	return keys, parsed
}

// compareByID orders keys by id, tagger version and index.
func compareByID(a, c *rawKey, arts []*event.Enriched, parsed bool) int {
	if parsed {
		if n := cmp.Compare(a.lo, c.lo); n != 0 {
			return n
		}
		if n := cmp.Compare(a.hi, c.hi); n != 0 {
			return n
		}
	} else if n := compareUUID(arts[a.i].ArticleID, arts[c.i].ArticleID); n != 0 {
		return n
	}
	if n := strings.Compare(arts[a.i].TaggerVersion, arts[c.i].TaggerVersion); n != 0 {
		return n
	}
	return cmp.Compare(a.i, c.i)
}

// byTime returns arts' keys in the entities table's order: event time to
// the second, id, tagger version; parsed as rawKeys.
func byTime(arts []*event.Enriched) (keys []rawKey, parsed bool) {
	keys, parsed = rawKeys(arts)
	slices.SortFunc(keys, func(a, c rawKey) int {
		if n := cmp.Compare(a.secs, c.secs); n != 0 {
			return n
		}
		return compareByID(&a, &c, arts, parsed)
	})
	return keys, parsed
}

// byID returns a run's articles (and their sources) in the articles
// table's order, sorting the keys blocks made.
func byID(r run) ([]*event.Enriched, []Source) {
	keys := slices.Clone(r.keys)
	slices.SortFunc(keys, func(a, c rawKey) int { return compareByID(&a, &c, r.arts, r.parsed) })
	arts, srcs := make([]*event.Enriched, len(keys)), make([]Source, len(keys))
	for i, k := range keys {
		arts[i], srcs[i] = r.arts[k.i], r.srcs[k.i]
	}
	return arts, srcs
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
