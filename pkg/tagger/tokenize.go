package tagger

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Token flags.
const (
	fWord      uint8 = 1 << iota // letters or digits
	fCap                         // first letter upper case
	fAllCaps                     // every letter upper case (and at least one letter)
	fParaStart                   // first token after a blank line or newline
	fAbbrev                      // abbreviation with dots ("U.S.")
	fTitle                       // token of the title, not of the text
)

type token struct {
	start, end int32 // byte offsets into the source (title or text)
	ns, ne     int32 // byte offsets into the normalised buffer
	sent       int32 // sentence index; -1 for the title
	flags      uint8
	punct      byte // for punctuation tokens: the normalised character
}

func (t *token) is(f uint8) bool { return t.flags&f != 0 }

// set overwrites every field of t (sent with 0), field by field: a
// composite literal stored through an index is built in a stack temporary
// and copied, which costs the tokenizer's fast path a dozen instructions a
// token.
func (t *token) set(start, end, ns, ne int, flags, punct uint8) {
	t.start, t.end, t.ns, t.ne, t.sent = int32(start), int32(end), int32(ns), int32(ne), 0
	t.flags, t.punct = flags, punct
}

// tokenizer state shared by title and text.
type tokens struct {
	toks []token
	norm []byte
	caps []int32 // the capitalised words of the text, by index (splitSentences)
}

func isQuote(r rune) bool {
	switch r {
	case '"', '“', '”', '„', '«', '»', '‘', '`':
		return true
	}
	return false
}

