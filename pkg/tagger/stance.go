package tagger

import (
	"cmp"
	"slices"

	"github.com/tension-dev/tension/pkg/event"
)

type countrySal struct {
	code  string
	score float64
	first int32
	title bool
}

// salience counts how much each state acts or is acted upon: mentions of
// the country, its demonym, its seat of government, its government bodies and
// officials; not datelines or capitals used as places. Then come bonuses,
// each its own step: parties named together in a trade sentence, states
// listed together, and firms standing for their state. The list is sorted
// by score, then first mention.
func (d *doc) salience() []countrySal {
	lex := d.lex
	if len(d.salSlot) < len(lex.countries) {
		d.salSlot = make([]int32, len(lex.countries))
	}
	out := d.countMentions(d.sal[:0])
	d.addTradeParties(out)
	d.addLists(out)
	out = d.addFirms(out)
	for _, s := range out {
		d.salSlot[lex.countryIndex(s.code)] = 0 // zero again for the next article
	}
	// in a sports report, countries are teams
	if d.sport >= 4 && d.sport > 2*d.trade {
		out = out[:0]
	}
	slices.SortStableFunc(out, func(a, b countrySal) int {
		if a.score != b.score {
			return cmp.Compare(b.score, a.score)
		}
		return int(a.first - b.first)
	})
	d.sal = out
	return out
}

// salEntry is the position of code in the salience list, or -1 (d.salSlot
// holds 1 + the position per country index).
func (d *doc) salEntry(code string) int {
	if k := d.lex.countryIndex(code); k >= 0 {
		return int(d.salSlot[k]) - 1
	}
	return -1
}

// salNew appends an entry for country index ci (code, first named at
// token first) to the salience list and records its position.
func (d *doc) salNew(out []countrySal, ci int, code string, first int32) []countrySal {
	out = append(out, countrySal{code: code, first: first})
	d.salSlot[ci] = int32(len(out))
	return out
}

// countMentions scores each state by its mentions that act or are acted
// upon (not issues, not places), half again in the title and the first
// two sentences, and marks the states named in the title.
func (d *doc) countMentions(out []countrySal) []countrySal {
	lex := d.lex
	for i := range d.ments {
		m := &d.ments[i]
		if m.country == "" || m.place || d.issue(m) {
			continue
		}
		w := 0.0
		switch {
		case m.kind == mCountry || m.kind == mDemonym || m.kind == mSeat:
			w = 1
		case m.typ == "GOV":
			w = 1
		case m.typ == "PERSON" && m.speaker == "GOV":
			w = 1
		default:
			continue
		}
		if d.ts.toks[m.t0].sent <= 1 {
			w *= 1.5
		}
		k := d.salEntry(m.country)
		if k < 0 {
			ci := lex.countryIndex(m.country)
			if ci < 0 {
				continue // every mention's country is in the lexicon
			}
			out = d.salNew(out, ci, m.country, m.t0)
			k = len(out) - 1
		}
		out[k].score += w
		if d.ts.toks[m.t0].is(fTitle) {
			out[k].title = true
		}
	}
	return out
}

// addTradeParties adds half a point to each state named with another in
// a sentence about trade: they are its parties ("China's trade surplus
// with the United States narrowed"), unlike the partners one of them works
// with ("will coordinate with Canada").
//
// It visits the mentions, not the tokens: the states that may be parties
// are found first (a few dozen an article), put in token order (mentions
// come in two sorted runs), and only a sentence naming two or more of them
// is read for a trade word. A pass over every token, testing each for a
// trade word and a mention, cost 3.3 % of Tag()'s instructions and 3.8 k
// mispredicted branches a pass over the dev texts (cachegrind), for
// sentences most of which name no state at all. Sentence numbers rise with
// the tokens (the title's -1 first), so a sentence is a run of tokens.
func (d *doc) addTradeParties(out []countrySal) {
	lex := d.lex
	toks := d.ts.toks
	mentAt := d.mentAt[:len(toks)]
	refs := d.partyRefs[:0]
	for mi := range d.ments {
		m := &d.ments[mi]
		// a token's mention is the one that starts there (mentAt)
		if mentAt[m.t0] != int32(mi) {
			continue
		}
		if m.country == "" || m.place || !(m.kind == mCountry || m.kind == mDemonym || m.kind == mSeat || m.typ == "GOV") || d.partner(m) {
			continue
		}
		if ci := lex.countryIndex(m.country); ci >= 0 {
			refs = append(refs, partyRef{t0: m.t0, ci: int32(ci)})
		}
	}
	if !slices.IsSortedFunc(refs, cmpPartyRef) {
		slices.SortFunc(refs, cmpPartyRef)
	}
	d.partyRefs = refs
	if len(refs) < 2 {
		return
	}
	sentOf := d.sentMark
	if len(sentOf) < len(lex.countries) {
		sentOf = make([]int32, len(lex.countries))
		d.sentMark = sentOf
	}
	fillI32(sentOf, -3)
	wmask := d.wmask[:len(toks)]
	parties := d.parties[:0] // country indices of the current sentence
	for i := 0; i < len(refs); {
		t0 := refs[i].t0
		cur := toks[t0].sent
		parties = parties[:0]
		j := i
		for ; j < len(refs) && toks[refs[j].t0].sent == cur; j++ {
			if ci := refs[j].ci; sentOf[ci] != cur {
				sentOf[ci] = cur
				parties = append(parties, ci)
			}
		}
		if len(parties) >= 2 {
			d.addParties(out, parties, tradeRun(toks, wmask, int(t0), cur))
		}
		i = j
	}
	d.parties = parties[:0]
}

// partyRef is a mention that may make its state a party of a trade
// sentence (addTradeParties): where it starts and its country index.
type partyRef struct{ t0, ci int32 }

func cmpPartyRef(a, b partyRef) int { return int(a.t0 - b.t0) }

// tradeRun tells whether the run of tokens of sentence sent around token
// i has a trade word.
func tradeRun(toks []token, wmask []uint32, i int, sent int32) bool {
	for k := i; k >= 0 && toks[k].sent == sent; k-- {
		if wmask[k]&wTRADE != 0 {
			return true
		}
	}
	for k := i + 1; k < len(toks) && toks[k].sent == sent; k++ {
		if wmask[k]&wTRADE != 0 {
			return true
		}
	}
	return false
}

