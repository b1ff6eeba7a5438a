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

// output assembles the contract (docs/design.md §3) in the order a reader
// of the result would check it: the entities, the countries kept, the
// topics, then the dyads built from the cues between kept countries.
func (d *doc) output(sal []countrySal, ma, mb string, cues []scoredCue) event.Tags {
	tags := d.newTags(len(sal))
	d.appendEntities(&tags)
	kept := d.keepCountries(&tags, sal, cues)
	defer func() {
		for _, k := range kept {
			d.keepSet[k] = false
		}
	}()
	sort.Strings(tags.Countries)
	for i, name := range d.lex.topicName {
		if d.topicKept(i) {
			tags.Topics = append(tags.Topics, name)
		}
	}
	trade := d.trade >= 1
	mainP := d.aggregatePairs(cues, ma, mb, trade)
	d.appendDyads(&tags, cues, mainP)
	tags.Relevant = trade && len(tags.Dyads) > 0
	return tags
}

// topicKept reports whether topic i is tagged: named twice, or once in
// the lead.
func (d *doc) topicKept(i int) bool {
	return d.topicCount[i] >= 2 || (d.topicCount[i] >= 1 && d.topicLead[i])
}

// newTags allocates the result once at its final size: the entities, and
// one backing array shared by the countries (at most nSal) and topics
// (capacities are capped so appends stay in their part).
func (d *doc) newTags(nSal int) event.Tags {
	nEnt := 0
	for i := range d.ments {
		if d.ments[i].emit {
			nEnt++
		}
	}
	nTopic := 0
	for i := range d.lex.topicName {
		if d.topicKept(i) {
			nTopic++
		}
	}
	strs := make([]string, 0, nSal+nTopic)
	return event.Tags{Countries: strs[:0:nSal], Entities: make([]event.Entity, 0, nEnt), Topics: strs[nSal:nSal]}
}

// appendEntities adds the emitted mentions of the body (not the title,
// not a person's name used as a modifier) in order of their start.
func (d *doc) appendEntities(tags *event.Tags) {
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
}

// keepCountries adds the countries that act or are acted upon to
// tags.Countries (in salience order) and marks them in d.keepSet; it
// returns their indices so the caller can unmark them. A country is kept
// when named at least twice and not far less than the main ones, or named
// in the title, or named as the actor or target of strong, current cues
// in their own sentence: twice, or once when named about as often as the
// main ones (a state named once in a long article, in one cue, is mostly
// an aside: "violated sanctions on Iran").
func (d *doc) keepCountries(tags *event.Tags, sal []countrySal, cues []scoredCue) []int32 {
	lex := d.lex
	named := cueNamed{d: d, cues: cues}
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
		if s.score >= min || s.title || (s.score >= 1 && !lex.isAmb(s.code) && (named.count(s.code) >= 2 || named.count(s.code) >= 1 && s.score >= 0.5*top)) {
			tags.Countries = append(tags.Countries, s.code)
			if k := lex.countryIndex(s.code); k >= 0 {
				kept = append(kept, int32(k))
			}
		}
	}
	d.kept = kept
	if len(d.keepSet) < len(lex.countries) {
		d.keepSet = make([]bool, len(lex.countries))
	}
	for _, k := range kept {
		d.keepSet[k] = true
	}
	return kept
}

// cueNamed counts, per country, the strong current cues that name it as
// actor or target. Most countries are decided by salience alone, so the
// counts are made on the first question only.
type cueNamed struct {
	d     *doc
	cues  []scoredCue
	named []int32 // per country index; nil until first asked
}

func (n *cueNamed) count(code string) int32 {
	lex := n.d.lex
	if n.named == nil {
		n.named = growI32(n.d.named, len(lex.countries))
		clear(n.named)
		n.d.named = n.named
		for i := range n.cues {
			c := &n.cues[i]
			if !c.noact && c.base >= 3 && c.Weight > 0 {
				for _, e := range c.explicit {
					if k := lex.countryIndex(e); k >= 0 {
						n.named[k]++
					}
				}
			}
		}
	}
	if k := lex.countryIndex(code); k >= 0 {
		return n.named[k]
	}
	return 0
}

// isKept reports whether the country code was kept by keepCountries.
func (d *doc) isKept(code string) bool {
	k := d.lex.countryIndex(code)
	return k >= 0 && d.keepSet[k]
}

// pairAgg returns the index in d.aggs of pair p's sums, adding it.
func (d *doc) pairAgg(p string) int {
	if k, ok := d.pairIdx[p]; ok {
		return int(k)
	}
	d.pairIdx[p] = int32(len(d.aggs))
	d.aggs = append(d.aggs, agg{pair: p, id: int32(len(d.aggs))})
	return len(d.aggs) - 1
}

