package tagger

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// byteAutomaton is the tagger's former matcher, kept as the reference the
// word automaton (wordmatch.go) must agree with: TestWordMatcherSame checks
// that both report the same occurrences in the same order.
//
// It is an Aho-Corasick byteAutomaton compiled to a dense DFA over byte
// classes: one table lookup per input byte, no failure-link walking at match
// time. Patterns are normalised token sequences (see tokenize.go); the input is
// the normalised text, whose tokens are separated by single spaces, so word
// boundaries are checked by looking at the bytes either side of a match.
//
// The table is kept small for the cache: states are numbered in breadth-first
// order (the shallow states that most bytes visit sit together), a row has a
// power-of-two number of columns (a shift, not a multiply or divide, turns a
// state into its row), and entries are 16-bit when there are fewer than 65536
// states (2.4 MB for the current lexicon instead of 4 MB).
type byteAutomaton struct {
	classOf  [256]uint8 // byte -> class; class 0 is "byte not used by any pattern"
	nClass   int
	shift    uint     // row width is 1<<shift >= nClass
	delta16  []uint16 // state<<shift | class -> next state (when states < 65536)
	delta32  []uint32 // the same for larger automata
	final    []bool   // state -> out >= 0 || dictLink >= 0: something may end here
	out      []int32  // state -> pattern ending here (longest), or -1
	dictLink []int32  // state -> nearest proper-suffix state with out >= 0, or -1
	patLen   []int32  // pattern -> length in bytes
	patToks  []int32  // pattern -> number of tokens
}

type byteTrieNode struct {
	next map[byte]int32
	out  int32
}

// buildByteAutomaton compiles patterns; pattern i is reported as i.
func buildByteAutomaton(patterns []string) *byteAutomaton {
	a := &byteAutomaton{patLen: make([]int32, len(patterns)), patToks: make([]int32, len(patterns))}
	// byte classes
	var used [256]bool
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			used[p[i]] = true
		}
	}
	a.nClass = 1
	for b := 0; b < 256; b++ {
		if used[b] {
			a.classOf[b] = uint8(a.nClass)
			a.nClass++
		}
	}
	if a.nClass > 255 {
		// cannot happen with normalised text (< 200 distinct bytes); keep safe
		a.nClass = 255
	}
	for 1<<a.shift < a.nClass {
		a.shift++
	}
	nodes := []byteTrieNode{{next: map[byte]int32{}, out: -1}}
	for pi, p := range patterns {
		a.patLen[pi] = int32(len(p))
		a.patToks[pi] = 1
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := p[i]
			if c == ' ' {
				a.patToks[pi]++
			}
			n, ok := nodes[s].next[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, byteTrieNode{next: map[byte]int32{}, out: -1})
				nodes[s].next[c] = n
			}
			s = n
		}
		if nodes[s].out < 0 {
			nodes[s].out = int32(pi)
		}
	}
	n := len(nodes)
	// breadth-first numbering: order[k] is the trie node numbered k
	order := make([]int32, 0, n)
	num := make([]int32, n)
	order = append(order, 0)
	var keys []byte
	for qi := 0; qi < len(order); qi++ {
		nd := &nodes[order[qi]]
		keys = keys[:0]
		for c := range nd.next {
			keys = append(keys, c)
		}
		slices.Sort(keys) // by byte, so the numbering is deterministic
		for _, c := range keys {
			child := nd.next[c]
			num[child] = int32(len(order))
			order = append(order, child)
		}
	}
	W := 1 << a.shift
	delta := make([]int32, n*W)
	a.out = make([]int32, n)
	a.dictLink = make([]int32, n)
	fail := make([]int32, n)
	for k, old := range order {
		a.out[k] = nodes[old].out
		a.dictLink[k] = -1
	}
	// BFS over the new numbers: states are already in breadth-first order
	for k := 0; k < n; k++ {
		nd := &nodes[order[k]]
		if k == 0 {
			for b, child := range nd.next {
				delta[int(a.classOf[b])] = num[child]
				fail[num[child]] = 0
			}
			continue
		}
		f := fail[k]
		if a.out[f] >= 0 {
			a.dictLink[k] = f
		} else {
			a.dictLink[k] = a.dictLink[f]
		}
		copy(delta[k*W:(k+1)*W], delta[int(f)*W:(int(f)+1)*W])
		for b, child := range nd.next {
			c := int(a.classOf[b])
			ch := num[child]
			fail[ch] = delta[int(f)*W+c]
			delta[k*W+c] = ch
		}
	}
	a.final = make([]bool, n)
	for k := range a.final {
		a.final[k] = a.out[k] >= 0 || a.dictLink[k] >= 0
	}
	if n < 1<<16 {
		a.delta16 = make([]uint16, len(delta))
		for i, v := range delta {
			a.delta16[i] = uint16(v)
		}
	} else {
		a.delta32 = make([]uint32, len(delta))
		for i, v := range delta {
			a.delta32[i] = uint32(v)
		}
	}
	return a
}

