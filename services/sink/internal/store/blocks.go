package store

import "github.com/tension-dev/tension/pkg/event"

// DefaultBlockBytes bounds one INSERT block of the raw tables. clickhouse-go
// holds a block about three times while it sends it (column buffers, the
// encoded block, its LZ4 copy), so without a bound a batch of 1 MB
// articles costs three times the batch on top of the batch itself.
const DefaultBlockBytes = 16 << 20

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

// blocks cuts arts into consecutive runs, each written as one INSERT block
// per raw table: a run takes articles while it stays within maxBytes, and an
// article larger than maxBytes is a run of its own. It returns the end
// index of each run.
func blocks(arts []*event.Enriched, maxBytes int) []int {
	var ends []int
	size := 0
	for i, e := range arts {
		n := rawBytes(e)
		if size > 0 && size+n > maxBytes {
			ends = append(ends, i)
			size = 0
		}
		size += n
	}
	if len(arts) > 0 {
		ends = append(ends, len(arts))
	}
	return ends
}
