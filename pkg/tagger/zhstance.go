package tagger

import "slices"

// Chinese stance rules. The scale and the modifiers are the English ones
// (stance.go): negation flips at half weight, hedges, unnamed sources,
// future, conditions and background lower the weight, the lead counts more,
// analysts less. What differs is the grammar: a state after a preposition
// (对华, 向美国, 针对中方) is the target even before the verb, 被 marks the
// actor after it, 面临/遭到 the target before it; the speaker stands before
// the reporting verb (商务部新闻发言人表示) or after 据 (据路透社报道).

// zhGap is the longest gap (in characters) inside a cue pattern's "..".
const zhGap = 10

// zhWindow bounds every search around a cue (clause start, reporting verb,
// states): modifiers and speakers are near their cue, and an endless
// sentence full of cues costs linear time.
const zhWindow = 32

// zhMatchSeg matches a cue segment after a gap of up to zhGap tokens inside
// the clause starting at token k; it returns the end token and the gap.
func (d *zhDoc) zhMatchSeg(k int, seg *cueSeg) (end, gap int, ok bool) {
	toks := d.ts.toks
	if k >= len(toks) || k <= 0 {
		return 0, 0, false
	}
	sent := toks[k-1].sent
	for gap = 0; gap <= zhGap; gap++ {
		st := k + gap
		if st >= len(toks) || toks[st].sent != sent {
			return 0, 0, false
		}
		if gap > 0 {
			switch toks[st-1].punct {
			case 0, '%', '$', '-', '.', '`', '"', '<', '>', zpNameDot:
			default:
				return 0, 0, false
			}
		}
		id := d.wid[st]
		if k := int(id >> 6); k >= len(d.lex.segStart) || d.lex.segStart[k]&(1<<(id&63)) == 0 {
			continue
		}
		if _, ok := slices.BinarySearch(seg.ifirst, id); !ok {
			continue
		}
		if e, ok := d.matchPositions(st, seg); ok {
			return e, gap, true
		}
	}
	return 0, 0, false
}

// zhStance finds the Chinese cues, their modifiers and attribution. It
// walks the candidate cues by start, in groups starting at one token:
// each group is verified (verifyCues) and each cue kept is scored
// (zhScoreCue). The walk carries a zhScan: what the current sentence
// tells every cue in it.
func (d *zhDoc) zhStance(ma, mb string) []scoredCue {
	cands := d.zhCandidates()
	found := d.found[:0]
	out := d.scored[:0]
	end := int32(-1)
	s := zhScan{refs: d.refs[:0], refsFor: -1, sentFor: -1}
	d.mods.reset()
	for g := 0; g < len(cands); {
		// the group of candidates starting at one token
		h := g + 1
		for h < len(cands) && cands[h].t0 == cands[g].t0 {
			h++
		}
		group := cands[g:h]
		g = h
		if group[0].t0 < end {
			continue
		}
		// each cue costs a bounded amount (windows of zhWindow and zhGap
		// tokens, modifiers in constant time): count it, and look at the
		// context now and then
		if d.work += 2*int64(len(group)) + 2; d.work > d.budget || g&1023 == 0 {
			if !d.spend(0) {
				break
			}
		}
		found = d.verifyCues(group, found[:0])
		for _, f := range found {
			if f.t0 < end || d.zhInName(int(f.t0)) {
				continue
			}
			end = f.t1
			out = d.zhScoreCue(&s, f, ma, mb, out)
		}
	}
	d.found = found
	d.scored, d.refs = out, s.refs
	return out
}

// zhCandidates orders the matcher's candidate cues by start, so that a
// start inside a cue already taken is skipped before its segments after
// gaps are checked. Only the starts need ordering: verifyCues orders each
// group that starts at one token in full. The matcher emits candidates by
// end, and an anchor spans at most a few tokens, so each candidate lies a
// few places from where it belongs: an insertion sort puts it there in
// time linear in the candidates (pdqsort took 9 % of the Chinese path's
// time in a profile of the samples).
func (d *zhDoc) zhCandidates() []cueCand {
	cands := d.cues
	for i := 1; i < len(cands); i++ {
		c, j := cands[i], i
		for ; j > 0 && cands[j-1].t0 > c.t0; j-- {
			cands[j] = cands[j-1]
		}
		cands[j] = c
	}
	return cands
}

