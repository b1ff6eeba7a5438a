package tagger

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// wordMatcher is an Aho-Corasick automaton over words instead of bytes.
// Patterns are normalised token sequences and the text is a token sequence, so
// a pattern occurs exactly where its words equal consecutive tokens. Each
// token is looked up once in the vocabulary of pattern words (one hash and
// one slot of a perfect hash; a word no pattern uses sends the automaton
// back to the root), and
// the automaton steps once per token. Its tables are a few hundred kilobytes,
// so they stay in cache, where a byte-level DFA over the same patterns is
// megabytes and misses the cache on most bytes.
//
// Occurrences are reported in the same order as a byte-level Aho-Corasick scan
// would report them: by end token, longest first.
type wordMatcher struct {
	vocab []vslot           // perfect hash: each word has a slot of its own (vslotOf); len a power of two
	vmask uint64            // len(vocab) - 1
	vdisp *[vBuckets]uint16 // bucket (top bits of a word's hash) -> the displacement that places its words
	words string            // the vocabulary, concatenated
	wOff  []uint32          // word id -> offset of the word in words (and its end at id+1)

	rootNext []int32 // word id -> state after the root (0: none)
	// the steps as run takes them (buildDelta): (state, word) -> state
	// where it differs from rootNext[word], a perfect hash like vocab's
	dnext    []trans
	ddisp    *[dMaxBuckets]uint16 // bucket -> displacement; the buckets used are the first 1<<(64-dshift)
	dshift   uint                 // 64 - log2(the number of buckets)
	first    []int32              // state -> the first state whose pattern is reported there (itself or its dictLink), -1: none
	next     []trans              // (state, word) -> state: open addressing, len a power of two
	nmask    uint64
	nshift   uint        // 64 - log2(len(next))
	wbits    uint        // a transition key is state<<wbits | word
	st       []stateInfo // what a step reads of a state, packed in one cache line
	fail     []int32
	out      []int32    // state -> pattern ending here, or -1
	dictLink []int32    // state -> nearest proper-suffix state with out >= 0, or -1
	patToks  []int32    // pattern -> number of tokens
	byteID   [256]int32 // one-byte word -> id: the Chinese tokenizer's punctuation skips the hash
}

// stateInfo packs a state's links.
type stateInfo struct {
	out, dictLink, fail int32
	inner               bool // has children: a transition may leave it
}

// trans is a transition slot: key and target side by side, so a probe
// reads one cache line, not one in a key table and one in a value table;
// 8 bytes, so the table (64 KB) leaves room in the cache for the others.
type trans struct {
	key uint32 // tkey(state, word); 0: empty
	to  int32
}

// vslot is a vocabulary entry: the word's first eight bytes (little endian,
// zero padded), its length and id (0: empty slot). 16 bytes: the table
// (4096 slots today) is 64 KB.
type vslot struct {
	v  uint64
	n  uint32
	id int32
}

// wordKey loads the first eight bytes of w, zero padded, reading within w's
// capacity when it can instead of byte by byte.
func wordKey(w []byte) uint64 {
	if len(w) >= 8 {
		return binary.LittleEndian.Uint64(w)
	}
	if cap(w) >= 8 {
		return binary.LittleEndian.Uint64(w[:8]) & (1<<(8*uint(len(w))) - 1)
	}
	var v uint64
	for i, c := range w {
		v |= uint64(c) << (8 * i)
	}
	return v
}

// hashWord hashes a word from its key and length, and eight bytes at a time
// beyond. The vocabulary is fixed and the table at most half full, so any
// input costs a short probe.
func hashWord(v uint64, w []byte) uint64 {
	const k = 0x9E3779B97F4A7C15
	h := (v ^ uint64(len(w))) * k
	for w := w[min(8, len(w)):]; len(w) > 0; {
		h = (h ^ wordKey(w)) * k
		h ^= h >> 29
		w = w[min(8, len(w)):]
	}
	return h ^ h>>32
}

