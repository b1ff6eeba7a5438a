package tagger

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tension-dev/tension/pkg/event"
)

// Scoring constants (docs/design.md §4). See README for how they were chosen.
const (
	alpha        = 60.0 // squash: x/sqrt(x^2+alpha)
	hedgeFactor  = 0.6
	futureFactor = 0.75
	hypoFactor   = 0.35
	backFactor   = 0.3
	negFactor    = 0.5 // a negated cue flips polarity at this share of its weight
	leadFactor   = 1.5
	tailFactor   = 0.8
	// direction: see direction in output.go
	decisiveWeight = 12.0
	decisiveLead   = 6.0
	leadOneSided   = 0.2
	mixedMinShare  = 0.25
	mixedMinSide   = 4.0
)

// speakerWeight: a government's words are its acts; commentary counts less.
func speakerWeight(sourceType string) float64 {
	switch sourceType {
	case "MEDIA":
		return 0.9
	case "STATE", "PERSON", "ANON":
		return 0.8
	case "ORG":
		return 0.7
	case "ANALYST":
		return 0.5
	}
	return 1 // GOV, NEWS
}

// mention kinds
const (
	mCountry uint8 = iota + 1
	mDemonym
	mSeat
	mEntity
	mIgnore
	mRole
	mNER
)

type mention struct {
	t0, t1    int32
	kind      uint8
	typ       string // PERSON, GOV, ORG, MEDIA; "" for plain country mentions
	canonical string
	country   string
	speaker   string // GOV, MEDIA, STATE, ANALYST, ORG, PERSON
	place     bool   // a capital used as a place or a dateline: not a state
	emit      bool   // listed as an entity
}

type cand struct {
	t0, t1 int32
	pat    int32
}

type cueCand struct {
	t0, t1 int32
	cue    int32
}

type doc struct {
	lex         *lexicon
	title, text string
	ctx         context.Context
	work        int64 // units of work done (spend)
	budget      int64 // units allowed
	err         error // why the run stopped early
	ts          tokens
	nTitle      int // tokens [0, nTitle) belong to the title
	nSent       int32
	wmask       []uint32
	wlen        []uint8
	mentAt      []int32
	wid         []int32 // token -> word id in the matcher's vocabulary (0: none)
	slow        []int32 // scratch for lookupAll
	cands       []cand
	cues        []cueCand
	found       []cueCand
	blocks      []cueCand        // stance: the blocking phrases found
	mates       []int            // stance: refs listed with an actor or target
	reversed    map[string]int32 // stance: pairs with a measure undone so far -> its sentence
	scored      []scoredCue
	refs        []ref
	sal         []countrySal
	aggs        []agg
	cueAgg      []int32
	pairIdx     map[string]int32 // output: pair name -> index in aggs
	pairFirst   []int32          // output: pair id -> first position in byPair (counting sort)
	pairFill    []int32
	byPair      []int32 // output: cue indices grouped by pair id
	named       []int32 // output: per country index, strong cues naming it
	kept        []int32 // output: the kept countries' indices
	keepSet     []bool  // output: per country index, kept
	salSlot     []int32 // salience: per country index, 1 + its entry in the list (0: none)
	sentMark    []int32 // salience: per country index, the last sentence it was named in
	parties     []int32
	partyRefs   []partyRef // salience: the mentions that may be trade parties
	entOrder    [][2]int32
	rep         []repVerb // stance: the current sentence's reporting verbs
	repDone     bool      // their speakers are known
	repNext     []int32   // stance: per verb, the first verb at or after it with a speaker
	repPrev     []int32   // stance: per verb, the last verb at or before it with a speaker
	quo         []int32   // stance: the current sentence's quotes
	srcCountry  string    // stance: the sentence's government speaker's country ("?": not looked up)
	curQ        int       // stance cursors: quotes, verbs before the current cue's start and end
	curV0       int
	curV1       int
	ri          refIndex // stance: the current sentence's refs, indexed
	bound       []int32  // stance: per token, the nearest clause boundary at or before it
	hypoAt      []int32  // stance: per token, the nearest hypothetical marker at or before it
	persons     []int32  // people mentioned, by first token
	surnames    map[string]int32
	orgPrefix   map[string]int32 // word prefixes of the names of organisations found by their shape -> mention
	ments       []mention
	topicCount  []int
	topicLead   []bool
	trade       int
	sport       int
	explainer   bool // the title asks what, how or why: an explainer, not news
}