// zhInName reports whether token t is inside the name of a body, a person
// or a role ("美国贸易代表办公室"): a cue there is part of the name.
func (d *zhDoc) zhInName(t int) bool {
	k, ok := d.mentKindAt(t)
	return ok && (k == mEntity || k == mNER || k == mRole)
}

// zhScan is what zhStance's walk carries from one kept cue to the next:
// the current sentence's range and its sentence-wide facts (an unnamed
// source anywhere, the first "if"), and its state references with the
// window of them near the current cue.
type zhScan struct {
	s0c, s1c int // the sentence range last looked up

	sentFor  int // first token of the sentence the facts below are of
	sentAnon bool
	firstIf  int

	refs    []ref // the state references of sentence refsFor
	refsFor int
	near    nearRefs
}

// zhScoreCue works out a kept cue's modifiers, source, actor and target,
// and appends its scored form to out; a cue whose pair cannot be completed
// adds nothing.
func (d *zhDoc) zhScoreCue(s *zhScan, f cueCand, ma, mb string, out []scoredCue) []scoredCue {
	cd := &d.lex.cues[f.cue]
	c0, c1 := int(f.t0), int(f.t1)
	if c0 < s.s0c || c0 >= s.s1c {
		s.s0c, s.s1c = d.sentRange(c0)
	}
	s0, s1 := s.s0c, s.s1c
	d.mods.advance(d, c0)
	var m cueMods
	m.negs, m.void, m.hedged, m.future, m.hypo, m.background = d.mods.at(d, c0, s0)
	if s0 != s.sentFor {
		d.zhStartSentence(s, s0, s1)
	}
	m.applySentence(s.sentAnon, s.firstIf < c0, cd.firm)
	m.setSource(d.zhSource(c0, c1, s0, s1, s.sentAnon))
	if s0 != s.refsFor {
		s.refs = d.stateRefs(s0, s1, s.refs)
		s.refsFor = s0
		s.near = nearRefs{}
	}
	actor, target := d.zhActorTarget(s.near.around(s.refs, c0, c1), c0, c1, s0)
	if actor == "" && m.stype == "GOV" {
		actor = d.zhSourceCountry(c0, s0, s1)
	}
	actor, target, explicit, ok := completePair(actor, target, ma, mb)
	if !ok {
		return out
	}
	return append(out, d.weighCue(cd, c0, c1, cd.polarity, cd.category, actor, target, explicit, &m))
}

// zhStartSentence computes, once per sentence [s0, s1), what every cue in
// it shares: unnamed sources anywhere, the first "if", and the reporting
// verbs that source attribution reads.
func (d *zhDoc) zhStartSentence(s *zhScan, s0, s1 int) {
	s.sentFor, s.sentAnon, s.firstIf = s0, false, s1
	d.zrep = d.zrep[:0]
	d.repAt = [2]int{}
	for k := s0; k < s1; k++ {
		if d.wmask[k]&wREPORT != 0 {
			d.zrep = append(d.zrep, zhRep{k: int32(k)})
		}
		if d.wmask[k]&wANON != 0 {
			s.sentAnon = true
		}
		if d.wmask[k]&wHYPO != 0 && k < s.firstIf && d.isIf(k) {
			s.firstIf = k
		}
	}
}

// nearRefs finds the state references within zhWindow tokens of each cue
// of a sentence; the cues come in order, so its bounds only move forward.
type nearRefs struct{ lo, hi int }

func (n *nearRefs) around(refs []ref, c0, c1 int) []ref {
	for n.lo < len(refs) && int(refs[n.lo].tok) < c0-zhWindow {
		n.lo++
	}
	n.hi = max(n.hi, n.lo)
	for n.hi < len(refs) && int(refs[n.hi].tok) < c1+zhWindow {
		n.hi++
	}
	return refs[n.lo:n.hi]
}