// vBuckets is the number of buckets of the vocabulary's perfect hash, a
// constant so that a lookup indexes vdisp without a bounds check or a
// register for its length: about three words a bucket for today's 2,900
// words; placement copes with several times that (buildPerfectHash).
const (
	vBucketBits = 10
	vBuckets    = 1 << vBucketBits
)

// vslotOf is the slot a word of hash h has if it is in the vocabulary:
// the word's bucket (the top bits of h) gives a displacement, which moves
// the slot h alone would give to a free one (the displacements are chosen
// when the table is built, buildPerfectHash). A lookup is one small load
// (vdisp, 2 KB) and one slot, with no probe loop: the probe's "this slot or
// the next?" branch, which went one way or the other for each word,
// mispredicted on most unknown words.
func vslotOf(h uint64, d uint16, mask uint64) uint64 {
	return ((h ^ uint64(d)) * 0x94D049BB133111EB >> 32) & mask
}

func (m *wordMatcher) wordID(w []byte) int32 {
	v := wordKey(w)
	h := hashWord(v, w)
	s := &m.vocab[vslotOf(h, m.vdisp[h>>(64-vBucketBits)], m.vmask)]
	if s.v == v && int(s.n) == len(w) && (len(w) <= 8 || m.words[m.wOff[s.id]+8:m.wOff[s.id+1]] == string(w[8:])) {
		return s.id
	}
	return 0
}

// buildPerfectHash places the words (byID[1:]) in vocab so that each has
// a slot of its own, found without probing (vslotOf; see perfectHash).
// Empty slots are zero: no token matches one (a word has at least one
// byte).
func (m *wordMatcher) buildPerfectHash(byID []string) error {
	hs := make([]uint64, len(byID)-1)
	for id := 1; id < len(byID); id++ {
		b := []byte(byID[id])
		hs[id-1] = hashWord(wordKey(b[:len(b):len(b)]), b)
	}
	disp, slots, err := perfectHash(hs, vBucketBits)
	if err != nil {
		return fmt.Errorf("tagger: vocabulary: %w", err)
	}
	m.vdisp = (*[vBuckets]uint16)(disp)
	m.vocab = make([]vslot, len(slots.table))
	m.vmask = uint64(len(m.vocab) - 1)
	for k, slot := range slots.of {
		w := byID[k+1]
		m.vocab[slot] = vslot{v: wordKey([]byte(w)[:len(w):len(w)]), n: uint32(len(w)), id: int32(k + 1)}
	}
	return nil
}

// phSlots is where perfectHash put each key (of), in a table of
// len(table) slots (table[s]: the key there plus one, 0: empty).
type phSlots struct {
	of    []uint64
	table []int32
}

// perfectHash places keys, given by distinct 64-bit hashes, in a table of
// a power of two slots so that each has a slot of its own:
// vslotOf(h, disp[h>>(64-bucketBits)], len-1). Keys are grouped in
// buckets by the top bits of their hash; bucket by bucket, largest first
// (ties by index: the table depends on the keys alone), the first
// displacement that sends all of a bucket's keys to free slots is kept.
// The table is kept at most three quarters full, so a displacement is
// found after a few tries; should a bucket fit under none (never seen),
// the table doubles and the placement starts over. Equal hashes fit under
// none: an error after a few doublings.
func perfectHash(hs []uint64, bucketBits uint) (disp []uint16, slots phSlots, err error) {
	nb := 1 << bucketBits
	// the keys by bucket, in one array: bucket b's are byBucket[start[b]:start[b+1]]
	start := make([]int32, nb+1)
	for _, h := range hs {
		start[h>>(64-bucketBits)+1]++
	}
	for b := range nb {
		start[b+1] += start[b]
	}
	byBucket := make([]int32, len(hs))
	fill := slices.Clone(start[:nb])
	for k, h := range hs {
		b := h >> (64 - bucketBits)
		byBucket[fill[b]] = int32(k)
		fill[b]++
	}
	buckets := make([][]int32, nb)
	for b := range buckets {
		buckets[b] = byBucket[start[b]:start[b+1]]
	}
	// largest first, ties by index (a counting sort: sizes are small)
	bySize := make([][]int, 1)
	for b, ks := range buckets {
		for len(bySize) <= len(ks) {
			bySize = append(bySize, nil)
		}
		bySize[len(ks)] = append(bySize[len(ks)], b)
	}
	order := make([]int, 0, nb)
	for size := len(bySize) - 1; size > 0; size-- {
		order = append(order, bySize[size]...)
	}
	disp = make([]uint16, nb)
	size := pow2(len(hs) + len(hs)/3 + 1)
	for range 6 {
		if slots, ok := placeBuckets(hs, buckets, order, disp, size); ok {
			return disp, slots, nil
		}
		size *= 2
	}
	return nil, phSlots{}, fmt.Errorf("no perfect hash for %d keys up to %d slots (equal hashes?)", len(hs), size/2)
}

