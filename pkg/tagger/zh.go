package tagger

import (
	"context"
	"strings"

	"github.com/tension-dev/tension/pkg/event"
)

// zhDoc is the working state of one Chinese article. It embeds the English
// doc so that the shared steps (state salience, the output contract, dyad
// scores) run unchanged on Chinese tokens and mentions; only tokenising,
// entity and name rules and the stance rules are Chinese.
type zhDoc struct {
	doc
	z       *zhLexicon
	maxEnd  []int32 // token -> end of the longest non-compound match starting there
	prepEnd []uint8 // token -> a preposition (zpPrep) or an object marker (zpObj) ends right before it; zpNoNeg: inside a word like 不得不
	ctxLast map[int32]int32
	names   []zhName
	mods    modScan
	zrep    []zhRep // zhStance: the current sentence's reporting words
	repAt   [2]int  // zhSource: first reporting word at or after the last cue's start and end
	cueSpec []int32
}

// zhModifiers are the word classes that modify or attribute a cue.
const zhModifiers = wNEG | wNEGVOID | wHEDGE | wFUTURE | wHYPO | wBACKGROUND | wREPORT | wREPORTLOW | wCLAUSE | wPASSIVE | wANON

// zhRep is a reporting word of the current sentence and, once asked, its
// speaker.
type zhRep struct {
	k    int32
	done bool
	s, t string
}

// prepEnd flags.
const (
	zpPrep  uint8 = 1 << iota // a preposition or conjunction ends before the token (对, 与, 和)
	zpObj                     // an object marker ends before the token (对, 向, 针对)
	zpNoNeg                   // the token is inside a word that cancels negation (不得不)
)

// zhName is a person found by the name rules, looked for again elsewhere.
type zhName struct {
	norm      string // as in the normalised buffer
	canonical string
	speaker   string
	country   string
}

// tagZH tags a Chinese article (TagLangContext routes here), with the work
// budget and context of TagContext.
func (t *Tagger) tagZH(ctx context.Context, title, text string) (event.Tags, error) {
	d := t.zhPool.Get().(*zhDoc)
	tags, err := t.runDoc(ctx, title, text, &d.doc, d.run)
	t.zhPool.Put(d)
	return tags, err
}

func (d *zhDoc) run() event.Tags {
	z := d.z
	useTitle := d.title != "" && !strings.HasPrefix(strings.TrimSpace(d.text), strings.TrimSpace(d.title))
	d.wid = d.wid[:0]
	if useTitle {
		z.tokenizeIDs(&d.ts, d.title, fTitle, &d.wid, nil)
		// a break the automaton cannot match across
		d.ts.norm = append(d.ts.norm, '\n')
		d.ts.toks = append(d.ts.toks, token{start: int32(len(d.title)), end: int32(len(d.title)), ns: int32(len(d.ts.norm) - 1), ne: int32(len(d.ts.norm)), flags: fTitle, punct: '\n'})
		d.wid = append(d.wid, 0) // the break: no word
	}
	d.nTitle = len(d.ts.toks)
	ss := sentState{}
	z.tokenizeIDs(&d.ts, d.text, 0, &d.wid, &ss)
	if !d.spend(len(d.ts.toks)) {
		return event.Tags{}
	}
	for i := 0; i < d.nTitle; i++ {
		d.ts.toks[i].sent = -1
	}
	d.nSent = ss.count()
	n := len(d.ts.toks)
	d.wmask = grow32(d.wmask, n)
	d.wlen = grow8(d.wlen, n)
	d.mentAt = fillI32(growI32(d.mentAt, n), -1)
	d.maxEnd = growI32(d.maxEnd, n+1)
	clear(d.maxEnd)
	if cap(d.prepEnd) < n+1 {
		d.prepEnd = make([]uint8, n+1, n+n/2+1)
	}
	d.prepEnd = d.prepEnd[:n+1]
	clear(d.prepEnd)
	d.lex.wm.run(d.wid, d.emit)
	if !d.spend(n + 4*(len(d.cands)+len(d.cues))) {
		return event.Tags{}
	}
	// words with a negator inside that do not negate (不断, 未来, 不得不);
	// function words that begin a longer word are not function words there
	// (会 in 会晤, 对 in 对话)
	for i, w := range d.wmask {
		if w == 0 {
			continue
		}
		if d.prepEnd[i]&zpNoNeg != 0 {
			d.wmask[i] &^= wNEG | wNEGVOID
		}
		if d.maxEnd[i] > int32(i)+int32(d.wlen[i]) {
			d.wmask[i] &^= zhModifiers
		}
	}
	d.resolve()
	d.findNames()
	if !d.spend(2*n + 4*len(d.ments)) {
		return event.Tags{}
	}
	// function words inside names are not function words
	d.clearInNames(wREPORT | wREPORTLOW | wHEDGE | wNEG | wFUTURE | wHYPO | wBACKGROUND | wCLAUSE | wANON | wPREP | wPASSIVE)
	sal := d.salience()
	a, b := mainPair(sal)
	cues := d.zhStance(a, b)
	if !d.spend(len(d.ments) + 4*len(cues)) {
		return event.Tags{}
	}
	return d.output(sal, a, b, cues)
}