// verifyCues checks the segments after gaps of the candidates of one start
// and appends those that match to out: longest first, then the one that
// matched more tokens (fewer in gaps: "暂停实施" before "..实施"), then the
// heavier, then the earlier line of cues.tsv.
func (d *zhDoc) verifyCues(group []cueCand, out []cueCand) []cueCand {
	lex := d.lex
	spec := d.cueSpec[:0]
	for _, c := range group {
		cd := &lex.cues[c.cue]
		end, gaps := int(c.t1), 0
		ok := true
		for si := range cd.rest {
			e, g, m := d.zhMatchSeg(end, &cd.rest[si])
			if !m {
				ok = false
				break
			}
			end, gaps = e, gaps+g
		}
		if ok {
			out = append(out, cueCand{c.t0, int32(end), c.cue})
			spec = append(spec, int32(end-int(c.t0)-gaps))
		}
	}
	d.cueSpec = spec
	// insertion sort: groups are small
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && d.cueBefore(out[j], spec[j], out[j-1], spec[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
			spec[j], spec[j-1] = spec[j-1], spec[j]
		}
	}
	return out
}

func (d *zhDoc) cueBefore(a cueCand, sa int32, b cueCand, sb int32) bool {
	if a.t1 != b.t1 {
		return a.t1 > b.t1
	}
	if sa != sb {
		return sa > sb
	}
	if wa, wb := d.lex.cues[a.cue].weight, d.lex.cues[b.cue].weight; wa != wb {
		return wa > wb
	}
	return a.cue < b.cue
}

// zhSourceCountry is the state of a government speaker near the cue.
func (d *zhDoc) zhSourceCountry(c0, s0, s1 int) string {
	for j := max(s0, c0-zhWindow); j < s1 && j < c0+zhWindow; j++ {
		if mi := d.mentAt[j]; mi >= 0 {
			m := &d.ments[mi]
			if m.country != "" && !m.place && (m.typ == "GOV" || (m.typ == "PERSON" && m.speaker == "GOV")) {
				return m.country
			}
		}
	}
	return ""
}

// isIf tells whether the conditional at token k opens a condition (如果, 若,
// 一旦) rather than being a demand word of the same class (要求, 必须).
func (d *zhDoc) isIf(k int) bool {
	switch string(d.ts.norm[d.ts.toks[k].ns:d.ts.toks[k+int(max8(d.wlen[k], 1))-1].ne]) {
	case "如果", "若", "倘若", "假如", "一旦", "要是", "万一", "如若", "若是", "只要", "除非":
		return true
	}
	return false
}

// modScan follows the cues through the text (they come in order) and keeps
// the clause start and the latest position of each modifier, so that every
// cue reads its modifiers in constant time however long its clause is.
type modScan struct {
	p                           int     // next token to read
	clause                      int     // first token of the current clause
	hedge, future, hypo, bg, nv int     // latest token of each class (-1: none)
	negs                        []int32 // negators of the current clause, in order
}

func (m *modScan) reset() {
	m.p, m.clause = 0, 0
	m.hedge, m.future, m.hypo, m.bg, m.nv = -1, -1, -1, -1, -1
	m.negs = m.negs[:0]
}

// advance reads the tokens before c0: a comma, colon, semicolon, bracket or
// quote, or a clause word, starts a new clause after it.
func (m *modScan) advance(d *zhDoc, c0 int) {
	toks := d.ts.toks
	for ; m.p < c0; m.p++ {
		k := m.p
		switch toks[k].punct {
		case ',', ';', ':', '(', '`', '"', '.', '!', '?', '\n':
			m.clause = k + 1
			m.negs = m.negs[:0]
			continue
		}
		w := d.wmask[k]
		if w == 0 {
			continue
		}
		if w&wCLAUSE != 0 {
			m.clause = k + int(d.wlen[k])
			m.negs = m.negs[:0]
		}
		if w&wNEG != 0 {
			m.negs = append(m.negs, int32(k))
		}
		if w&wNEGVOID != 0 {
			m.nv = k
		}
		if w&(wHEDGE|wREPORTLOW) != 0 {
			m.hedge = k
		}
		if w&wFUTURE != 0 {
			m.future = k
		}
		if w&wHYPO != 0 {
			m.hypo = k
		}
		if w&wBACKGROUND != 0 {
			m.bg = k
		}
	}
}

// at gives the modifiers of a cue at c0 in the sentence starting at s0: in
// its clause (at most zhWindow tokens back), negators within ten tokens that
// end before it, void negators within eight, background within twelve.
func (m *modScan) at(d *zhDoc, c0, s0 int) (negs int, void, hedged, future, hypo, background bool) {
	cl := max(m.clause, s0, c0-zhWindow)
	for i := len(m.negs) - 1; i >= 0; i-- {
		k := int(m.negs[i])
		if k < cl || c0-k > 10 {
			break
		}
		if k+int(d.wlen[k]) <= c0 {
			negs++
		}
	}
	void = m.nv >= cl && c0-m.nv <= 8
	hedged = m.hedge >= cl
	future = m.future >= cl
	hypo = m.hypo >= cl
	background = m.bg >= cl && c0-m.bg <= 12
	return
}