// addParties adds half a point to each of a sentence's states (country
// indices) when it is about trade and names two or more.
func (d *doc) addParties(out []countrySal, parties []int32, trade bool) {
	if !trade || len(parties) < 2 {
		return
	}
	for _, ci := range parties {
		if o := int(d.salSlot[ci]) - 1; o >= 0 {
			out[o].score += 0.5
		}
	}
}

// addLists adds a point to each state of a list of three or more
// ("Germany, Japan and Vietnam"): it names states acted upon together.
func (d *doc) addLists(out []countrySal) {
	for i := 0; i < len(d.ments); {
		j := i
		for j+1 < len(d.ments) && d.listed(j, j+1) {
			j++
		}
		if j-i >= 2 {
			for k := i; k <= j; k++ {
				if o := d.salEntry(d.ments[k].country); o >= 0 {
					out[o].score++
				}
			}
		}
		i = j + 1
	}
}

// addFirms adds half a point per trade-article mention of a firm to its
// state. Firms count only for states also named directly, unless one
// state alone is named: then a foreign firm named in a sentence with it
// stands for its state ("China launched a review of Micron's products").
func (d *doc) addFirms(out []countrySal) []countrySal {
	lex := d.lex
	var loneSent map[int32]bool // the sentences naming the one state named
	if len(out) == 1 && d.trade >= 2 {
		loneSent = map[int32]bool{}
		for i := range d.ments {
			if m := &d.ments[i]; m.country == out[0].code && !m.place && m.kind != mEntity || m.typ == "GOV" && m.country == out[0].code {
				loneSent[d.ts.toks[m.t0].sent] = true
			}
		}
	}
	for i := range d.ments {
		m := &d.ments[i]
		if m.typ == "ORG" && m.speaker == "ORG" && m.kind == mEntity && d.trade >= 2 && m.country != "" {
			o := d.salEntry(m.country)
			if o < 0 && loneSent[d.ts.toks[m.t0].sent] {
				if ci := lex.countryIndex(m.country); ci >= 0 {
					out = d.salNew(out, ci, m.country, m.t0)
					o = len(out) - 1
				}
			}
			if o >= 0 {
				out[o].score += 0.5
			}
		}
	}
	return out
}

// partner tells whether the state of mention m is named as a partner of
// another one (words.tsv PARTNER): a partner word ends at most two tokens
// before it ("coordinate with Canada", "together with Japan") or starts at
// most two after it ("与加拿大协调").
func (d *doc) partner(m *mention) bool {
	for k := max(int(m.t0)-3, 0); k < int(m.t0); k++ {
		if d.wmask[k]&wPARTNER != 0 && k+int(d.wlen[k]) >= int(m.t0)-2 && k+int(d.wlen[k]) <= int(m.t0) {
			return true
		}
	}
	for k := int(m.t1); k < len(d.wmask) && k <= int(m.t1)+2; k++ {
		if d.wmask[k]&wPARTNER != 0 {
			return true
		}
	}
	return false
}

// issue tells whether the state of mention m is a subject matter, not an
// actor: "differences over Taiwan", "talks about Iran", "the Taiwan issue",
// "a Taiwan contingency"; a demonym naming the home of rival firms or goods
// ("Korean rivals", "Korean versions") is not a state that acts either.
func (d *doc) issue(m *mention) bool {
	if n := int(m.t1); n < len(d.wmask) && (d.wmask[n]&wISSUENOUN != 0 || m.kind == mDemonym && d.wmask[n]&wFIRMNOUN != 0) {
		return true
	}
	p := int(m.t0) - 1
	if p >= 0 && d.normIs(p, "the") {
		p--
	}
	return p >= 0 && d.wmask[p]&wISSUE != 0 && d.wlen[p] == 1
}

// listed tells whether mentions a and b are neighbouring states in a list.
func (d *doc) listed(a, b int) bool {
	ma, mb := &d.ments[a], &d.ments[b]
	if ma.kind != mCountry || mb.kind != mCountry || ma.place || mb.place {
		return false
	}
	gap := mb.t0 - ma.t1
	if gap < 1 || gap > 2 {
		return false
	}
	for k := ma.t1; k < mb.t0; k++ {
		if t := &d.ts.toks[k]; t.punct != ',' && !d.normIs(int(k), "and") && !d.normIs(int(k), "or") {
			return false
		}
	}
	return true
}

func mainPair(sal []countrySal) (string, string) {
	if len(sal) < 2 {
		if len(sal) == 1 {
			return sal[0].code, ""
		}
		return "", ""
	}
	return sal[0].code, sal[1].code
}

type ref struct {
	tok, end int32 // the mention's tokens
	country  string
	weak     bool // organisations: targets only
}

// stateRefs lists the mentions in [a,b) that stand for a state.
func (d *doc) stateRefs(a, b int, buf []ref) []ref {
	buf = buf[:0]
	last := int32(-1)
	for i := a; i < b; i++ {
		mi := d.mentAt[i]
		if mi < 0 || mi == last {
			continue
		}
		last = mi
		m := &d.ments[mi]
		if m.country == "" || m.place {
			continue
		}
		switch {
		case m.kind == mCountry || m.kind == mDemonym || m.kind == mSeat || m.typ == "GOV":
			buf = append(buf, ref{tok: m.t0, end: m.t1, country: m.country})
		case m.typ == "PERSON" && m.speaker == "GOV":
			buf = append(buf, ref{tok: m.t0, end: m.t1, country: m.country})
		case m.typ == "ORG":
			buf = append(buf, ref{tok: m.t0, end: m.t1, country: m.country, weak: true})
		}
	}
	return buf
}

var objPreps = map[string]bool{"on": true, "against": true, "to": true, "toward": true, "towards": true, "into": true,
	"with": true, "from": true, "for": true, "of": true, "at": true, "over": true}

type scoredCue struct {
	event.Cue
	signed   float64
	pair     string
	noact    bool
	explicit [2]string // actor and target named in the cue's own sentence
	base     float64
}