func (d *doc) reset(title, text string) {
	d.title, d.text = title, text
	d.ts.toks = d.ts.toks[:0]
	d.ts.norm = d.ts.norm[:0]
	d.cands = d.cands[:0]
	d.cues = d.cues[:0]
	d.ments = d.ments[:0]
	clear(d.orgPrefix)
	d.trade = 0
	d.sport = 0
	d.explainer = false
	if cap(d.topicCount) < len(d.lex.topicName) {
		d.topicCount = make([]int, len(d.lex.topicName))
		d.topicLead = make([]bool, len(d.lex.topicName))
	}
	d.topicCount = d.topicCount[:len(d.lex.topicName)]
	d.topicLead = d.topicLead[:len(d.lex.topicName)]
	clear(d.topicCount)
	clear(d.topicLead)
}

func (d *doc) src(t *token) string {
	if t.is(fTitle) {
		return d.title
	}
	return d.text
}

func (d *doc) norm(i int) string {
	t := &d.ts.toks[i]
	return string(d.ts.norm[t.ns:t.ne])
}

// nb is the normalised bytes of token i (no allocation; use string(d.nb(i))
// only in comparisons and map indexes, which the compiler does not copy).
func (d *doc) nb(i int) []byte {
	t := &d.ts.toks[i]
	return d.ts.norm[t.ns:t.ne]
}

func (d *doc) normIs(i int, s string) bool {
	if i < 0 || i >= len(d.ts.toks) {
		return false
	}
	t := &d.ts.toks[i]
	return string(d.ts.norm[t.ns:t.ne]) == s
}

func (d *doc) has(i int, w uint32) bool {
	return i >= 0 && i < len(d.wmask) && d.wmask[i]&w != 0
}

