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
	pair         string
	id           int32 // order of creation (pairs are sorted later)
	sum, esc, de float64
	n            int
}

// output assembles the contract (DESIGN §3).
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
		if !m.emit || m.typ == "" || toks[m.t0].is(fTitle) {
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
	// not far less than the main ones, or named in the title
	// states named as actor or target of strong, current cues in their own sentence
	namedCount := func(code string) int {
		n := 0
		for i := range cues {
			c := &cues[i]
			if !c.noact && c.base >= 3 && c.Weight > 0 && (c.explicit[0] == code || c.explicit[1] == code) {
				n++
			}
		}
		return n
	}
	keep := func(code string) bool {
		for _, c := range tags.Countries {
			if c == code {
				return true
			}
		}
		return false
	}
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
		if d.lex.isAmb(s.code) {
			min += 1
		}
		if s.score >= min || s.title || (s.score >= 1 && !d.lex.isAmb(s.code) && namedCount(s.code) >= 1) {
			tags.Countries = append(tags.Countries, s.code)
		}
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
	find := func(p string) int {
		for i := range pairs {
			if pairs[i].pair == p {
				return i
			}
		}
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
		if c.signed > 0 {
			g.esc += c.signed
		} else {
			g.de -= c.signed
		}
		g.n++
	}
	trade := d.trade >= 1
	mainP := ""
	if ma != "" && mb != "" && keep(ma) && keep(mb) && trade {
		mainP = d.pairOf(ma, mb)
		find(mainP)
	}
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
		for i := range cues {
			if cueAgg[i] == g.id {
				dy.Cues = append(dy.Cues, cues[i].Cue)
			}
		}
		cueBuf = cueBuf[:min(cap(cueBuf), len(cueBuf)+len(dy.Cues))]
		dy.Direction = direction(dy.Tension, g.esc, g.de)
		if debugOn {
			debugf("dyad %s esc %.1f de %.1f sum %.1f tension %.2f %s", g.pair, g.esc, g.de, g.sum, dy.Tension, dy.Direction)
		}
		tags.Dyads = append(tags.Dyads, dy)
	}
	tags.Relevant = trade && len(tags.Dyads) > 0
	return tags
}

func direction(tension, esc, de float64) string {
	if esc >= mixedMinSide && de >= mixedMinSide && math.Min(esc, de)/math.Max(esc, de) >= mixedMinShare {
		return event.DirectionMixed
	}
	switch {
	case tension >= dirThreshold:
		return event.DirectionEscalation
	case tension <= -dirThreshold:
		return event.DirectionDeescalation
	}
	return event.DirectionNeutral
}