func isApos(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' }

func isDash(r rune) bool {
	switch r {
	case '—', '–', '‒', '―':
		return true
	}
	return false
}

func isLetterOrDigit(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func decode(s string, i int) (rune, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// appendNorm appends the lower-cased rune to buf.
func appendNorm(buf []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		c := byte(r)
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		return append(buf, c)
	}
	return utf8.AppendRune(buf, unicode.ToLower(r))
}

// tokenize appends the tokens of s to ts. Words are runs of letters and digits,
// keeping inner apostrophes ("won't") but splitting a possessive "'s" into its
// own token; "U.S." and "J.P." are one token normalised without dots; digits
// keep inner '.' and ','; hyphens between words separate them without a token;
// other punctuation is a one-character token, with quotes normalised to '"'
// and dashes to '-'. sent is left 0; sentences are assigned by splitSentences.
func (ts *tokens) tokenize(s string, extra uint8) {
	n := len(s)
	if need := len(ts.norm) + 2*n + 16; cap(ts.norm) < need {
		ts.norm = append(make([]byte, 0, need), ts.norm...)
	}
	if need := len(ts.toks) + n/3 + 16; cap(ts.toks) < need {
		ts.toks = append(make([]token, 0, need), ts.toks...)
	}
	newline := true
	i := 0
	first := len(ts.toks)
	for i < n {
		var general bool
		i, newline, general = ts.fast(s, i, newline)
		if general {
			i, newline = ts.step(s, i, extra, newline)
		}
	}
	if extra != 0 {
		// fast leaves the extra flags (the title's) to this pass: one
		// value fewer live in its loop (see there)
		for k := range ts.toks[first:] {
			ts.toks[first+k].flags |= extra
		}
	}
}

// fast tokenizes s from i while it is plain ASCII: words of letters and
// digits ended by a byte that cannot continue them, spaces and one-byte
// punctuation. It returns where it stopped, the newline state, and whether
// the byte there needs the general path (step); it also stops, without
// it, when toks is full. The loop makes calls only on rare paths, so its
// values stay in registers: norm is grown once on entry to hold the rest
// of s (a token takes at most two bytes of norm per byte of s, a separator
// and its text, and a word is written eight bytes at a time: 16 bytes of
// slack), and no token is started once toks is full. The flags the caller
// adds to every token (the title's) are OR-ed in by tokenize afterwards:
// one value fewer live in the loop spilled less (2,557 k -> 2,487 k
// instructions a pass over the dev texts, cachegrind).
func (ts *tokens) fast(s string, i int, newline bool) (int, bool, bool) {
	n := len(s)
	// the newline state as the flag it gives the next token (fParaStart
	// or 0), so that a token's flags take it without a branch
	var para uint8
	if newline {
		para = fParaStart
	}
	norm, toks := ts.norm, ts.toks
	if need := 2*(n-i) + 16; cap(norm)-len(norm) < need {
		norm = slices.Grow(norm, need)
	}
	if cap(toks)-len(toks) < 16 {
		toks = slices.Grow(toks, (n-i)/3+16)
	}
	buf, tb := norm[:cap(norm)], toks[:cap(toks)]
	nn, nt := len(norm), len(toks)
	general := false
	for i < n {
		if nt == len(tb) {
			break // full: the caller calls again, which grows toks
		}
		c := s[i]
		k := asciiKind[c]
		if k&kSpace != 0 {
			if c == '\n' {
				para = fParaStart
			}
			i++
			continue
		}
		fl := para
		ns := nn
		sep := 0
		if nt > 0 && ns > 0 {
			sep = 1
		}
		if k&(kLower|kUpper|kDigit) != 0 {
			// a word, found and lower-cased eight bytes at a time and
			// written after the end of norm (up to eight bytes past the
			// word); taken only if simple. Written out here, not called:
			// see above. The separator is written first, unconditionally
			// (the word overwrites it when there is none), and the
			// letters' cases are collected as bit masks, so the loop has
			// no branch but its end.
			buf[ns] = ' '
			wp := ns + sep
			var cases uint64 // letters seen: bit 7 of a byte upper case, bit 6 lower case
			j := i
			for j+8 <= n {
				x := load64(s, j)
				letters := hasBetween(x|0x2020202020202020, 0x60, 0x7B)
				upper := letters &^ (x << 2) // letters without bit 5 (0x20), moved to bit 7
				alnum := letters | hasBetween(x, 0x2F, 0x3A)
				non := ^alnum & 0x8080808080808080 // high bit of each byte that ends the word
				m := (non&-non)>>7 - 1             // the bytes before the first of them (all: none)
				cnt := bits.TrailingZeros64(non) >> 3
				cases |= upper&m | (letters&^upper&m)>>1
				binary.LittleEndian.PutUint64(buf[wp:wp+8], x|(upper&m)>>2)
				wp += cnt
				j += cnt
				if non != 0 {
					break
				}
			}
			if j+8 > n {
				for j < n {
					c := s[j]
					kj := asciiKind[c]
					if kj&(kLower|kUpper|kDigit) == 0 {
						break
					}
					if kj == kUpper {
						c += 'a' - 'A'
						cases |= 0x80
					} else if kj == kLower {
						cases |= 0x40
					}
					buf[wp] = c
					wp++
					j++
				}
			}
			// a space, the common case, ends the word; simpleEnd, called
			// only otherwise, reads the rest
			next := j
			if j < n {
				if s[j] == ' ' {
					next++ // the space after a word, without a turn of the loop
				} else if !simpleEnd(s, i, j, k) {
					general = true
					break
				}
			}
			ns += sep
			nn = wp
			// flags from bits, not branches (whether a word is
			// capitalised is as good as random): k&kUpper is fCap for
			// an upper-case first letter (kUpper == fCap), and
			// fAllCaps is set when some letter was upper case and none
			// lower case
			f := fl | fWord | k&kUpper
			// the cases of all eight bytes folded into one: bit 7 an
			// upper-case letter, bit 6 a lower-case one; fAllCaps (bit
			// 2) is bit 7 moved down where bit 6 is clear. (Testing
			// each half of cases for zero took two more registers than
			// the loop has free: it spilled and reloaded them, 22
			// instructions a word, cachegrind)
			c := cases | cases>>32
			c |= c >> 16
			c |= c >> 8
			x := uint8(c)
			f |= (x >> 5) &^ (x >> 4) & fAllCaps
			tb[nt].set(i, j, ns, nn, f, 0)
			nt++
			para = 0
			i = next
			continue
		}
		if k&kPunct == 0 {
			// a hyphen joining two words and the "'s" of a possessive
			// right after its word, as step reads them; the rest of
			// what is not plain punctuation goes to step
			touches := nt > 0 && int(tb[nt-1].end) == i // touchesLast
			if c == '-' && touches && i > 0 && i+1 < n && asciiKind[s[i+1]]&(kLower|kUpper|kDigit) != 0 {
				para = 0 // no token: a separator only
				i++
				continue
			}
			if c == '\'' && touches && possessiveAt(s, i+1) {
				buf[ns], buf[ns+1], buf[ns+2] = ' ', '\'', 's'
				nn = ns + 3
				tb[nt].set(i, i+2, ns+1, nn, fl|fWord, 0)
				nt++
				para = 0
				i += 2
				continue
			}
			if c != '-' || i+1 < n && s[i+1] >= utf8.RuneSelf {
				general = true // (after a hyphen, a letter beyond ASCII may join it)
				break
			}
		}
		// plain ASCII punctuation (and a hyphen joining nothing): its own
		// one-byte token
		p := c
		if c == '`' {
			p = '"'
		}
		if sep != 0 {
			buf[ns] = ' '
			ns++
		}
		buf[ns] = p
		nn = ns + 1
		tb[nt].set(i, i+1, ns, nn, fl, p)
		nt++
		para = 0
		// the space after a mark (", "), without a turn of the loop and
		// without a branch on it
		i++
		if i < n {
			sp := 0
			if s[i] == ' ' {
				sp = 1
			}
			i += sp
		}
	}
	ts.norm, ts.toks = buf[:nn], tb[:nt]
	return i, para != 0, general
}

// simpleEnd tells whether the ASCII word s[i:j] (first byte of kind k) is
// a whole token as it stands: what follows cannot continue it, make it a
// number ("1.5", "3,000") or an abbreviation ("U.S."); a possessive "'s"
// after it is the next token. Otherwise the general path reads it.
func simpleEnd(s string, i, j int, k uint8) bool {
	n := len(s)
	if j >= n {
		return true
	}
	switch e := s[j]; {
	case e == '\'' && possessiveAt(s, j+1):
		// "China's": the word ends here, "'s" is the next token
	case e == 0xE2 && j+3 < n && s[j+1] == 0x80 && s[j+2] == 0x99 && possessiveAt(s, j+3):
		// "China’s"
	case e >= utf8.RuneSelf || e == '\'' || e == '&':
		return false
	case e == '.' || e == ',':
		// "1.5", "3,000"; a single letter and a dot may start "U.S."
		if (asciiKind[s[j-1]] == kDigit && j+1 < n && asciiKind[s[j+1]] == kDigit) || (e == '.' && j == i+1 && k != kDigit && j+1 < n) {
			return false
		}
	}
	return true
}

// step is the general tokenizer: it reads one token (or one space) at s[i]
// and returns where to go on and the newline state. The token is a word
// (word, which also reads abbreviations), a possessive "'s", nothing for a
// hyphen joining two words, or one punctuation mark (punctToken).
func (ts *tokens) step(s string, i int, extra uint8, newline bool) (int, bool) {
	r, w := decode(s, i)
	if r == '\n' {
		return i + w, true
	}
	// general punctuation (dashes, quotes, bullets, ellipses) is neither
	// space nor letter: skip the Unicode tables
	punct := r >= 0x2010 && r <= 0x2027 || r >= 0x2030 && r <= 0x205E
	if !punct && (r == ' ' || r == '\t' || r == '\r' || unicode.IsSpace(r)) {
		return i + w, newline
	}
	var fl uint8 = extra
	if newline {
		fl |= fParaStart
		newline = false
	}
	if !punct && isLetterOrDigit(r) {
		return ts.word(s, i, r, w, fl), newline
	}
	if j := ts.possessive(s, i, r, w, fl); j > i {
		return j, newline
	}
	// hyphen joining two words: separator only
	if (r == '-' || r == '‐' || r == '‑') && i > 0 && i+w < len(s) && isLetterOrDigit(runeAt(s, i+w)) && ts.touchesLast(i) {
		return i + w, newline
	}
	ts.punctToken(i, r, w, fl)
	return i + w, newline
}

// touchesLast reports whether the last token ends right at byte i.
func (ts *tokens) touchesLast(i int) bool {
	return len(ts.toks) > 0 && int(ts.toks[len(ts.toks)-1].end) == i
}

// word reads the word starting at s[i] (first rune r, w bytes) as one
// token with flags fl and returns where it ends. A word keeps inner
// apostrophes ("won't"), digits' inner '.' and ',' ("1.5"), and an inner
// '&' ("AT&T"), but stops before a possessive "'s".
func (ts *tokens) word(s string, i int, r rune, w int, fl uint8) int {
	n := len(s)
	start := i
	ns := len(ts.norm)
	if len(ts.toks) > 0 && ns > 0 {
		ts.norm = append(ts.norm, ' ')
		ns++
	}
	firstUpper := unicode.IsUpper(r)
	if unicode.IsLetter(r) && i+w+1 < n && s[i+w] == '.' {
		if j, ok := ts.abbrev(s, i, ns, fl|boolFlag(firstUpper, fCap)); ok {
			return j
		}
	}
	hasLetter, allUpper := false, true
	letters := 0
	for i < n {
		if c := s[i]; c < utf8.RuneSelf {
			switch {
			case c >= 'a' && c <= 'z':
				hasLetter = true
				letters++
				allUpper = false
				ts.norm = append(ts.norm, c)
				i++
				continue
			case c >= 'A' && c <= 'Z':
				hasLetter = true
				letters++
				ts.norm = append(ts.norm, c+'a'-'A')
				i++
				continue
			case c >= '0' && c <= '9':
				ts.norm = append(ts.norm, c)
				i++
				continue
			}
		}
		r, w = decode(s, i)
		if isLetterOrDigit(r) {
			if unicode.IsLetter(r) {
				hasLetter = true
				letters++
				if !unicode.IsUpper(r) {
					allUpper = false
				}
			}
			ts.norm = appendNorm(ts.norm, r)
			i += w
			continue
		}
		if (r == '.' || r == ',') && i+1 < n && s[i+1] >= '0' && s[i+1] <= '9' && i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
			ts.norm = append(ts.norm, byte(r))
			i++
			continue
		}
		if isApos(r) && i+w < n {
			r2, w2 := decode(s, i+w)
			if isLetterOrDigit(r2) {
				// possessive 's: split
				if (r2 == 's' || r2 == 'S') && (i+w+w2 >= n || !isLetterOrDigit(runeAt(s, i+w+w2))) {
					break
				}
				ts.norm = append(ts.norm, '\'')
				i += w
				continue
			}
		}
		if r == '&' && i+1 < n && isLetterOrDigit(runeAt(s, i+1)) && i > start {
			// AT&T, S&P
			ts.norm = append(ts.norm, '&')
			i++
			continue
		}
		break
	}
	if !hasLetter {
		allUpper = false
	}
	ts.toks = append(ts.toks, token{start: int32(start), end: int32(i), ns: int32(ns), ne: int32(len(ts.norm)), flags: fl | fWord | boolFlag(firstUpper, fCap) | boolFlag(allUpper && letters > 0, fAllCaps)})
	return i
}

// abbrev reads an abbreviation of two or more single letters each
// followed by a dot ("U.S.", "J.P.", "D.C.") at s[i] as one token
// normalised without dots, whose normal form starts at ns; fl are its
// flags so far. ok is false (and nothing is added) when there is none.
func (ts *tokens) abbrev(s string, i, ns int, fl uint8) (end int, ok bool) {
	n := len(s)
	j := i
	k := 0
	for j+1 < n {
		rr, ww := decode(s, j)
		if !unicode.IsLetter(rr) || j+ww >= n || s[j+ww] != '.' {
			break
		}
		k++
		j += ww + 1
	}
	if k < 2 {
		return i, false
	}
	allUpper := true
	for p := i; p < j; {
		rr, ww := decode(s, p)
		if rr != '.' {
			ts.norm = appendNorm(ts.norm, rr)
			if unicode.IsLower(rr) {
				allUpper = false
			}
		}
		p += ww
	}
	ts.toks = append(ts.toks, token{start: int32(i), end: int32(j), ns: int32(ns), ne: int32(len(ts.norm)), flags: fl | fWord | fAbbrev | boolFlag(allUpper, fAllCaps)})
	return j, true
}

// possessive reads a possessive "'s" right after a word at s[i] (first
// rune r, w bytes) as its own token and returns where it ends, or i when
// there is none.
func (ts *tokens) possessive(s string, i int, r rune, w int, fl uint8) int {
	n := len(s)
	if !isApos(r) || i+w >= n {
		return i
	}
	r2, w2 := decode(s, i+w)
	if (r2 == 's' || r2 == 'S') && (i+w+w2 >= n || !isLetterOrDigit(runeAt(s, i+w+w2))) && ts.touchesLast(i) {
		ns := len(ts.norm) + 1
		ts.norm = append(ts.norm, ' ', '\'', 's')
		ts.toks = append(ts.toks, token{start: int32(i), end: int32(i + w + w2), ns: int32(ns), ne: int32(len(ts.norm)), flags: fl | fWord})
		return i + w + w2
	}
	return i
}

// punctToken adds the punctuation mark r (w bytes at s[i]) as a one-byte
// token: quotes and apostrophes become '"', dashes '-', other non-ASCII
// marks '~'.
func (ts *tokens) punctToken(i int, r rune, w int, fl uint8) {
	var p byte
	switch {
	case isQuote(r):
		p = '"'
	case isApos(r):
		p = '"'
	case isDash(r) || r == '-':
		p = '-'
	case r < utf8.RuneSelf:
		p = byte(r)
	default:
		p = '~'
	}
	ns := len(ts.norm)
	if len(ts.toks) > 0 && ns > 0 {
		ts.norm = append(ts.norm, ' ')
		ns++
	}
	ts.norm = append(ts.norm, p)
	ts.toks = append(ts.toks, token{start: int32(i), end: int32(i + w), ns: int32(ns), ne: int32(len(ts.norm)), flags: fl, punct: p})
}

// possessiveAt tells whether s[i:] starts with an "s" that ends a word (the
// "s" of a possessive "'s").
func possessiveAt(s string, i int) bool {
	if i >= len(s) || s[i]|0x20 != 's' {
		return false
	}
	return i+1 >= len(s) || !isLetterOrDigit(runeAt(s, i+1))
}

// load64 reads s[j:j+8] little endian (the compiler makes it one load).
func load64(s string, j int) uint64 {
	s = s[j : j+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// hasBetween sets the high bit of each byte of x that is strictly between a
// and b; x's bytes must be < 0x80 to be tested (a byte >= 0x80 never is).
// From "Bit Twiddling Hacks" (S. E. Anderson), exact byte by byte.
func hasBetween(x uint64, a, b uint64) uint64 {
	const ones = 0x0101010101010101
	lo := x & (ones * 127)
	return (ones*(127+b) - lo) & ^x & (lo + ones*(127-a)) & (ones * 128)
}

// ASCII byte kinds for the tokenizer's fast path (other bytes: 0).
// kUpper is fCap, so that fast sets the flag from the kind.
const (
	kLower uint8 = iota + 1
	kUpper
	kDigit = 4
	kSpace = 8  // ' ', '\t', '\n', '\v', '\f', '\r'
	kPunct = 16 // other ASCII except '\'' and '-' (possessives, hyphens)
)

var _ = [1]struct{}{}[kUpper^fCap] // kUpper == fCap (see fast)

var asciiKind = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = kLower
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = kUpper
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = kDigit
	}
	for _, c := range " \t\n\v\f\r" {
		t[c] = kSpace
	}
	for c := 0; c < utf8.RuneSelf; c++ {
		if t[c] == 0 && c != '\'' && c != '-' {
			t[c] = kPunct
		}
	}
	return
}()

func runeAt(s string, i int) rune {
	r, _ := decode(s, i)
	return r
}

func boolFlag(b bool, f uint8) uint8 {
	if b {
		return f
	}
	return 0
}

// sentence-final abbreviations that do not end a sentence.
// nonFinal tells whether a word before a '.' is an abbreviation that does
// not end a sentence ("Mr.", "Jan.", "Corp."). A switch, not a map: the
// compiler compares the length first and the bytes after, no hashing.
func nonFinal(w []byte) bool {
	switch string(w) {
	case "mr", "mrs", "ms", "dr", "st", "no", "corp", "co",
		"inc", "ltd", "jan", "feb", "mar", "apr", "jun", "jul",
		"aug", "sep", "sept", "oct", "nov", "dec", "gen", "gov",
		"sen", "rep", "vs", "etc", "jr", "sr", "prof", "u":
		return true
	}
	return false
}

// sentEnd gives the marks that may end a sentence the bit fParaStart
// (splitSentences).
var sentEnd = [256]uint8{'.': fParaStart, '!': fParaStart, '?': fParaStart}

// splitSentences assigns sentence numbers to toks[from:], starting at first.
// A sentence ends at '.', '!' or '?' followed by a capitalised word, a quote,
// a digit or the end, and at every line break. It returns the next number.
//
// It also lists the capitalised words of toks[from:] in caps, for the
// names (recogniseNames), without a branch (one word in five or so, in no
// order a predictor learns): in a pass of its own over the tokens, that
// list cost 17 instructions a token (219 k a pass over the dev texts,
// cachegrind); here it shares the reading of the flags.
func (ts *tokens) splitSentences(from int, first int32) int32 {
	sent := first
	toks := ts.toks
	caps := growI32(ts.caps, len(toks)-from+1)
	nc := 0
	for i := from; i < len(toks); i++ {
		t := &toks[i]
		// (the tokens the slow path below skips are closing marks)
		caps[nc] = int32(i)
		nc += int(t.flags&(fWord|fCap)+1) >> 2 // fWord|fCap is 3: 1 when both are set
		// most tokens: a word or mark inside a paragraph and a
		// sentence. One branch, on what is rare (a line break or a
		// sentence-final mark; sentEnd gives the marks fParaStart's
		// bit), where testing for any mark at all mispredicted on most
		// marks (1.8 k a pass over the dev texts, cachegrind)
		if (t.flags|sentEnd[t.punct])&fParaStart == 0 {
			t.sent = sent
			continue
		}
		if i > from && t.is(fParaStart) {
			if toks[i-1].sent == sent {
				sent++
			}
		}
		t.sent = sent
		if t.punct == '.' || t.punct == '!' || t.punct == '?' {
			// absorb closing quotes / brackets
			j := i + 1
			for j < len(toks) && (toks[j].punct == '"' || toks[j].punct == ')') && !toks[j].is(fParaStart) {
				toks[j].sent = sent
				j++
			}
			if j >= len(toks) {
				i = j - 1
				continue
			}
			nx := &toks[j]
			if t.punct == '.' && i > from && toks[i-1].is(fWord) {
				prev := ts.norm[toks[i-1].ns:toks[i-1].ne]
				if nonFinal(prev) || (len(prev) == 1 && toks[i-1].is(fCap)) {
					i = j - 1
					continue
				}
			}
			if nx.is(fCap) || nx.punct == '"' || nx.is(fParaStart) || (nx.is(fWord) && ts.norm[nx.ns] >= '0' && ts.norm[nx.ns] <= '9') {
				i = j - 1
				sent++
				continue
			}
			i = j - 1
		}
	}
	if len(toks) > from && toks[len(toks)-1].sent == sent {
		sent++
	}
	ts.caps = caps[:nc]
	return sent
}
