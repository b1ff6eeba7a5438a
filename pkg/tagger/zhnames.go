package tagger

import (
	"bytes"
	"slices"
	"strings"
	"unicode/utf8"
)

// Unknown people in Chinese text: a role noun followed by a Chinese name
// (surname and one or two characters: 记者张琪, 教授崔凡) or by a
// transliterated foreign name (领袖麦考尔); two runs of transliteration
// characters joined by a middle dot (吉姆·刘易斯); a Chinese name at a clause
// start right before a reporting verb (崔凡表示). A name found once is found
// again wherever the same characters stand alone later.

const maxZHNames = 32

// hanAt returns the normalised Han character of token i, or 0.
func (d *zhDoc) hanAt(i int) rune {
	if i < d.nTitle || i >= len(d.ts.toks) {
		return 0
	}
	t := &d.ts.toks[i]
	if t.punct != 0 || t.ne-t.ns != 3 {
		if t.punct == 0 && t.ne-t.ns == 4 {
			if r, _ := utf8.DecodeRune(d.ts.norm[t.ns:t.ne]); isHan(r) {
				return r
			}
		}
		return 0
	}
	b := d.ts.norm[t.ns : t.ns+3]
	r := rune(b[0]&0x0F)<<12 | rune(b[1]&0x3F)<<6 | rune(b[2]&0x3F)
	if !isHan(r) {
		return 0
	}
	return r
}

// free tells whether token i can be part of an unknown name.
func (d *zhDoc) free(i int) bool {
	return i >= d.nTitle && i < len(d.ts.toks) && d.mentAt[i] < 0 && d.hanAt(i) != 0
}

// stopsName tells whether token i ends a given name: a function word, a
// reporting verb, a role or any listed word that starts there.
func (d *zhDoc) stopsName(i int) bool {
	if !d.free(i) {
		return true
	}
	if d.wmask[i]&(wREPORT|wREPORTLOW|wCLAUSE|wNEG|wFUTURE|wHEDGE|wBACKGROUND|wPREP|wPASSIVE|wLOC|wROLE|wTRADE|wHYPO) != 0 {
		return true
	}
	return d.z.charIs(d.hanAt(i), cfNameStop)
}

// chineseName returns the end of a Chinese name starting at token i, or -1.
func (d *zhDoc) chineseName(i int) int {
	z := d.z
	if !d.free(i) || d.wmask[i]&wNOTNAME != 0 {
		return -1
	}
	g := i + 1 // given name starts here
	if z.charIs(d.hanAt(i), cfSurname2) && d.free(i+1) && z.surname2[string([]rune{d.hanAt(i), d.hanAt(i + 1)})] {
		g = i + 2
	} else if !z.charIs(d.hanAt(i), cfSurname) {
		return -1
	}
	if d.stopsName(g) {
		return -1
	}
	e := g + 1
	if !d.stopsName(e) && d.ts.toks[e].sent == d.ts.toks[i].sent {
		e++
	}
	return e
}

// translitName returns the end of a transliterated name starting at token i
// (runs joined by middle dots), or -1; dotted is true when it has a dot.
func (d *zhDoc) translitName(i int) (end int, dotted bool) {
	z := d.z
	toks := d.ts.toks
	k := i
	run := 0
	for k < len(toks) && k < i+16 {
		if d.free(k) && z.charIs(d.hanAt(k), cfTranslit) {
			run++
			k++
			continue
		}
		if toks[k].punct == zpNameDot && run > 0 && d.free(k+1) && z.charIs(d.hanAt(k+1), cfTranslit) {
			dotted = true
			run = 0
			k++
			continue
		}
		break
	}
	if k-i < 2 {
		return -1, false
	}
	return k, dotted
}

func (d *zhDoc) findNames() {
	toks := d.ts.toks
	n := len(toks)
	d.names = d.names[:0]
	clauseStart := true // the next token starts a clause
	for i := d.nTitle; i < n; i++ {
		t := &toks[i]
		if t.punct != 0 {
			// a dotted transliterated name anywhere: from the first of the
			// transliteration characters before the dot
			if t.punct == zpNameDot && i > d.nTitle && d.free(i-1) && d.z.charIs(d.hanAt(i-1), cfTranslit) {
				b := i - 1
				for b > d.nTitle && b > i-6 && d.free(b-1) && d.z.charIs(d.hanAt(b-1), cfTranslit) {
					b--
				}
				if e, dotted := d.translitName(b); dotted {
					d.addName(b, e, -1)
					i = e - 1
					clauseStart = false
					continue
				}
			}
			clauseStart = true
			continue
		}
		atClause := clauseStart || t.is(fParaStart)
		clauseStart = false
		if d.wmask[i]&wROLE != 0 {
			// a role noun: the name right after it
			r := i + int(d.wlen[i])
			if r >= n || toks[r].sent != t.sent {
				continue
			}
			te, dotted := d.translitName(r)
			if dotted {
				d.addName(r, te, i)
				i = te - 1
				continue
			}
			if e := d.chineseName(r); e > 0 {
				d.addName(r, e, i)
				i = e - 1
				continue
			}
			if te > 0 && te-r <= 6 {
				d.addName(r, te, i)
				i = te - 1
			}
			continue
		}
		// a Chinese name at a clause start, right before a reporting verb
		if atClause && d.wmask[i]&wNOTNAME == 0 && d.z.charIs(d.hanAt(i), cfSurname|cfSurname2) {
			if e := d.chineseName(i); e > 0 && e < n && d.wmask[e]&wREPORT != 0 {
				d.addName(i, e, -1)
				i = e - 1
			}
		}
	}
	d.findNamesAgain()
}

