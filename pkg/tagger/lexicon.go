package tagger

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

//go:embed data/*.tsv
var dataFS embed.FS

// Kinds of dictionary hit attached to a pattern.
const (
	kEntity uint8 = iota + 1
	kCountry
	kDemonym
	kSeat
	kCue
)

// Word classes (words.tsv), as bits.
const (
	wNEG uint32 = 1 << iota
	wNEGVOID
	wHEDGE
	wANON
	wFUTURE
	wHYPO
	wBACKGROUND
	wREPORT
	wREPORTLOW
	wCLAUSE
	wROLE
	wANALYSTROLE
	wORGSUFFIX
	wGOVSUFFIX
	wNOTNAME
	wSTATEMEDIA
	wTRADE
	wLOC
	wSPORT
	wREVERSAL
	wECON
	wISSUE
	wPARTNER
	wISSUENOUN
	wEXPLAINER
	wFIRMNOUN
	wPASTTIME
)

var wordClassNames = []string{"NEG", "NEGVOID", "HEDGE", "ANON", "FUTURE", "HYPO", "BACKGROUND", "REPORT",
	"REPORTLOW", "CLAUSE", "ROLE", "ANALYSTROLE", "ORGSUFFIX", "GOVSUFFIX", "NOTNAME", "STATEMEDIA", "TRADE", "LOC", "SPORT", "REVERSAL", "ECON", "ISSUE", "PARTNER", "ISSUENOUN", "EXPLAINER", "FIRMNOUN", "PASTTIME"}

type hit struct {
	kind     uint8
	capFirst bool // the text must start with an upper-case letter
	allCaps  bool // the text must have no lower-case letter
	id       int32
}

type entityDef struct {
	canonical, typ, country, speaker string
	generic                          bool
}

type countryDef struct {
	code, name string
	amb        bool
	govCanon   string // canonical of the government entity a seat stands for
}

// cueSeg is one segment of a cue pattern after a gap: a sequence of positions,
// each a set of alternative token sequences.
type cueSeg struct {
	pos   [][][]string
	first map[string]bool // the words the segment can start with
	// the same as word ids of the matcher, for matching after the scan
	ipos   [][][]int32
	ifirst []int32 // sorted
}

type cueDef struct {
	pattern  string
	category string
	polarity int
	weight   float64
	firm     bool
	noact    bool
	talk     bool
	block    bool     // a phrase that only looks like a cue: cues overlapping it are dropped
	state    bool     // names a measure (a state of affairs), not an act
	punitive bool     // a punitive measure or act: a reversal word before it makes it de-escalation
	verbal   bool     // the pattern starts with a verb (~verb): an act
	rest     []cueSeg // segments after the anchor, each preceded by a gap
}

type lexicon struct {
	wm        *wordMatcher
	patterns  []string
	hits      [][]hit
	pinfo     []patInfo // per pattern: what the matcher needs, packed
	hitFlat   []hit     // every pattern's hits, in pattern order (pinfo's h0, hn)
	wordBits  []uint32  // per word id: the word classes of its wordOnly pattern (0: none)
	wflag     []uint8   // per word id: wf* flags of the small word sets the rules use
	segStart  []uint64  // bit set of the word ids that can start a cue segment after a gap
	words     []uint32  // per pattern: word classes
	topics    []uint32  // per pattern: topic bits
	topicName []string
	entities  []entityDef
	countries []countryDef
	cues      []cueDef
	govCanon  map[string]string // country -> canonical of its government entity
	byCode    [26 * 26]int16    // code "AB" -> 1 + index in countries (0: none)
	pairNames string            // the names of all pairs of countries, 5 bytes each, by index (pairName)
}

// Flags of words (by word id) for the small sets the rules test.
const (
	wfHonorific uint8 = 1 << iota
	wfNameJoin
	wfObjPrep
)

// patInfo packs what a match of a pattern sets, so that a match reads one
// small record instead of three tables.
type patInfo struct {
	words  uint32 // word classes
	topics uint32 // topic bits
	h0     int32  // the pattern's hits: hitFlat[h0 : h0+hn] (the same as hits[pattern])
	hn     uint16
	nc     uint16 // how many of the hits, from the first, are cues (a match's cue candidates)
}