// clauseIndex returns, per token, the nearest clause boundary at or before it
// and the nearest hypothetical marker at or before it (-1: none), so that
// finding a cue's clause and its modifiers costs a bounded look-back.
// Boundaries: , ; : - ( quotes, and clause words other than "and", "as",
// "who".
func (d *doc) clauseIndex() (bound, hypoAt []int32) {
	toks := d.ts.toks
	d.bound = growI32(d.bound, len(toks))
	d.hypoAt = growI32(d.hypoAt, len(toks))
	bound, hypoAt = d.bound, d.hypoAt
	bound, hypoAt = bound[:len(toks)], hypoAt[:len(toks)] // no bounds checks below
	wmask := d.wmask[:len(toks)]
	b, h := int32(-1), int32(-1)
	for p := range toks {
		switch toks[p].punct {
		case ',', ';', ':', '-', '(', '"':
			b = int32(p)
		case 0:
			if w := wmask[p]; w&(wCLAUSE|wHYPO) != 0 {
				if w&wCLAUSE != 0 && !d.normIs(p, "and") && !d.normIs(p, "as") && !d.normIs(p, "who") {
					b = int32(p)
				}
				if w&wHYPO != 0 {
					h = int32(p)
				}
			}
		}
		bound[p], hypoAt[p] = b, h
	}
	return bound, hypoAt
}

// stance finds the cues, their modifiers and attribution. It reads in
// phases: verify the cues the matcher proposed (verifiedCues), find the
// phrases that only look like cues (blockingCues), then walk the cues
// left to right keeping the leftmost-longest ones and scoring each kept
// cue (scoreCue). The walk carries a cueScan: what the previous kept cues
// and the current sentence tell the next cue.
func (d *doc) stance(ma, mb string) []scoredCue {
	found, ok := d.verifiedCues()
	if !ok {
		return nil
	}
	blocks := d.blockingCues(found)
	if d.reversed == nil {
		d.reversed = map[string]int32{}
	}
	clear(d.reversed)
	lex := d.lex
	s := cueScan{prevEnd: -1, lastEnd: -1, refs: d.refs[:0], refsFor: -1, sentFor: -1}
	out := d.scored[:0]
	end := int32(-1)
	bi := 0
	for fi, f := range found {
		if fi&1023 == 1023 && !d.spend(0) { // the context, now and then
			break
		}
		if f.t0 < end || lex.cues[f.cue].block {
			continue
		}
		for bi < len(blocks) && blocks[bi].t1 <= f.t0 {
			bi++
		}
		if bi < len(blocks) && blocks[bi].t0 < f.t1 {
			continue
		}
		if d.inEntityName(int(f.t0)) {
			continue
		}
		end = f.t1
		s.keep(&lex.cues[f.cue], f.t1)
		if d.work += 24; d.work > d.budget && !d.spend(0) {
			break
		}
		out = d.scoreCue(&s, f, ma, mb, out)
	}
	d.scored, d.refs = out, s.refs
	return out
}

// verifiedCues checks the parts after gaps of every cue the matcher
// proposed and returns those that match in full, sorted leftmost-longest
// (then heaviest) so that the walk in stance keeps the first of
// overlapping cues. ok is false when the work budget ran out.
func (d *doc) verifiedCues() (found []cueCand, ok bool) {
	lex := d.lex
	found = d.found[:0]
	work := 0
	for _, c := range d.cues {
		cd := &lex.cues[c.cue]
		work += 1 + 4*len(cd.rest)
		end := int(c.t1)
		matched := true
		for si := range cd.rest {
			e, m := d.matchSeg(end, &cd.rest[si])
			if !m {
				matched = false
				break
			}
			end = e
		}
		if matched {
			found = append(found, cueCand{c.t0, int32(end), c.cue})
		}
	}
	d.found = found
	if !d.spend(work + len(found)) {
		return nil, false
	}
	slices.SortFunc(found, func(a, b cueCand) int {
		if a.t0 != b.t0 {
			return int(a.t0 - b.t0)
		}
		if a.t1 != b.t1 {
			return int(b.t1 - a.t1)
		}
		return cmp.Compare(lex.cues[b.cue].weight, lex.cues[a.cue].weight)
	})
	return found, true
}

// blockingCues returns the phrases that only look like cues ("meet the
// requirements"), in text order: they drop the cues they overlap.
func (d *doc) blockingCues(found []cueCand) []cueCand {
	blocks := d.blocks[:0]
	for _, f := range found {
		if d.lex.cues[f.cue].block {
			blocks = append(blocks, f)
		}
	}
	d.blocks = blocks
	return blocks
}

// inEntityName reports whether token t is inside the name of a person or
// body rather than a state: a cue there is part of the name ("Trade
// Representative"), while a state's name may hold one ("Phase One" is fine).
func (d *doc) inEntityName(t int) bool {
	k, ok := d.mentKindAt(t)
	return ok && k != mCountry && k != mDemonym && k != mSeat
}

// mentKindAt is the kind of the mention token t is in; ok is false when
// it is in none.
func (d *doc) mentKindAt(t int) (kind uint8, ok bool) {
	mi := d.mentAt[t]
	if mi < 0 {
		return 0, false
	}
	return d.ments[mi].kind, true
}

// cueScan is what stance's walk carries from one kept cue to the next, so
// that each fact is computed once: the two cues kept before (a reversal
// word or an easing plan before a punitive cue reads them), the clause
// index (built at the first kept cue), the current sentence's range and
// its sentence-wide facts, and the state references of that sentence.
type cueScan struct {
	// the previous cue kept, and the one before the current
	prevEnd, lastEnd           int32
	prevPunitive, lastPunitive bool
	prevEase, lastEase         bool

	bound, hypoAt []int32 // clauseIndex, once a cue is kept

	s0c, s1c int // the sentence range last looked up

	// per sentence (sentFor is its first token): an unnamed source
	// anywhere, economic effects, a past time opening it, the first "if"
	sentFor                      int
	sentAnon, sentEcon, sentPast bool
	firstIf                      int

	refs    []ref // the state references of sentence refsFor
	refsFor int
}

// keep records a kept cue ending at t1: the one before it becomes the
// "last" cue the next reversal looks back to.
func (s *cueScan) keep(cd *cueDef, t1 int32) {
	s.lastEnd, s.lastPunitive, s.lastEase = s.prevEnd, s.prevPunitive, s.prevEase
	s.prevEnd, s.prevPunitive, s.prevEase = t1, cd.punitive, cd.category == "EASE"
}

