// Package ledger is the sink's offset ledger as ranges: which source
// offsets the journal counted, by which block, and what to do when two
// blocks counted the same offsets or the same article. It is pure: the
// store reads the rows, this decides.
//
// Every journal block records, per source partition, the offsets
// [from, to) it consumed, under its block id. A block id starts with the
// writer's fencing epoch — the consumer group generation it held — so ids
// order blocks by epoch. Normally the ranges of a partition are disjoint
// (one writer per partition per generation). Two live ranges that overlap
// mean two writers counted the same offsets: a sink that lost its
// partitions in a long pause and then flushed, or a replica that had not
// seen a block when another sink read it. Two live blocks counting the same
// article under the same view are the same kind of conflict across
// partitions (an article that moved partition when partitions were added).
// The rule is the same for both and depends only on the two ids, so every
// process that sees a conflict decides it the same way: the block with the
// higher id wins, the other is cancelled whole by a compensating block
// (journal.Compensation), which replicated tables store once however many
// processes write it.
package ledger

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Range is a live range of the ledger: offsets [From, To) of Partition,
// consumed by Block.
type Range struct {
	Partition int32
	From, To  int64
	Block     string
}

// LegacyBlock names the ledger a journal held before blocks had ids (one
// position per partition, counted from offset 0). It outranks every block:
// it is history that no writer can still be racing.
const LegacyBlock = ""

// NewBlockID returns a block id for a writer holding fencing epoch epoch:
// the epoch in 10 digits, the time in milliseconds and 32 random bits, all
// fixed width, so ids sort by epoch, then time.
func NewBlockID(epoch int32, now time.Time) string {
	var r [4]byte
	rand.Read(r[:])
	return fmt.Sprintf("%010d-%012x%s", max(epoch, 0), now.UnixMilli(), hex.EncodeToString(r[:]))
}

// Epoch returns the fencing epoch of a block id (-1 if it has none).
func Epoch(block string) int64 {
	if len(block) < 11 || block[10] != '-' {
		return -1
	}
	e, err := strconv.ParseInt(block[:10], 10, 64)
	if err != nil {
		return -1
	}
	return e
}

// Outranks reports whether block a wins a conflict with block b.
func Outranks(a, b string) bool {
	if a == LegacyBlock || b == LegacyBlock {
		return a == LegacyBlock && b != LegacyBlock
	}
	return a > b
}

// Ledger is the live ranges of some partitions.
type Ledger struct {
	ranges map[int32][]Range // by From, then Block
	union  map[int32][]span  // merged cover, by from
}

type span struct{ from, to int64 }

// New builds a ledger from live ranges (rows whose entries sum to more
// than zero).
func New(rs []Range) *Ledger {
	l := &Ledger{ranges: map[int32][]Range{}, union: map[int32][]span{}}
	for _, r := range rs {
		if r.To > r.From {
			l.ranges[r.Partition] = append(l.ranges[r.Partition], r)
		}
	}
	for p, list := range l.ranges {
		sort.Slice(list, func(i, j int) bool {
			if list[i].From != list[j].From {
				return list[i].From < list[j].From
			}
			return list[i].Block < list[j].Block
		})
		var u []span
		for _, r := range list {
			if n := len(u); n > 0 && r.From <= u[n-1].to {
				u[n-1].to = max(u[n-1].to, r.To)
				continue
			}
			u = append(u, span{r.From, r.To})
		}
		l.union[p] = u
	}
	return l
}

// Ranges returns the live ranges of partition p, by first offset.
func (l *Ledger) Ranges(p int32) []Range { return l.ranges[p] }

// Covered reports whether a live range of p holds offset off: a message
// there was counted already (a replay).
func (l *Ledger) Covered(p int32, off int64) bool {
	u := l.union[p]
	i := sort.Search(len(u), func(i int) bool { return u[i].to > off })
	return i < len(u) && u[i].from <= off
}

// Gap returns the first offset in [from, to) that no live range of p
// covers.
func (l *Ledger) Gap(p int32, from, to int64) (int64, bool) {
	off := from
	for _, s := range l.union[p] {
		if off >= to {
			return 0, false
		}
		if s.to <= off {
			continue
		}
		if s.from > off {
			return off, true
		}
		off = s.to
	}
	if off < to {
		return off, true
	}
	return 0, false
}

// Uncovered returns the parts of [from, to) of p that no live range covers,
// in order.
func (l *Ledger) Uncovered(p int32, from, to int64) []Range {
	var out []Range
	off := from
	for _, s := range l.union[p] {
		if off >= to {
			break
		}
		if s.to <= off {
			continue
		}
		if s.from > off {
			out = append(out, Range{Partition: p, From: off, To: min(s.from, to)})
		}
		off = max(off, s.to)
	}
	if off < to {
		out = append(out, Range{Partition: p, From: off, To: to})
	}
	return out
}