// placeBuckets finds each bucket's displacement in a table of size slots
// (see perfectHash); false when some bucket fits under no displacement.
func placeBuckets(hs []uint64, buckets [][]int32, order []int, disp []uint16, size int) (phSlots, bool) {
	slots := phSlots{of: make([]uint64, len(hs)), table: make([]int32, size)}
	mask := uint64(size - 1)
	var taken []uint64
next:
	for _, b := range order {
		ks := buckets[b]
	try:
		for d := 0; d <= math.MaxUint16; d++ {
			taken = taken[:0]
			for _, k := range ks {
				s := vslotOf(hs[k], uint16(d), mask)
				if slots.table[s] != 0 || slices.Contains(taken, s) {
					continue try
				}
				taken = append(taken, s)
			}
			disp[b] = uint16(d)
			for i, k := range ks {
				slots.of[k] = taken[i]
				slots.table[taken[i]] = k + 1
			}
			continue next
		}
		return phSlots{}, false
	}
	return slots, true
}

func (m *wordMatcher) tkey(state, word int32) uint32 { return uint32(state)<<m.wbits | uint32(word) }

func (m *wordMatcher) slot(key uint32) uint64 {
	// the high bits of the product depend on every bit of the key
	return (uint64(key) * 0x9E3779B97F4A7C15) >> m.nshift
}

func (m *wordMatcher) step(state, word int32) int32 {
	if state == 0 {
		return m.rootNext[word]
	}
	if !m.st[state].inner {
		return -1 // a leaf: no pattern goes on from here
	}
	key := m.tkey(state, word)
	for i := m.slot(key); ; i = (i + 1) & m.nmask {
		k := m.next[i].key
		if k == key {
			return m.next[i].to
		}
		if k == 0 {
			return -1
		}
	}
}

func pow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// buildWordMatcher compiles patterns (normalised, words separated by single
// spaces); pattern i is reported as i. The extra words get ids too (the
// words of cue segments, compared by id after the scan). It is an
// Aho-Corasick automaton over word ids, built in steps: word ids, the
// vocabulary table, the trie, its transition table, then the failure and
// dictionary links. It fails when states and words are too many for a
// 32-bit transition key. Patterns for which silent (when not nil) is true
// are not reported: the caller reads what they mean from the word ids.
func buildWordMatcher(patterns []string, extra []string, silent func(pat int) bool) (*wordMatcher, error) {
	m := &wordMatcher{patToks: make([]int32, len(patterns))}
	ids, split := m.wordIDs(patterns, extra)
	byID, err := m.buildVocab(ids)
	if err != nil {
		return nil, err
	}
	children, kids := m.buildTrie(split, ids, silent)
	m.wbits = uint(bits.Len(uint(len(byID))))
	if uint64(len(m.out))<<m.wbits > 1<<32 {
		return nil, fmt.Errorf("tagger: %d automaton states and %d words: more than a 32-bit transition key holds", len(m.out), len(byID))
	}
	wordOf := m.buildTransitions(children, len(byID))
	m.st = make([]stateInfo, len(m.out)) // links filled in below; step needs inner
	for k := range m.st {
		m.st[k].inner = len(kids[k]) > 0
	}
	m.buildLinks(kids, wordOf)
	for k := range m.st {
		m.st[k].out, m.st[k].dictLink, m.st[k].fail = m.out[k], m.dictLink[k], m.fail[k]
	}
	// a word whose state after the root reports nothing (a silent
	// pattern's word) and leads nowhere leaves the automaton where an
	// unknown word does, at the root: run need not visit that state
	for w, c := range m.rootNext {
		if c > 0 && !m.st[c].inner && m.st[c].out < 0 && m.st[c].dictLink < 0 {
			m.rootNext[w] = 0
		}
	}
	if err := m.buildDelta(kids, wordOf); err != nil {
		return nil, err
	}
	return m, nil
}