// scoreCue works out a kept cue's modifiers, source, actor and target,
// reversal and background, and appends its scored form to out, with one
// copy for each state listed with its actor or target. A cue whose pair
// cannot be completed adds nothing.
func (d *doc) scoreCue(s *cueScan, f cueCand, ma, mb string, out []scoredCue) []scoredCue {
	if s.bound == nil {
		s.bound, s.hypoAt = d.clauseIndex()
	}
	cd := &d.lex.cues[f.cue]
	c0, c1 := int(f.t0), int(f.t1)
	if c0 < s.s0c || c0 >= s.s1c {
		// sentences partition the tokens: a cue inside the last range
		// is in the same sentence
		s.s0c, s.s1c = d.sentRange(c0)
	}
	s0, s1 := s.s0c, s.s1c
	sent := d.ts.toks[c0].sent
	cl := d.clauseStart(c0, s0, s.bound)
	mods, reversal, undo := d.windowMods(cd, cl, c0, s.lastEnd, s.lastPunitive)
	if c0 > cl && int(s.hypoAt[c0-1]) >= cl {
		mods.hypo = true
	}
	if s0 != s.sentFor {
		d.startSentence(s, s0, s1)
	}
	mods.applySentence(s.sentAnon, s.firstIf < c0, cd.firm)
	// a bare talks noun is news only with some verb of its own; leave it weak
	mods.setSource(d.source(c0, c1, s0, s1, s.sentAnon))
	// actor and target
	if s0 != s.refsFor {
		s.refs = d.stateRefs(s0, s1, s.refs)
		d.indexRefs(s.refs)
		d.work += int64(s1-s0) + 4*int64(len(s.refs))
		s.refsFor = s0
	}
	actor, target, ai, ti := d.actorTarget(s.refs, c0, c1, s1)
	if actor == "" && (mods.stype == "GOV") {
		if d.srcCountry == "?" {
			d.srcCountry = d.sourceCountry(s0, s1)
		}
		actor = d.srcCountry
	}
	actor, target, explicit, ok := completePair(actor, target, ma, mb)
	if !ok {
		return out
	}
	if cd.punitive && s.lastEase && s.lastEnd >= int32(cl) && (c0 == int(s.lastEnd) || c0 == int(s.lastEnd)+1 && d.normIs(c0-1, "to")) {
		// "abandoned its plan to delist", "agreed to halt plans to impose"
		reversal = true
	}
	pol, category := reversedPolarity(cd, reversal, undo)
	pair := d.pairOf(actor, target)
	if d.isBackground(cd, s, c0, cl, sent, pair) {
		mods.background = true
	}
	sc := d.weighCue(cd, c0, c1, pol, category, actor, target, explicit, &mods)
	if sc.Polarity < 0 && sc.Category == "EASE" && !sc.Negated {
		if _, ok := d.reversed[pair]; !ok {
			d.reversed[pair] = sent
		}
	}
	out = append(out, sc)
	if explicit[0] != "" || explicit[1] != "" {
		out = d.appendListMates(out, sc, s.refs, ai, ti)
	}
	return out
}

// clauseStart is where negation and modifiers of the cue at c0 start
// looking: after the nearest clause boundary before the cue in its
// sentence (which starts at s0). A quote right before the cue opens it and
// is no boundary.
func (d *doc) clauseStart(c0, s0 int, bound []int32) int {
	if c0 <= s0 {
		return c0
	}
	p := c0 - 1
	if d.ts.toks[p].punct == '"' {
		p--
	}
	b := -1
	if p >= 0 {
		b = int(bound[p])
	}
	return max(b+1, s0)
}

// windowMods reads the modifier words before the cue at c0 within its
// clause (from cl) and 8 tokens: negation, hedges, future, background, and
// the reversal words that undo a measure (reversal) or an act (undo).
// lastEnd and lastPunitive are the cue kept before the previous one.
func (d *doc) windowMods(cd *cueDef, cl, c0 int, lastEnd int32, lastPunitive bool) (m cueMods, reversal, undo bool) {
	for k := max(cl, c0-8); k < c0; k++ {
		w := d.wmask[k]
		if w == 0 {
			continue
		}
		dist := c0 - k
		if w&wNEG != 0 && dist <= 6 {
			m.negs++
		}
		if w&wNEGVOID != 0 {
			m.void = true
		}
		if w&(wHEDGE|wREPORTLOW) != 0 {
			m.hedged = true
		}
		if w&wFUTURE != 0 && dist <= 5 {
			m.future = true
		}
		if w&wBACKGROUND != 0 && dist <= 6 {
			m.background = true
		}
		// a reversal word undoes the measure a noun cue names within 8
		// tokens ("dropped its designation of China as a currency
		// manipulator"), an act cue only right after it ("stop
		// imposing"), and never from inside an earlier punitive act
		if w&wREVERSAL != 0 && (dist <= 2 || !cd.verbal) && (k >= int(lastEnd) || !lastPunitive) {
			reversal = true
		}
		if w&wREVERSAL != 0 && dist <= 2 && k >= int(lastEnd) && !d.normIs(k+1, "up") { // "end up postponing" undoes nothing
			undo = true
		}
	}
	return m, reversal, undo
}

// startSentence computes, once per sentence [s0, s1), what every cue in
// it shares: unnamed sources anywhere, economic effects, a past time
// opening it, the first "if", and the reporting verbs and quotes that
// source attribution reads.
func (d *doc) startSentence(s *cueScan, s0, s1 int) {
	toks := d.ts.toks
	s.sentFor, s.sentAnon, s.firstIf = s0, false, s1
	d.work += int64(s1 - s0)
	d.rep, d.quo = d.rep[:0], d.quo[:0]
	d.repDone, d.srcCountry = false, "?"
	d.curQ, d.curV0, d.curV1 = 0, 0, 0
	s.sentEcon = false
	// a past time opening the sentence ("In 2018, ...") dates all of it
	s.sentPast = d.wmask[s0]&wPASTTIME != 0
	wmask := d.wmask
	for k := s0; k < s1; k++ {
		w := wmask[k]
		if w&(wANON|wECON|wHYPO|wREPORT) == 0 && toks[k].punct != '"' {
			continue // most tokens: none of the words this looks for
		}
		if w&wANON != 0 {
			s.sentAnon = true
		}
		if w&wECON != 0 {
			s.sentEcon = true
		}
		if w&wHYPO != 0 && k < s.firstIf && d.normIs(k, "if") {
			s.firstIf = k
		}
		if w&wREPORT != 0 && toks[k].is(fWord) {
			d.rep = append(d.rep, repVerb{k: int32(k)})
		}
		if toks[k].punct == '"' {
			d.quo = append(d.quo, int32(k))
		}
	}
}