// emit records one match of the automaton.
func (d *zhDoc) emit(p int32, t0, t1 int32) {
	lex := d.lex
	pi := lex.pinfo[p]
	if t1 > d.maxEnd[t0] && !d.z.compound[p] {
		d.maxEnd[t0] = t1
	}
	if w := pi.words; w != 0 {
		d.wmask[t0] |= w
		if l := t1 - t0; l > int32(d.wlen[t0]) && l < 256 {
			d.wlen[t0] = uint8(l)
		}
		if w&wPREP != 0 {
			d.prepEnd[t1] |= zpPrep
		}
		if w&wOBJPREP != 0 {
			d.prepEnd[t1] |= zpObj
		}
		if w&wNOTNEG != 0 {
			for k := t0; k < t1; k++ {
				d.prepEnd[k] |= zpNoNeg
			}
		}
		if w&wTRADE != 0 {
			d.trade++
		}
		if w&wSPORT != 0 {
			d.sport++
		}
	}
	d.countTopics(pi.topics, int(t0))
	if pi.hn == 0 {
		return
	}
	name := false
	for _, h := range lex.hits[p] {
		if h.kind == kCue {
			d.cues = append(d.cues, cueCand{t0: t0, t1: t1, cue: h.id})
		} else {
			name = true
		}
	}
	if name {
		d.cands = append(d.cands, cand{t0: t0, t1: t1, pat: p})
	}
}