type lexBuilder struct {
	lex   *lexicon
	index map[string]int32
}

func (b *lexBuilder) pattern(norm string) int32 {
	if id, ok := b.index[norm]; ok {
		return id
	}
	id := int32(len(b.lex.patterns))
	b.index[norm] = id
	b.lex.patterns = append(b.lex.patterns, norm)
	b.lex.hits = append(b.lex.hits, nil)
	b.lex.words = append(b.lex.words, 0)
	b.lex.topics = append(b.lex.topics, 0)
	return id
}

// normalize turns a phrase into the normalised token string the text is
// matched on.
func normalize(phrase string) string {
	var ts tokens
	ts.tokenize(phrase, 0)
	return string(ts.norm)
}

func caseFlags(alias string) (capFirst, allCaps bool) {
	letters, upper := 0, 0
	first := true
	for _, r := range alias {
		if unicode.IsLetter(r) {
			if first {
				capFirst = unicode.IsUpper(r)
				first = false
			}
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	allCaps = letters > 0 && letters <= 5 && upper == letters
	return
}

func (b *lexBuilder) addHit(alias string, h hit) error {
	norm := normalize(alias)
	if norm == "" {
		return fmt.Errorf("empty alias %q", alias)
	}
	h.capFirst, h.allCaps = caseFlags(alias)
	id := b.pattern(norm)
	for i, old := range b.lex.hits[id] {
		if old.kind == h.kind && old.id == h.id {
			// keep the least restrictive case rule
			b.lex.hits[id][i].capFirst = old.capFirst && h.capFirst
			b.lex.hits[id][i].allCaps = old.allCaps && h.allCaps
			return nil
		}
	}
	b.lex.hits[id] = append(b.lex.hits[id], h)
	return nil
}

type lineErr struct {
	file string
	line int
	err  error
}

func (e *lineErr) Error() string { return fmt.Sprintf("tagger: %s:%d: %v", e.file, e.line, e.err) }
func (e *lineErr) Unwrap() error { return e.err }

// eachLine calls fn for every non-empty, non-comment line of an embedded file,
// with its tab-separated fields.
func eachLine(file string, fn func(fields []string) error) error {
	return eachLineIn(dataFS, "data/", file, fn)
}

// eachLineIn is eachLine over the files of fsys under dir (errors name the
// file under data/).
func eachLineIn(fsys fs.FS, dir, file string, fn func(fields []string) error) error {
	f, err := fsys.Open(dir + file)
	if err != nil {
		return fmt.Errorf("tagger: open %s: %w", file, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(strings.Split(line, "\t")); err != nil {
			return &lineErr{file: strings.TrimPrefix(dir, "data/") + file, line: n, err: err}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("tagger: read %s: %w", file, err)
	}
	return nil
}

func splitAlts(s string) []string {
	var out []string
	for _, a := range strings.Split(s, "|") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

var validTypes = map[string]bool{"PERSON": true, "GOV": true, "ORG": true, "MEDIA": true, "ROLE": true, "IGNORE": true}
var validSpeakers = map[string]bool{"": true, "GOV": true, "MEDIA": true, "STATE": true, "ANALYST": true, "ORG": true, "PERSON": true}

// loadLexicon builds the English lexicon from the data files, each in its
// own step: countries first (the other files refer to their codes), then
// the gazetteer, word classes, topics, verbs and cues, and last the word
// matcher over every pattern and the words the rules look up. A bad line
// fails the load with its file and line.
func loadLexicon() (*lexicon, error) {
	lex := &lexicon{govCanon: map[string]string{}}
	b := &lexBuilder{lex: lex, index: map[string]int32{}}
	codes, err := b.loadCountries()
	if err != nil {
		return nil, err
	}
	lex.pairNames = pairNames(lex.countries)
	if err := b.loadGazetteer(codes); err != nil {
		return nil, err
	}
	lex.setGovCanon()
	if err := b.loadWordClasses(); err != nil {
		return nil, err
	}
	if err := b.loadTopics(); err != nil {
		return nil, err
	}
	verbs, err := loadVerbs()
	if err != nil {
		return nil, err
	}
	if err := b.loadCues(eachLine, "cues.tsv", normalize, verbs); err != nil {
		return nil, err
	}
	if err := lex.buildMatcher(); err != nil {
		return nil, err
	}
	return lex, nil
}

// loadCountries reads countries.tsv (code, name, aliases, demonyms, seats
// of government, flags) and returns the set of codes, which the gazetteer
// checks its countries against.
func (b *lexBuilder) loadCountries() (map[string]bool, error) {
	lex := b.lex
	codes := map[string]bool{}
	err := eachLine("countries.tsv", func(f []string) error {
		if len(f) < 3 {
			return fmt.Errorf("want at least 3 fields, got %d", len(f))
		}
		for len(f) < 6 {
			f = append(f, "")
		}
		code := f[0]
		if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
			return fmt.Errorf("bad country code %q", code)
		}
		if codes[code] {
			return fmt.Errorf("duplicate country %s", code)
		}
		codes[code] = true
		id := int32(len(lex.countries))
		lex.byCode[int(code[0]-'A')*26+int(code[1]-'A')] = int16(id + 1)
		lex.countries = append(lex.countries, countryDef{code: code, name: f[1], amb: strings.Contains(f[5], "amb")})
		for i, kind := range [...]uint8{kCountry, kDemonym, kSeat} {
			for _, a := range splitAlts(f[2+i]) {
				if err := b.addHit(a, hit{kind: kind, id: id}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return codes, err
}

// pairNames concatenates the name of every ordered pair of countries, so
// that a pair's name is a substring of one string rather than an
// allocation per lookup.
func pairNames(countries []countryDef) string {
	var pb strings.Builder
	pb.Grow(5 * len(countries) * len(countries))
	for _, a := range countries {
		for _, b := range countries {
			pb.WriteString(pairOf(a.code, b.code))
		}
	}
	return pb.String()
}

// loadGazetteer reads gazetteer.tsv (canonical name, type, country,
// speaker type, aliases, flags); codes are the known countries.
func (b *lexBuilder) loadGazetteer(codes map[string]bool) error {
	lex := b.lex
	return eachLine("gazetteer.tsv", func(f []string) error {
		if len(f) < 5 {
			return fmt.Errorf("want 5 or 6 fields, got %d", len(f))
		}
		for len(f) < 6 {
			f = append(f, "")
		}
		e := entityDef{canonical: f[0], typ: f[1], country: f[2], speaker: f[3], generic: strings.Contains(f[5], "gen")}
		if e.canonical == "" {
			return fmt.Errorf("empty canonical name")
		}
		if !validTypes[e.typ] {
			return fmt.Errorf("bad type %q", e.typ)
		}
		if !validSpeakers[e.speaker] {
			return fmt.Errorf("bad speaker type %q", e.speaker)
		}
		if e.country != "" && !codes[e.country] {
			return fmt.Errorf("unknown country %q", e.country)
		}
		id := int32(len(lex.entities))
		lex.entities = append(lex.entities, e)
		alts := splitAlts(f[4])
		if len(alts) == 0 {
			return fmt.Errorf("no aliases")
		}
		for _, a := range alts {
			if err := b.addHit(a, hit{kind: kEntity, id: id}); err != nil {
				return err
			}
		}
		return nil
	})
}

// setGovCanon names each country's government as a canonical entity: the
// gazetteer's first "... government" entry of that country, else
// "Government of <name>" ("European Union" for the EU itself).
func (lex *lexicon) setGovCanon() {
	for i := range lex.countries {
		c := &lex.countries[i]
		c.govCanon = c.code + " government"
		if c.code == "EU" {
			c.govCanon = "European Union"
		}
	}
	for _, e := range lex.entities {
		if e.typ == "GOV" && strings.HasSuffix(e.canonical, "government") && e.country != "" {
			if _, ok := lex.govCanon[e.country]; !ok {
				lex.govCanon[e.country] = e.canonical
			}
		}
	}
	for i := range lex.countries {
		c := &lex.countries[i]
		if g, ok := lex.govCanon[c.code]; ok {
			c.govCanon = g
		} else if c.code != "EU" {
			c.govCanon = "Government of " + c.name
		}
	}
}

// loadWordClasses reads words.tsv (class, words): each word's pattern gets
// the bit of its class (wordClassNames), which the stance rules test.
func (b *lexBuilder) loadWordClasses() error {
	lex := b.lex
	classBit := map[string]uint32{}
	for i, n := range wordClassNames {
		classBit[n] = 1 << uint(i)
	}
	return eachLine("words.tsv", func(f []string) error {
		if len(f) != 2 {
			return fmt.Errorf("want 2 fields, got %d", len(f))
		}
		bit, ok := classBit[f[0]]
		if !ok {
			return fmt.Errorf("unknown word class %q", f[0])
		}
		for _, a := range splitAlts(f[1]) {
			id := b.pattern(normalize(a))
			lex.words[id] |= bit
		}
		return nil
	})
}

// loadTopics reads topics.tsv (topic, phrases): each phrase's pattern gets
// its topic's bit, so at most 32 topics.
func (b *lexBuilder) loadTopics() error {
	lex := b.lex
	return eachLine("topics.tsv", func(f []string) error {
		if len(f) != 2 {
			return fmt.Errorf("want 2 fields, got %d", len(f))
		}
		if len(lex.topicName) >= 32 {
			return fmt.Errorf("too many topics (max 32)")
		}
		bit := uint32(1) << uint(len(lex.topicName))
		lex.topicName = append(lex.topicName, f[0])
		for _, a := range splitAlts(f[1]) {
			id := b.pattern(normalize(a))
			lex.topics[id] |= bit
		}
		return nil
	})
}

// loadVerbs reads verbs.tsv (base form and its four inflections), which
// cues written with a base verb are expanded by.
func loadVerbs() (map[string][]string, error) {
	verbs := map[string][]string{}
	err := eachLine("verbs.tsv", func(f []string) error {
		if len(f) != 5 {
			return fmt.Errorf("want 5 fields, got %d", len(f))
		}
		verbs[f[0]] = f
		return nil
	})
	return verbs, err
}

// buildMatcher builds the word matcher over every pattern and the words
// the rules look up (cue segment words, honorifics, name joiners, object
// prepositions), flags those words, indexes the cue segments and
// summarises each pattern for the tokenizer.
func (lex *lexicon) buildMatcher() error {
	extra := lex.segWords()
	wordSets := []struct {
		set  map[string]bool
		flag uint8
	}{{honorifics, wfHonorific}, {nameJoin, wfNameJoin}, {objPreps, wfObjPrep}}
	for _, ws := range wordSets {
		for w := range ws.set {
			extra = append(extra, w)
		}
	}
	slices.Sort(extra)
	wm, err := buildWordMatcher(lex.patterns, extra, lex.wordOnly)
	if err != nil {
		return err
	}
	lex.wm = wm
	lex.wordBits = make([]uint32, wm.nWords()+1)
	for p, pat := range lex.patterns {
		if lex.wordOnly(p) {
			lex.wordBits[wm.lookup(pat)] = lex.words[p]
		}
	}
	lex.wflag = make([]uint8, lex.wm.nWords()+1)
	for _, ws := range wordSets {
		for w := range ws.set {
			lex.wflag[lex.wm.lookup(w)] |= ws.flag
		}
	}
	lex.wflag[0] = 0
	if err := lex.indexSegs(); err != nil {
		return err
	}
	return lex.packPatterns()
}

// wordOnly tells whether pattern p is one word whose only effect is its
// word classes (no hits, no topics, not counted as trade or sport): the
// automaton does not report it, and the English analyser sets its classes
// from the word ids (wordBits), without a call per match: they are most
// of the matches (function words).
func (lex *lexicon) wordOnly(p int) bool {
	return !strings.Contains(lex.patterns[p], " ") && len(lex.hits[p]) == 0 && lex.topics[p] == 0 && lex.words[p]&(wTRADE|wSPORT) == 0
}

// packPatterns fills pinfo and moves every pattern's hits into one array,
// hitFlat, which pinfo indexes (hits[i] becomes the same hits there): a
// match reads its pattern's record and then its hits next to the others',
// not a slice header in a table of its own (24 bytes a pattern, 80 KB, a
// cache miss on most matches).
func (lex *lexicon) packPatterns() error {
	n := 0
	for _, h := range lex.hits {
		n += len(h)
	}
	flat := make([]hit, 0, n)
	lex.pinfo = make([]patInfo, len(lex.patterns))
	for i := range lex.pinfo {
		if len(lex.hits[i]) > math.MaxUint16 {
			return fmt.Errorf("tagger: pattern %q has %d entries, more than %d", lex.patterns[i], len(lex.hits[i]), math.MaxUint16)
		}
		h0 := len(flat)
		flat = append(flat, lex.hits[i]...)
		lex.hits[i] = flat[h0:len(flat):len(flat)]
		nc := 0
		for nc < len(lex.hits[i]) && lex.hits[i][nc].kind == kCue {
			nc++
		}
		lex.pinfo[i] = patInfo{words: lex.words[i], topics: lex.topics[i], h0: int32(h0), hn: uint16(len(flat) - h0), nc: uint16(nc)}
	}
	lex.hitFlat = flat
	return nil
}

// loadCues reads a cue file (the format of cues.tsv) through each, with norm
// turning a phrase into normalised tokens, and adds its cues and anchors.
func (b *lexBuilder) loadCues(each func(string, func([]string) error) error, file string, norm func(string) string, verbs map[string][]string) error {
	lex := b.lex
	classes := map[string][][]string{}
	return each(file, func(f []string) error {
		if strings.HasPrefix(f[0], "@") && !strings.Contains(f[0], " ") && len(f) == 2 {
			var alts [][]string
			for _, a := range splitAlts(f[1]) {
				alts = append(alts, strings.Fields(norm(a)))
			}
			classes[f[0]] = alts
			return nil
		}
		if len(f) < 4 {
			return fmt.Errorf("want 4 or 5 fields, got %d", len(f))
		}
		for len(f) < 5 {
			f = append(f, "")
		}
		block := strings.Contains(f[4], "block")
		pol, err := strconv.Atoi(f[2])
		if err != nil || (pol != 1 && pol != -1 && !(block && pol == 0)) {
			return fmt.Errorf("polarity must be 1 or -1 (0 for a block), got %q", f[2])
		}
		w, err := strconv.ParseFloat(f[3], 64)
		if err != nil || w < 0 || w > 10 {
			return fmt.Errorf("weight must be in [0,10], got %q", f[3])
		}
		cd := cueDef{pattern: f[0], category: f[1], polarity: pol, weight: w, block: block,
			firm: strings.Contains(f[4], "firm"), noact: strings.Contains(f[4], "noact"), talk: strings.Contains(f[4], "talk"),
			state: strings.Contains(f[4], "state")}
		cd.verbal = strings.HasPrefix(f[0], "~")
		switch cd.category {
		case "SANCTION", "RETALIATE", "THREATEN", "ESCALATE":
			cd.punitive = pol > 0
		}
		segs := strings.Split(f[0], "..")
		var parsed []cueSeg
		for _, s := range segs {
			seg, err := parseSeg(strings.Fields(s), classes, verbs, norm)
			if err != nil {
				return err
			}
			if len(seg.pos) == 0 {
				return fmt.Errorf("empty segment in %q", f[0])
			}
			parsed = append(parsed, seg)
		}
		cd.rest = parsed[1:]
		id := int32(len(lex.cues))
		lex.cues = append(lex.cues, cd)
		anchors := expandSeg(parsed[0])
		if len(anchors) > 5000 {
			return fmt.Errorf("pattern %q expands to %d anchors", f[0], len(anchors))
		}
		for _, a := range anchors {
			pid := b.pattern(a)
			lex.hits[pid] = append(lex.hits[pid], hit{kind: kCue, id: id})
		}
		return nil
	})
}

// segWords lists the words of the cue segments after gaps (they need word ids).
func (lex *lexicon) segWords() []string {
	var extra []string
	for _, cd := range lex.cues {
		for _, seg := range cd.rest {
			for _, pos := range seg.pos {
				for _, alt := range pos {
					extra = append(extra, alt...)
				}
			}
		}
	}
	return extra
}

// indexSegs turns the cue segments after gaps into word ids of the matcher.
func (lex *lexicon) indexSegs() error {
	for ci := range lex.cues {
		for si := range lex.cues[ci].rest {
			seg := &lex.cues[ci].rest[si]
			seg.ipos = make([][][]int32, len(seg.pos))
			for pi, pos := range seg.pos {
				for _, alt := range pos {
					ia := make([]int32, len(alt))
					for k, w := range alt {
						if ia[k] = lex.wm.lookup(w); ia[k] == 0 {
							return fmt.Errorf("tagger: cue %q: word %q has no id", lex.cues[ci].pattern, w)
						}
					}
					seg.ipos[pi] = append(seg.ipos[pi], ia)
				}
			}
			for w := range seg.first {
				id := lex.wm.lookup(w)
				seg.ifirst = append(seg.ifirst, id)
				for int(id>>6) >= len(lex.segStart) {
					lex.segStart = append(lex.segStart, 0)
				}
				lex.segStart[id>>6] |= 1 << (id & 63)
			}
			slices.Sort(seg.ifirst)
		}
	}
	return nil
}

// parseSeg parses the positions of one segment.
func parseSeg(words []string, classes map[string][][]string, verbs map[string][]string, norm func(string) string) (cueSeg, error) {
	seg := cueSeg{first: map[string]bool{}}
	for _, w := range words {
		var alts [][]string
		for _, a := range strings.Split(w, "|") {
			switch {
			case strings.HasPrefix(a, "@"):
				c, ok := classes[a]
				if !ok {
					return cueSeg{}, fmt.Errorf("unknown class %s", a)
				}
				alts = append(alts, c...)
			case strings.HasPrefix(a, "~"):
				for _, form := range inflect(a[1:], verbs) {
					alts = append(alts, []string{form})
				}
			default:
				alts = append(alts, strings.Fields(norm(a)))
			}
		}
		if len(seg.pos) == 0 {
			for _, a := range alts {
				if len(a) > 0 {
					seg.first[a[0]] = true
				}
			}
		}
		seg.pos = append(seg.pos, alts)
	}
	return seg, nil
}

// expandSeg lists every token string a segment can match.
func expandSeg(seg cueSeg) []string {
	out := []string{""}
	for _, pos := range seg.pos {
		var next []string
		for _, prefix := range out {
			for _, alt := range pos {
				s := strings.Join(alt, " ")
				if prefix != "" {
					s = prefix + " " + s
				}
				next = append(next, s)
			}
		}
		out = next
	}
	return out
}

// inflect gives the forms of an English verb: base, third person, past,
// participle and -ing, from verbs.tsv or by the regular rules.
func inflect(base string, verbs map[string][]string) []string {
	if f, ok := verbs[base]; ok {
		return uniq(f)
	}
	isVowel := func(c byte) bool { return strings.IndexByte("aeiou", c) >= 0 }
	n := len(base)
	var s3, past, ing string
	switch {
	case strings.HasSuffix(base, "s") || strings.HasSuffix(base, "x") || strings.HasSuffix(base, "z") ||
		strings.HasSuffix(base, "ch") || strings.HasSuffix(base, "sh"):
		s3 = base + "es"
	case n > 1 && base[n-1] == 'y' && !isVowel(base[n-2]):
		s3 = base[:n-1] + "ies"
	default:
		s3 = base + "s"
	}
	switch {
	case strings.HasSuffix(base, "e"):
		past = base + "d"
	case n > 1 && base[n-1] == 'y' && !isVowel(base[n-2]):
		past = base[:n-1] + "ied"
	default:
		past = base + "ed"
	}
	switch {
	case strings.HasSuffix(base, "ie"):
		ing = base[:n-2] + "ying"
	case strings.HasSuffix(base, "e") && !strings.HasSuffix(base, "ee"):
		ing = base[:n-1] + "ing"
	default:
		ing = base + "ing"
	}
	return uniq([]string{base, s3, past, ing})
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

var errBad = fmt.Errorf("bad entry")