// reversedPolarity is a cue's polarity and category after the reversal
// words before it: undoing a punitive measure ("suspends the entity list
// designation", "drops its plan to delist") de-escalates; undoing a
// conciliatory act ("stopped approving licences", "cancelled the
// meeting", "withdrew the exemptions") escalates.
func reversedPolarity(cd *cueDef, reversal, undo bool) (pol int, category string) {
	pol, category = cd.polarity, cd.category
	if reversal && cd.punitive {
		return -pol, "EASE"
	}
	if undo && pol < 0 && !cd.talk {
		return -pol, "HALT"
	}
	return pol, category
}

// isBackground reports whether the cue at c0 (clause from cl, sentence
// sent) reports history or a topic rather than an act, beyond the
// background words windowMods found.
func (d *doc) isBackground(cd *cueDef, s *cueScan, c0, cl int, sent int32, pair string) bool {
	// (the map only for a punitive cue once a measure was undone: most
	// cues are neither)
	if cd.punitive && len(d.reversed) > 0 {
		if rs, undone := d.reversed[pair]; undone && (cd.state || rs < sent) {
			// once the article reports a measure undone, its later
			// mentions of such measures are that measure's history
			return true
		}
	}
	if d.explainer || s.sentPast {
		return true
	}
	if cd.state && c0 > cl && d.wmask[c0-1]&wISSUE != 0 {
		// a measure named as the subject of a dispute or talks
		// ("tensions over steep tariffs") is its topic, not an act
		return true
	}
	// a measure named in a sentence about its economic effects (data,
	// estimates, prices) is background, not an act
	return cd.state && s.sentEcon
}

// appendListMates adds a copy of sc for each state listed with its actor
// (refs[ai]) or its target (refs[ti]): states listed together act or are
// acted upon alike, so the cue counts for each of their pairs too.
func (d *doc) appendListMates(out []scoredCue, sc scoredCue, refs []ref, ai, ti int) []scoredCue {
	mates := d.mates[:0]
	if ai >= 0 && sc.explicit[0] != "" {
		mates = d.listMates(refs, ai, mates)
	}
	nActor := len(mates)
	if ti >= 0 && sc.explicit[1] != "" {
		mates = d.listMates(refs, ti, mates)
	}
	d.mates = mates
	for k, j := range mates {
		c := refs[j].country
		if refs[j].weak || c == sc.Actor || c == sc.Target || d.listedBefore(refs, mates[:k], c) {
			continue
		}
		m := sc
		if k < nActor {
			m.Actor, m.explicit[0] = c, c
		} else {
			m.Target, m.explicit[1] = c, c
		}
		m.pair = d.pairOf(m.Actor, m.Target)
		out = append(out, m)
	}
	return out
}

// completePair fills in a cue's missing side from the article's main pair
// (ma, mb): the counterpart of the side named, or the main pair when none
// is. explicit keeps the sides the text named; ok is false when no pair of
// two different states results.
func completePair(actor, target, ma, mb string) (a, t string, explicit [2]string, ok bool) {
	if actor == target {
		target = ""
	}
	explicit = [2]string{actor, target}
	switch {
	case actor == "" && target == "":
		actor, target = ma, mb
	case actor == "":
		actor = counterpart(target, ma, mb)
	case target == "":
		target = counterpart(actor, ma, mb)
	}
	return actor, target, explicit, actor != "" && target != "" && actor != target
}

// cueMods are the modifiers the rules of either language found around one
// cue (docs/design.md §4).
type cueMods struct {
	negs                                   int
	void, hedged, future, hypo, background bool
	src, stype                             string
}

// applySentence adds what the cue's sentence and the cue itself say: an
// unnamed source anywhere in the sentence hedges it, an "if" before it
// makes it hypothetical, and a firm cue carries its own "not" ("will not
// stand idly by"), which is no negation of it.
func (m *cueMods) applySentence(anon, afterIf, firm bool) {
	if anon {
		m.hedged = true
	}
	if afterIf {
		m.hypo = true
	}
	if firm {
		m.negs, m.void = 0, false
	}
}

// setSource records who a cue is attributed to: no source found is the
// news report's own; a state's own or an unnamed source's word is hedged.
func (m *cueMods) setSource(src, stype string) {
	if stype == "" {
		stype = "NEWS"
	}
	if stype == "STATE" || stype == "ANON" {
		m.hedged = true
	}
	m.src, m.stype = src, stype
}

// weighCue applies the modifiers to a cue's base weight (the same scale for
// every language: negation flips at half weight, hedges, future and
// hypothetical, background, speaker, lead and tail) and builds its output;
// pol and category are the cue's, or what a reversal made of them.
func (d *doc) weighCue(cd *cueDef, c0, c1, pol int, category, actor, target string, explicit [2]string, m *cueMods) scoredCue {
	toks := d.ts.toks
	sent := toks[c0].sent
	w := cd.weight
	negated := m.negs%2 == 1 || m.void
	if m.void {
		w = 0
	} else if m.negs%2 == 1 {
		pol = -pol
		w *= negFactor
	}
	if m.hedged {
		w *= hedgeFactor
	}
	future := m.future
	if m.hypo {
		w *= hypoFactor
		future = true
	} else if future {
		w *= futureFactor
	}
	if m.background {
		w *= backFactor
	}
	w *= speakerWeight(m.stype)
	if !cd.noact && !cd.talk {
		if sent <= 1 {
			w *= leadFactor
		} else if d.nSent >= 6 && float64(sent) >= 0.6*float64(d.nSent) {
			w *= tailFactor
		}
	}
	if explicit == [2]string{} && cd.noact {
		w *= 0.5 // a state of affairs no state is named in
	}
	t0, t1 := &toks[c0], &toks[c1-1]
	s := d.src(t0)
	cue := event.Cue{
		Text: s[t0.start:t1.end], Category: category, Sentence: int(sent),
		Start: int(t0.start), End: int(t1.end), Actor: actor, Target: target,
		Polarity: pol, Weight: round2(w), Hedged: m.hedged, Negated: negated, Future: future,
		Background: m.background, Source: m.src, SourceType: publicType(m.stype),
	}
	return scoredCue{Cue: cue, signed: float64(pol) * w, pair: d.pairOf(actor, target), noact: cd.noact, explicit: explicit, base: cd.weight}
}