func (d *doc) run() event.Tags {
	lex := d.lex
	useTitle := d.title != "" && !strings.HasPrefix(strings.TrimSpace(d.text), strings.TrimSpace(d.title))
	if useTitle {
		d.ts.tokenize(d.title, fTitle)
		// a break the automaton cannot match across
		d.ts.norm = append(d.ts.norm, ' ', '\n')
		d.ts.toks = append(d.ts.toks, token{start: int32(len(d.title)), end: int32(len(d.title)), ns: int32(len(d.ts.norm) - 1), ne: int32(len(d.ts.norm)), flags: fTitle, punct: '\n'})
	}
	d.nTitle = len(d.ts.toks)
	d.ts.tokenize(d.text, 0)
	if !d.spend(len(d.ts.toks)) {
		return event.Tags{}
	}
	for i := 0; i < d.nTitle; i++ {
		d.ts.toks[i].sent = -1
	}
	d.nSent = d.ts.splitSentences(d.nTitle, 0)
	n := len(d.ts.toks)
	d.mentAt = fillI32(growI32(d.mentAt, n), -1)

	// one pass of the word automaton over all dictionaries
	toks := d.ts.toks
	norm := d.ts.norm
	d.wid = growI32(d.wid, n)
	d.slow = growI32(d.slow, n+1)
	lex.wm.lookupAll(toks, norm, d.wid, d.slow)
	// the one-word patterns the automaton does not report (wordOnly): their
	// classes, and a length of one where nothing longer starts (the
	// matches below add theirs). Set for every token, without a branch
	// on whether its word has classes: function words come in no order
	// a branch predictor could learn (a branch here mispredicted ~0.4
	// times a token)
	d.wmask = growU32(d.wmask, n)
	d.wlen = growU8(d.wlen, n)
	wordBits := lex.wordBits
	wmask, wlen := d.wmask[:n], d.wlen[:n]
	for i, id := range d.wid[:n] {
		b := wordBits[id]
		wmask[i] = b
		wlen[i] = uint8(min(b, 1))
	}
	// the callback runs once per match: the tables it indexes are
	// captured as slices, one load each, not read through lex and d
	pinfo, hitFlat := lex.pinfo, lex.hitFlat
	emit := func(p int32, tt0, tt1 int32) {
		t0, t1 := int(tt0), int(tt1)
		pi := &pinfo[p]
		// the word classes, by arithmetic, not branches: whether a
		// match has classes, is the longest at its token so far and
		// is a trade or sport word came in no order the predictor
		// learnt (3.9 k mispredicted branches a pass over the dev
		// texts); a match without classes adds nothing
		w := pi.words
		wmask[t0] |= w
		l := t1 - t0
		if l >= 256 {
			l = 0 // no length kept past a byte
		}
		if w == 0 {
			l = 0
		}
		wlen[t0] = uint8(max(int(wlen[t0]), l))
		d.trade += int(w&wTRADE) / int(wTRADE)
		d.sport += int(w&wSPORT) / int(wSPORT)
		if pi.topics != 0 { // most matches have none: no call
			d.countTopics(pi.topics, t0)
		}
		if pi.hn == 0 {
			return
		}
		// the cues among the hits up to the first that is not one (a
		// name: the match is a candidate, once), counted when the
		// lexicon is built (no test of each hit's kind)
		h0, nc := int(pi.h0), int(pi.nc)
		for _, h := range hitFlat[h0 : h0+nc] {
			d.cues = append(d.cues, cueCand{t0: int32(t0), t1: int32(t1), cue: h.id})
		}
		if nc < int(pi.hn) {
			d.cands = append(d.cands, cand{t0: int32(t0), t1: int32(t1), pat: p})
		}
	}
	lex.wm.run(d.wid[:n], emit)
	if !d.spend(n + 4*(len(d.cands)+len(d.cues))) {
		return event.Tags{}
	}

	d.resolveEntities()
	d.recogniseNames()
	d.indexPersons()
	if !d.spend(2*n + 4*len(d.ments)) {
		return event.Tags{}
	}
	// function words inside names ("United States", "Theresa May") are not function words
	d.clearInNames(wREPORT | wREPORTLOW | wHEDGE | wNEG | wFUTURE | wHYPO | wBACKGROUND | wCLAUSE | wANON)
	// a title asking "What is ...?" or "How does ...?" heads an explainer:
	// the measures it describes are background, not news
	d.explainer = d.title != "" && d.wmask[0]&wEXPLAINER != 0 && strings.HasSuffix(strings.TrimSpace(d.title), "?")
	sal := d.salience()
	a, b := mainPair(sal)
	cues := d.stance(a, b)
	if !d.spend(len(d.ments) + 4*len(cues)) {
		return event.Tags{}
	}
	return d.output(sal, a, b, cues)
}

// spend counts units of work and tells whether the run may go on: the
// budget is not exceeded and the context is not done.
func (d *doc) spend(units int) bool {
	if d.err != nil {
		return false
	}
	d.work += int64(units)
	if d.work > d.budget {
		d.err = fmt.Errorf("%w (%d units for %d bytes of text)", ErrWorkBudget, d.work, len(d.title)+len(d.text))
		return false
	}
	if d.ctx != nil {
		if err := d.ctx.Err(); err != nil {
			d.err = fmt.Errorf("tagger: %w", err)
			return false
		}
	}
	return true
}

func grow32(s []uint32, n int) []uint32 {
	if cap(s) < n {
		s = make([]uint32, n, n+n/2)
	}
	s = s[:n]
	for i := range s {
		s[i] = 0
	}
	return s
}

func grow8(s []uint8, n int) []uint8 {
	if cap(s) < n {
		s = make([]uint8, n, n+n/2)
	}
	s = s[:n]
	for i := range s {
		s[i] = 0
	}
	return s
}

// fillI32 sets every element of s to v and returns s, by copying the
// filled part onto the rest (memmove, many bytes a turn) rather than a
// loop of stores through d.x[i], which the compiler reloads on every turn
// (the store might change d): ~9 instructions an element.
func fillI32(s []int32, v int32) []int32 {
	if len(s) == 0 {
		return s
	}
	s[0] = v
	for k := 1; k < len(s); k *= 2 {
		copy(s[k:], s[:k])
	}
	return s
}

// growU32 returns s with length n, its contents undefined.
func growU32(s []uint32, n int) []uint32 {
	if cap(s) < n {
		s = make([]uint32, n, n+n/2)
	}
	return s[:n]
}