// scan reports every pattern occurrence in text that starts and ends at a
// token boundary (start of text or after ' ', end of text or before ' '), as
// (pattern, start, end) byte offsets into text and the token range [t0, t1),
// counting tokens as the runs between single spaces.
func (a *byteAutomaton) scan(text []byte, emit func(pat int32, start, end int, t0, t1 int32)) {
	if a.delta16 != nil {
		scanTable(a, a.delta16, text, emit)
	} else {
		scanTable(a, a.delta32, text, emit)
	}
}

func scanTable[T uint16 | uint32](a *byteAutomaton, delta []T, text []byte, emit func(pat int32, start, end int, t0, t1 int32)) {
	classOf := &a.classOf
	shift := a.shift
	final := a.final
	s := 0
	tok := int32(0)
	n := len(text)
	for i := 0; i < n; i++ {
		c := text[i]
		s = int(delta[s<<shift|int(classOf[c])])
		if c == ' ' {
			tok++
			continue
		}
		if i+1 < n && text[i+1] != ' ' || !final[s] {
			continue
		}
		t := int32(s)
		if a.out[t] < 0 {
			t = a.dictLink[t]
		}
		for t >= 0 {
			p := a.out[t]
			st := i + 1 - int(a.patLen[p])
			if st == 0 || text[st-1] == ' ' {
				emit(p, st, i+1, tok+1-a.patToks[p], tok+1)
			}
			t = a.dictLink[t]
		}
	}
}

// TestWordMatcherSame: the word automaton reports exactly the occurrences,
// in exactly the order, of the byte-level automaton, on the golden inputs,
// the sample articles and random word salad with titles.
func TestWordMatcherSame(t *testing.T) {
	tg := newTagger(t)
	ins := goldenInputs(tg)
	ins = append(ins, sampleInputs(t)...)
	r := rand.New(rand.NewSource(11))
	for i := 0; i < 2000; i++ {
		ins = append(ins, [2]string{wordSalad(r, tg.lex.patterns)[:20], wordSalad(r, tg.lex.patterns)})
	}
	if total := checkWordMatcherSame(t, tg, ins); total < 100000 {
		t.Errorf("only %d matches checked", total)
	}
}

// checkWordMatcherSame compares the word automaton with the byte automaton on
// ins and returns the number of matches compared.
func checkWordMatcherSame(t *testing.T, tg *Tagger, ins [][2]string) int {
	t.Helper()
	ref := buildByteAutomaton(tg.lex.patterns)
	total := 0
	for _, in := range ins {
		d := &doc{lex: tg.lex}
		d.reset(in[0], in[1])
		if strings.TrimSpace(in[0]) != "" { // as run does
			d.ts.tokenize(in[0], fTitle)
			d.ts.norm = append(d.ts.norm, ' ', '\n')
			d.ts.toks = append(d.ts.toks, token{ns: int32(len(d.ts.norm) - 1), ne: int32(len(d.ts.norm)), flags: fTitle, punct: '\n'})
		}
		d.ts.tokenize(in[1], 0)
		type m struct{ p, t0, t1 int32 }
		var a, b []m
		ref.scan(d.ts.norm, func(p int32, s, e int, t0, t1 int32) {
			if int(d.ts.toks[t0].ns) != s || int(d.ts.toks[t1-1].ne) != e {
				t.Fatalf("token range %d-%d is not bytes %d-%d", t0, t1, s, e)
			}
			a = append(a, m{p, t0, t1})
		})
		ids := make([]int32, len(d.ts.toks))
		tg.lex.wm.scan(d.ts.toks, d.ts.norm, ids, func(p int32, t0, t1 int32) { b = append(b, m{p, t0, t1}) })
		// the automaton leaves out the one-word patterns the analyser reads
		// from the word ids (wordOnly): each must be there, in wordBits
		total += len(a)
		a = slices.DeleteFunc(a, func(x m) bool {
			if !tg.lex.wordOnly(int(x.p)) {
				return false
			}
			if got, want := tg.lex.wordBits[ids[x.t0]], tg.lex.words[x.p]; got != want {
				t.Fatalf("token %d (%q): wordBits %#x, pattern %q has classes %#x", x.t0, d.nb(int(x.t0)), got, tg.lex.patterns[x.p], want)
			}
			return true
		})
		if !slices.Equal(a, b) {
			t.Fatalf("word automaton differs on %q / %q:\n%v\n%v", in[0], in[1], a, b)
		}
	}
	return total
}