func publicType(s string) string {
	if s == "STATE" {
		return "MEDIA"
	}
	return s
}

func round2(x float64) float64 {
	return float64(int64(x*100+0.5)) / 100
}

// pairOf names the pair of two states ("CN-US") without allocating: the
// lexicon holds every pair's name.
func (d *doc) pairOf(a, b string) string {
	return d.lex.pairName(a, b)
}

func pairOf(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "-" + b
}

func counterpart(c, ma, mb string) string {
	switch c {
	case ma:
		return mb
	case mb:
		return ma
	}
	return ma
}

// matchSeg matches a cue segment after a gap of up to three tokens starting
// at token k, inside the sentence. It returns the end token.
func (d *doc) matchSeg(k int, seg *cueSeg) (int, bool) {
	toks := d.ts.toks
	if k >= len(toks) || k <= 0 {
		return 0, false
	}
	sent := toks[k-1].sent
	for gap := 0; gap <= 3; gap++ {
		st := k + gap
		if st >= len(toks) || toks[st].sent != sent {
			return 0, false
		}
		if gap > 0 {
			g := &toks[st-1]
			if !g.is(fWord) && g.punct != '$' && g.punct != '%' {
				return 0, false
			}
		}
		id := d.wid[st]
		if k := int(id >> 6); k >= len(d.lex.segStart) || d.lex.segStart[k]&(1<<(id&63)) == 0 {
			continue // no segment starts with this word
		}
		if _, ok := slices.BinarySearch(seg.ifirst, id); !ok {
			continue
		}
		if e, ok := d.matchPositions(st, seg); ok {
			return e, true
		}
	}
	return 0, false
}

func (d *doc) matchPositions(st int, seg *cueSeg) (int, bool) {
	i := st
	wid := d.wid
	for _, pos := range seg.ipos {
		best := -1
		for _, alt := range pos {
			j := i
			ok := true
			for _, w := range alt {
				if j >= len(wid) || wid[j] != w {
					ok = false
					break
				}
				j++
			}
			if ok && j > best {
				best = j
			}
		}
		if best < 0 {
			return 0, false
		}
		i = best
	}
	return i, true
}

// refIndex holds, for the refs of one sentence (sorted by token), the
// nearest refs of another country and the nearest refs that can act, so
// that attribution costs a binary search per cue whatever the sentence's
// length.
type refIndex struct {
	prevOther, nextOther []int32 // nearest ref before/after i of a country other than i's (-1 / len)
	prevStrong           []int32 // nearest ref at or before i that is not weak (-1)
	prevSubj             []int32 // nearest ref at or before i that can be a subject: not weak, not after an object preposition (-1)
	cur0, cur1           int     // cursors: refs before the current cue's start and end
}

// indexRefs fills d.ri for refs.
func (d *doc) indexRefs(refs []ref) {
	n := len(refs)
	ri := &d.ri
	ri.prevOther = growI32(ri.prevOther, n)
	ri.nextOther = growI32(ri.nextOther, n)
	ri.prevStrong = growI32(ri.prevStrong, n)
	ri.prevSubj = growI32(ri.prevSubj, n)
	ri.cur0, ri.cur1 = 0, 0
	strong, subj := int32(-1), int32(-1)
	for i := range refs {
		r := &refs[i]
		switch {
		case i == 0:
			ri.prevOther[i] = -1
		case refs[i-1].country != r.country:
			ri.prevOther[i] = int32(i - 1)
		default:
			ri.prevOther[i] = ri.prevOther[i-1]
		}
		if !r.weak {
			strong = int32(i)
			if d.lex.wflag[d.wid[prevWord(d, int(r.tok))]]&wfObjPrep == 0 {
				subj = int32(i)
			}
		}
		ri.prevStrong[i], ri.prevSubj[i] = strong, subj
	}
	for i := n - 1; i >= 0; i-- {
		switch {
		case i == n-1:
			ri.nextOther[i] = int32(n)
		case refs[i+1].country != refs[i].country:
			ri.nextOther[i] = int32(i + 1)
		default:
			ri.nextOther[i] = ri.nextOther[i+1]
		}
	}
}

// refsBefore is the number of refs whose token is before t (cursor *cur).
func refsBefore(refs []ref, cur *int, t int) int {
	i := *cur
	for i < len(refs) && int(refs[i].tok) < t {
		i++
	}
	for i > 0 && int(refs[i-1].tok) >= t {
		i--
	}
	*cur = i
	return i
}

// otherAtOrBefore is the nearest ref at or before i whose country is not c, or -1.
func (d *doc) otherAtOrBefore(refs []ref, i int, c string) int {
	if i < 0 || refs[i].country != c {
		return i
	}
	return int(d.ri.prevOther[i])
}

// otherAtOrAfter is the nearest ref at or after i whose country is not c, or len(refs).
func (d *doc) otherAtOrAfter(refs []ref, i int, c string) int {
	if i >= len(refs) || refs[i].country != c {
		return i
	}
	return int(d.ri.nextOther[i])
}

