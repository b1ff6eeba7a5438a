package store

import (
	"time"

	"github.com/tension-dev/tension/pkg/event"
)

// DefaultBlockBytes bounds one INSERT block of the raw tables. clickhouse-go
// holds what it sends about three times (column buffers, the encoded block,
// its LZ4 copy; rawChunkRows rows at a time, which for 1 MB articles is the
// whole block), so without a bound a batch of 1 MB articles costs three
// times the batch on top of the batch itself. It
// equals the sink's default batch budget, so a default batch is one INSERT
// per table: every block creates a part per partition it touches, the
// server's largest cost per insert.
const DefaultBlockBytes = 32 << 20

// DefaultMaxPartitions is how many partitions one INSERT block of a raw
// table may span when the server does not say: the default of ClickHouse's
// max_partitions_per_insert_block (100), which refuses a block spanning more
// (the raw tables are partitioned by month: 101 months is a little over 8
// years of backfill). 18.16 has no such setting and no limit; 25.x has it,
// and the store reads it from system.settings when it is there.
const DefaultMaxPartitions = 100

// rowOverhead is what a row weighs besides its strings (numbers, dates,
// array headers), so a block of many tiny rows is bounded too.
const rowOverhead = 64

// rawBytes estimates what an article weighs in the raw tables' blocks: its
// strings and a fixed overhead per row it writes.
func rawBytes(e *event.Enriched) int {
	n := rowOverhead + len(e.ArticleID) + len(e.TaggerVersion) + len(e.URL) + len(e.Source) + len(e.Title) + len(e.Text)
	for _, s := range e.Countries {
		n += len(s)
	}
	for _, s := range e.Topics {
		n += len(s)
	}
	for _, en := range e.Entities {
		n += rowOverhead + len(en.Text) + len(en.Canonical) + len(en.Country)
	}
	for _, d := range e.Dyads {
		n += 2*rowOverhead + 2*len(d.Pair)
		for _, c := range d.Cues {
			n += rowOverhead + len(c.Text) + len(c.Category) + len(c.Actor) + len(c.Target) + len(c.Source) + len(c.SourceType)
		}
	}
	return n
}

// The server computes a row's partition, toYYYYMM(published_at), in its own
// time zone, which is anywhere from UTC-12 to UTC+14. An article within
// those hours of a month's edge is therefore counted in both months: a run
// never spans more partitions than allowed, whatever the server's zone.
const (
	zoneWest = 12 * time.Hour
	zoneEast = 14 * time.Hour
)

// monthKey is toYYYYMM of t in UTC.
func monthKey(t time.Time) int {
	t = t.UTC()
	return t.Year()*100 + int(t.Month())
}

// partitionKeys are the months the rows of an article of event time t may
// be stored in.
func partitionKeys(t time.Time) [2]int {
	return [2]int{monthKey(t.Add(-zoneWest)), monthKey(t.Add(zoneEast))}
}

// run is a set of articles written as one INSERT block per raw table, with
// their sort keys (keys[i] is arts[i]'s; parsed: every id a canonical UUID),
// so that the articles table's order (byID) reuses them.
type run struct {
	arts   []*event.Enriched
	srcs   []Source
	keys   []rawKey
	parsed bool
}

// blocks cuts a batch into runs, each within maxBytes (see rawBytes) and
// spanning at most maxParts monthly partitions (maxParts <= 0: no limit).
// Articles are taken in time order (byTime), so a batch spanning N months
// needs about N / maxParts runs whatever its order, and each run is in the
// order the entities table sorts by (see rawOrder). An article over maxBytes
// is a run of its own: it is written, never refused.
func blocks(arts []*event.Enriched, srcs []Source, maxBytes, maxParts int) []run {
	keys, parsed := byTime(arts)
	var (
		out   []run
		cur   = run{parsed: parsed}
		size  int
		parts = map[int]bool{}
	)
	for _, k := range keys {
		parts[k.parts[0]], parts[k.parts[1]] = true, true
		if len(cur.arts) > 0 && (size+k.size > maxBytes || (maxParts > 0 && len(parts) > maxParts)) {
			out = append(out, cur)
			cur, size = run{parsed: parsed}, 0
			clear(parts)
			parts[k.parts[0]], parts[k.parts[1]] = true, true
		}
		cur.arts = append(cur.arts, arts[k.i])
		cur.srcs = append(cur.srcs, srcs[k.i])
		k.i = len(cur.keys)
		cur.keys = append(cur.keys, k)
		size += k.size
	}
	if len(cur.arts) > 0 {
		out = append(out, cur)
	}
	return out
}