// End returns one past the last offset a live range of p covers, and false
// when p has none.
func (l *Ledger) End(p int32) (int64, bool) {
	u := l.union[p]
	if len(u) == 0 {
		return 0, false
	}
	return u[len(u)-1].to, true
}

// Conflict is two live blocks that counted the same thing; Loser is the
// one to cancel.
type Conflict struct {
	Winner, Loser string
	What          string   // for logs: the partition and offsets, or the article
	Articles      []string // an article conflict's article
}

// Age returns how long ago block was started (from the time in its id).
func Age(block string, now time.Time) time.Duration {
	if len(block) < 23 || block[10] != '-' {
		return 0
	}
	ms, err := strconv.ParseInt(block[11:23], 16, 64)
	if err != nil {
		return 0
	}
	return now.Sub(time.UnixMilli(ms))
}

// Overlaps returns the conflicts between live ranges of the same partition
// that share offsets. Each losing block is named once, by its strongest
// opponent.
func (l *Ledger) Overlaps() []Conflict {
	out := map[string]Conflict{}
	parts := make([]int32, 0, len(l.ranges))
	for p := range l.ranges {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	for _, p := range parts {
		list := l.ranges[p]
		for i := range list {
			for j := i + 1; j < len(list) && list[j].From < list[i].To; j++ {
				a, b := list[i], list[j]
				if a.Block == b.Block {
					continue
				}
				if Outranks(b.Block, a.Block) {
					a, b = b, a
				}
				what := fmt.Sprintf("partition %d offsets [%d, %d)", p, max(a.From, b.From), min(a.To, b.To))
				addConflict(out, Conflict{Winner: a.Block, Loser: b.Block, What: what})
			}
		}
	}
	return sorted(out)
}

func addConflict(out map[string]Conflict, c Conflict) {
	if c.Loser == LegacyBlock {
		return // never: the legacy ledger outranks every block
	}
	prev, ok := out[c.Loser]
	if ok {
		c.Articles = append(c.Articles, prev.Articles...)
		if !Outranks(c.Winner, prev.Winner) {
			c.Winner, c.What = prev.Winner, prev.What
		}
	}
	out[c.Loser] = c
}

func sorted(m map[string]Conflict) []Conflict {
	out := make([]Conflict, 0, len(m))
	for _, c := range m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Loser < out[j].Loser })
	return out
}

// Claim is what one block's article rows add to one article's count in one
// view (tagger version; "" is the current view): the sum of `articles` in
// the pair "*". Rows of a compensation (block + suffix) are claims of the
// block they cancel.
type Claim struct {
	Article, Version, Block string
	Count                   int64
}

// ArticleConflicts returns the blocks that counted an article twice in one
// view: wherever the live blocks' counts of an article in a view add up to
// more than one, every block adding to it but the highest-ranked loses.
// suffix is the mark of compensating rows (journal.CompensationSuffix).
//
// A view that only one claim speaks of has one adder at most, so it cannot
// conflict: those — nearly all of a batch's, its own block's — are only
// counted here, and the netting below runs on the views with several
// claims (a recount, a compensation, a zombie's block). The sink calls this
// after every batch with two claims per article it counted; netting them
// all took a map entry and a slice per claim.
func ArticleConflicts(claims []Claim, suffix string) []Conflict {
	type view struct{ article, version string }
	several := make(map[view]bool, len(claims))
	shared := 0
	for _, c := range claims {
		v := view{c.Article, c.Version}
		more, ok := several[v]
		switch {
		case !ok:
			several[v] = false
		case !more:
			several[v] = true
			shared += 2
		default:
			shared++
		}
	}
	if shared == 0 {
		return nil
	}
	among := make([]Claim, 0, shared)
	for _, c := range claims {
		if several[view{c.Article, c.Version}] {
			among = append(among, c)
		}
	}
	return netConflicts(among, suffix)
}

// netConflicts is ArticleConflicts on claims whose views each have
// several: it nets each block's claims (a compensation's with the block's)
// and finds the views counted more than once.
func netConflicts(claims []Claim, suffix string) []Conflict {
	type key struct{ article, version, block string }
	net := map[key]int64{}
	for _, c := range claims {
		net[key{c.Article, c.Version, strings.TrimSuffix(c.Block, suffix)}] += c.Count
	}
	type view struct{ article, version string }
	adders := map[view][]string{}
	total := map[view]int64{}
	for k, n := range net {
		v := view{k.article, k.version}
		total[v] += n
		if n > 0 {
			adders[v] = append(adders[v], k.block)
		}
	}
	out := map[string]Conflict{}
	for v, blocks := range adders {
		if total[v] <= 1 || len(blocks) < 2 {
			continue
		}
		best := blocks[0]
		for _, b := range blocks[1:] {
			if Outranks(b, best) {
				best = b
			}
		}
		for _, b := range blocks {
			if b != best {
				addConflict(out, Conflict{Winner: best, Loser: b, What: fmt.Sprintf("article %s counted %d times in view %q", v.article, total[v], v.version),
					Articles: []string{v.article}})
			}
		}
	}
	return sorted(out)
}