// actorTarget applies the attribution rules: the subject before the cue acts,
// the object after it (or after on/against/with/to) is the target; in the
// passive ("... by X") the agent after "by" acts. refs must be indexed
// (indexRefs).
func (d *doc) actorTarget(refs []ref, c0, c1, s1 int) (actor, target string, ai, ti int) {
	ai, ti = -1, -1
	ri := &d.ri
	before := refsBefore(refs, &ri.cur0, c0) - 1 // the last ref before the cue
	after := refsBefore(refs, &ri.cur1, c1)      // the first ref after it
	// passive
	for k := c1; k < s1 && k < c1+3; k++ {
		if d.normIs(k, "by") {
			i := after
			for i < len(refs) && int(refs[i].tok) <= k {
				i++
			}
			for ; i < len(refs) && int(refs[i].tok) <= k+4; i++ {
				if !refs[i].weak {
					actor, ai = refs[i].country, i
					if j := d.otherAtOrBefore(refs, before, actor); j >= 0 {
						target, ti = refs[j].country, j
					}
					return actor, target, ai, ti
				}
			}
		}
	}
	// subject: nearest state before the cue that is not the object of a
	// preposition, else the nearest state before it
	if before >= 0 {
		if j := d.ri.prevSubj[before]; j >= 0 {
			actor, ai = refs[j].country, int(j)
		} else if j := d.ri.prevStrong[before]; j >= 0 {
			actor, ai = refs[j].country, int(j)
		}
	}
	if j := d.otherAtOrAfter(refs, after, actor); j < len(refs) {
		target, ti = refs[j].country, j
	} else if j := d.otherAtOrBefore(refs, before, actor); j >= 0 {
		target, ti = refs[j].country, j
	}
	return actor, target, ai, ti
}

// listedBefore tells whether one of the refs idx is of country c.
func (d *doc) listedBefore(refs []ref, idx []int, c string) bool {
	for _, j := range idx {
		if refs[j].country == c {
			return true
		}
	}
	return false
}

// listMates appends to buf the refs listed with ref i ("Canadian and
// Mexican imports", "Canada, Mexico and China"): neighbours joined by a
// comma, "and" or "or", at most 4 on each side.
func (d *doc) listMates(refs []ref, i int, buf []int) []int {
	joined := func(a, b int) bool { // refs a and b (a before b) are neighbours in a list
		gap := refs[b].tok - refs[a].end
		if gap < 1 || gap > 2 {
			return false
		}
		for k := refs[a].end; k < refs[b].tok; k++ {
			if d.ts.toks[k].punct != ',' && !d.normIs(int(k), "and") && !d.normIs(int(k), "or") {
				return false
			}
		}
		return true
	}
	for j := i; j > 0 && j > i-4 && joined(j-1, j); j-- {
		buf = append(buf, j-1)
	}
	for j := i; j+1 < len(refs) && j < i+4 && joined(j, j+1); j++ {
		buf = append(buf, j+1)
	}
	return buf
}

func prevWord(d *doc, t int) int {
	p := t - 1
	if p >= 0 && d.normIs(p, "the") {
		p--
	}
	if p < 0 {
		return 0
	}
	return p
}

// repVerb is a reporting verb of the current sentence and, once asked,
// its speaker (speakerAt depends only on the verb and the sentence).
type repVerb struct {
	k    int32
	s, t string
}

// sentenceSpeakers finds the speaker of every reporting verb of the current
// sentence once, and links each verb to the nearest verbs with a speaker
// (d.repNext, d.repPrev), so that source costs a binary search per cue.
func (d *doc) sentenceSpeakers(s0, s1 int) {
	d.repDone = true
	d.work += 32 * int64(len(d.rep))
	n := len(d.rep)
	d.repNext = growI32(d.repNext, n+1)
	d.repPrev = growI32(d.repPrev, n)
	for i := range d.rep {
		r := &d.rep[i]
		r.s, r.t = d.speakerAt(int(r.k), s0, s1)
	}
	d.repNext[n] = int32(n)
	for i := n - 1; i >= 0; i-- {
		d.repNext[i] = d.repNext[i+1]
		if d.rep[i].t != "" {
			d.repNext[i] = int32(i)
		}
	}
	prev := int32(-1)
	for i := range d.rep {
		if d.rep[i].t != "" {
			prev = int32(i)
		}
		d.repPrev[i] = prev
	}
}

// verbsBefore is the number of the sentence's reporting verbs before token t
// (cursor *cur).
func (d *doc) verbsBefore(cur *int, t int) int {
	i := *cur
	for i < len(d.rep) && int(d.rep[i].k) < t {
		i++
	}
	for i > 0 && int(d.rep[i-1].k) >= t {
		i--
	}
	*cur = i
	return i
}

// quotesBefore is the number of the sentence's quotes before token t (cursor
// d.curQ).
func (d *doc) quotesBefore(t int) int {
	i := d.curQ
	for i < len(d.quo) && int(d.quo[i]) < t {
		i++
	}
	for i > 0 && int(d.quo[i-1]) >= t {
		i--
	}
	d.curQ = i
	return i
}

// source finds who says the sentence holding the cue: the nearest reporting
// verb before the cue ("X said that ...", "according to X"), else one after
// it ("..., he said"), with the speaker next to it; inside a quotation the
// verb after it first. d.rep and d.quo hold the sentence's reporting verbs
// and quotes; anon tells whether it cites unnamed sources.
func (d *doc) source(c0, c1, s0, s1 int, anon bool) (string, string) {
	if len(d.rep) > 0 {
		if !d.repDone {
			d.sentenceSpeakers(s0, s1)
		}
		quotes := d.quotesBefore(c0)
		after := d.repNext[d.verbsBefore(&d.curV1, c1)] // first verb after the cue with a speaker
		if quotes%2 == 1 && int(after) < len(d.rep) {
			return d.rep[after].s, d.rep[after].t
		}
		if b := d.verbsBefore(&d.curV0, c0) - 1; b >= 0 {
			if p := d.repPrev[b]; p >= 0 {
				return d.rep[p].s, d.rep[p].t
			}
		}
		if int(after) < len(d.rep) {
			return d.rep[after].s, d.rep[after].t
		}
	}
	if anon {
		return "unnamed sources", "ANON"
	}
	return "", ""
}

func speakerOf(m *mention) string {
	switch {
	case m.speaker != "":
		return m.speaker
	case m.typ == "MEDIA":
		return "MEDIA"
	case m.typ == "ORG":
		return "ORG"
	case m.typ == "PERSON":
		return "PERSON"
	}
	return "GOV"
}

