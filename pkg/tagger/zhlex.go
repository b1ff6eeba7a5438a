package tagger

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"unicode/utf8"
)

// The Chinese data (data/zh/*.tsv) is compiled into a lexicon of its own: the
// same entity, country, cue and word-class tables as the English one, over
// Chinese tokens (one per character), plus what only Chinese needs below.

//go:embed data/zh/*.tsv
var zhDataFS embed.FS

// Hit kinds that only the Chinese lexicon has (above the English ones).
const (
	kPair    uint8 = 100 + iota // two state abbreviations ("中美"): id = a<<16 | b
	kAbbrAt                     // a compound whose last character is a state ("对华"): id = state
	kAbbrGov                    // abbreviation + 方 ("美方"): the state's government
	kAbbrOf                     // abbreviation + noun ("美企", "中资"): a mention of the state
)

// Chinese word classes, from the top bit down so that they never meet the
// English classes (which count up from bit 0).
const (
	wNOTNEG uint32 = 1 << (31 - iota)
	wPREP
	wPASSIVE
	wDATELINE
	wOBJPREP
)

var zhClassBits = map[string]uint32{
	"NOTNEG": wNOTNEG, "PREP": wPREP, "PASSIVE": wPASSIVE, "DATELINE": wDATELINE, "OBJPREP": wOBJPREP,
}

// zhEntFlags are the Chinese gazetteer's flags of an entity.
type zhEntFlags struct {
	ctx, def, gov bool
}

// zhLexicon is the Chinese lexicon and what the Chinese rules need besides.
type zhLexicon struct {
	lex      *lexicon
	t2s      []rune          // Traditional → Simplified, indexed by rune - t2sBase (0: unchanged)
	han      []uint32        // ideograph - hanBase → its Simplified form << 16 | the form's word id (0: none)
	abbr     map[rune]int    // one-character state abbreviation → country index
	entFlags []zhEntFlags    // per entity of lex.entities
	charFl   []uint8         // ideograph - hanBase → cfSurname, cfTranslit, cfNameStop
	surname2 map[string]bool // two-character surnames
	compound []bool          // per pattern: an abbreviation compound ("中美", "对华"), not a word
	src      fs.FS           // while loading: where data/zh/ is
}

const (
	t2sBase = 0x3400
	t2sEnd  = 0x10000
	hanBase = 0x4E00 // the CJK Unified Ideographs block, where nearly all text is
	hanEnd  = 0xA000
)

// zhNorm normalises one rune for matching: Traditional to Simplified,
// full-width ASCII to ASCII, ASCII letters to lower case.
func (z *zhLexicon) zhNorm(r rune) rune {
	switch {
	case r >= t2sBase && r < t2sEnd:
		if s := z.t2s[r-t2sBase]; s != 0 {
			return s
		}
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFF01 - 0x21
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
	case r >= 'A' && r <= 'Z':
		r += 'a' - 'A'
	}
	return r
}

// normalize turns a Chinese phrase into the normalised token string the text
// is matched on (one token per character, ASCII words whole).
func (z *zhLexicon) normalize(phrase string) string {
	var ts tokens
	z.tokenize(&ts, phrase, 0)
	var sb strings.Builder
	for i := range ts.toks {
		if i > 0 {
			sb.WriteByte(' ')
		}
		t := &ts.toks[i]
		sb.Write(ts.norm[t.ns:t.ne])
	}
	return sb.String()
}

// each reads one data file of the Chinese lexicon (data/zh/ in src).
func (z *zhLexicon) each(file string, fn func(fields []string) error) error {
	return eachLineIn(z.src, "data/zh/", file, fn)
}

// loadZH builds the Chinese lexicon from the embedded data/zh/ files.
func loadZH(en *lexicon) (*zhLexicon, error) { return loadZHFrom(en, zhDataFS) }

