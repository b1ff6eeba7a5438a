package tagger

import (
	"strings"
	"unicode/utf8"
)

var honorifics = map[string]bool{"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "sen": true, "rep": true, "gov": true}
var nameJoin = map[string]bool{"of": true, "for": true, "and": true, "&": true, "the": true, "de": true, "von": true, "der": true, "van": true, "la": true, "du": true}

// capTok tells whether token i can be part of an unknown name.
func (d *doc) capTok(i int) bool {
	if i < d.nTitle || i >= len(d.ts.toks) {
		return false
	}
	t := &d.ts.toks[i]
	if !t.is(fWord) || !t.is(fCap) || d.mentAt[i] >= 0 {
		return false
	}
	if d.wlen[i] <= 1 && d.wmask[i]&(wNOTNAME|wROLE|wREPORT|wNEG|wCLAUSE|wHEDGE|wFUTURE|wBACKGROUND) != 0 {
		return false
	}
	if d.lex.wflag[d.wid[i]]&wfHonorific != 0 {
		return false
	}
	return true
}

// recogniseNames finds people and organisations that are not in the
// gazetteer from their shape (capitalised runs) and their surroundings: role
// nouns ("strategist Zhaopeng Xing"), appositions ("Dong Chen, chief Asia
// strategist at ..."), reporting verbs ("said X", "X said", "according to
// X"), affiliations ("at Pictet Wealth Management") and organisation endings
// ("... Research", "... Institute"). A surname alone later in the text refers
// back to the person.
func (d *doc) recogniseNames() {
	toks := d.ts.toks
	n := len(toks)
	if d.surnames == nil {
		d.surnames = map[string]int32{}
	}
	surnames := d.surnames
	clear(surnames)
	for i := range d.ments {
		m := &d.ments[i]
		if m.typ == "PERSON" && m.t1-m.t0 >= 2 {
			surnames[d.norm(int(m.t1-1))] = int32(i)
		}
	}
	// the capitalised words of the text (listed by splitSentences), so
	// that the loop below visits them alone, in order, from where the
	// last run of them ended
	next := d.nTitle // the first token not yet read
	for _, ci := range d.ts.caps {
		i := int(ci)
		if i < next || !d.capTok(i) {
			continue
		}
		// maximal run, allowing joiners inside organisation names
		j := i + 1
		for j < n {
			if d.capTok(j) && toks[j].sent == toks[i].sent {
				j++
				continue
			}
			if j+1 < n && d.lex.wflag[d.wid[j]]&wfNameJoin != 0 && d.capTok(j+1) && j > i && toks[j].sent == toks[i].sent {
				j += 2
				continue
			}
			break
		}
		a, b := i, j
		next = j
		last := d.nb(b - 1)
		switch {
		case d.has(b-1, wORGSUFFIX) && b-a >= 2:
			d.addMention(mention{t0: int32(a), t1: int32(b), kind: mNER, typ: "ORG", canonical: d.surface(a, b), speaker: orgSpeaker(last), emit: true})
			continue
		case d.has(b-1, wGOVSUFFIX) && b-a >= 2:
			p := d.countryPrefix(int32(a))
			if p >= 0 {
				m := mention{t0: d.ments[p].t0, t1: int32(b), kind: mNER, typ: "GOV", country: d.ments[p].country, speaker: "GOV", emit: true}
				m.canonical = d.surface(int(m.t0), b)
				d.addMention(m)
			}
			continue
		}
		if b-a == 1 {
			if mi, ok := surnames[string(last)]; ok {
				pm := d.ments[mi]
				d.addMention(mention{t0: int32(a), t1: int32(b), kind: mNER, typ: "PERSON", canonical: pm.canonical, country: pm.country, speaker: pm.speaker, emit: true})
				continue
			}
			if d.affiliation(a) {
				d.addMention(mention{t0: int32(a), t1: int32(b), kind: mNER, typ: "ORG", canonical: d.surface(a, b), speaker: "ORG", emit: true})
			}
			continue
		}
		// joiners make it an organisation name
		hasJoin := false
		for k := a; k < b; k++ {
			if !toks[k].is(fCap) {
				hasJoin = true
			}
		}
		if d.affiliation(a) {
			d.addMention(mention{t0: int32(a), t1: int32(b), kind: mNER, typ: "ORG", canonical: d.orgCanon(a, b), speaker: "ORG", emit: true})
			continue
		}
		if hasJoin {
			// "analysts Ivo Brandt and Mei Okada said": two people
			if k := d.splitPair(a, b); k > 0 && d.personContext(a, b) {
				for _, r := range [2][2]int{{a, k}, {k + 1, b}} {
					m := mention{t0: int32(r[0]), t1: int32(r[1]), kind: mNER, typ: "PERSON", canonical: d.surface(r[0], r[1]), emit: true}
					m.speaker = d.personSpeaker(r[0], r[1])
					surnames[string(d.nb(r[1]-1))] = int32(len(d.ments))
					d.addMention(m)
				}
			}
			continue
		}
		if b-a > 3 {
			continue
		}
		allCaps := true
		for k := a; k < b; k++ {
			if !toks[k].is(fAllCaps) {
				allCaps = false
			}
		}
		if allCaps {
			continue
		}
		if d.personContext(a, b) {
			m := mention{t0: int32(a), t1: int32(b), kind: mNER, typ: "PERSON", canonical: d.surface(a, b), emit: true}
			m.speaker = d.personSpeaker(a, b)
			idx := int32(len(d.ments))
			d.addMention(m)
			surnames[string(last)] = idx
		}
	}
}

func orgSpeaker(last []byte) string {
	switch string(last) {
	case "research", "economics", "capital", "securities", "bank", "banking", "management", "wealth", "institute",
		"university", "analytics", "insights", "intelligence", "markets", "advisors", "advisers", "partners", "asset":
		return "ANALYST"
	}
	return "ORG"
}

func (d *doc) surface(a, b int) string {
	t0, t1 := &d.ts.toks[a], &d.ts.toks[b-1]
	s := d.src(t0)
	if int(t1.end) > len(s) || t0.start > t1.end {
		return ""
	}
	x := s[t0.start:t1.end]
	// most names are already words separated by single spaces
	simple := true
	for i := 0; i < len(x); i++ {
		c := x[i]
		if c >= utf8.RuneSelf || c == ' ' && (i == 0 || i+1 == len(x) || x[i+1] == ' ') || c != ' ' && asciiKind[c] == kSpace {
			simple = false
			break
		}
	}
	if simple {
		return x
	}
	return strings.Join(strings.Fields(x), " ")
}

// orgCanon links a short form ("Pictet Wealth") to an organisation already
// named in full ("Pictet Wealth Management"): the first one found whose name
// starts with the short form's words (d.orgPrefix).
func (d *doc) orgCanon(a, b int) string {
	s := d.surface(a, b)
	if mi, ok := d.orgPrefix[s]; ok {
		return d.ments[mi].canonical
	}
	return s
}

// maxOrgPrefixWords bounds the short forms orgCanon links (and the keys an
// organisation's name adds to d.orgPrefix).
const maxOrgPrefixWords = 8

// noteOrg indexes the word prefixes of the name of a found organisation
// (mention idx) for orgCanon; an earlier organisation keeps a prefix.
func (d *doc) noteOrg(idx int32) {
	if d.orgPrefix == nil {
		d.orgPrefix = map[string]int32{}
	}
	c := d.ments[idx].canonical
	words := 0
	for i := 0; i < len(c) && words < maxOrgPrefixWords; i++ {
		if c[i] == ' ' {
			words++
			if _, ok := d.orgPrefix[c[:i]]; !ok {
				d.orgPrefix[c[:i]] = idx
			}
		}
	}
}

// affiliation: the run at a follows "at/of/with/from" after a person or role.
func (d *doc) affiliation(a int) bool {
	p := a - 1
	if p < d.nTitle {
		return false
	}
	if !d.normIs(p, "at") && !d.normIs(p, "of") && !d.normIs(p, "with") && !d.normIs(p, "from") {
		return false
	}
	for k := p - 1; k >= d.nTitle && k >= p-4; k-- {
		if d.ts.toks[k].sent != d.ts.toks[a].sent || !d.ts.toks[k].is(fWord) {
			break
		}
		if d.has(k, wROLE) {
			return true
		}
		if mi := d.mentAt[k]; mi >= 0 && d.ments[mi].typ == "PERSON" {
			return true
		}
	}
	return false
}

// splitPair returns the position of "and" in a run [a,b) that is two names of
// two or three words each ("Ivo Brandt and Mei Okada"), or -1.
func (d *doc) splitPair(a, b int) int {
	k := -1
	for i := a; i < b; i++ {
		if !d.ts.toks[i].is(fCap) {
			if k >= 0 || !d.normIs(i, "and") {
				return -1
			}
			k = i
		}
	}
	if k-a < 2 || k-a > 3 || b-k-1 < 2 || b-k-1 > 3 {
		return -1
	}
	return k
}

// roleBefore tells whether a role (one word or a phrase such as "first
// lady") ends at token p.
func (d *doc) roleBefore(p int) bool {
	for k := p; k >= d.nTitle && k >= p-3; k-- {
		if d.has(k, wROLE) && k+int(max8(d.wlen[k], 1))-1 == p {
			return true
		}
	}
	return false
}

// personContext tells whether a capitalised run [a,b) is a person from what
// surrounds it.
func (d *doc) personContext(a, b int) bool {
	toks := d.ts.toks
	n := len(toks)
	p := a - 1
	if p >= d.nTitle {
		if d.roleBefore(p) || d.lex.wflag[d.wid[p]]&wfHonorific != 0 {
			return true
		}
		if mi := d.mentAt[p]; mi >= 0 && d.ments[mi].kind == mRole {
			return true
		}
		if d.has(p, wREPORT) && !d.normIs(p, "according") {
			return true
		}
		if d.normIs(p, "to") && d.normIs(p-1, "according") {
			return true
		}
	}
	if b < n {
		if d.has(b, wREPORT) && toks[b].is(fWord) {
			return true
		}
		if toks[b].punct == ',' {
			for k := b + 1; k < n && k < b+8; k++ {
				if toks[k].sent != toks[a].sent || toks[k].punct == '.' {
					break
				}
				if d.has(k, wROLE) {
					return true
				}
				if toks[k].punct == ',' {
					break
				}
			}
		}
	}
	return false
}

// personSpeaker: an analyst if an analyst role is next to the name, a
// government speaker if an official role is, else PERSON.
func (d *doc) personSpeaker(a, b int) string {
	toks := d.ts.toks
	lo, hi := a-4, b+10
	if lo < d.nTitle {
		lo = d.nTitle
	}
	if hi > len(toks) {
		hi = len(toks)
	}
	role := false
	for k := lo; k < hi; k++ {
		if toks[k].sent != toks[a].sent {
			continue
		}
		if d.has(k, wANALYSTROLE) {
			return "ANALYST"
		}
		if d.has(k, wROLE) {
			role = true
		}
		if mi := d.mentAt[k]; mi >= 0 && k > b {
			if sp := d.ments[mi].speaker; sp == "ANALYST" {
				return "ANALYST"
			}
		}
	}
	if role {
		for k := lo; k < hi; k++ {
			if mi := d.mentAt[k]; mi >= 0 && (d.ments[mi].typ == "GOV" || d.ments[mi].kind == mRole) {
				return "GOV"
			}
		}
		if d.has(a-1, wROLE) {
			return "GOV"
		}
	}
	return "PERSON"
}