// failStep is one step of the automaton by its failure links: the state
// after s on word w. run does the same in one lookup (buildDelta).
func (m *wordMatcher) failStep(s, w int32) int32 {
	if w == 0 {
		return 0 // no pattern has the word
	}
	for {
		var t int32
		if s == 0 {
			t = m.rootNext[w]
		} else if m.st[s].inner {
			t = m.step(s, w)
		} else {
			t = -1 // a leaf: no pattern goes on from here
		}
		if t > 0 {
			return t
		}
		if s == 0 {
			return 0
		}
		s = m.st[s].fail
	}
}

// buildDelta tabulates the automaton's steps so that run takes each in one
// lookup, without following failure links: δ(s, w), the state after s on
// word w, is dnext's entry for (s, w) where it differs from the root's
// step rootNext[w], and rootNext[w] elsewhere. Where δ(s, w) differs from
// the root's step, s has a transition on w or δ(fail(s), w) differs too,
// so each state's entries are found from its own transitions and its
// failure state's entries, breadth first (a failure state is shallower).
// There are ~1.1 entries per state (5,100 for today's 4,500 states); the
// table is a perfect hash like the vocabulary's. It also sets first.
func (m *wordMatcher) buildDelta(kids [][]int32, wordOf []int32) error {
	n := len(m.st)
	// the entries, state by state in the order found: state s's are
	// keys[from[s]:to[s]] (its word is the key's low bits) and their
	// targets dst[from[s]:to[s]]
	var keys []uint32
	var dst []int32
	from, upto := make([]int32, n), make([]int32, n)
	wmask := uint32(1)<<m.wbits - 1
	seen := make([]int32, m.nWords()+1) // word -> the last state + 1 it was a candidate for
	var ws []int32
	queue := append([]int32(nil), kids[0]...)
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		queue = append(queue, kids[s]...)
		ws = ws[:0]
		add := func(w int32) {
			if seen[w] != s+1 {
				seen[w] = s + 1
				ws = append(ws, w)
			}
		}
		for _, c := range kids[s] {
			add(wordOf[c])
		}
		f := m.st[s].fail
		for _, key := range keys[from[f]:upto[f]] {
			add(int32(key & wmask))
		}
		slices.Sort(ws)
		from[s] = int32(len(keys))
		for _, w := range ws {
			if t := m.failStep(s, w); t != m.rootNext[w] {
				keys = append(keys, m.tkey(s, w))
				dst = append(dst, t)
			}
		}
		upto[s] = int32(len(keys))
	}
	hs := make([]uint64, len(keys))
	for k, key := range keys {
		hs[k] = deltaHash(key)
	}
	// about three entries a bucket
	bucketBits := min(max(bits.Len(uint(len(keys)/3)), 1), dMaxBucketBits)
	disp, slots, err := perfectHash(hs, uint(bucketBits))
	if err != nil {
		return fmt.Errorf("tagger: automaton steps: %w", err)
	}
	m.ddisp = new([dMaxBuckets]uint16)
	copy(m.ddisp[:], disp)
	m.dshift = uint(64 - bucketBits)
	m.dnext = make([]trans, len(slots.table))
	for k, slot := range slots.of {
		m.dnext[slot] = trans{key: keys[k], to: dst[k]}
	}
	m.first = make([]int32, n)
	for s := range m.first {
		m.first[s] = m.st[s].out
		if m.first[s] >= 0 {
			m.first[s] = int32(s)
		} else {
			m.first[s] = m.st[s].dictLink
		}
	}
	return nil
}