// growU8 returns s with length n, its contents undefined.
func growU8(s []uint8, n int) []uint8 {
	if cap(s) < n {
		s = make([]uint8, n, n+n/2)
	}
	return s[:n]
}

func growI32(s []int32, n int) []int32 {
	if cap(s) < n {
		s = make([]int32, n, n+n/2)
	}
	return s[:n]
}

// caseOK checks an alias' case rule against the original text of tokens [t0,t1).
func (d *doc) caseOK(h hit, t0, t1 int32) bool {
	if !h.capFirst && !h.allCaps {
		return true
	}
	first := &d.ts.toks[t0]
	if h.capFirst && !first.is(fCap) {
		return false
	}
	if h.allCaps {
		for i := t0; i < t1; i++ {
			t := &d.ts.toks[i]
			if t.is(fWord) && !t.is(fAllCaps) && hasLetter(d.ts.norm[t.ns:t.ne]) {
				return false
			}
		}
	}
	return true
}

func hasLetter(b []byte) bool {
	for _, c := range b {
		if c >= 'a' && c <= 'z' || c >= 0x80 {
			return true
		}
	}
	return false
}

// resolveEntities picks the leftmost-longest non-overlapping dictionary
// matches and turns them into mentions: for each match the best hit that
// passes its case rule (bestHit), then either a generic government noun
// given its country by the name before it (prefixedGeneric) or the
// mention of the hit itself (hitMention).
func (d *doc) resolveEntities() {
	lex := d.lex
	c := d.cands
	sortLeftmostLongest(c)
	end := int32(-1)
	for _, cd := range c {
		if cd.t0 < end {
			continue
		}
		best, generic := d.bestHit(cd)
		if best == nil && generic == nil {
			continue
		}
		// a country right before a generic (or country-default) government noun gives it its country
		prefix := d.countryPrefix(cd.t0)
		if generic != nil && (best == nil || (prefix >= 0 && best.kind == kEntity && lex.entities[best.id].country != d.ments[prefix].country)) {
			if prefix >= 0 {
				// the country mention stays (it counts for countries) but is absorbed in the span
				d.addMention(d.prefixedGeneric(cd, generic, prefix))
				end = cd.t1
				continue
			}
			if best == nil {
				continue
			}
		}
		d.addMention(d.hitMention(cd, best, prefix))
		end = cd.t1
	}
}

// bestHit chooses, among the hits of match cd that pass their case rule,
// the best by kind (entity, seat of government, country, demonym), and
// separately a generic entity ("the ministry"), which needs a country.
func (d *doc) bestHit(cd cand) (best, generic *hit) {
	lex := d.lex
	bestRank := 0
	for k := range lex.hits[cd.pat] {
		h := &lex.hits[cd.pat][k]
		if h.kind == kCue || !d.caseOK(*h, cd.t0, cd.t1) {
			continue
		}
		rank := 0
		switch h.kind {
		case kEntity:
			e := &lex.entities[h.id]
			if e.generic {
				generic = h
				continue
			}
			rank = 5
		case kSeat:
			rank = 4
		case kCountry:
			rank = 3
		case kDemonym:
			rank = 2
		}
		if rank > bestRank {
			best, bestRank = h, rank
		}
	}
	return best, generic
}

// prefixedGeneric is the mention of a generic government noun (match cd,
// hit generic) named with the country mention before it (d.ments[prefix]),
// spanning both: "China's commerce ministry".
func (d *doc) prefixedGeneric(cd cand, generic *hit, prefix int) mention {
	lex := d.lex
	pm := &d.ments[prefix]
	g := &lex.entities[generic.id]
	return mention{
		t0: pm.t0, t1: cd.t1, kind: mEntity, typ: g.typ, country: pm.country,
		canonical: lex.countryName(pm.country) + " " + g.canonical,
		speaker:   g.speaker, emit: true,
	}
}