// speakerAt finds the speaker of the reporting verb at token k.
func (d *doc) speakerAt(k, s0, s1 int) (string, string) {
	toks := d.ts.toks
	after := k + int(max8(d.wlen[k], 1))
	// "according to X", "said X"
	if d.normIs(k, "according") || d.normIs(k, "citing") || d.normIs(k, "quoting") {
		if d.wmask[k]&wANON != 0 || (k+2 < s1 && d.wmask[k+2]&wANON != 0) {
			return "unnamed sources", "ANON"
		}
		if after < s1 {
			if d.wmask[after]&wANON != 0 {
				return "unnamed sources", "ANON"
			}
			for j := after; j < s1 && j < after+4; j++ {
				if mi := d.mentAt[j]; mi >= 0 && d.ments[mi].kind != mIgnore {
					m := &d.ments[mi]
					return d.speakerName(m), speakerOf(m)
				}
			}
		}
		return "", ""
	}
	// ", said X" / "\", he said": the speaker follows the verb
	if k > s0 && (toks[k-1].punct == ',' || toks[k-1].punct == '"') {
		if s, t := d.speakerAfter(k, after, s1); t != "" {
			return s, t
		}
	}
	// state media phrase right before the verb
	for j := k - 1; j >= s0 && j >= k-8; j-- {
		if d.wmask[j]&wSTATEMEDIA != 0 && j+int(d.wlen[j]) >= k-1 {
			return "state media", "STATE"
		}
	}
	// subject before the verb: prefer a person, then a government or outlet
	best := int32(-1)
	bestRank := 0
	for j := k - 1; j >= s0 && j >= k-12; j-- {
		if toks[j].punct == '.' || toks[j].punct == ';' {
			break
		}
		if mi := d.mentAt[j]; mi >= 0 {
			m := &d.ments[mi]
			r := 0
			switch {
			case m.typ == "PERSON":
				r = 4
			case m.typ == "GOV" || m.kind == mSeat:
				r = 3
			case m.typ == "MEDIA":
				r = 3
			case m.typ == "ORG":
				r = 2
			case (m.kind == mCountry || m.kind == mDemonym) && !m.place:
				r = 1
			}
			if r > bestRank || (r == bestRank && r > 0 && j > int(d.ments[best].t0) && false) {
				best, bestRank = mi, r
			}
			j = int(m.t0)
			if r == 4 {
				break
			}
		}
		if j == k-1 || j == k-2 {
			w := d.nb(j)
			switch string(w) {
			case "he", "she":
				if p := d.lastPerson(k); p >= 0 {
					return d.speakerName(&d.ments[p]), speakerOf(&d.ments[p])
				}
			case "analysts", "economists", "strategists", "analyst", "economist", "strategist":
				if bestRank < 4 {
					return internWord(w), "ANALYST"
				}
			case "officials", "official", "spokesman", "spokeswoman", "spokesperson", "ministry":
				if bestRank < 3 {
					return internWord(w), "GOV"
				}
			}
		}
	}
	if best >= 0 {
		m := &d.ments[best]
		return d.speakerName(m), speakerOf(m)
	}
	if s, t := d.speakerAfter(k, after, s1); t != "" {
		return s, t
	}
	return "", ""
}

// speakerAfter finds "said X" where X ends the clause ("said Chen.",
// "said Chen at Pictet", "he said").
func (d *doc) speakerAfter(k, after, s1 int) (string, string) {
	toks := d.ts.toks
	for j := after; j < s1 && j < after+3; j++ {
		if d.normIs(j, "he") || d.normIs(j, "she") {
			if p := d.lastPerson(k); p >= 0 {
				return d.speakerName(&d.ments[p]), speakerOf(&d.ments[p])
			}
			return "", ""
		}
		mi := d.mentAt[j]
		if mi < 0 {
			continue
		}
		m := &d.ments[mi]
		if m.kind == mIgnore {
			return "", ""
		}
		e := int(m.t1)
		if e >= s1 || !toks[e].is(fWord) {
			return d.speakerName(m), speakerOf(m)
		}
		switch string(d.nb(e)) {
		case "at", "of", "from", "who", "with", "in":
			return d.speakerName(m), speakerOf(m)
		}
		return "", ""
	}
	return "", ""
}

// internWord returns the speaker nouns of speakerAt without allocating.
func internWord(w []byte) string {
	for _, s := range speakerNouns {
		if string(w) == s {
			return s
		}
	}
	return string(w)
}

var speakerNouns = []string{"analysts", "economists", "strategists", "analyst", "economist", "strategist",
	"officials", "official", "spokesman", "spokeswoman", "spokesperson", "ministry"}

func max8(a uint8, b uint8) uint8 {
	if a > b {
		return a
	}
	return b
}

func (d *doc) speakerName(m *mention) string {
	if m.canonical != "" {
		return m.canonical
	}
	return d.lex.countryName(m.country)
}

// lastPerson is the mention index of the person named last before token k,
// or -1 (d.persons: the people by first token).
func (d *doc) lastPerson(k int) int {
	ps := d.persons
	lo, hi := 0, len(ps)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if int(d.ments[ps[m]].t0) < k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return -1
	}
	return int(ps[lo-1])
}

// indexPersons lists the people mentioned, by first token (the first
// mention of a token when two start there).
func (d *doc) indexPersons() {
	ps := d.persons[:0]
	for i := range d.ments {
		if d.ments[i].typ == "PERSON" {
			ps = append(ps, int32(i))
		}
	}
	byStart := func(a, b int32) int { return int(d.ments[a].t0 - d.ments[b].t0) }
	if !slices.IsSortedFunc(ps, byStart) {
		slices.SortStableFunc(ps, byStart)
	}
	ps = slices.CompactFunc(ps, func(a, b int32) bool { return d.ments[a].t0 == d.ments[b].t0 })
	d.persons = ps
}

// sourceCountry: the country of a government speaker in the sentence.
func (d *doc) sourceCountry(s0, s1 int) string {
	for j := s0; j < s1; j++ {
		if mi := d.mentAt[j]; mi >= 0 {
			m := &d.ments[mi]
			if m.country != "" && !m.place && (m.typ == "GOV" || (m.typ == "PERSON" && m.speaker == "GOV")) {
				return m.country
			}
		}
	}
	return ""
}