// loadZHFrom builds the Chinese lexicon from src (data/zh/*.tsv). It shares
// the country table (codes, names, governments) and the topic names of the
// English lexicon en, and takes types and countries of entities from it by
// canonical name.
func loadZHFrom(en *lexicon, src fs.FS) (*zhLexicon, error) {
	z := &zhLexicon{abbr: map[rune]int{}, surname2: map[string]bool{}, charFl: make([]uint8, hanEnd-hanBase), src: src}
	defer func() { z.src = nil }()
	if err := z.loadT2S(); err != nil {
		return nil, err
	}
	lex := &lexicon{govCanon: en.govCanon, byCode: en.byCode, topicName: en.topicName, pairNames: en.pairNames}
	lex.countries = append([]countryDef(nil), en.countries...)
	z.lex = lex
	b := &lexBuilder{lex: lex, index: map[string]int32{}}
	add := func(alias string, h hit) error {
		norm := z.normalize(alias)
		if norm == "" {
			return fmt.Errorf("empty alias %q", alias)
		}
		id := b.pattern(norm)
		for _, old := range lex.hits[id] {
			if old.kind == h.kind && old.id == h.id {
				return nil
			}
		}
		lex.hits[id] = append(lex.hits[id], h)
		return nil
	}
	if err := z.loadCountries(add); err != nil {
		return nil, err
	}
	if err := z.loadGazetteer(en, add); err != nil {
		return nil, err
	}
	if err := z.loadWords(b); err != nil {
		return nil, err
	}
	if err := z.loadAbbrCompounds(b, add); err != nil {
		return nil, err
	}
	if err := z.loadNames(); err != nil {
		return nil, err
	}
	// topics: the English topic names, Chinese phrases
	err := z.each("topics.tsv", func(f []string) error {
		if len(f) != 2 {
			return fmt.Errorf("want 2 fields, got %d", len(f))
		}
		k := slices.Index(lex.topicName, f[0])
		if k < 0 {
			return fmt.Errorf("topic %q is not in ../topics.tsv", f[0])
		}
		for _, a := range splitAlts(f[1]) {
			id := b.pattern(z.normalize(a))
			lex.topics[id] |= 1 << uint(k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := b.loadCues(z.each, "cues.tsv", z.normalize, nil); err != nil {
		return nil, err
	}
	extra := lex.segWords()
	slices.Sort(extra)
	wm, err := buildWordMatcher(lex.patterns, extra, nil)
	if err != nil {
		return nil, err
	}
	lex.wm = wm
	lex.wflag = make([]uint8, lex.wm.nWords()+1)
	if err := lex.indexSegs(); err != nil {
		return nil, err
	}
	if lex.wm.nWords() >= 1<<16 {
		return nil, fmt.Errorf("tagger: zh: %d words, more than the character table holds", lex.wm.nWords())
	}
	// the common ideographs in one table of 84 KB: folded form and word id
	z.han = make([]uint32, hanEnd-hanBase)
	var buf [4]byte
	for r := rune(hanBase); r < hanEnd; r++ {
		f := z.zhNorm(r)
		if f >= 1<<16 {
			continue // 0: the tokenizer's general path folds it
		}
		z.han[r-hanBase] = uint32(f)<<16 | uint32(lex.wm.lookup(string(buf[:utf8.EncodeRune(buf[:], f)])))
	}
	if err := lex.packPatterns(); err != nil {
		return nil, err
	}
	z.compound = make([]bool, len(lex.patterns))
	for i := range lex.pinfo {
		for _, h := range lex.hits[i] {
			if h.kind >= kPair {
				z.compound[i] = true
			}
		}
	}
	return z, nil
}

func (z *zhLexicon) loadT2S() error {
	z.t2s = make([]rune, t2sEnd-t2sBase)
	return z.each("t2s.tsv", func(f []string) error {
		if len(f) != 2 || utf8.RuneCountInString(f[0]) != 1 || utf8.RuneCountInString(f[1]) != 1 {
			return fmt.Errorf("want one character, a tab and one character")
		}
		from, _ := utf8.DecodeRuneInString(f[0])
		to, _ := utf8.DecodeRuneInString(f[1])
		if from < t2sBase || from >= t2sEnd {
			return nil // outside the table: such characters are kept as they are
		}
		z.t2s[from-t2sBase] = to
		return nil
	})
}

func (z *zhLexicon) loadCountries(add func(string, hit) error) error {
	lex := z.lex
	seen := map[string]bool{}
	return z.each("countries.tsv", func(f []string) error {
		if len(f) < 3 {
			return fmt.Errorf("want at least 3 fields, got %d", len(f))
		}
		for len(f) < 6 {
			f = append(f, "")
		}
		c := lex.country(f[0])
		if c == nil {
			return fmt.Errorf("country %q is not in ../countries.tsv", f[0])
		}
		if c.name != f[1] {
			return fmt.Errorf("country %s is named %q in ../countries.tsv, not %q", f[0], c.name, f[1])
		}
		if seen[f[0]] {
			return fmt.Errorf("duplicate country %s", f[0])
		}
		seen[f[0]] = true
		id := int32(slices.IndexFunc(lex.countries, func(x countryDef) bool { return x.code == f[0] }))
		lex.countries[id].amb = strings.Contains(f[5], "amb")
		for _, a := range splitAlts(f[2]) {
			if err := add(a, hit{kind: kCountry, id: id}); err != nil {
				return err
			}
		}
		for _, a := range splitAlts(f[3]) {
			if utf8.RuneCountInString(a) != 1 {
				return fmt.Errorf("abbreviation %q is not one character", a)
			}
			r, _ := utf8.DecodeRuneInString(a)
			r = z.zhNorm(r)
			if old, ok := z.abbr[r]; ok {
				return fmt.Errorf("abbreviation %q is already %s", a, lex.countries[old].code)
			}
			z.abbr[r] = int(id)
		}
		for _, a := range splitAlts(f[4]) {
			if err := add(a, hit{kind: kSeat, id: id}); err != nil {
				return err
			}
		}
		return nil
	})
}

func (z *zhLexicon) loadGazetteer(en *lexicon, add func(string, hit) error) error {
	lex := z.lex
	enBy := map[string]*entityDef{}
	for i := range en.entities {
		if _, ok := enBy[en.entities[i].canonical]; !ok {
			enBy[en.entities[i].canonical] = &en.entities[i]
		}
	}
	return z.each("gazetteer.tsv", func(f []string) error {
		if len(f) < 5 {
			return fmt.Errorf("want 5 or 6 fields, got %d", len(f))
		}
		for len(f) < 6 {
			f = append(f, "")
		}
		e := entityDef{canonical: f[0], typ: f[1], country: f[2], speaker: f[3]}
		if e.canonical == "" {
			return fmt.Errorf("empty canonical name")
		}
		ref := enBy[e.canonical]
		switch {
		case e.typ == "" && e.country == "" && e.speaker == "":
			if ref == nil {
				return fmt.Errorf("%q is not in ../gazetteer.tsv: give its type, country and speaker", e.canonical)
			}
			e = *ref
		case ref != nil && (ref.typ != e.typ || ref.country != e.country):
			return fmt.Errorf("%q is %s/%s in ../gazetteer.tsv, not %s/%s", e.canonical, ref.typ, ref.country, e.typ, e.country)
		}
		e.generic = false
		if !validTypes[e.typ] {
			return fmt.Errorf("bad type %q", e.typ)
		}
		if !validSpeakers[e.speaker] {
			return fmt.Errorf("bad speaker type %q", e.speaker)
		}
		if e.country != "" && lex.country(e.country) == nil {
			return fmt.Errorf("unknown country %q", e.country)
		}
		fl := zhEntFlags{ctx: hasFlag(f[5], "ctx"), def: hasFlag(f[5], "default"), gov: hasFlag(f[5], "gov")}
		id := int32(len(lex.entities))
		lex.entities = append(lex.entities, e)
		z.entFlags = append(z.entFlags, fl)
		alts := splitAlts(f[4])
		if len(alts) == 0 {
			return fmt.Errorf("no aliases")
		}
		for _, a := range alts {
			if err := add(a, hit{kind: kEntity, id: id}); err != nil {
				return err
			}
		}
		return nil
	})
}

func hasFlag(flags, f string) bool {
	return slices.Contains(strings.Fields(strings.ReplaceAll(flags, ",", " ")), f)
}

func (z *zhLexicon) loadWords(b *lexBuilder) error {
	lex := z.lex
	classBit := map[string]uint32{}
	for i, n := range wordClassNames {
		classBit[n] = 1 << uint(i)
	}
	for n, bit := range zhClassBits {
		classBit[n] = bit
	}
	return z.each("words.tsv", func(f []string) error {
		if len(f) != 2 {
			return fmt.Errorf("want 2 fields, got %d", len(f))
		}
		if f[0] == "ABBRPRE" || f[0] == "ABBRSUF" || f[0] == "ABBROF" {
			return nil // compounds, built by loadAbbrCompounds
		}
		bit, ok := classBit[f[0]]
		if !ok {
			return fmt.Errorf("unknown word class %q", f[0])
		}
		for _, a := range splitAlts(f[1]) {
			id := b.pattern(z.normalize(a))
			lex.words[id] |= bit
		}
		return nil
	})
}

// loadAbbrCompounds adds the compounds of one-character state abbreviations:
// pairs ("中美"), prefixed forms ("对华", "访美"), governments ("美方") and
// other nouns ("美企").
func (z *zhLexicon) loadAbbrCompounds(b *lexBuilder, add func(string, hit) error) error {
	var pre, gov, of []string
	err := z.each("words.tsv", func(f []string) error {
		switch f[0] {
		case "ABBRPRE":
			pre = splitAlts(f[1])
		case "ABBRSUF":
			gov = splitAlts(f[1])
		case "ABBROF":
			of = splitAlts(f[1])
		}
		return nil
	})
	if err != nil {
		return err
	}
	abbrs := make([]rune, 0, len(z.abbr))
	for r := range z.abbr {
		abbrs = append(abbrs, r)
	}
	slices.Sort(abbrs)
	for _, a := range abbrs {
		ca := int32(z.abbr[a])
		for _, c := range abbrs {
			if cb := int32(z.abbr[c]); cb != ca {
				if err := add(string(a)+string(c), hit{kind: kPair, id: ca<<16 | cb}); err != nil {
					return err
				}
			}
		}
		for _, p := range pre {
			if err := add(p+string(a), hit{kind: kAbbrAt, id: ca}); err != nil {
				return err
			}
		}
		for _, s := range gov {
			if err := add(string(a)+s, hit{kind: kAbbrGov, id: ca}); err != nil {
				return err
			}
		}
		for _, s := range of {
			if err := add(string(a)+s, hit{kind: kAbbrOf, id: ca}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Flags of ideographs for the name rules.
const (
	cfSurname uint8 = 1 << iota
	cfTranslit
	cfNameStop
	cfSurname2 // first character of a two-character surname
)

// charIs tells whether the ideograph r has flag f.
func (z *zhLexicon) charIs(r rune, f uint8) bool {
	return r >= hanBase && r < hanEnd && z.charFl[r-hanBase]&f != 0
}

// loadNames reads the characters that shape unknown names: surnames and the
// characters of transliterated foreign names.
func (z *zhLexicon) loadNames() error {
	return z.each("names.tsv", func(f []string) error {
		if len(f) != 2 {
			return fmt.Errorf("want 2 fields, got %d", len(f))
		}
		for _, a := range splitAlts(f[1]) {
			rs := []rune(a)
			for i := range rs {
				rs[i] = z.zhNorm(rs[i])
			}
			fl := map[string]uint8{"SURNAME": cfSurname, "TRANSLIT": cfTranslit, "NAMESTOP": cfNameStop}[f[0]]
			switch {
			case f[0] == "SURNAME" && len(rs) == 2:
				if rs[0] < hanBase || rs[0] >= hanEnd {
					return fmt.Errorf("%q is outside U+4E00-U+9FFF", a)
				}
				z.surname2[string(rs)] = true
				z.charFl[rs[0]-hanBase] |= cfSurname2
			case fl != 0 && (f[0] != "SURNAME" || len(rs) == 1):
				for _, r := range rs {
					if r < hanBase || r >= hanEnd {
						return fmt.Errorf("%q is outside U+4E00-U+9FFF", string(r))
					}
					z.charFl[r-hanBase] |= fl
				}
			default:
				return fmt.Errorf("unknown class %q (or a surname longer than two characters)", f[0])
			}
		}
		return nil
	})
}