// hitMention is the mention of match cd as hit best; prefix is the
// country mention right before it, or -1.
func (d *doc) hitMention(cd cand, best *hit, prefix int) mention {
	lex := d.lex
	m := mention{t0: cd.t0, t1: cd.t1}
	switch best.kind {
	case kEntity:
		e := &lex.entities[best.id]
		m.canonical = e.canonical
		m.country = e.country
		m.speaker = e.speaker
		switch e.typ {
		case "IGNORE":
			m.kind = mIgnore
		case "ROLE":
			m.kind = mRole
		default:
			m.kind = mEntity
			m.typ = e.typ
			m.emit = true
		}
		if prefix >= 0 && m.kind == mEntity && (e.typ == "ORG" || e.typ == "MEDIA") && d.ments[prefix].kind == mCountry && d.normIs(int(cd.t0)-1, "'s") {
			// "South Korea's Samsung", "Hong Kong's Phoenix TV": the
			// state names the firm's home, it does not act
			d.ments[prefix].place = true
		}
		if prefix >= 0 && m.kind == mEntity && e.typ == "GOV" && d.ments[prefix].country == e.country {
			// "China's Ministry of Commerce": one span
			m.t0 = d.ments[prefix].t0
		}
	case kSeat:
		cty := &lex.countries[best.id]
		m.kind = mSeat
		m.country = cty.code
		m.typ = "GOV"
		m.canonical = cty.govCanon
		m.speaker = "GOV"
		m.emit = true
		if d.isPlace(cd.t0, cd.t1) {
			m.place = true
			m.emit = false
		}
	case kCountry, kDemonym:
		cty := &lex.countries[best.id]
		m.kind = mCountry
		if best.kind == kDemonym {
			m.kind = mDemonym
		}
		m.country = cty.code
		m.speaker = "GOV"
		if d.isDateline(cd.t0, cd.t1) || (best.kind == kCountry && (d.isPlace(cd.t0, cd.t1) || d.isAddress(cd.t0))) {
			m.place = true
		}
	}
	return m
}

// country returns the definition of a country code, or nil.
func (l *lexicon) country(code string) *countryDef {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return nil
	}
	if k := l.byCode[int(code[0]-'A')*26+int(code[1]-'A')]; k > 0 {
		return &l.countries[k-1]
	}
	return nil
}

// countryIndex is the index of a country code in l.countries, or -1.
func (l *lexicon) countryIndex(code string) int {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return -1
	}
	return int(l.byCode[int(code[0]-'A')*26+int(code[1]-'A')]) - 1
}

// pairName is the name of the pair of states a and b, codes in order
// ("CN-US"), from l.pairNames.
func (l *lexicon) pairName(a, b string) string {
	i, j := l.countryIndex(a), l.countryIndex(b)
	if i < 0 || j < 0 {
		return pairOf(a, b)
	}
	k := (i*len(l.countries) + j) * 5
	return l.pairNames[k : k+5]
}

func (l *lexicon) isAmb(code string) bool {
	if c := l.country(code); c != nil {
		return c.amb
	}
	return false
}

func (l *lexicon) countryName(code string) string {
	if c := l.country(code); c != nil {
		return c.name
	}
	return code
}

// clearInNames clears the word classes bits on the tokens of every
// mention that is not an ignore phrase (the tokens it still holds): words
// inside names are not function words. It walks the mentions, not every
// token.
func (d *doc) clearInNames(bits uint32) {
	for i := range d.ments {
		m := &d.ments[i]
		if m.kind == mIgnore {
			continue
		}
		for k := m.t0; k < m.t1; k++ {
			if d.mentAt[k] == int32(i) {
				d.wmask[k] &^= bits
			}
		}
	}
}

func (d *doc) addMention(m mention) {
	if m.t0 < 0 || m.t1 > int32(len(d.ts.toks)) || m.t0 >= m.t1 {
		return
	}
	idx := int32(len(d.ments))
	d.ments = append(d.ments, m)
	for i := m.t0; i < m.t1; i++ {
		d.mentAt[i] = idx
	}
	if m.kind == mNER && m.typ == "ORG" {
		d.noteOrg(idx)
	}
}

// countryPrefix returns the mention index of a country or demonym directly
// before token t ("China's", "Japanese"), or -1.
func (d *doc) countryPrefix(t int32) int {
	i := t - 1
	if i >= 0 && d.normIs(int(i), "'s") {
		i--
	}
	if i < 0 {
		return -1
	}
	mi := d.mentAt[i]
	if mi < 0 {
		return -1
	}
	m := &d.ments[mi]
	if (m.kind == mCountry || m.kind == mDemonym || m.kind == mSeat) && m.t1 == i+1 {
		return int(mi)
	}
	return -1
}