// dMaxBuckets bounds the number of buckets of the steps' perfect hash, a
// constant so that run indexes ddisp without a bounds check (see
// vBuckets): the English automaton uses 2,048 (5,100 entries), the
// Chinese one all 16,384 (47,000 entries: its patterns are characters,
// which share suffixes far more than words do).
const (
	dMaxBucketBits = 14
	dMaxBuckets    = 1 << dMaxBucketBits
)

// deltaHash hashes a step's key (tkey): the high bits of the product
// depend on every bit of the key, and distinct keys have distinct hashes.
func deltaHash(key uint32) uint64 { return uint64(key) * 0x9E3779B97F4A7C15 }

// wordIDs numbers the words of the patterns, then the extra words, from 1
// in order of first appearance (0 is "no word"), and returns the patterns
// split into words; it records each pattern's length in words.
func (m *wordMatcher) wordIDs(patterns, extra []string) (ids map[string]int32, split [][]string) {
	ids = map[string]int32{}
	split = make([][]string, len(patterns))
	for i, p := range patterns {
		ws := strings.Split(p, " ")
		split[i] = ws
		m.patToks[i] = int32(len(ws))
		for _, w := range ws {
			if _, ok := ids[w]; !ok {
				ids[w] = int32(len(ids) + 1)
			}
		}
	}
	for _, w := range extra {
		if _, ok := ids[w]; !ok && w != "" {
			ids[w] = int32(len(ids) + 1)
		}
	}
	return ids, split
}

// buildVocab fills the vocabulary hash table, the words' text (one string
// with offsets) and the one-byte words' fast path; it returns the words by
// id.
func (m *wordMatcher) buildVocab(ids map[string]int32) ([]string, error) {
	byID := make([]string, len(ids)+1)
	for w, id := range ids {
		byID[id] = w
	}
	if err := m.buildPerfectHash(byID); err != nil {
		return nil, err
	}
	var sb strings.Builder
	m.wOff = make([]uint32, len(byID)+1)
	for id := 1; id < len(byID); id++ {
		m.wOff[id] = uint32(sb.Len())
		sb.WriteString(byID[id])
	}
	m.wOff[len(byID)] = uint32(sb.Len())
	m.words = sb.String()
	for id := 1; id < len(byID); id++ {
		if len(byID[id]) == 1 {
			m.byteID[byID[id][0]] = int32(id)
		}
	}
	return byID, nil
}

// trieEdge is a trie transition: from a state on a word id.
type trieEdge struct{ from, word int32 }

// buildTrie builds the trie of the patterns' words (state 0 is the root),
// setting m.out (the pattern a state ends, the first one listed that is
// not silent, or -1).
// It returns the edges and each state's children in insertion order,
// which the breadth-first link pass walks.
func (m *wordMatcher) buildTrie(split [][]string, ids map[string]int32, silent func(int) bool) (children map[trieEdge]int32, kids [][]int32) {
	children = map[trieEdge]int32{}
	kids = [][]int32{nil} // state -> children in insertion order
	m.out = []int32{-1}
	for pi, ws := range split {
		s := int32(0)
		for _, w := range ws {
			e := trieEdge{s, ids[w]}
			c, ok := children[e]
			if !ok {
				c = int32(len(m.out))
				children[e] = c
				m.out = append(m.out, -1)
				kids = append(kids, nil)
				kids[s] = append(kids[s], c)
			}
			s = c
		}
		if m.out[s] < 0 && (silent == nil || !silent(pi)) {
			m.out[s] = int32(pi)
		}
	}
	return children, kids
}

