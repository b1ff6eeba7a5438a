package tagger

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/tension-dev/tension/pkg/event"
)

// agg sums the cues of one pair of states.
type agg struct {
	pair            string
	id              int32 // order of creation (pairs are sorted later)
	sum, esc, de    float64
	leadEsc, leadDe float64 // the title's and the first two sentences' share
	n               int
}

// output assembles the contract (docs/design.md §3).
func (d *doc) output(sal []countrySal, ma, mb string, cues []scoredCue) event.Tags {
	nEnt := 0
	for i := range d.ments {
		if d.ments[i].emit {
			nEnt++
		}
	}
	nTopic := 0
	for i := range d.lex.topicName {
		if d.topicCount[i] >= 2 || (d.topicCount[i] >= 1 && d.topicLead[i]) {
			nTopic++
		}
	}
	// countries and topics share one backing array (capacities are capped)
	strs := make([]string, 0, len(sal)+nTopic)
	tags := event.Tags{Countries: strs[:0:len(sal)], Entities: make([]event.Entity, 0, nEnt), Topics: strs[len(sal):len(sal)]}
	toks := d.ts.toks
	// the emitted mentions by start (stable), sorting small keys rather
	// than entities: mentions come as two sorted runs (dictionary, names)
	order := d.entOrder[:0]
	for i := range d.ments {
		m := &d.ments[i]
		if !m.emit || m.typ == "" || toks[m.t0].is(fTitle) || (m.typ == "PERSON" && d.modifier(int(m.t1))) {
			continue
		}
		a, b := &toks[m.t0], &toks[m.t1-1]
		if a.start < 0 || int(b.end) > len(d.text) || a.start >= b.end {
			continue
		}
		order = append(order, [2]int32{a.start, int32(i)})
	}
	byStart := func(x, y [2]int32) int { return int(x[0] - y[0]) }
	if !slices.IsSortedFunc(order, byStart) {
		slices.SortStableFunc(order, byStart)
	}
	d.entOrder = order
	for _, o := range order {
		m := &d.ments[o[1]]
		a, b := &toks[m.t0], &toks[m.t1-1]
		tags.Entities = append(tags.Entities, event.Entity{
			Text: d.text[a.start:b.end], Type: m.typ, Canonical: m.canonical, Country: m.country,
			Start: int(a.start), End: int(b.end),
		})
	}

	// countries: states that act or are acted upon: named at least twice and
	// not far less than the main ones, or named in the title, or named as the
	// actor or target of strong, current cues in their own sentence: twice,
	// or once when named about as often as the main ones (a state named once
	// in a long article, in one cue, is mostly an aside: "violated sanctions
	// on Iran")
	lex := d.lex
	var named []int32 // per country index, counted on first use
	namedCount := func(code string) int32 {
		if named == nil {
			named = growI32(d.named, len(lex.countries))
			clear(named)
			d.named = named
			for i := range cues {
				c := &cues[i]
				if !c.noact && c.base >= 3 && c.Weight > 0 {
					for _, e := range c.explicit {
						if k := lex.countryIndex(e); k >= 0 {
							named[k]++
						}
					}
				}
			}
		}
		if k := lex.countryIndex(code); k >= 0 {
			return named[k]
		}
		return 0
	}
	kept := d.kept[:0]
	top := 0.0
	if len(sal) > 0 {
		top = sal[0].score
	}
	for _, s := range sal {
		if debugOn {
			debugf("sal %s %.1f title=%v", s.code, s.score, s.title)
		}
		min := 2.0
		if 0.2*top > min {
			min = 0.2 * top
		}
		if lex.isAmb(s.code) {
			min += 1
		}
		if s.score >= min || s.title || (s.score >= 1 && !lex.isAmb(s.code) && (namedCount(s.code) >= 2 || namedCount(s.code) >= 1 && s.score >= 0.5*top)) {
			tags.Countries = append(tags.Countries, s.code)
			if k := lex.countryIndex(s.code); k >= 0 {
				kept = append(kept, int32(k))
			}
		}
	}
	d.kept = kept
	keepSet := d.keepSet
	if len(keepSet) < len(lex.countries) {
		keepSet = make([]bool, len(lex.countries))
		d.keepSet = keepSet
	}
	for _, k := range kept {
		keepSet[k] = true
	}
	defer func() {
		for _, k := range kept {
			keepSet[k] = false
		}
	}()
	keep := func(code string) bool {
		k := lex.countryIndex(code)
		return k >= 0 && keepSet[k]
	}
	sort.Strings(tags.Countries)

	// topics
	for i, name := range d.lex.topicName {
		if d.topicCount[i] >= 2 || (d.topicCount[i] >= 1 && d.topicLead[i]) {
			tags.Topics = append(tags.Topics, name)
		}
	}

	// dyads
	pairs := d.aggs[:0]
	if d.pairIdx == nil {
		d.pairIdx = map[string]int32{}
	}
	clear(d.pairIdx)
	find := func(p string) int {
		if k, ok := d.pairIdx[p]; ok {
			return int(k)
		}
		d.pairIdx[p] = int32(len(pairs))
		pairs = append(pairs, agg{pair: p, id: int32(len(pairs))})
		return len(pairs) - 1
	}
	// cueAgg[i]: the id of cue i's pair, or -1 when a side is not kept
	cueAgg := d.cueAgg[:0]
	for i := range cues {
		c := &cues[i]
		if !keep(c.Actor) || !keep(c.Target) {
			cueAgg = append(cueAgg, -1)
			continue
		}
		k := find(c.pair)
		cueAgg = append(cueAgg, pairs[k].id)
		g := &pairs[k]
		g.sum += c.signed
		lead := c.Sentence <= 1
		if c.signed > 0 {
			g.esc += c.signed
			if lead {
				g.leadEsc += c.signed
			}
		} else {
			g.de -= c.signed
			if lead {
				g.leadDe -= c.signed
			}
		}
		g.n++
	}
	trade := d.trade >= 1
	mainP := ""
	if ma != "" && mb != "" && keep(ma) && keep(mb) && trade {
		mainP = d.pairOf(ma, mb)
		find(mainP)
	}
	// the cues of each pair, in order: offsets by pair id (counting sort)
	first := growI32(d.pairFirst, len(pairs)+1)
	clear(first)
	for _, id := range cueAgg {
		if id >= 0 {
			first[id+1]++
		}
	}
	for i := 1; i < len(first); i++ {
		first[i] += first[i-1]
	}
	byPair := growI32(d.byPair, int(first[len(pairs)]))
	fill := growI32(d.pairFill, len(pairs))
	copy(fill, first[:len(pairs)])
	for i, id := range cueAgg {
		if id >= 0 {
			byPair[fill[id]] = int32(i)
			fill[id]++
		}
	}
	d.pairFirst, d.byPair, d.pairFill = first, byPair, fill
	slices.SortFunc(pairs, func(a, b agg) int { return strings.Compare(a.pair, b.pair) })
	d.aggs, d.cueAgg = pairs, cueAgg
	nDyad, nCue := 0, 0
	for _, g := range pairs {
		if g.n > 0 || g.pair == mainP {
			nDyad++
			nCue += g.n
		}
	}
	// the dyads' cues share one backing array (capacities are capped)
	tags.Dyads = make([]event.Dyad, 0, nDyad)
	cueBuf := make([]event.Cue, 0, nCue)
	for _, g := range pairs {
		if g.n == 0 && g.pair != mainP {
			continue
		}
		dy := event.Dyad{Pair: g.pair, Tension: squash(g.sum), Cues: cueBuf[len(cueBuf) : len(cueBuf) : len(cueBuf)+g.n]}
		for _, i := range byPair[first[g.id]:first[g.id+1]] {
			dy.Cues = append(dy.Cues, cues[i].Cue)
		}
		cueBuf = cueBuf[:min(cap(cueBuf), len(cueBuf)+len(dy.Cues))]
		dy.Direction = direction(&g)
		if d.explainer {
			dy.Direction = event.DirectionNeutral
		}
		if debugOn {
			debugf("dyad %s esc %.3f de %.3f lead %.3f %.3f n %d sum %.3f tension %.2f %s", g.pair, g.esc, g.de, g.leadEsc, g.leadDe, g.n, g.sum, dy.Tension, dy.Direction)
		}
		tags.Dyads = append(tags.Dyads, dy)
	}
	tags.Relevant = trade && len(tags.Dyads) > 0
	return tags
}