// isPlace tells whether a capital is a place ("in Beijing", a dateline)
// rather than a government.
func (d *doc) isPlace(t0, t1 int32) bool {
	if d.isDateline(t0, t1) {
		return true
	}
	p := int(t0) - 1
	if p >= 0 && d.normIs(p, "the") {
		p--
	}
	if p >= 0 && d.wmask[p]&wLOC != 0 && d.wlen[p] == 1 {
		return true
	}
	return false
}

// isAddress tells whether the country at token t0 completes a place's
// address: "in Bali, Indonesia", "at Lancaster House in London, Britain"
// (the place, then a comma, after a place word).
func (d *doc) isAddress(t0 int32) bool {
	toks := d.ts.toks
	c, p, l := int(t0)-1, int(t0)-2, int(t0)-3
	if l < 0 || toks[c].punct != ',' || !toks[p].is(fCap) || d.mentAt[p] >= 0 {
		return false
	}
	return d.wmask[l]&wLOC != 0 && d.wlen[l] == 1
}

func (d *doc) isDateline(t0, t1 int32) bool {
	toks := d.ts.toks
	first := &toks[t0]
	if !first.is(fParaStart) && !(first.is(fAllCaps) && t0 > 0 && toks[t0-1].punct == '/') {
		return false
	}
	if first.is(fAllCaps) && int(t1) < len(toks) && !toks[t1].is(fWord) {
		return true
	}
	if first.is(fAllCaps) && t0 > 0 && toks[t0-1].punct == '/' {
		return true // "BEIJING/WASHINGTON (Reuters)"
	}
	if int(t1) < len(toks) {
		p := toks[t1].punct
		if p == ',' || p == '(' || p == '-' || p == ':' {
			// "WASHINGTON (Reuters) -", "Beijing, May 2 -"
			return first.is(fAllCaps) || p == '(' || d.hasDash(int(t1), 8)
		}
	}
	return false
}

func (d *doc) hasDash(from, n int) bool {
	toks := d.ts.toks
	for i := from; i < len(toks) && i < from+n; i++ {
		if toks[i].punct == '-' {
			return true
		}
		if toks[i].punct == '.' {
			return false
		}
	}
	return false
}

// sentRange returns the token range of the sentence holding token i.
func (d *doc) sentRange(i int) (int, int) {
	toks := d.ts.toks
	s := toks[i].sent
	a, b := i, i+1
	for a > 0 && toks[a-1].sent == s && !(toks[a-1].punct == '\n' && toks[a-1].is(fTitle)) {
		a--
	}
	for b < len(toks) && toks[b].sent == s && toks[b].is(fTitle) == toks[i].is(fTitle) {
		b++
	}
	return a, b
}

// countTopics counts a match's topic bits (one bit per topic) and marks the
// topics seen in the lead (the title or the first sentence); the English
// and Chinese analysers share it.
func (d *doc) countTopics(bits uint32, t0 int) {
	if bits == 0 {
		return
	}
	lead := d.ts.toks[t0].sent <= 1
	for b := 0; bits != 0; b++ {
		if bits&1 != 0 {
			d.topicCount[b]++
			if lead {
				d.topicLead[b] = true
			}
		}
		bits >>= 1
	}
}

// sortLeftmostLongest orders dictionary matches by start, the longest first
// at each start: the order both analysers resolve overlaps in. No two
// matches have the same start and end (a span's text is one pattern), so
// the order is total and any sort gives the same result. The matches come
// by end token, so they are nearly in order: an insertion sort moves each
// past the few matches that lie inside it, which beats a general sort on
// these short lists; past a linear number of moves (input not from the
// automaton) it hands over to one.
func sortLeftmostLongest(c []cand) {
	moves := 0
	for i := 1; i < len(c); i++ {
		x := c[i]
		j := i
		for j > 0 && (c[j-1].t0 > x.t0 || c[j-1].t0 == x.t0 && c[j-1].t1 < x.t1) {
			c[j] = c[j-1]
			j--
		}
		c[j] = x
		if moves += i - j; moves > 16*len(c) {
			slices.SortFunc(c, func(a, b cand) int {
				if a.t0 != b.t0 {
					return int(a.t0 - b.t0)
				}
				return int(b.t1 - a.t1)
			})
			return
		}
	}
}