// buildTransitions lays the trie's edges out for step: the root's as a
// table by word id (nWords entries), the others in an open-addressing hash
// table keyed by (state, word). It returns the word each state is entered
// on.
func (m *wordMatcher) buildTransitions(children map[trieEdge]int32, nWords int) (wordOf []int32) {
	m.rootNext = make([]int32, nWords)
	nonRoot := 0
	for e := range children {
		if e.from != 0 {
			nonRoot++
		}
	}
	m.next = make([]trans, pow2(2*nonRoot+2))
	m.nmask = uint64(len(m.next) - 1)
	m.nshift = 64
	for l := len(m.next); l > 1; l >>= 1 {
		m.nshift--
	}
	wordOf = make([]int32, len(m.out))
	for e, c := range children {
		wordOf[c] = e.word
		if e.from == 0 {
			m.rootNext[e.word] = c
			continue
		}
		key := m.tkey(e.from, e.word)
		for i := m.slot(key); ; i = (i + 1) & m.nmask {
			if m.next[i].key == 0 {
				m.next[i] = trans{key: key, to: c}
				break
			}
		}
	}
	return wordOf
}

// buildLinks sets the failure links (the longest proper suffix that is a
// trie state) and dictionary links (the nearest such suffix that ends a
// pattern, or -1), breadth first so a state's parent links are set first.
func (m *wordMatcher) buildLinks(kids [][]int32, wordOf []int32) {
	n := len(m.out)
	m.fail = make([]int32, n)
	m.dictLink = make([]int32, n)
	m.dictLink[0] = -1
	queue := append([]int32(nil), kids[0]...)
	for _, c := range kids[0] {
		m.fail[c] = 0
		m.dictLink[c] = -1
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		for _, c := range kids[s] {
			w := wordOf[c]
			f := m.fail[s]
			for {
				if t := m.step(f, w); t > 0 {
					m.fail[c] = t
					break
				}
				if f == 0 {
					m.fail[c] = 0
					break
				}
				f = m.fail[f]
			}
			if fc := m.fail[c]; m.out[fc] >= 0 {
				m.dictLink[c] = fc
			} else {
				m.dictLink[c] = m.dictLink[fc]
			}
			queue = append(queue, c)
		}
	}
}

// nWords is the number of words in the vocabulary (ids 1..nWords).
func (m *wordMatcher) nWords() int { return len(m.wOff) - 2 }

// lookup returns the id of a vocabulary word, or 0.
func (m *wordMatcher) lookup(w string) int32 {
	b := []byte(w)
	return m.wordID(b[:len(b):len(b)])
}

// scan reports every pattern occurrence among the tokens as (pattern, t0,
// t1), the token range [t0, t1), and sets ids[i] to the word id of token i
// (0: no pattern or cue segment uses the word): lookupAll, then run.
func (m *wordMatcher) scan(toks []token, norm []byte, ids []int32, emit func(pat int32, t0, t1 int32)) {
	m.lookupAll(toks, norm, ids, nil)
	m.run(ids[:len(toks)], emit)
}

// keyMask[n] keeps the first n bytes of a little-endian word (n <= 8; the
// rest, for lookupAll's long words, is any mask): a load, where a shift
// by a variable count ties up a register the loop needs.
var keyMask = [16]uint64{0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0xFF_FFFFFFFF, 0xFFFF_FFFFFFFF, 0xFFFFFF_FFFFFFFF, ^uint64(0)}

