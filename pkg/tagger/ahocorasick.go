package tagger

// automaton is an Aho-Corasick automaton compiled to a dense DFA over byte
// classes: one table lookup per input byte, no failure-link walking at match
// time. Patterns are normalised token sequences (see tokenize.go); the input is
// the normalised text, whose tokens are separated by single spaces, so word
// boundaries are checked by looking at the bytes either side of a match.
type automaton struct {
	classOf  [256]uint8 // byte -> class; class 0 is "byte not used by any pattern"
	nClass   int
	delta    []int32 // state*nClass + class -> next state
	out      []int32 // state -> pattern ending here (longest), or -1
	dictLink []int32 // state -> nearest proper-suffix state with out >= 0, or -1
	patLen   []int32 // pattern -> length in bytes
}

type trieNode struct {
	next map[byte]int32
	out  int32
}

// buildAutomaton compiles patterns; pattern i is reported as i.
func buildAutomaton(patterns []string) *automaton {
	a := &automaton{patLen: make([]int32, len(patterns))}
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
	nodes := []trieNode{{next: map[byte]int32{}, out: -1}}
	for pi, p := range patterns {
		a.patLen[pi] = int32(len(p))
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := p[i]
			n, ok := nodes[s].next[c]
			if !ok {
				n = int32(len(nodes))
				nodes = append(nodes, trieNode{next: map[byte]int32{}, out: -1})
				nodes[s].next[c] = n
			}
			s = n
		}
		if nodes[s].out < 0 {
			nodes[s].out = int32(pi)
		}
	}
	n := len(nodes)
	K := a.nClass
	a.delta = make([]int32, n*K)
	a.out = make([]int32, n)
	a.dictLink = make([]int32, n)
	fail := make([]int32, n)
	for i := range nodes {
		a.out[i] = nodes[i].out
		a.dictLink[i] = -1
	}
	// BFS
	queue := make([]int32, 0, n)
	for c := 1; c < K; c++ {
		a.delta[c] = 0
	}
	for b, child := range nodes[0].next {
		a.delta[int(a.classOf[b])] = child
		fail[child] = 0
		queue = append(queue, child)
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		f := fail[s]
		// dictionary link
		if a.out[f] >= 0 {
			a.dictLink[s] = f
		} else {
			a.dictLink[s] = a.dictLink[f]
		}
		// default transitions from the failure state
		copy(a.delta[int(s)*K:int(s+1)*K], a.delta[int(f)*K:int(f+1)*K])
		for b, child := range nodes[s].next {
			c := int(a.classOf[b])
			fail[child] = a.delta[int(f)*K+c]
			a.delta[int(s)*K+c] = child
			queue = append(queue, child)
		}
	}
	for i, v := range a.delta {
		a.delta[i] = v * int32(K)
	}
	return a
}

// scan reports every pattern occurrence in text that starts and ends at a
// token boundary (start of text or after ' ', end of text or before ' '), as
// (pattern, start, end) byte offsets into text.
func (a *automaton) scan(text []byte, emit func(pat int32, start, end int)) {
	// delta holds row offsets (state*nClass), so a step is one add and one load
	row := int32(0)
	K := int32(a.nClass)
	delta, classOf := a.delta, &a.classOf
	n := len(text)
	for i := 0; i < n; i++ {
		row = delta[row+int32(classOf[text[i]])]
		if i+1 < n && text[i+1] != ' ' {
			continue
		}
		t := row / K
		if a.out[t] < 0 {
			t = a.dictLink[t]
		}
		for t >= 0 {
			p := a.out[t]
			st := i + 1 - int(a.patLen[p])
			if st == 0 || text[st-1] == ' ' {
				emit(p, st, i+1)
			}
			t = a.dictLink[t]
		}
	}
}