// aggregatePairs sums the cues between kept countries per pair into
// d.aggs (sorted by pair name) and groups the cues by pair in d.byPair
// (d.pairFirst holds each pair id's offset). The main pair gets an entry
// even without cues when the article is about trade; its name is returned
// ("" when it has none).
func (d *doc) aggregatePairs(cues []scoredCue, ma, mb string, trade bool) (mainP string) {
	d.aggs = d.aggs[:0]
	if d.pairIdx == nil {
		d.pairIdx = map[string]int32{}
	}
	clear(d.pairIdx)
	// cueAgg[i]: the id of cue i's pair, or -1 when a side is not kept
	cueAgg := d.cueAgg[:0]
	for i := range cues {
		c := &cues[i]
		if !d.isKept(c.Actor) || !d.isKept(c.Target) {
			cueAgg = append(cueAgg, -1)
			continue
		}
		g := &d.aggs[d.pairAgg(c.pair)]
		cueAgg = append(cueAgg, g.id)
		g.add(c.signed, c.Sentence <= 1)
	}
	if ma != "" && mb != "" && d.isKept(ma) && d.isKept(mb) && trade {
		mainP = d.pairOf(ma, mb)
		d.pairAgg(mainP)
	}
	d.cueAgg = cueAgg
	d.groupByPair(cueAgg, len(d.aggs))
	slices.SortFunc(d.aggs, func(a, b agg) int { return strings.Compare(a.pair, b.pair) })
	return mainP
}

// add counts one cue of signed weight; lead is a cue of the title or the
// first two sentences.
func (g *agg) add(signed float64, lead bool) {
	g.sum += signed
	if signed > 0 {
		g.esc += signed
		if lead {
			g.leadEsc += signed
		}
	} else {
		g.de -= signed
		if lead {
			g.leadDe -= signed
		}
	}
	g.n++
}

// groupByPair lists the cues of each of the nPairs pairs, in order, by a
// counting sort on their pair ids (cueAgg): the cues of pair id are
// d.byPair[d.pairFirst[id]:d.pairFirst[id+1]].
func (d *doc) groupByPair(cueAgg []int32, nPairs int) {
	first := growI32(d.pairFirst, nPairs+1)
	clear(first)
	for _, id := range cueAgg {
		if id >= 0 {
			first[id+1]++
		}
	}
	for i := 1; i < len(first); i++ {
		first[i] += first[i-1]
	}
	byPair := growI32(d.byPair, int(first[nPairs]))
	fill := growI32(d.pairFill, nPairs)
	copy(fill, first[:nPairs])
	for i, id := range cueAgg {
		if id >= 0 {
			byPair[fill[id]] = int32(i)
			fill[id]++
		}
	}
	d.pairFirst, d.byPair, d.pairFill = first, byPair, fill
}

// appendDyads adds a dyad for each pair with cues, and for the main pair
// mainP, with its tension, direction and cues.
func (d *doc) appendDyads(tags *event.Tags, cues []scoredCue, mainP string) {
	pairs, first, byPair := d.aggs, d.pairFirst, d.byPair
	nDyad, nCue := 0, 0
	for k := range pairs { // by pointer: an agg is 72 bytes
		if g := &pairs[k]; g.n > 0 || g.pair == mainP {
			nDyad++
			nCue += g.n
		}
	}
	// the dyads' cues share one backing array (capacities are capped)
	tags.Dyads = make([]event.Dyad, 0, nDyad)
	cueBuf := make([]event.Cue, 0, nCue)
	for k := range pairs {
		g := &pairs[k]
		if g.n == 0 && g.pair != mainP {
			continue
		}
		dy := event.Dyad{Pair: g.pair, Tension: squash(g.sum), Cues: cueBuf[len(cueBuf) : len(cueBuf) : len(cueBuf)+g.n]}
		for _, i := range byPair[first[g.id]:first[g.id+1]] {
			dy.Cues = append(dy.Cues, cues[i].Cue)
		}
		cueBuf = cueBuf[:min(cap(cueBuf), len(cueBuf)+len(dy.Cues))]
		dy.Direction = direction(g)
		if d.explainer {
			dy.Direction = event.DirectionNeutral
		}
		if debugOn {
			debugf("dyad %s esc %.3f de %.3f lead %.3f %.3f n %d sum %.3f tension %.2f %s", g.pair, g.esc, g.de, g.leadEsc, g.leadDe, g.n, g.sum, dy.Tension, dy.Direction)
		}
		tags.Dyads = append(tags.Dyads, dy)
	}
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
