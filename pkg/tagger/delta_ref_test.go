package tagger

import (
	"math/rand"
	"slices"
	"testing"
)

// runFail is run by failure links, as it was before the steps were
// tabulated (buildDelta): the reference TestDeltaSame compares run with.
func (m *wordMatcher) runFail(ids []int32, emit func(pat int32, t0, t1 int32)) {
	s := int32(0)
	for i, w := range ids {
		s = m.failStep(s, w)
		t := s
		if t == 0 {
			continue
		}
		if m.st[t].out < 0 {
			t = m.st[t].dictLink
		}
		for t >= 0 {
			p := m.st[t].out
			emit(p, int32(i+1)-m.patToks[p], int32(i+1))
			t = m.st[t].dictLink
		}
	}
}

// TestDeltaSame checks that run, one table lookup a step, reports the same
// matches in the same order as the automaton by failure links, for the
// English and the Chinese matchers, on id sequences made of the patterns'
// words (pattern prefixes run into each other, the worst case for failure
// links), words no pattern uses and random ids.
func TestDeltaSame(t *testing.T) {
	tg := newTagger(t)
	for _, c := range []struct {
		name string
		m    *wordMatcher
		pats []string
	}{{"en", tg.lex.wm, tg.lex.patterns}, {"zh", tg.zh.lex.wm, tg.zh.lex.patterns}} {
		m := c.m
		// the patterns as id sequences
		var seqs [][]int32
		for _, p := range c.pats {
			var ids []int32
			for _, w := range splitSpace(p) {
				ids = append(ids, m.lookup(w))
			}
			seqs = append(seqs, ids)
		}
		r := rand.New(rand.NewSource(5))
		total := 0
		for round := 0; round < 300; round++ {
			var ids []int32
			for len(ids) < 2000 {
				switch r.Intn(8) {
				case 0:
					ids = append(ids, 0)
				case 1:
					ids = append(ids, int32(r.Intn(m.nWords()+1)))
				default:
					s := seqs[r.Intn(len(seqs))]
					ids = append(ids, s[:1+r.Intn(len(s))]...) // a pattern or a prefix of one
				}
			}
			type hit struct{ p, t0, t1 int32 }
			var a, b []hit
			m.run(ids, func(p, t0, t1 int32) { a = append(a, hit{p, t0, t1}) })
			m.runFail(ids, func(p, t0, t1 int32) { b = append(b, hit{p, t0, t1}) })
			if !slices.Equal(a, b) {
				t.Fatalf("%s: run and runFail differ on round %d: %d and %d matches", c.name, round, len(a), len(b))
			}
			total += len(a)
		}
		if total < 100000 {
			t.Errorf("%s: only %d matches compared", c.name, total)
		}
	}
}

func splitSpace(s string) []string {
	var ws []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != ' ' {
			i++
		}
		ws = append(ws, s[:i])
		s = s[min(i+1, len(s)):]
	}
	return ws
}