// resolve picks the leftmost-longest dictionary matches and turns them into
// mentions. Abbreviation compounds ("对华", "中美") give way to any longer
// word that starts at their abbreviation ("对华为", "中美元" is not read).
func (d *zhDoc) resolve() {
	lex := d.lex
	c := d.cands
	sortLeftmostLongest(c)
	if d.ctxLast == nil {
		d.ctxLast = map[int32]int32{}
	}
	clear(d.ctxLast)
	end := int32(-1)
	for _, cd := range c {
		if cd.t0 < end {
			continue
		}
		var best *hit
		rank := 0
		for k := range lex.hits[cd.pat] {
			h := &lex.hits[cd.pat][k]
			r := 0
			switch h.kind {
			case kEntity:
				r = 6
			case kSeat:
				r = 5
			case kCountry:
				r = 4
			case kAbbrGov:
				r = 3
			case kPair, kAbbrAt, kAbbrOf:
				r = 2
			}
			if r > rank {
				best, rank = h, r
			}
		}
		if best == nil {
			continue
		}
		switch best.kind {
		case kPair:
			if d.maxEnd[cd.t0+1] > cd.t1 || d.maxEnd[cd.t0] > cd.t1 {
				continue
			}
			d.addMention(mention{t0: cd.t0, t1: cd.t0 + 1, kind: mCountry, country: lex.countries[best.id>>16].code, speaker: "GOV"})
			d.addMention(mention{t0: cd.t0 + 1, t1: cd.t1, kind: mCountry, country: lex.countries[best.id&0xFFFF].code, speaker: "GOV"})
		case kAbbrAt:
			if d.maxEnd[cd.t1-1] > cd.t1 {
				continue
			}
			d.addMention(mention{t0: cd.t1 - 1, t1: cd.t1, kind: mCountry, country: lex.countries[best.id].code, speaker: "GOV"})
		case kAbbrOf:
			d.addMention(mention{t0: cd.t0, t1: cd.t0 + 1, kind: mCountry, country: lex.countries[best.id].code, speaker: "GOV"})
		case kAbbrGov:
			cty := &lex.countries[best.id]
			d.addMention(mention{t0: cd.t0, t1: cd.t1, kind: mEntity, typ: "GOV", country: cty.code, canonical: cty.govCanon, speaker: "GOV", emit: true})
		case kSeat:
			cty := &lex.countries[best.id]
			m := mention{t0: cd.t0, t1: cd.t1, kind: mSeat, typ: "GOV", country: cty.code, canonical: cty.govCanon, speaker: "GOV", emit: true}
			// a seat after its country is a city ("瑞典斯德哥尔摩"), as after a place word
			if d.zhPlace(cd.t0, cd.t1) || d.countryBefore(cd.t0) >= 0 {
				m.place, m.emit = true, false
			}
			d.addMention(m)
		case kCountry:
			m := mention{t0: cd.t0, t1: cd.t1, kind: mCountry, country: lex.countries[best.id].code, speaker: "GOV"}
			if d.zhPlace(cd.t0, cd.t1) {
				m.place = true
			}
			d.addMention(m)
		case kEntity:
			if !d.zhEntity(cd) {
				continue
			}
		}
		end = cd.t1
	}
}

// zhEntity adds the mention of a gazetteer match; false when the match is
// not an entity here (a bare government noun, a ministry of a state the
// gazetteer does not list).
func (d *zhDoc) zhEntity(cd cand) bool {
	lex, z := d.lex, d.z
	var ctx []int32
	var plain int32 = -1
	for _, h := range lex.hits[cd.pat] {
		if h.kind != kEntity {
			continue
		}
		if z.entFlags[h.id].ctx {
			ctx = append(ctx, h.id)
		} else if plain < 0 {
			plain = h.id
		}
	}
	prefix := d.countryBefore(cd.t0)
	pc := ""
	if prefix >= 0 {
		pc = d.ments[prefix].country
	}
	id := plain
	if id < 0 && len(ctx) > 0 {
		id = d.pickCtx(cd, ctx, pc)
		if id < 0 {
			return false
		}
	}
	if id < 0 {
		return false
	}
	e := &lex.entities[id]
	m := mention{t0: cd.t0, t1: cd.t1, canonical: e.canonical, country: e.country, speaker: e.speaker, kind: mEntity, typ: e.typ, emit: true}
	switch {
	case z.entFlags[id].gov:
		// "日本政府": a state's government; a bare 政府 is no entity
		if prefix < 0 {
			return false
		}
		pm := &d.ments[prefix]
		cty := lex.country(pm.country)
		m.country, m.canonical, m.t0 = cty.code, cty.govCanon, pm.t0
		d.dropMention(prefix)
	case e.typ == "IGNORE":
		m.kind, m.typ, m.emit = mIgnore, "", false
	case e.typ == "ROLE":
		m.kind, m.typ, m.emit = mRole, "", false
	case prefix >= 0 && e.typ == "GOV" && pc == e.country && d.ments[prefix].kind == mCountry:
		// "中国商务部": one span; the state still counts
		m.t0 = d.ments[prefix].t0
	}
	d.addMention(m)
	return true
}