// zhActorTarget applies the Chinese attribution rules to the state
// references of the sentence.
func (d *zhDoc) zhActorTarget(refs []ref, c0, c1, s0 int) (string, string) {
	// passive: 被 X (X acts on the subject); 面临/遭到/受到 (the subject is hit)
	for k := c0 - 1; k >= s0 && k >= c0-12; k-- {
		if d.wmask[k]&wPASSIVE == 0 || k+int(d.wlen[k]) > c0 {
			continue
		}
		actor, target := "", ""
		isBei := d.hanAt(k) == '被' || d.hanAt(k) == '遭' && d.wlen[k] == 1
		for i := len(refs) - 1; i >= 0; i-- {
			r := refs[i]
			if int(r.tok) < k {
				target = r.country
				break
			}
		}
		if isBei {
			for _, r := range refs {
				if int(r.tok) > k && int(r.tok) < c0 && !r.weak {
					actor = r.country
					break
				}
			}
		} else {
			for _, r := range refs {
				if int(r.tok) >= c1 && !r.weak && r.country != target {
					actor = r.country
					break
				}
			}
		}
		if actor != "" || target != "" {
			return actor, target
		}
		break
	}
	actor, target := "", ""
	// subject: the nearest state before the cue not after a preposition
	for i := len(refs) - 1; i >= 0; i-- {
		r := refs[i]
		if int(r.tok) >= c0 || r.weak || d.prepEnd[r.tok]&zpPrep != 0 || d.isObject(int(r.tok), s0) {
			continue
		}
		actor = r.country
		break
	}
	// target: a state inside the cue (暂停对中国商品加征), after an object
	// marker before it (对华加征), else the first state after it, else the
	// nearest other state before it
	for _, r := range refs {
		if int(r.tok) > c0 && int(r.tok) < c1 && r.country != actor {
			target = r.country
			break
		}
	}
	for i := len(refs) - 1; i >= 0 && target == ""; i-- {
		r := refs[i]
		if int(r.tok) < c0 && d.isObject(int(r.tok), s0) && r.country != actor {
			target = r.country
			break
		}
	}
	if target == "" {
		for _, r := range refs {
			if int(r.tok) >= c1 && r.country != actor {
				target = r.country
				break
			}
		}
	}
	if actor == "" {
		for i := len(refs) - 1; i >= 0; i-- {
			if int(refs[i].tok) < c0 && !refs[i].weak && refs[i].country != target {
				actor = refs[i].country
				break
			}
		}
	}
	if target == "" {
		for i := len(refs) - 1; i >= 0; i-- {
			if int(refs[i].tok) < c0 && refs[i].country != actor {
				target = refs[i].country
				break
			}
		}
	}
	return actor, target
}

// isObject tells whether the state named at token t is the object of a
// preposition: right after one (对华, 与中方) or inside a phrase it opens
// (对三千亿美元的中国商品), with no clause break or other state between.
func (d *zhDoc) isObject(t, s0 int) bool {
	if d.prepEnd[t]&zpObj != 0 {
		return true
	}
	for k := t - 1; k >= s0 && k >= t-10; k-- {
		switch d.ts.toks[k].punct {
		case ',', ';', ':', '.', '!', '?':
			return false
		}
		if d.wmask[k]&wOBJPREP != 0 {
			return true
		}
		if mi := d.mentAt[k]; mi >= 0 && d.ments[mi].country != "" && d.ments[mi].kind != mIgnore {
			return false
		}
	}
	return false
}

