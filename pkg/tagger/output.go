package tagger

import (
	"math"
	"sort"

	"github.com/tension-dev/tension/pkg/event"
)

// output assembles the contract (DESIGN §3).
func (d *doc) output(sal []countrySal, ma, mb string, cues []scoredCue) event.Tags {
	tags := event.Tags{Countries: []string{}, Entities: []event.Entity{}, Topics: []string{}, Dyads: []event.Dyad{}}
	toks := d.ts.toks
	for i := range d.ments {
		m := &d.ments[i]
		if !m.emit || m.typ == "" || toks[m.t0].is(fTitle) {
			continue
		}
		a, b := &toks[m.t0], &toks[m.t1-1]
		if a.start < 0 || int(b.end) > len(d.text) || a.start >= b.end {
			continue
		}
		tags.Entities = append(tags.Entities, event.Entity{
			Text: d.text[a.start:b.end], Type: m.typ, Canonical: m.canonical, Country: m.country,
			Start: int(a.start), End: int(b.end),
		})
	}
	sort.SliceStable(tags.Entities, func(i, j int) bool { return tags.Entities[i].Start < tags.Entities[j].Start })

	// countries: states that act or are acted upon: named at least twice and
	// not far less than the main ones, or named in the title
	// states named as actor or target of strong, current cues in their own sentence
	named := map[string]int{}
	for _, c := range cues {
		if !c.noact && c.base >= 3 && c.Weight > 0 {
			named[c.explicit[0]]++
			named[c.explicit[1]]++
		}
	}
	keep := map[string]bool{}
	top := 0.0
	if len(sal) > 0 {
		top = sal[0].score
	}
	for _, s := range sal {
		debugf("sal %s %.1f title=%v named=%d", s.code, s.score, s.title, named[s.code])
		min := 2.0
		if 0.2*top > min {
			min = 0.2 * top
		}
		if d.lex.isAmb(s.code) {
			min += 1
		}
		if s.score >= min || s.title || (named[s.code] >= 1 && s.score >= 1 && !d.lex.isAmb(s.code)) {
			keep[s.code] = true
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
	type agg struct {
		sum, esc, de float64
		cues         []event.Cue
	}
	byPair := map[string]*agg{}
	var order []string
	for _, c := range cues {
		if !keep[c.Actor] || !keep[c.Target] {
			continue
		}
		g := byPair[c.pair]
		if g == nil {
			g = &agg{}
			byPair[c.pair] = g
			order = append(order, c.pair)
		}
		g.sum += c.signed
		if c.signed > 0 {
			g.esc += c.signed
		} else {
			g.de -= c.signed
		}
		g.cues = append(g.cues, c.Cue)
	}
	trade := d.trade >= 1
	if ma != "" && mb != "" && keep[ma] && keep[mb] && trade {
		p := pairOf(ma, mb)
		if byPair[p] == nil {
			byPair[p] = &agg{}
			order = append(order, p)
		}
	}
	sort.Strings(order)
	for _, p := range order {
		g := byPair[p]
		if len(g.cues) == 0 && p != pairOf(ma, mb) {
			continue
		}
		dy := event.Dyad{Pair: p, Tension: squash(g.sum), Cues: g.cues}
		if dy.Cues == nil {
			dy.Cues = []event.Cue{}
		}
		dy.Direction = direction(dy.Tension, g.esc, g.de)
		debugf("dyad %s esc %.1f de %.1f sum %.1f tension %.2f %s", p, g.esc, g.de, g.sum, dy.Tension, dy.Direction)
		tags.Dyads = append(tags.Dyads, dy)
	}
	tags.Relevant = trade && len(tags.Dyads) > 0
	if !tags.Relevant {
		// without trade content the pairs are not trade tension
		for i := range tags.Dyads {
			_ = i
		}
	}
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