// addName adds the person at tokens [t0,t1) found after the role at token
// role (-1: none).
func (d *zhDoc) addName(t0, t1, role int) {
	m := mention{t0: int32(t0), t1: int32(t1), kind: mNER, typ: "PERSON", speaker: "PERSON", emit: true}
	if role >= 0 {
		w := d.wmask[role]
		switch {
		case w&wANALYSTROLE != 0:
			m.speaker = "ANALYST"
		case d.govRole(role):
			m.speaker = "GOV"
			m.country = d.roleCountry(role)
			if m.country == "" {
				m.speaker = "PERSON"
			}
		}
	}
	norm := string(d.ts.norm[d.ts.toks[t0].ns:d.ts.toks[t1-1].ne])
	// the canonical name is the normalised (Simplified) form, with its dots
	m.canonical = strings.ReplaceAll(norm, string(rune(zpNameDot)), "·")
	d.addMention(m)
	if len(d.names) < maxZHNames && !slices.ContainsFunc(d.names, func(x zhName) bool { return x.norm == norm }) {
		d.names = append(d.names, zhName{norm: norm, canonical: m.canonical, speaker: m.speaker, country: m.country})
	}
}

// govRole: a government office (发言人, 部长, 大使 ...) rather than a
// journalist or a scholar.
func (d *zhDoc) govRole(role int) bool {
	switch string(d.ts.norm[d.ts.toks[role].ns:d.ts.toks[role+int(d.wlen[role])-1].ne]) {
	case "记者", "编译", "特约记者", "通讯员", "作者", "主播", "评论员", "社长", "总编辑", "主编", "女士", "先生",
		"总裁", "董事长", "首席执行官", "行政总裁", "创始人", "总经理", "CEO", "会长", "理事长", "负责人":
		return false
	}
	return true
}

// roleCountry: the state of the body or country named just before a role
// ("中国外交部发言人", "美国总统").
func (d *zhDoc) roleCountry(role int) string {
	toks := d.ts.toks
	for k := role - 1; k >= d.nTitle && k >= role-12 && toks[k].sent == toks[role].sent; k-- {
		if toks[k].punct != 0 {
			break
		}
		if mi := d.mentAt[k]; mi >= 0 {
			m := &d.ments[mi]
			if m.country != "" && (m.kind == mCountry || m.kind == mSeat || m.typ == "GOV") {
				return m.country
			}
			k = int(m.t0)
		}
	}
	return ""
}

// findNamesAgain marks the other free occurrences of the names found, in
// one pass over the tokens (a bit set of the names' first characters lets
// most tokens through at once). Names start with a Chinese character.
func (d *zhDoc) findNamesAgain() {
	if len(d.names) == 0 {
		return
	}
	toks := d.ts.toks
	norm := d.ts.norm
	// a filter on the first character of the names: most tokens stop here
	var first [8]uint64
	for _, nm := range d.names {
		r, _ := utf8.DecodeRuneInString(nm.norm)
		first[(r>>6)&7] |= 1 << (r & 63)
	}
	for i := d.nTitle; i < len(toks); i++ {
		r := d.hanAt(i)
		if r == 0 || first[(r>>6)&7]&(1<<(r&63)) == 0 || d.mentAt[i] >= 0 {
			continue
		}
		for _, nm := range d.names {
			if !bytes.HasPrefix(norm[toks[i].ns:], []byte(nm.norm)) {
				continue
			}
			end := int(toks[i].ns) + len(nm.norm)
			t1 := i
			for t1 < len(toks) && int(toks[t1].ne) <= end {
				t1++
			}
			if int(toks[t1-1].ne) != end {
				continue
			}
			ok := true
			for k := i; k < t1; k++ {
				if d.mentAt[k] >= 0 {
					ok = false
					break
				}
			}
			// not inside a longer run of name characters
			if !ok || (d.free(t1) && d.z.charIs(d.hanAt(i), cfSurname) && !d.stopsName(t1) && t1-i < 3) {
				continue
			}
			d.addMention(mention{t0: int32(i), t1: int32(t1), kind: mNER, typ: "PERSON", speaker: nm.speaker, country: nm.country, canonical: nm.canonical, emit: true})
			i = t1 - 1
			break
		}
	}
}