// modifier tells whether the name ending before token t is used as a
// modifier ("Obama-era", "Trump-style"): a hyphen and one of a few words.
func (d *doc) modifier(t int) bool {
	toks := d.ts.toks
	if t <= 0 || t >= len(toks) || toks[t].is(fTitle) {
		return false
	}
	e := int(toks[t-1].end)
	if e >= len(d.text) || d.text[e] != '-' || int(toks[t].start) != e+1 {
		return false
	}
	switch string(d.nb(t)) {
	case "era", "style", "like", "type", "esque":
		return true
	}
	return false
}

// direction classifies a pair's cues (g.esc and g.de: the sums of the
// escalating and de-escalating weights; g.leadEsc, g.leadDe: those of the
// title and the first two sentences): neutral when no side reaches
// decisiveWeight in all or decisiveLead in the lead (no decisive act, only
// talk of one: data, estimates, background, explainers); the lead's side
// when the lead alone reaches decisiveWeight on one side and the other side
// of the lead is at most leadOneSided of it (the news is what the lead
// reports; a truce article recounting the tariffs it suspends, an escalation
// story with a conciliatory quote further down); mixed when the smaller side
// is at least mixedMinSide and mixedMinShare of the larger (one side
// threatens while the other voices confidence; talks held without
// progress); else the larger side.
func direction(g *agg) string {
	hi, lo := math.Max(g.esc, g.de), math.Min(g.esc, g.de)
	leadHi, leadLo := math.Max(g.leadEsc, g.leadDe), math.Min(g.leadEsc, g.leadDe)
	switch {
	case hi < decisiveWeight && leadHi < decisiveLead:
		return event.DirectionNeutral
	case leadHi >= decisiveWeight && leadLo <= leadOneSided*leadHi:
		if g.leadEsc > g.leadDe {
			return event.DirectionEscalation
		}
		return event.DirectionDeescalation
	case lo >= mixedMinSide && lo >= mixedMinShare*hi:
		return event.DirectionMixed
	case g.esc > g.de:
		return event.DirectionEscalation
	}
	return event.DirectionDeescalation
}