// lookupAll sets ids[i] to the word id of token i (0: not in the
// vocabulary). scratch, when it holds len(toks)+1 entries, saves an
// allocation.
//
// The loop makes no call and takes no branch on the text. A word of at
// most eight bytes (nine in ten tokens, punctuation included: a
// punctuation token's text is its one byte) is its own key, its
// perfect-hash slot (vslotOf) is the only place it can be, and the slot's
// id is kept or zeroed by a conditional move. A longer word gets a
// meaningless id here and its index is noted, also without a branch; a
// second loop looks those up with wordID. (Every token's text lies within
// norm, so its first eight bytes can be read when norm has eight bytes of
// room.) A call in the first loop would spill and reload its registers
// every turn, and a branch on the word's length or on what the slot holds
// mispredicts on a good share of tokens: the open-addressing probe this
// replaced mispredicted ~0.8 times a token.
func (m *wordMatcher) lookupAll(toks []token, norm []byte, ids []int32, scratch []int32) {
	ids = ids[:len(toks)]
	if cap(norm)-len(norm) < 8 {
		// every token's first eight bytes are read from norm's capacity
		// (the tokenizer leaves room; this copy is a backstop)
		norm = append(norm[:len(norm):len(norm)], make([]byte, 8)...)[:len(norm)]
	}
	full := norm[:cap(norm)]
	if cap(scratch) < len(toks)+1 {
		scratch = make([]int32, len(toks)+1)
	}
	slow := scratch[:len(toks)+1]
	nslow := lookupShort(toks, full, ids, slow, m.vocab, m.vdisp)
	for _, i := range slow[:nslow] {
		ids[i] = m.wordID(norm[toks[i].ns:toks[i].ne])
	}
}

// lookupShort is lookupAll's first loop (see there), a function of its
// own so that only its values are live in it: within lookupAll the values
// of the second loop took registers too, and the first spilled and
// reloaded some ten values a token. It returns how many of slow it set.
func lookupShort(toks []token, full []byte, ids, slow []int32, vocab []vslot, vdisp *[vBuckets]uint16) int {
	ids = ids[:len(toks)]
	_ = vocab[0] // (a table of at least one slot: a slot's index masked by len-1 needs no bounds check)
	nslow := 0
	for i := range toks {
		t := &toks[i]
		ns, n := int(t.ns), int(t.ne-t.ns)
		v := binary.LittleEndian.Uint64(full[ns:ns+8]) & keyMask[n&15] // wordKey
		h := (v ^ uint64(n)) * 0x9E3779B97F4A7C15                      // hashWord for <= 8 bytes
		h ^= h >> 32
		s := &vocab[vslotOf(h, vdisp[h>>(64-vBucketBits)], uint64(len(vocab)-1))]
		id := s.id
		if s.v^v|uint64(s.n^uint32(n)) != 0 {
			id = 0
		}
		ids[i] = id
		slow[nslow] = int32(i)
		if n > 8 {
			nslow++
		}
	}
	return nslow
}

// run reports every pattern occurrence in the word ids of a token sequence
// (see scan). Each step is one lookup in the tabulated steps (buildDelta)
// whose result replaces the root's step by a conditional move: the loop
// branches only where a pattern ends. Following failure links instead
// took a data-dependent branch or two a token (unknown word? at the
// root? a transition? a leaf?), mispredicted about once a token.
func (m *wordMatcher) run(ids []int32, emit func(pat int32, t0, t1 int32)) {
	rootNext, dnext, ddisp, first, st, patToks := m.rootNext, m.dnext, m.ddisp, m.first, m.st, m.patToks
	dmask, wbits, dshift := uint64(len(dnext)-1), m.wbits&31, m.dshift&63
	_ = dnext[0] // (see lookupShort)
	s := int32(0)
	for i, w := range ids {
		// at the root (most tokens) the lookup reads the same slot
		// every time, so as not to fetch a cache line for nothing: the
		// hash is zeroed (nz is 0 there, else 1). No key of the root's
		// is in the table, so that slot's key never equals it
		key := uint32(s)<<wbits | uint32(w)
		nz := uint64(-int64(s)) >> 63
		h := deltaHash(key) & -nz
		e := &dnext[vslotOf(h, ddisp[(h>>dshift)&(dMaxBuckets-1)], dmask)]
		t := rootNext[w]
		if e.key == key {
			t = e.to
		}
		s = t
		for f := first[s]; f >= 0; f = st[f].dictLink {
			p := st[f].out
			emit(p, int32(i+1)-patToks[p], int32(i+1))
		}
	}
}