// zhSource finds who says the sentence holding the cue: the speaker of the
// nearest reporting verb before the cue (X表示, 据X报道), else of one after
// it ("……，高峰说"); anon tells whether the sentence cites unnamed sources.
func (d *zhDoc) zhSource(c0, c1, s0, s1 int, anon bool) (string, string) {
	rep := d.zrep // the sentence's reporting words, in order
	// the first of them at or after c0 and c1; cues come in order, so these
	// only move forward within a sentence
	i := d.repAt[0]
	for i < len(rep) && int(rep[i].k) < c0 {
		i++
	}
	d.repAt[0] = i
	for j := i - 1; j >= 0 && int(rep[j].k) >= c0-zhWindow; j-- {
		if k := int(rep[j].k); k+int(d.wlen[k]) <= c0 {
			if s, t := d.zhSpeakerOfVerb(j, s0, s1); t != "" {
				return s, t
			}
		}
	}
	// a reporting verb after the cue counts after a quotation ("……”，他说")
	// or when it ends the sentence ("……，高峰说。")
	j := max(d.repAt[1], i)
	for j < len(rep) && int(rep[j].k) < c1 {
		j++
	}
	d.repAt[1] = j
	quoted, q := false, c1
	for ; j < len(rep) && int(rep[j].k) < c1+zhWindow; j++ {
		k := int(rep[j].k)
		for ; q < k; q++ {
			if d.ts.toks[q].punct == '"' {
				quoted = true
			}
		}
		e := k + int(max8(d.wlen[k], 1))
		if quoted || e >= s1 || d.ts.toks[e].punct != 0 && d.ts.toks[e].punct != '`' {
			if s, t := d.zhSpeakerOfVerb(j, s0, s1); t != "" {
				return s, t
			}
		}
	}
	if anon {
		return "unnamed sources", "ANON"
	}
	return "", ""
}

// zhSpeakerOfVerb is zhSpeakerAt of the sentence's reporting word i, found
// once per sentence.
func (d *zhDoc) zhSpeakerOfVerb(i, s0, s1 int) (string, string) {
	r := &d.zrep[i]
	if !r.done {
		r.s, r.t = d.zhSpeakerAt(int(r.k), s0, s1)
		r.done = true
	}
	return r.s, r.t
}

// zhSpeakerAt finds the speaker of the reporting word at token k.
func (d *zhDoc) zhSpeakerAt(k, s0, s1 int) (string, string) {
	w := string(d.ts.norm[d.ts.toks[k].ns:d.ts.toks[k+int(max8(d.wlen[k], 1))-1].ne])
	after := k + int(max8(d.wlen[k], 1))
	if d.wmask[k]&wANON != 0 {
		return "unnamed sources", "ANON"
	}
	switch w {
	case "据", "根据", "援引", "引述", "据报道":
		// 据X报道, 援引X: the speaker follows
		for j := after; j < s1 && j < after+8; j++ {
			if d.wmask[j]&wANON != 0 {
				return "unnamed sources", "ANON"
			}
			if mi := d.mentAt[j]; mi >= 0 && d.ments[mi].kind != mIgnore && d.ments[mi].kind != mRole {
				m := &d.ments[mi]
				return d.speakerName(m), speakerOf(m)
			}
		}
		return "", ""
	}
	// state media phrase before the verb
	for j := k - 1; j >= s0 && j >= k-10; j-- {
		if d.wmask[j]&wSTATEMEDIA != 0 {
			// a named outlet after the phrase is the speaker ("官媒央视")
			for q := j + int(d.wlen[j]); q < k; q++ {
				if mi := d.mentAt[q]; mi >= 0 && d.ments[mi].typ == "MEDIA" {
					m := &d.ments[mi]
					return d.speakerName(m), speakerOf(m)
				}
			}
			return "state media", "STATE"
		}
	}
	// the subject before the verb: a person first, then a body or outlet
	best, bestRank := int32(-1), 0
	for j := k - 1; j >= s0 && j >= k-16; j-- {
		p := d.ts.toks[j].punct
		if p == '.' || p == ';' || p == '!' || p == '?' {
			break
		}
		mi := d.mentAt[j]
		if mi < 0 {
			continue
		}
		m := &d.ments[mi]
		r := 0
		switch {
		case m.typ == "PERSON":
			r = 4
		case m.typ == "GOV" || m.kind == mSeat || m.typ == "MEDIA":
			r = 3
		case m.typ == "ORG":
			r = 2
		case m.kind == mCountry && !m.place:
			r = 1
		}
		if r > bestRank {
			best, bestRank = mi, r
		}
		j = int(m.t0)
		if r == 4 {
			break
		}
	}
	if best >= 0 {
		m := &d.ments[best]
		return d.speakerName(m), speakerOf(m)
	}
	return "", ""
}
