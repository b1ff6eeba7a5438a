package tagger

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
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
	next     []trans // (state, word) -> state: open addressing, len a power of two
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
// a slot of its own, found without probing (vslotOf). Words are grouped in
// buckets by the top bits of their hash (vBuckets); bucket by
// bucket, largest first, the first displacement that sends all of its
// words to free slots is kept. The table is kept at most three quarters
// full, so a displacement is found after a few tries; should none fit
// (never seen), the table doubles and the placement starts over. Empty
// slots are zero: no token matches one (a word has at least one byte).
func (m *wordMatcher) buildPerfectHash(byID []string) {
	nw := len(byID) - 1
	m.vdisp = new([vBuckets]uint16)
	hs := make([]uint64, len(byID))
	buckets := make([][]int32, vBuckets)
	for id := 1; id < len(byID); id++ {
		b := []byte(byID[id])
		hs[id] = hashWord(wordKey(b[:len(b):len(b)]), b)
		bk := hs[id] >> (64 - vBucketBits)
		buckets[bk] = append(buckets[bk], int32(id))
	}
	order := make([]int, vBuckets)
	for i := range order {
		order[i] = i
	}
	// largest buckets first, ties by index: the table does not depend on
	// anything but the words
	sort.SliceStable(order, func(i, j int) bool { return len(buckets[order[i]]) > len(buckets[order[j]]) })
	for size := pow2(nw + nw/3 + 1); ; size *= 2 {
		m.vocab = make([]vslot, size)
		m.vmask = uint64(size - 1)
		if m.placeBuckets(byID, hs, buckets, order) {
			return
		}
	}
}

// placeBuckets finds each bucket's displacement (see buildPerfectHash) and
// fills vocab; false when some bucket fits under no displacement.
func (m *wordMatcher) placeBuckets(byID []string, hs []uint64, buckets [][]int32, order []int) bool {
	slots := make([]uint64, 0, 16)
next:
	for _, b := range order {
		ws := buckets[b]
		if len(ws) == 0 {
			break // sorted by size: the rest are empty too
		}
	try:
		for d := 0; d <= math.MaxUint16; d++ {
			slots = slots[:0]
			for _, id := range ws {
				k := vslotOf(hs[id], uint16(d), m.vmask)
				if m.vocab[k].id != 0 || slices.Contains(slots, k) {
					continue try
				}
				slots = append(slots, k)
			}
			m.vdisp[b] = uint16(d)
			for i, id := range ws {
				w := byID[id]
				m.vocab[slots[i]] = vslot{v: wordKey([]byte(w)[:len(w):len(w)]), n: uint32(len(w)), id: id}
			}
			continue next
		}
		return false
	}
	return true
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
	byID := m.buildVocab(ids)
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
	return m, nil
}

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
func (m *wordMatcher) buildVocab(ids map[string]int32) []string {
	byID := make([]string, len(ids)+1)
	for w, id := range ids {
		byID[id] = w
	}
	m.buildPerfectHash(byID)
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
	return byID
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
	nslow := 0
	vocab, vdisp := m.vocab, m.vdisp
	for i := range toks {
		t := &toks[i]
		ns, n := int(t.ns), int(t.ne-t.ns)
		v := binary.LittleEndian.Uint64(full[ns:ns+8]) & (^uint64(0) >> ((64 - 8*uint(n)) & 63)) // wordKey
		h := (v ^ uint64(n)) * 0x9E3779B97F4A7C15                                                // hashWord for <= 8 bytes
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
	for _, i := range slow[:nslow] {
		ids[i] = m.wordID(norm[toks[i].ns:toks[i].ne])
	}
}

// run reports every pattern occurrence in the word ids of a token sequence
// (see scan). The tables are read through locals and a leaf state's
// transition (none) is known without calling step: this loop runs once per
// token and calls out only to step between inner states and to emit.
func (m *wordMatcher) run(ids []int32, emit func(pat int32, t0, t1 int32)) {
	st, rootNext, patToks := m.st, m.rootNext, m.patToks
	s := int32(0)
	for i, w := range ids {
		if w == 0 {
			s = 0
			continue
		}
		for {
			var t int32
			if s == 0 {
				t = rootNext[w] // the common case, without a call
			} else if st[s].inner {
				t = m.step(s, w)
			} else {
				t = -1 // a leaf: no pattern goes on from here
			}
			if t > 0 {
				s = t
				break
			}
			if s == 0 {
				break
			}
			s = st[s].fail
		}
		t := s
		if t == 0 {
			continue
		}
		if st[t].out < 0 {
			t = st[t].dictLink
		}
		for t >= 0 {
			si := &st[t]
			p := si.out
			emit(p, int32(i+1)-patToks[p], int32(i+1))
			t = si.dictLink
		}
	}
}