// pickCtx chooses among the readings of a bare ministry name (see
// gazetteer.tsv, flag ctx); -1 when the context is a state without one.
func (d *zhDoc) pickCtx(cd cand, ids []int32, prefixCountry string) int32 {
	lex, z := d.lex, d.z
	byCountry := func(c string) int32 {
		for _, id := range ids {
			if lex.entities[id].country == c {
				return id
			}
		}
		return -1
	}
	pick := func(id int32) int32 {
		d.ctxLast[cd.pat] = id
		return id
	}
	if prefixCountry != "" {
		return pick(byCountry(prefixCountry))
	}
	if len(ids) > 1 {
		if c := d.subjectBefore(cd.t0); c != "" {
			if id := byCountry(c); id >= 0 {
				return pick(id)
			}
		}
		if id, ok := d.ctxLast[cd.pat]; ok && id >= 0 {
			return id
		}
	}
	for _, id := range ids {
		if z.entFlags[id].def {
			return pick(id)
		}
	}
	return pick(ids[0])
}

// zhMaxBack bounds how many mentions subjectBefore looks back.
const zhMaxBack = 16

// subjectBefore is the country of the nearest state mention before token t
// in its sentence that is not the object of a preposition.
func (d *zhDoc) subjectBefore(t int32) string {
	toks := d.ts.toks
	s := toks[t].sent
	for i := len(d.ments) - 1; i >= 0 && i >= len(d.ments)-zhMaxBack; i-- {
		m := &d.ments[i]
		if m.t0 >= t {
			continue
		}
		if toks[m.t0].sent != s {
			break
		}
		if m.country == "" || m.place || m.kind == mIgnore || m.kind == mRole || d.prepEnd[m.t0]&zpPrep != 0 {
			continue
		}
		if m.kind == mEntity && m.typ != "GOV" && !(m.typ == "PERSON" && m.speaker == "GOV") {
			continue
		}
		return m.country
	}
	return ""
}

// countryBefore returns the mention index of a state named right before
// token t ("美国" in "美国商务部"), or -1.
func (d *zhDoc) countryBefore(t int32) int {
	i := t - 1
	if i < 0 || i < int32(d.nTitle) && t >= int32(d.nTitle) {
		return -1
	}
	mi := d.mentAt[i]
	if mi < 0 {
		return -1
	}
	m := &d.ments[mi]
	if (m.kind == mCountry || m.kind == mSeat) && m.t1 == t {
		return int(mi)
	}
	return -1
}

// dropMention unlinks mention mi from its tokens (it was absorbed into a
// longer span); the mention itself stays so indexes do not move.
func (d *zhDoc) dropMention(mi int) {
	m := &d.ments[mi]
	for i := m.t0; i < m.t1; i++ {
		if d.mentAt[i] == int32(mi) {
			d.mentAt[i] = -1
		}
	}
	m.country, m.emit, m.kind = "", false, mIgnore
}

// zhPlace tells whether a state or seat name at [t0,t1) is a place: after a
// location word ("在北京", "于伦敦", "抵达华盛顿"), or in a dateline ("北京3月4日电").
func (d *zhDoc) zhPlace(t0, t1 int32) bool {
	if t0 > 0 && d.wmask[t0-1]&wLOC != 0 && d.wlen[t0-1] == 1 {
		return true
	}
	if t0 > 1 && d.wmask[t0-2]&wLOC != 0 && d.wlen[t0-2] == 2 {
		return true
	}
	// dateline: a date, then 电/讯 within a few tokens
	toks := d.ts.toks
	if int(t1) >= len(toks) || !toks[t1].is(fWord) || d.ts.norm[toks[t1].ns] < '0' || d.ts.norm[toks[t1].ns] > '9' {
		return false
	}
	for k := int(t1); k < len(toks) && k < int(t1)+8; k++ {
		if toks[k].punct != 0 {
			return false
		}
		if d.wmask[k]&wDATELINE != 0 && k > int(t1) {
			return true
		}
	}
	return false
}
